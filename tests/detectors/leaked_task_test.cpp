// Leaked tasks: a task still pending when the test body has finished.
#include "detector_test_util.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>

using namespace std::chrono_literals;
using namespace asio::experimental::awaitable_operators;
using detector_test::contains;
using detector_test::site;

namespace {

int sleep_line = 0;
int spawn_line = 0;

asio::awaitable<void> heartbeat_forever(std::shared_ptr<int> beats) {
  for (;;) {
    co_await simloop::sleep_for(1s); sleep_line = __LINE__;
    ++*beats;
  }
}

// The bug: the heartbeat is fire-and-forget and nobody stops it.
asio::awaitable<void> leaky_body() {
  auto ex = co_await asio::this_coro::executor;
  auto beats = std::make_shared<int>(0);
  asio::co_spawn(ex, heartbeat_forever(beats), asio::detached); spawn_line = __LINE__;
  co_await simloop::sleep_for(5s);
}

// The fix: the heartbeat runs only as long as the work it accompanies.
asio::awaitable<void> scoped_body() {
  auto beats = std::make_shared<int>(0);
  co_await (heartbeat_forever(beats) || simloop::sleep_for(5s));
}

}  // namespace

TEST(LeakedTask, HeartbeatPendingAtShutdown) {
  simloop::simulation sim({.seed = 0x2a});
  simloop::report r = sim.run(leaky_body());
  std::string m = detector_test::only_finding(r, simloop::finding_kind::leaked_task);
  EXPECT_TRUE(contains(m, "simloop: leaked task after the test body finished: task #2 heartbeat_forever (seed 0x2a, step "));
  EXPECT_TRUE(contains(m, ", t=+5.000s)\n"));
  EXPECT_TRUE(contains(m, "  task #2 heartbeat_forever  spawned at  " + site("leaked_task_test.cpp", spawn_line) + "\n"
                          "                             waiting on  timer.async_wait in sleep_for() at " +
                              site("leaked_task_test.cpp", sleep_line) + " (due t=+6.000s)\n"));
  EXPECT_TRUE(contains(m, "  replay: SIMLOOP_SEED=0x2a SIMLOOP_STRATEGY=random "));
  EXPECT_EQ(r.findings.size(), 1u) << r.describe();
}

TEST(LeakedTask, LeakedTaskIsTornDownNotFinished) {
  simloop::simulation sim({.seed = 0x2a});
  simloop::report r = sim.run(leaky_body());
  ASSERT_EQ(sim.scheduler().tasks().size(), 2u);
  const auto& heartbeat = sim.scheduler().tasks()[2];
  EXPECT_FALSE(heartbeat.alive);
  EXPECT_TRUE(heartbeat.torn_down);
  EXPECT_FALSE(sim.scheduler().tasks()[1].torn_down);
}

TEST(LeakedTask, ScopedHeartbeatIsSilent) {
  detector_test::expect_silent([] { return scoped_body(); });
}

TEST(LeakedTask, CanBeSwitchedOff) {
  simloop::simulation sim({.seed = 0x2a, .detect_leaked_tasks = false});
  EXPECT_TRUE(sim.run(leaky_body()).ok());
}

TEST(LeakedTask, TimerWaitOwnedByNoTask) {
  simloop::simulation sim({.seed = 1});
  simloop::report r = sim.run([]() -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    auto t = std::make_shared<simloop::timer>(ex, 10s);
    t->async_wait([t](boost::system::error_code) {});
    co_await simloop::sleep_for(1s);
  }());
  std::string m = detector_test::only_finding(r, simloop::finding_kind::leaked_task);
  EXPECT_TRUE(contains(m, "simloop: leaked timer wait after the test body finished: no live task owns it (seed 0x1, "));
  EXPECT_TRUE(contains(m, "  timer wait:  due t=+10.000s\n  armed by:    task #1 (finished)\n"));
}

TEST(LeakedTask, NotReportedWhenTheRunFailedForAnotherReason) {
  simloop::simulation sim({.seed = 1});
  simloop::report r = sim.run([]() -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    asio::co_spawn(ex, heartbeat_forever(std::make_shared<int>(0)), asio::detached);
    co_await simloop::sleep_for(2s);
    SIMLOOP_ASSERT(1 + 1 == 3);
  }());
  EXPECT_EQ(r.findings.size(), 1u) << r.describe();
  EXPECT_TRUE(r.has(simloop::finding_kind::assertion));
}
