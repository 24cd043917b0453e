// Cancellation injection into spawned tasks (options::cancel_targets
// cancel_tasks): a task co_spawned with a bound cancellation slot (task_group
// children, a user's bind_cancellation_slot) is cancelled through that
// slot's signal at one of its suspension points, as the signal's owner
// would cancel it.
#include <simloop/simloop.hpp>
#include <simloop/semaphore.hpp>
#include <simloop/task_group.hpp>
#include <simloop/timeout.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>

#include <gtest/gtest.h>

#include "support.hpp"

#include <memory>
#include <vector>

using namespace std::chrono_literals;

namespace {

using cancellation_test::contains;

constexpr std::size_t permits = 2;
constexpr int children = 4;

// A child holds one of the pool's permits while it works. The bug
// (ReleaseOnCancel false): a cancelled work step skips the release, and the
// permit is gone for good. Fixed: the release happens on every path.
template <bool ReleaseOnCancel>
asio::awaitable<void> pooled_child(simloop::semaphore& pool) {
  auto acquire = pool.async_acquire(asio::use_awaitable);
  co_await std::move(acquire);
  if constexpr (ReleaseOnCancel) {
    try {
      co_await simloop::sleep_for(10ms);
    } catch (...) {
      pool.release();
      throw;
    }
  } else {
    co_await simloop::sleep_for(10ms);
  }
  pool.release();
}

template <bool ReleaseOnCancel>
asio::awaitable<void> pooled_group() {
  auto ex = co_await asio::this_coro::executor;
  simloop::semaphore pool(ex, permits);
  simloop::task_group g(ex);
  for (int i = 0; i < children; ++i) g.spawn(pooled_child<ReleaseOnCancel>(pool));
  try {
    auto all = g.async_wait(asio::use_awaitable);
    co_await std::move(all);
  } catch (const simloop::task_group_error&) {
    // A cancelled child fails the group (its siblings are cancelled too):
    // an outcome the caller handles.
  }
  // Every child has ended, by whatever path: every permit is back.
  SIMLOOP_ASSERT(pool.available() == permits);
}

const auto leaky = [] { return pooled_group<false>(); };
const auto tidy = [] { return pooled_group<true>(); };

simloop::explore_options explore_opts(simloop::strategy s, std::uint64_t runs) {
  simloop::explore_options eo;
  eo.runs = runs;
  eo.strategy = s;
  eo.use_environment = false;
  eo.base.cancel_one_in = 5;
  eo.base.cancel_targets = simloop::cancel_tasks;
  return eo;
}

}  // namespace

TEST(TaskInjection, FindsAChildThatLeaksItsPermitWhenCancelled) {
  for (auto s : {simloop::strategy::random, simloop::strategy::pct}) {
    simloop::report r = simloop::explore(explore_opts(s, 1000), leaky);
    ASSERT_FALSE(r.ok()) << simloop::to_string(s);
    ASSERT_EQ(r.findings.size(), 1u) << r.describe();
    EXPECT_TRUE(contains(r.findings[0].message,
                         "simloop: assertion failed: SIMLOOP_ASSERT(pool.available() == permits)"));
    ASSERT_FALSE(r.cancellations.empty());
    // The cancelled task is one of the group's children, not the body.
    EXPECT_NE(r.cancellations[0].lane, 1u);
    EXPECT_EQ(r.cancellations[0].type, static_cast<std::uint32_t>(asio::cancellation_type::all));
    EXPECT_LT(r.runs, 50u);
  }
}

TEST(TaskInjection, TidyChildrenPassOverThousandSeeds) {
  for (auto s : {simloop::strategy::random, simloop::strategy::pct}) {
    std::uint64_t injected_runs = 0;
    for (std::uint64_t seed = 0; seed < 1000; ++seed) {
      simloop::report r = simloop::run_one(
          {.seed = seed, .strategy = s, .cancel_one_in = 5, .cancel_targets = simloop::cancel_tasks}, tidy);
      // No assertion, no leak, no deadlock.
      ASSERT_TRUE(r.ok()) << simloop::to_string(s) << " seed " << seed << ":\n" << r.describe();
      if (!r.cancellations.empty()) ++injected_runs;
    }
    EXPECT_GT(injected_runs, 300u) << simloop::to_string(s);
  }
}

TEST(TaskInjection, NeverFoundWithoutTaskTargets) {
  for (auto s : {simloop::strategy::random, simloop::strategy::pct}) {
    simloop::explore_options eo = explore_opts(s, 500);
    eo.base.cancel_targets = simloop::cancel_timeouts;  // no timeout in this program: nothing to inject
    simloop::report r = simloop::explore(eo, leaky);
    EXPECT_TRUE(r.ok()) << r.describe();
    EXPECT_EQ(r.runs, 500u);
    EXPECT_EQ(r.cancel_points, 0u);
  }
}

TEST(TaskInjection, EveryChildSuspensionIsAPointAndCoverModeFindsTheLeak) {
  // Each child suspends in its acquire (two of four wait for a permit) and
  // in its work step.
  simloop::report learn = simloop::run_one(
      {.seed = 0, .strategy = simloop::strategy::fifo, .cancel_targets = simloop::cancel_tasks,
       .count_cancel_points = true},
      leaky);
  ASSERT_TRUE(learn.ok()) << learn.describe();
  EXPECT_GE(learn.cancel_points, static_cast<std::uint64_t>(children));

  simloop::explore_options eo = explore_opts(simloop::strategy::pct, 1000);
  eo.base.cancel_one_in = 0;
  eo.cancel_each_point = true;
  simloop::report r = simloop::explore(eo, leaky);
  ASSERT_FALSE(r.ok());
  EXPECT_GE(r.cancel_at_point, 1u);
  EXPECT_LE(r.runs, learn.cancel_points + 1);
  EXPECT_TRUE(contains(r.replay_command(), "SIMLOOP_CANCEL_AT="));
}

TEST(TaskInjection, ReplaysFromChoices) {
  simloop::report found = simloop::explore(explore_opts(simloop::strategy::random, 1000), leaky);
  ASSERT_FALSE(found.ok());
  simloop::report again = simloop::run_one({.strategy = simloop::strategy::replay,
                                            .choices = found.choices,
                                            .cancel_one_in = 5,
                                            .cancel_targets = simloop::cancel_tasks},
                                           leaky);
  EXPECT_EQ(again.trace_hash, found.trace_hash);
  ASSERT_EQ(again.findings.size(), 1u);
  // The same finding; only the replay line names the strategy it ran under.
  auto headline = [](const std::string& m) { return m.substr(0, m.find("  replay: ")); };
  EXPECT_EQ(headline(again.findings[0].message), headline(found.findings[0].message));
  EXPECT_EQ(again.cancellations.size(), found.cancellations.size());
}

namespace {

// A worker the user can stop through a cancellation signal (the shutdown
// pattern); its completion handler notes how it ended.
asio::awaitable<void> ticker(int& ticks) {
  for (int i = 0; i < 5; ++i) {
    co_await simloop::sleep_for(1s);
    ++ticks;
  }
}

}  // namespace

TEST(TaskInjection, UserBoundSlotIsEmittedAtTheChosenPoint) {
  int ticks = 0;
  bool aborted = false, finished = false;
  simloop::report r = simloop::run_one(
      {.strategy = simloop::strategy::fifo, .cancel_targets = simloop::cancel_tasks, .cancel_at_point = 3},
      [&]() -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        auto stop = std::make_shared<asio::cancellation_signal>();
        asio::co_spawn(ex, ticker(ticks),
                       asio::bind_cancellation_slot(stop->slot(), [&, stop](std::exception_ptr e) {
                         finished = true;
                         try {
                           if (e) std::rethrow_exception(e);
                         } catch (const boost::system::system_error& se) {
                           aborted = se.code() == asio::error::operation_aborted;
                         }
                       }));
        co_await simloop::sleep_for(10s);
      });
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_TRUE(finished);
  EXPECT_TRUE(aborted);
  // Points 1 and 2 were the ticker's first two sleeps: it ticked twice.
  EXPECT_EQ(ticks, 2);
  ASSERT_EQ(r.cancellations.size(), 1u);
  EXPECT_EQ(r.cancellations[0].point, 3u);
  EXPECT_EQ(r.cancellations[0].lane, 2u);  // the ticker, spawned by the body (#1)
  EXPECT_EQ(r.cancel_points, 3u);  // the ticker is gone after it: no more points
}

TEST(TaskInjection, LibraryOperandsAndDetachedTasksAreNoTargets) {
  using namespace asio::experimental::awaitable_operators;
  simloop::report r = simloop::run_one(
      {.strategy = simloop::strategy::fifo, .cancel_targets = simloop::cancel_tasks, .count_cancel_points = true},
      []() -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        // The operands of || are cancelled by the || as a whole.
        auto a = simloop::sleep_for(1s);
        auto b = simloop::sleep_for(2s);
        co_await (std::move(a) || std::move(b));
        // No slot: nothing can cancel it.
        asio::co_spawn(ex, simloop::sleep_for(1s), asio::detached);
        co_await simloop::sleep_for(2s);
      });
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(r.cancel_points, 0u);
}

namespace {

asio::awaitable<void> awaits_a_spawn(bool& aborted) {
  auto ex = co_await asio::this_coro::executor;
  try {
    auto child = asio::co_spawn(ex, simloop::sleep_for(1s), asio::use_awaitable);
    co_await std::move(child);
  } catch (const boost::system::system_error& e) {
    aborted = e.code() == asio::error::operation_aborted;
  }
}

}  // namespace

TEST(TaskInjection, AwaitedSpawnOfACancellableTaskIsATarget) {
  // co_await co_spawn(..., use_awaitable): the handler's slot is the
  // awaiting coroutine's own cancellation slot, connected when the awaiting
  // task can itself be cancelled (here: spawned with a bound slot). The
  // awaiter then sees operation_aborted, as if the cancellation had come
  // through it.
  bool aborted = false;
  simloop::report r = simloop::run_one(
      {.strategy = simloop::strategy::fifo, .cancel_targets = simloop::cancel_tasks, .cancel_at_point = 2},
      [&]() -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        auto stop = std::make_shared<asio::cancellation_signal>();
        asio::co_spawn(ex, awaits_a_spawn(aborted),
                       asio::bind_cancellation_slot(stop->slot(), [stop](std::exception_ptr) {}));
        co_await simloop::sleep_for(5s);
      });
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_TRUE(aborted);
  ASSERT_EQ(r.cancellations.size(), 1u);
  // Point 1: the awaiting task (#2) suspended; point 2: its child (#3).
  EXPECT_EQ(r.cancellations[0].lane, 3u);
}

TEST(TaskInjection, AwaitedSpawnOfTheBodyIsNoTarget) {
  // The body was spawned without a slot: nothing can cancel what it awaits.
  bool aborted = false;
  simloop::report r = simloop::run_one(
      {.strategy = simloop::strategy::fifo, .cancel_targets = simloop::cancel_tasks, .count_cancel_points = true},
      [&]() -> asio::awaitable<void> { co_await awaits_a_spawn(aborted); });
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_FALSE(aborted);
  EXPECT_EQ(r.cancel_points, 0u);
}

TEST(TaskInjection, BadTargetsAreRejected) {
  EXPECT_THROW(simloop::simulation({.cancel_targets = 0}), std::invalid_argument);
  try {
    simloop::simulation sim({.cancel_targets = 4});
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_TRUE(contains(e.what(), "simloop::options::cancel_targets must be a non-empty set"));
  }
}

namespace {

// Graceful shutdown, asyncio style: on a stop signal every worker is
// cancelled; a worker flushes its buffer (an await) on its way out. The
// mistake (AwaitWorkers false): shutdown cancels the workers and returns
// without awaiting them, so their flushes outlive the program.
asio::awaitable<void> buffered_worker(int& flushed) {
  try {
    for (;;) co_await simloop::sleep_for(1ms);
  } catch (const boost::system::system_error&) {
  }
  // Cancelled: the flush must still run, so the coroutine's cancellation
  // state is reset (otherwise its next await throws at once).
  co_await asio::this_coro::reset_cancellation_state();
  auto flush = simloop::sleep_for(2ms);
  co_await std::move(flush);
  ++flushed;
}

template <bool AwaitWorkers>
asio::awaitable<void> shutdown_program(int& flushed) {
  auto ex = co_await asio::this_coro::executor;
  std::vector<std::shared_ptr<asio::cancellation_signal>> stops;
  auto ended = std::make_shared<int>(0);
  for (int i = 0; i < 3; ++i) {
    auto stop = stops.emplace_back(std::make_shared<asio::cancellation_signal>());
    asio::co_spawn(ex, buffered_worker(flushed),
                   asio::bind_cancellation_slot(stop->slot(), [stop, ended](std::exception_ptr) { ++*ended; }));
  }
  co_await simloop::sleep_for(5ms);
  for (auto& stop : stops) stop->emit(asio::cancellation_type::terminal);
  if (AwaitWorkers)
    while (*ended < 3) co_await simloop::sleep_for(1ms);
}

}  // namespace

TEST(GracefulShutdown, CancellingWithoutAwaitingLeaksTheWorkers) {
  int flushed = 0;
  simloop::report r = simloop::run_one({.seed = 1}, [&] { return shutdown_program<false>(flushed); });
  // One finding per worker still flushing when the body returned.
  ASSERT_EQ(r.findings.size(), 3u) << r.describe();
  for (const auto& f : r.findings) {
    EXPECT_EQ(f.kind, simloop::finding_kind::leaked_task);
    EXPECT_TRUE(contains(f.message, "simloop: leaked task after the test body finished: task #"));
    EXPECT_TRUE(contains(f.message, " buffered_worker  spawned at  tests/cancellation/task_injection_test.cpp:"));
    // Where each waits: the flush's sleep.
    EXPECT_TRUE(contains(f.message, "waiting on  timer.async_wait in sleep_for() at tests/cancellation/task_injection_test.cpp:"));
    EXPECT_TRUE(contains(f.message, "  replay: SIMLOOP_SEED=0x1 SIMLOOP_STRATEGY=random "));
  }
  EXPECT_EQ(flushed, 0);  // none had flushed when the run ended
}

TEST(GracefulShutdown, CancellingAndAwaitingIsSilent) {
  for (std::uint64_t seed = 0; seed < 300; ++seed) {
    int flushed = 0;
    simloop::report r = simloop::run_one({.seed = seed}, [&] { return shutdown_program<true>(flushed); });
    ASSERT_TRUE(r.ok()) << r.describe();
    EXPECT_EQ(flushed, 3);
  }
}

// cancellation_ignored for tasks cancelled through their slot by injection:
// a task that swallows its cancellation (catches operation_aborted, resets
// its cancellation state and goes on) is reported; one that lets it end the
// task is not.
namespace {

template <bool Stubborn>
asio::awaitable<void> slot_worker(simloop::event& more_work, std::chrono::nanoseconds afterwards) {
  bool cancelled = false;
  try {
    co_await simloop::sleep_for(10ms);
  } catch (const boost::system::system_error&) {
    if (!Stubborn) throw;
    cancelled = true;
  }
  if (!cancelled) co_return;
  co_await asio::this_coro::reset_cancellation_state();
  if (afterwards.count() > 0) co_await simloop::sleep_for(afterwards);
  else co_await more_work.async_wait(asio::use_awaitable);  // never set
}

template <bool Stubborn>
asio::awaitable<void> group_of_one(std::chrono::nanoseconds afterwards) {
  auto ex = co_await asio::this_coro::executor;
  simloop::event more_work(ex);
  simloop::task_group g(ex);
  g.spawn(slot_worker<Stubborn>(more_work, afterwards));
  try {
    co_await g.async_wait(asio::use_awaitable);
  } catch (const simloop::task_group_error&) {
  }
}

simloop::options inject_first_point() {
  simloop::options o;
  o.seed = 3;
  o.cancel_at_point = 1;  // the worker's sleep
  o.cancel_targets = simloop::cancel_tasks;
  return o;
}

}  // namespace

TEST(TaskCancellationIgnored, TaskThatSwallowsItsCancellationIsReported) {
  simloop::report r = simloop::run_one(inject_first_point(), [] { return group_of_one<true>(0ns); });
  ASSERT_EQ(r.findings.size(), 1u) << r.describe();
  const auto& f = r.findings[0];
  EXPECT_EQ(f.kind, simloop::finding_kind::cancellation_ignored);
  EXPECT_TRUE(contains(f.message, "simloop: cancellation ignored: task #2 slot_worker<true> was cancelled through its "
                                  "cancellation slot and had not ended when nothing was ready and no timer was armed"))
      << f.message;
  EXPECT_TRUE(contains(f.message, " slot_worker<true>  spawned at  tests/cancellation/task_injection_test.cpp:")) << f.message;
  // Where it waits now: what swallowed the cancellation left it there.
  EXPECT_TRUE(contains(f.message, "waiting on  event.wait at tests/cancellation/task_injection_test.cpp:"))
      << f.message;
  EXPECT_TRUE(contains(f.message, "cancelled     all cancellation emitted on the task's slot by injection at point 1 "
                                  "(options::cancel_one_in / cancel_at_point), step "))
      << f.message;
  EXPECT_TRUE(contains(f.message, "t=+0.000s")) << f.message;
  EXPECT_TRUE(contains(f.message, "replay: SIMLOOP_SEED=0x3 SIMLOOP_STRATEGY=random SIMLOOP_CANCEL_AT=1")) << f.message;
  // Said instead of the deadlock the body's wait then is.
  EXPECT_FALSE(r.has(simloop::finding_kind::deadlock));
}

TEST(TaskCancellationIgnored, TaskThatEndsOnItsCancellationIsSilentOverManySeeds) {
  std::uint64_t injected_runs = 0;
  for (std::uint64_t seed = 0; seed < 300; ++seed) {
    simloop::options o;
    o.seed = seed;
    o.cancel_one_in = 2;
    o.cancel_targets = simloop::cancel_tasks;
    simloop::report r = simloop::run_one(o, [] { return group_of_one<false>(0ns); });
    ASSERT_TRUE(r.ok()) << "seed " << seed << ":\n" << r.describe();
    if (!r.cancellations.empty()) ++injected_runs;
  }
  EXPECT_GT(injected_runs, 50u);
}

TEST(TaskCancellationIgnored, GraceBoundsHowLongATaskMayTakeToEnd) {
  // The stubborn worker ends 5 s after its cancellation.
  simloop::options o = inject_first_point();
  o.cancellation_grace = 1s;
  simloop::report r = simloop::run_one(o, [] { return group_of_one<true>(5s); });
  ASSERT_EQ(r.findings.size(), 1u) << r.describe();
  EXPECT_TRUE(contains(r.findings[0].message, "task #2 slot_worker<true> was cancelled through its cancellation slot and "
                                              "did not end within 1.000s (options::cancellation_grace)"))
      << r.findings[0].message;
  EXPECT_TRUE(contains(r.findings[0].message, "grace         options::cancellation_grace = 1.000s: due by t=+1.000s"))
      << r.findings[0].message;
  o.cancellation_grace = 10s;
  r = simloop::run_one(o, [] { return group_of_one<true>(5s); });
  EXPECT_TRUE(r.ok()) << r.describe();
  // Without a grace, ending at all before the world goes idle is enough.
  o.cancellation_grace = 0s;
  r = simloop::run_one(o, [] { return group_of_one<true>(5s); });
  EXPECT_TRUE(r.ok()) << r.describe();
}

// The same watch for a cancellation a simloop::task_group emits (cancel(), a
// failed sibling, its destruction): a child that swallows it is reported,
// with the task that cancelled the group.
TEST(TaskCancellationIgnored, ChildThatSwallowsItsGroupsCancellationIsReported) {
  simloop::report r = simloop::run_one({.seed = 1}, []() -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    simloop::event more_work(ex);
    simloop::task_group g(ex);
    g.spawn(slot_worker<true>(more_work, 0ns));
    co_await simloop::sleep_for(1ms);
    g.cancel();
    co_await g.async_wait(asio::use_awaitable);
  });
  ASSERT_EQ(r.findings.size(), 1u) << r.describe();
  const auto& m = r.findings[0].message;
  EXPECT_EQ(r.findings[0].kind, simloop::finding_kind::cancellation_ignored);
  EXPECT_TRUE(contains(m, "simloop: cancellation ignored: task #2 slot_worker<true> was cancelled through its "
                          "cancellation slot and had not ended when nothing was ready and no timer was armed"))
      << m;
  EXPECT_TRUE(contains(m, "cancelled     terminal cancellation emitted on the task's slot by its simloop::task_group in "
                          "a step of task #1 "))
      << m;
  EXPECT_TRUE(contains(m, "step 3, t=+0.001s")) << m;
}

TEST(TaskCancellationIgnored, CancelledGroupsThatEndAreSilentOverManySeeds) {
  for (std::uint64_t seed = 0; seed < 200; ++seed) {
    simloop::report r = simloop::run_one({.seed = seed}, []() -> asio::awaitable<void> {
      auto ex = co_await asio::this_coro::executor;
      simloop::event more_work(ex);
      simloop::task_group g(ex);
      for (int i = 0; i < 3; ++i) g.spawn(slot_worker<false>(more_work, 0ns));
      co_await simloop::sleep_for(std::chrono::milliseconds(simloop::random_below(20)));
      g.cancel();
      try {
        co_await g.async_wait(asio::use_awaitable);
      } catch (const simloop::task_group_error&) {
      }
    });
    ASSERT_TRUE(r.ok()) << "seed " << seed << ":\n" << r.describe();
  }
}
