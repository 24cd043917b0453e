// simulation::run: what ends a run, the findings it reports, and misuse.
#include "support.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/experimental/channel.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using simloop::finding_kind;
using simloop_test::contains;
using simloop_test::fifo;
using simloop_test::run_with;
using simloop_test::seeded;

namespace {

// The per-step record stays small enough to keep recording on.
static_assert(sizeof(simloop::trace_step) == 8);

// ---- a clean run ----------------------------------------------------------------

TEST(Run, ReportCarriesSeedStepsTimeAndHash) {
  simloop::options o = seeded(0x2a);
  auto r = run_with(o, []() -> asio::awaitable<void> {
    co_await simloop::sleep_for(1500ms);
    co_await simloop::yield();
  });
  EXPECT_TRUE(r.ok()) << r.describe();
  EXPECT_TRUE(r.findings.empty());
  EXPECT_EQ(r.seed, 0x2au);
  EXPECT_EQ(r.strategy, simloop::strategy::random);
  EXPECT_GT(r.steps, 2u);
  EXPECT_EQ(r.steps, r.trace.size());
  EXPECT_EQ(r.virtual_elapsed, 1500ms);
  EXPECT_NE(r.trace_hash, 0u);
  EXPECT_EQ(r.runs, 1u);
  const std::string replay = r.replay_command();
  EXPECT_TRUE(contains(replay, "SIMLOOP_SEED=0x2a")) << replay;
  EXPECT_TRUE(contains(replay, "SIMLOOP_STRATEGY=random")) << replay;
  EXPECT_TRUE(contains(replay, "core_test")) << replay;  // the program that replays it
  EXPECT_EQ(r.describe(), "");
}

TEST(Run, TraceRecordingCanBeSwitchedOffWithoutChangingTheHash) {
  auto body = []() -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    for (int i = 0; i < 3; ++i) asio::co_spawn(ex, simloop::sleep_for(std::chrono::seconds(i)), asio::detached);
    co_await simloop::sleep_for(5s);
  };
  auto on = run_with(seeded(9), body);
  auto o = seeded(9);
  o.record_trace = false;
  auto off = run_with(o, body);
  EXPECT_EQ(on.trace_hash, off.trace_hash);
  EXPECT_EQ(on.steps, off.steps);
  EXPECT_FALSE(on.trace.empty());
  EXPECT_TRUE(off.trace.empty());
  EXPECT_TRUE(off.time_changes.empty());
}

// ---- findings -------------------------------------------------------------------

TEST(Run, ExceptionEscapingTheBodyIsAFinding) {
  auto r = run_with(seeded(3), []() -> asio::awaitable<void> {
    co_await simloop::sleep_for(2s);
    throw std::runtime_error("the body gave up");
  });
  ASSERT_EQ(r.findings.size(), 1u) << r.describe();
  EXPECT_EQ(r.findings[0].kind, finding_kind::exception);
  const std::string& m = r.findings[0].message;
  EXPECT_TRUE(contains(m, "simloop: exception escaped the test body")) << m;
  EXPECT_TRUE(contains(m, "std::runtime_error")) << m;
  EXPECT_TRUE(contains(m, "the body gave up")) << m;
  EXPECT_TRUE(contains(m, "seed 0x3")) << m;
  EXPECT_TRUE(contains(m, "t=+2.000s")) << m;
  EXPECT_TRUE(contains(m, "replay: SIMLOOP_SEED=0x3")) << m;
  EXPECT_EQ(r.virtual_elapsed, 2s);
}

TEST(Run, ExceptionNotDerivedFromStdExceptionNamesItsType) {
  auto r = run_with(fifo(), []() -> asio::awaitable<void> {
    co_await simloop::yield();
    throw 42;
  });
  ASSERT_EQ(r.findings.size(), 1u) << r.describe();
  EXPECT_EQ(r.findings[0].kind, finding_kind::exception);
  EXPECT_TRUE(contains(r.findings[0].message, "exception of type int")) << r.findings[0].message;
}

TEST(Run, SimloopAssertIsAnAssertionFindingWithExpressionAndSite) {
  int line = 0;
  bool continued = false;
  auto r = run_with(seeded(5), [&]() -> asio::awaitable<void> {
    int answer = 41;
    co_await simloop::sleep_for(1s);
    line = __LINE__ + 1;
    SIMLOOP_ASSERT(answer == 42);
    continued = true;
  });
  EXPECT_FALSE(continued);
  ASSERT_EQ(r.findings.size(), 1u) << r.describe();
  EXPECT_EQ(r.findings[0].kind, finding_kind::assertion);
  const std::string& m = r.findings[0].message;
  EXPECT_TRUE(contains(m, "SIMLOOP_ASSERT(answer == 42)")) << m;
  EXPECT_TRUE(contains(m, "run_test.cpp:" + std::to_string(line))) << m;
  EXPECT_TRUE(contains(m, "t=+1.000s")) << m;
  EXPECT_TRUE(contains(m, "replay: SIMLOOP_SEED=0x5")) << m;
}

TEST(Run, SimloopAssertInADetachedTaskEndsTheRun) {
  bool body_went_on = false;
  auto r = run_with(fifo(), [&]() -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    asio::co_spawn(
        ex,
        []() -> asio::awaitable<void> {
          co_await simloop::sleep_for(1s);
          SIMLOOP_ASSERT(1 + 1 == 3);
        },
        asio::detached);
    co_await simloop::sleep_for(1h);
    body_went_on = true;
  });
  EXPECT_FALSE(body_went_on);
  ASSERT_EQ(r.findings.size(), 1u) << r.describe();
  EXPECT_EQ(r.findings[0].kind, finding_kind::assertion);
  EXPECT_TRUE(contains(r.findings[0].message, "SIMLOOP_ASSERT(1 + 1 == 3)"));
  EXPECT_EQ(r.virtual_elapsed, 1s);
}

TEST(Run, SimloopAssertInAPlainHandler) {
  auto r = run_with(fifo(), []() -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    asio::post(ex, [] { SIMLOOP_ASSERT(false && "from a handler"); });
    co_await simloop::sleep_for(1s);
  });
  ASSERT_EQ(r.findings.size(), 1u) << r.describe();
  EXPECT_EQ(r.findings[0].kind, finding_kind::assertion);
  EXPECT_TRUE(contains(r.findings[0].message, "from a handler")) << r.findings[0].message;
  EXPECT_EQ(r.virtual_elapsed, 0s);
}

TEST(Run, SimloopAssertOutsideARunThrowsLogicError) {
  try {
    SIMLOOP_ASSERT(2 < 1);
    FAIL() << "SIMLOOP_ASSERT outside a run must throw";
  } catch (const std::logic_error& e) {
    EXPECT_TRUE(contains(e.what(), "SIMLOOP_ASSERT(2 < 1) failed at")) << e.what();
    EXPECT_TRUE(contains(e.what(), "run_test.cpp:")) << e.what();
  }
}

TEST(Run, TimeLimitFindingSaysWhatIsPending) {
  auto o = fifo();
  o.time_limit = 10s;
  auto r = run_with(o, []() -> asio::awaitable<void> {
    co_await simloop::sleep_for(3s);
    co_await simloop::sleep_for(1h);
  });
  ASSERT_EQ(r.findings.size(), 1u) << r.describe();
  EXPECT_EQ(r.findings[0].kind, finding_kind::time_limit);
  const std::string& m = r.findings[0].message;
  EXPECT_TRUE(contains(m, "time limit of +10.000s reached")) << m;
  EXPECT_TRUE(contains(m, "1 timer wait(s)")) << m;
  EXPECT_TRUE(contains(m, "next timer: t=+3603.000s")) << m;
  // The clock stops at the last time that was within the limit.
  EXPECT_EQ(r.virtual_elapsed, 3s);
}

TEST(Run, StepLimitFindingSaysWhatIsPending) {
  auto o = seeded(1);
  o.step_limit = 1000;
  auto r = run_with(o, []() -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    asio::co_spawn(
        ex,
        []() -> asio::awaitable<void> {
          for (;;) co_await simloop::yield();
        },
        asio::detached);
    for (;;) co_await simloop::yield();
  });
  ASSERT_EQ(r.findings.size(), 1u) << r.describe();
  EXPECT_EQ(r.findings[0].kind, finding_kind::step_limit);
  const std::string& m = r.findings[0].message;
  EXPECT_TRUE(contains(m, "step limit of 1000 reached")) << m;
  EXPECT_TRUE(contains(m, "ready step(s)")) << m;
  EXPECT_TRUE(contains(m, "2 live task(s)")) << m;
  EXPECT_EQ(r.steps, 1000u);
}

TEST(Run, DeadlockWhenNothingIsReadyAndNoTimerIsArmed) {
  auto r = run_with(fifo(), []() -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    asio::experimental::channel<void(boost::system::error_code, int)> ch(ex, 0);
    co_await simloop::sleep_for(2s);
    int never = co_await ch.async_receive(asio::use_awaitable);
    (void)never;
  });
  ASSERT_EQ(r.findings.size(), 1u) << r.describe();
  EXPECT_EQ(r.findings[0].kind, finding_kind::deadlock);
  const std::string& m = r.findings[0].message;
  EXPECT_TRUE(contains(m, "deadlock: the body cannot finish")) << m;
  EXPECT_TRUE(contains(m, "t=+2.000s")) << m;
  EXPECT_EQ(r.virtual_elapsed, 2s);
}

TEST(Run, ExceptionFromAPlainHandlerIsAFindingAndTheSimulationStaysUsable) {
  auto sim = std::make_unique<simloop::simulation>(fifo());
  auto r = sim->run([]() -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    co_await simloop::sleep_for(1s);
    asio::post(ex, [] { throw std::out_of_range("handler lost its index"); });
    co_await simloop::sleep_for(1h);
  }());
  ASSERT_EQ(r.findings.size(), 1u) << r.describe();
  EXPECT_EQ(r.findings[0].kind, finding_kind::exception);
  const std::string& m = r.findings[0].message;
  EXPECT_TRUE(contains(m, "exception escaped a handler")) << m;
  EXPECT_TRUE(contains(m, "std::out_of_range")) << m;
  EXPECT_TRUE(contains(m, "handler lost its index")) << m;
  EXPECT_EQ(r.virtual_elapsed, 1s);
  // The simulation answers and is destroyed cleanly, with the body's frame
  // (suspended in a sleep) still pending.
  EXPECT_EQ(sim->now().time_since_epoch(), 1s);
  EXPECT_THROW((void)sim->run([]() -> asio::awaitable<void> { co_return; }()), std::logic_error);
  sim.reset();
}

TEST(Run, ExceptionFromATimerCallbackIsAFinding) {
  auto r = run_with(fifo(), []() -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    simloop::timer t(ex, 1s);
    t.async_wait([](boost::system::error_code) { throw std::runtime_error("callback failed"); });
    co_await simloop::sleep_for(2s);
  });
  ASSERT_EQ(r.findings.size(), 1u) << r.describe();
  EXPECT_EQ(r.findings[0].kind, finding_kind::exception);
  EXPECT_TRUE(contains(r.findings[0].message, "callback failed")) << r.findings[0].message;
  EXPECT_EQ(r.virtual_elapsed, 1s);
}

// ---- misuse -------------------------------------------------------------------------

TEST(Run, ClockIsReadableWhileTheSimulationTearsDown) {
  // A deadlocked task's frame is held by its channel and destroyed with the
  // simulation; a destructor in it that reads the clock must not terminate.
  struct stopwatch {
    std::chrono::nanoseconds* out;
    simloop::clock::time_point start = simloop::clock::now();
    ~stopwatch() { *out = simloop::clock::now() - start; }
  };
  std::chrono::nanoseconds measured{-1};
  {
    simloop::simulation sim(fifo());
    auto r = sim.run([&]() -> asio::awaitable<void> {
      auto ex = co_await asio::this_coro::executor;
      asio::experimental::channel<void(boost::system::error_code, int)> ch(ex, 0);
      stopwatch watch{&measured};
      co_await simloop::sleep_for(1s);
      int never = co_await ch.async_receive(asio::use_awaitable);
      (void)never;
    }());
    EXPECT_TRUE(r.has(finding_kind::deadlock)) << r.describe();
    EXPECT_EQ(measured, -1ns);  // still alive: held by the channel
  }
  EXPECT_EQ(measured, 1s);
  EXPECT_EQ(simloop::simulation::current(), nullptr);
}

TEST(Run, RunTwiceThrowsLogicError) {
  simloop::simulation sim;
  auto r = sim.run([]() -> asio::awaitable<void> { co_return; }());
  EXPECT_TRUE(r.ok());
  try {
    (void)sim.run([]() -> asio::awaitable<void> { co_return; }());
    FAIL() << "a second run must throw";
  } catch (const std::logic_error& e) {
    EXPECT_TRUE(contains(e.what(), "called twice")) << e.what();
  }
}

TEST(Run, RunFromInsideItsOwnStepThrowsLogicError) {
  simloop::simulation sim(fifo());
  std::string error;
  auto r = sim.run([&]() -> asio::awaitable<void> {
    co_await simloop::yield();
    try {
      (void)sim.run([]() -> asio::awaitable<void> { co_return; }());
    } catch (const std::logic_error& e) {
      error = e.what();
    }
    co_await simloop::sleep_for(1s);
  }());
  EXPECT_TRUE(r.ok()) << r.describe();
  EXPECT_TRUE(contains(error, "from inside one of its own steps")) << error;
  EXPECT_EQ(r.virtual_elapsed, 1s);
}

TEST(Run, EmptyBodyIsRejected) {
  simloop::simulation sim;
  try {
    (void)sim.run(asio::awaitable<void>{});
    FAIL() << "an empty awaitable must be rejected";
  } catch (const std::invalid_argument& e) {
    EXPECT_TRUE(contains(e.what(), "empty awaitable")) << e.what();
  }
}

TEST(Run, ExceptionFromAStrandHandlerIsAFinding) {
  std::vector<int> ran;
  auto sim = std::make_unique<simloop::simulation>(fifo());
  auto r = sim->run([&]() -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    auto strand = asio::make_strand(ex);
    asio::post(strand, [&] { ran.push_back(1); });
    asio::post(strand, [] { throw std::length_error("strand handler failed"); });
    asio::post(strand, [&] { ran.push_back(3); });
    co_await simloop::sleep_for(1s);
  }());
  ASSERT_EQ(r.findings.size(), 1u) << r.describe();
  EXPECT_EQ(r.findings[0].kind, finding_kind::exception);
  EXPECT_TRUE(contains(r.findings[0].message, "std::length_error: strand handler failed")) << r.findings[0].message;
  EXPECT_EQ(ran, (std::vector<int>{1}));
  // The strand still holds a handler; the simulation's teardown destroys it.
  sim.reset();
}

TEST(Run, AnotherSimulationMayRunInsideAStep) {
  std::chrono::nanoseconds inner_elapsed{}, outer_now_after{};
  auto r = run_with(fifo(), [&]() -> asio::awaitable<void> {
    co_await simloop::sleep_for(1s);
    simloop::simulation inner(fifo());
    auto ir = inner.run([]() -> asio::awaitable<void> { co_await simloop::sleep_for(1h); }());
    inner_elapsed = ir.virtual_elapsed;
    outer_now_after = simloop_test::vnow();
    co_await simloop::sleep_for(1s);
  });
  EXPECT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(inner_elapsed, 1h);
  EXPECT_EQ(outer_now_after, 1s);
  EXPECT_EQ(r.virtual_elapsed, 2s);
}

TEST(Run, CurrentIsTheRunningSimulation) {
  simloop::simulation sim;
  EXPECT_EQ(simloop::simulation::current(), nullptr);
  simloop::simulation* seen = nullptr;
  auto r = sim.run([&]() -> asio::awaitable<void> {
    seen = simloop::simulation::current();
    co_return;
  }());
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(seen, &sim);
  EXPECT_EQ(simloop::simulation::current(), nullptr);
}

TEST(Run, RunEndsWhenTheBodyIsDoneAndNothingIsReady) {
  // A task still sleeping when the body returns does not keep the run going
  // (it is a leaked task, reported by the leak detector, not waited for).
  bool sleeper_woke = false;
  auto r = run_with(fifo(), [&]() -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    asio::co_spawn(
        ex,
        [&]() -> asio::awaitable<void> {
          co_await simloop::sleep_for(1h);
          sleeper_woke = true;
        },
        asio::detached);
    co_await simloop::sleep_for(1s);
  });
  EXPECT_FALSE(sleeper_woke);
  EXPECT_EQ(r.virtual_elapsed, 1s);
  EXPECT_FALSE(r.has(finding_kind::time_limit));
}

}  // namespace
