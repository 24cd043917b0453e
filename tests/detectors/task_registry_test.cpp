// What findings say about a task: name, spawn site, wait site.
#include "detector_test_util.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/experimental/channel.hpp>

using namespace std::chrono_literals;
using detector_test::contains;
using detector_test::site;

namespace {

using channel = asio::experimental::channel<void(boost::system::error_code)>;

int s_wait_line = 0;

struct server {
  channel& requests;
  asio::awaitable<void> serve() {
    s_wait_line = __LINE__; co_await requests.async_receive(asio::use_awaitable);
  }
};

// The listing line of the task labelled `label` says "spawned at  <where>".
testing::AssertionResult spawned_at(const std::string& m, const std::string& label, const std::string& where) {
  std::size_t at = m.find("  " + label + " ");
  if (at == std::string::npos) return testing::AssertionFailure() << "no line for " << label << " in\n" << m;
  std::string line = m.substr(at, m.find('\n', at) - at);
  return contains(line, "spawned at  " + where);
}

int lambda_line = 0;
int function_spawn_line = 0;
int member_spawn_line = 0;

asio::awaitable<void> stuck_body(server& s, channel& never) {
  auto ex = co_await asio::this_coro::executor;
  // The function form of co_spawn: the task runs the lambda's coroutine.
  asio::co_spawn(ex, [&never]() -> asio::awaitable<void> { co_await never.async_receive(asio::use_awaitable); }, asio::detached); function_spawn_line = lambda_line = __LINE__;
  asio::co_spawn(ex, s.serve(), asio::detached); member_spawn_line = __LINE__;
  co_await never.async_receive(asio::use_awaitable);
}

}  // namespace

TEST(TaskRegistry, NamesSpawnSitesAndWaitSites) {
  simloop::simulation sim({.seed = 4});
  simloop::report r = sim.run([]() -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    channel requests(ex), never(ex);
    server s{requests};
    co_await stuck_body(s, never);
  }());
  std::string m = detector_test::only_finding(r, simloop::finding_kind::deadlock);
  EXPECT_TRUE(contains(m, fmt::format("  task #2 lambda at task_registry_test.cpp:{}  spawned at  {}\n", lambda_line,
                                      site("task_registry_test.cpp", function_spawn_line))));
  EXPECT_TRUE(contains(m, "waiting on  channel.async_receive on channel A at " + site("task_registry_test.cpp", lambda_line) + "\n"));
  EXPECT_TRUE(contains(m, fmt::format("  task #3 serve                                spawned at  {}\n",
                                      site("task_registry_test.cpp", member_spawn_line))));
  // The body's wait site is the innermost user co_await, in stuck_body.
  EXPECT_TRUE(contains(m, "  task #1 lambda at task_registry_test.cpp:"));
  EXPECT_TRUE(contains(m, "waiting on  channel.async_receive on channel A at " + site("task_registry_test.cpp", member_spawn_line + 1) + "\n"));
  EXPECT_TRUE(contains(m, "waiting on  channel.async_receive on channel B at " + site("task_registry_test.cpp", s_wait_line) + "\n"));
  // The wait-for relation: the body and the lambda wait on the same channel.
  EXPECT_TRUE(contains(m, "  wait-for:   tasks #1, #2 wait to receive on channel A and no live task is suspended sending to it"));
}

// asio::co_spawn onto a simulation's executors names its call site through a
// defaulted parameter, so no backtrace is needed for it.
TEST(TaskRegistry, WithoutCapturedSpawnSites) {
  simloop::simulation sim({.seed = 4, .capture_spawn_sites = false});
  simloop::report r = sim.run([]() -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    channel requests(ex), never(ex);
    server s{requests};
    co_await stuck_body(s, never);
  }());
  std::string m = detector_test::only_finding(r, simloop::finding_kind::deadlock);
  EXPECT_TRUE(contains(m, fmt::format("  task #3 serve                                spawned at  {}\n",
                                      site("task_registry_test.cpp", member_spawn_line))));
  EXPECT_TRUE(contains(m, fmt::format("spawned at  {}\n", site("task_registry_test.cpp", function_spawn_line))));
}

namespace {

asio::awaitable<int> wait_forever(channel& c) {
  co_await c.async_receive(asio::use_awaitable);
  co_return 1;
}

int asio_overload_line = 0;

// Asio's own co_spawn overload (explicit template arguments select it): the
// call site is not passed, only a backtrace can find it.
asio::awaitable<void> spawn_through_asio_overload(channel& never) {
  auto ex = co_await asio::this_coro::executor;
  asio_overload_line = __LINE__; asio::co_spawn<asio::any_io_executor, int, asio::any_io_executor>(ex, wait_forever(never), asio::detached);
  co_await never.async_receive(asio::use_awaitable);
}

simloop::report run_asio_overload(bool capture) {
  simloop::simulation sim({.seed = 2, .capture_spawn_sites = capture});
  return sim.run([]() -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    channel never(ex);
    co_await spawn_through_asio_overload(never);
  }());
}

}  // namespace

TEST(TaskRegistry, SpawnThroughAsiosOverloadUsesTheBacktrace) {
  std::string m = detector_test::only_finding(run_asio_overload(true), simloop::finding_kind::deadlock);
  EXPECT_TRUE(spawned_at(m, "task #2 wait_forever", site("task_registry_test.cpp", asio_overload_line)));
  m = detector_test::only_finding(run_asio_overload(false), simloop::finding_kind::deadlock);
  EXPECT_TRUE(spawned_at(m, "task #2 wait_forever", "(unknown: options::capture_spawn_sites is off)"));
}

namespace {

int deferred_line = 0, between_line = 0, context_line = 0;

// A deferred co_spawn starts later; its task still names the co_spawn line,
// and a spawn in between names its own.
asio::awaitable<void> deferred_spawns(channel& never) {
  auto ex = co_await asio::this_coro::executor;
  auto op = asio::co_spawn(ex, wait_forever(never), asio::deferred); deferred_line = __LINE__;
  asio::co_spawn(ex, wait_forever(never), asio::detached); between_line = __LINE__;
  std::move(op)(asio::detached);
  co_await never.async_receive(asio::use_awaitable);
}

}  // namespace

TEST(TaskRegistry, DeferredAndContextSpawnsNameTheirLines) {
  simloop::simulation sim({.seed = 3, .capture_spawn_sites = false});
  channel never(sim.get_executor());
  // co_spawn onto the simulation itself (Asio's execution-context form).
  asio::co_spawn(sim, wait_forever(never), asio::detached); context_line = __LINE__;
  simloop::report r = sim.run([&]() -> asio::awaitable<void> { co_await deferred_spawns(never); }());
  std::string m = detector_test::only_finding(r, simloop::finding_kind::deadlock);
  // The task spawned before run() is task #1; the body is task #2.
  EXPECT_TRUE(spawned_at(m, "task #1 wait_forever", site("task_registry_test.cpp", context_line)));
  EXPECT_TRUE(spawned_at(m, "task #2 lambda", "simloop::simulation::run (the test body)"));
  EXPECT_TRUE(spawned_at(m, "task #3 wait_forever", site("task_registry_test.cpp", between_line)));
  EXPECT_TRUE(spawned_at(m, "task #4 wait_forever", site("task_registry_test.cpp", deferred_line)));
}

namespace {

int operator_line = 0, group_line = 0, gather_line = 0;

asio::awaitable<void> operands_and_groups(channel& never) {
  using namespace asio::experimental::awaitable_operators;
  auto ex = co_await asio::this_coro::executor;
  simloop::task_group group(ex);
  group.spawn(wait_forever(never)); group_line = __LINE__;
  auto both = wait_forever(never) || wait_forever(never);
  operator_line = __LINE__; co_await std::move(both);
}

asio::awaitable<void> gather_forever(channel& never) {
  auto gathered = simloop::gather(wait_forever(never));
  gather_line = __LINE__; co_await std::move(gathered);
}

simloop::report run_library_spawns(asio::awaitable<void> (*body)(channel&)) {
  simloop::simulation sim({.seed = 5, .capture_spawn_sites = false});
  return sim.run([](auto body) -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    channel never(ex);
    co_await body(never);
  }(body));
}

}  // namespace

// Library code that spawns for the user: the task names the user's line
// that led there, and the library function.
TEST(TaskRegistry, LibrarySpawnsNameTheUsersLine) {
  std::string m = detector_test::only_finding(run_library_spawns(&operands_and_groups), simloop::finding_kind::deadlock);
  EXPECT_TRUE(spawned_at(m, "task #2 wait_forever", site("task_registry_test.cpp", group_line)));
  EXPECT_TRUE(contains(m, fmt::format("spawned at  {} (inside operator||)\n", site("task_registry_test.cpp", operator_line))));
  EXPECT_EQ(m.find("(unknown"), std::string::npos) << m;
}

TEST(TaskRegistry, GatherChildrenNameTheUsersLine) {
  std::string m = detector_test::only_finding(run_library_spawns(&gather_forever), simloop::finding_kind::deadlock);
  EXPECT_TRUE(contains(m, fmt::format("spawned at  {} (inside simloop/gather.hpp)\n", site("task_registry_test.cpp", gather_line))));
  EXPECT_EQ(m.find("(unknown"), std::string::npos) << m;
}
