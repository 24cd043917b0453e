// The simulation's executor is a standard Asio executor: the properties it
// answers, what require/prefer return, and that it is small enough to live in
// any_io_executor without a heap allocation.
#include <simloop/simloop.hpp>

#include <gtest/gtest.h>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/execution.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/query.hpp>
#include <boost/asio/require.hpp>

#include <type_traits>

namespace {

namespace ex = boost::asio::execution;
using simloop::executor;

// ---- compile-time facts -------------------------------------------------

static_assert(ex::is_executor<executor>::value);
static_assert(ex::is_executor_v<executor>);
static_assert(sizeof(executor) == 16);
static_assert(std::is_nothrow_copy_constructible_v<executor>);
static_assert(std::is_nothrow_move_constructible_v<executor>);
static_assert(std::is_same_v<simloop::simulation::executor_type, executor>);

// any_io_executor accepts it (the conversion is constrained on the properties).
static_assert(std::is_constructible_v<asio::any_io_executor, executor>);
static_assert(std::is_convertible_v<executor, asio::any_io_executor>);

static_assert(asio::can_query_v<executor, ex::context_t>);
static_assert(asio::can_query_v<executor, ex::blocking_t>);
static_assert(asio::can_query_v<executor, ex::relationship_t>);
static_assert(asio::can_query_v<executor, ex::outstanding_work_t>);
static_assert(asio::can_query_v<executor, ex::mapping_t>);
static_assert(asio::can_query_v<executor, ex::allocator_t<void>>);
static_assert(asio::can_require_v<executor, ex::blocking_t::never_t>);
static_assert(asio::can_require_v<executor, ex::blocking_t::possibly_t>);
static_assert(asio::can_require_v<executor, ex::relationship_t::continuation_t>);
static_assert(asio::can_require_v<executor, ex::relationship_t::fork_t>);
static_assert(asio::can_require_v<executor, ex::outstanding_work_t::tracked_t>);
static_assert(asio::can_require_v<executor, ex::outstanding_work_t::untracked_t>);
static_assert(asio::can_prefer_v<executor, ex::allocator_t<std::allocator<int>>>);
// A property the executor does not support cannot be required.
static_assert(!asio::can_require_v<executor, ex::blocking_t::always_t>);

// The results of require/prefer keep the executor type: no wrapper.
static_assert(std::is_same_v<decltype(asio::require(std::declval<executor>(), ex::blocking.never)), executor>);
static_assert(std::is_same_v<decltype(asio::prefer(std::declval<executor>(), ex::relationship.continuation)),
                             executor>);
static_assert(std::is_same_v<decltype(asio::query(std::declval<executor>(), ex::context)), simloop::simulation&>);

// The mapping never changes: handlers run on the thread that runs the simulation.
static_assert(executor::query(ex::mapping) == ex::mapping.thread);

TEST(Executor, QueriesDescribeTheDefaultExecutor) {
  simloop::simulation sim;
  executor e = sim.get_executor();
  EXPECT_EQ(&asio::query(e, ex::context), &sim);
  EXPECT_EQ(asio::query(e, ex::blocking), ex::blocking.possibly);
  EXPECT_EQ(asio::query(e, ex::relationship), ex::relationship.fork);
  EXPECT_EQ(asio::query(e, ex::outstanding_work), ex::outstanding_work.untracked);
  EXPECT_EQ(asio::query(e, ex::mapping), ex::mapping.thread);
  EXPECT_EQ(asio::query(e, ex::allocator), std::allocator<void>());
  EXPECT_EQ(e.lane(), 0u);
  EXPECT_EQ(e.host(), 0u);
  // No step is running outside run().
  EXPECT_FALSE(e.running_in_this_thread());
}

TEST(Executor, RequireAndPreferChangeOnlyTheirProperty) {
  simloop::simulation sim;
  executor e = sim.get_executor();

  executor never = asio::require(e, ex::blocking.never);
  EXPECT_EQ(asio::query(never, ex::blocking), ex::blocking.never);
  EXPECT_EQ(asio::query(never, ex::relationship), ex::relationship.fork);
  EXPECT_NE(never, e);
  EXPECT_EQ(asio::require(never, ex::blocking.possibly), e);

  executor cont = asio::prefer(never, ex::relationship.continuation);
  EXPECT_EQ(asio::query(cont, ex::relationship), ex::relationship.continuation);
  EXPECT_EQ(asio::query(cont, ex::blocking), ex::blocking.never);
  EXPECT_EQ(asio::query(asio::require(cont, ex::relationship.fork), ex::relationship), ex::relationship.fork);

  executor tracked = asio::require(e, ex::outstanding_work.tracked);
  EXPECT_EQ(asio::query(tracked, ex::outstanding_work), ex::outstanding_work.tracked);
  EXPECT_EQ(asio::query(asio::require(tracked, ex::outstanding_work.untracked), ex::outstanding_work),
            ex::outstanding_work.untracked);

  // An allocator is accepted; operations keep using the simulation's pool.
  executor alloc = asio::prefer(e, ex::allocator(std::allocator<int>()));
  EXPECT_EQ(alloc, e);
  EXPECT_EQ(&asio::query(alloc, ex::context), &sim);
}

TEST(Executor, EqualityIsContextAndProperties) {
  simloop::simulation a, b;
  EXPECT_EQ(a.get_executor(), a.get_executor());
  EXPECT_NE(a.get_executor(), b.get_executor());
  // The lane is attribution, not identity: executors of one simulation with
  // the same properties compare equal whatever task they belong to.
  EXPECT_EQ(a.get_executor().with_lane(3), a.get_executor());
  EXPECT_EQ(a.get_executor().with_lane(3).lane(), 3u);
  EXPECT_EQ(a.get_executor().with_host(7).host(), 7u);
  EXPECT_EQ(a.get_executor().with_host(7).with_lane(2).host(), 7u);
  EXPECT_EQ(a.get_executor().with_lane(2).with_host(7).lane(), 2u);
  // Properties survive the lane and host bits.
  executor never = asio::require(a.get_executor(), ex::blocking.never).with_lane(9).with_host(4);
  EXPECT_EQ(asio::query(never, ex::blocking), ex::blocking.never);
}

TEST(Executor, StoredInsideAnyIoExecutorWithoutAllocation) {
  simloop::simulation sim;
  asio::any_io_executor any = sim.get_executor();
  const executor* inside = any.target<executor>();
  ASSERT_NE(inside, nullptr);
  // any_executor keeps small executors in its own buffer and larger ones on
  // the heap: a target inside the object's bytes proves no allocation.
  auto* begin = reinterpret_cast<const unsigned char*>(&any);
  auto* target = reinterpret_cast<const unsigned char*>(inside);
  EXPECT_GE(target, begin);
  EXPECT_LE(target + sizeof(executor), begin + sizeof(any));

  asio::any_io_executor copy = any;
  const executor* copied = copy.target<executor>();
  ASSERT_NE(copied, nullptr);
  auto* copy_begin = reinterpret_cast<const unsigned char*>(&copy);
  EXPECT_GE(reinterpret_cast<const unsigned char*>(copied), copy_begin);
  EXPECT_LE(reinterpret_cast<const unsigned char*>(copied) + sizeof(executor), copy_begin + sizeof(copy));
  EXPECT_EQ(*copied, sim.get_executor());

  // The simulation is found back through any_io_executor.
  EXPECT_EQ(simloop::find_simulation(any), &sim);
  EXPECT_EQ(&asio::query(any, ex::context_as<asio::execution_context&>), &sim);
}

}  // namespace
