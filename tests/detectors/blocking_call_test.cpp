// Blocking calls: a libc call that blocks the thread inside a simulated step.
#include "detector_test_util.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include <netdb.h>
#include <poll.h>
#include <time.h>

#include <functional>
#include <thread>

using namespace std::chrono_literals;
using detector_test::contains;
using detector_test::site;

namespace {

int sleep_line = 0;
int spawn_line = 0;

// asyncio's "time.sleep in a coroutine": the whole simulation stops with it.
asio::awaitable<void> poll_status(std::shared_ptr<int> polls) {
  for (int i = 0; i < 3; ++i) {
    ++*polls;
    std::this_thread::sleep_for(100ms); sleep_line = __LINE__;
  }
  co_return;
}

asio::awaitable<void> poll_status_fixed(std::shared_ptr<int> polls) {
  for (int i = 0; i < 3; ++i) {
    ++*polls;
    co_await simloop::sleep_for(100ms);
  }
}

asio::awaitable<void> body(asio::awaitable<void> (*poller)(std::shared_ptr<int>)) {
  auto ex = co_await asio::this_coro::executor;
  auto polls = std::make_shared<int>(0);
  asio::co_spawn(ex, poller(polls), asio::detached); spawn_line = __LINE__;
  co_await simloop::sleep_for(1s);
}

void nanosleep_1ns() {
  timespec ts{0, 1};
  nanosleep(&ts, nullptr);
}

}  // namespace

TEST(BlockingCall, SleepInACoroutine) {
  simloop::simulation sim({.seed = 9});
  simloop::report r = sim.run(body(poll_status));
  std::string m = detector_test::only_finding(r, simloop::finding_kind::blocking_call);
  EXPECT_TRUE(contains(m, "simloop: blocking call: nanosleep(0.100s) inside a simulated step (seed 0x9, step "));
  EXPECT_TRUE(contains(m, "  task #2 poll_status     spawned at  " + site("blocking_call_test.cpp", spawn_line) + "\n"
                          "  call:       nanosleep blocks the thread, so every task of the simulation stops\n"
                          "  backtrace:\n"
                          "    #0  "));
  // Frame #0 is std::this_thread::sleep_for, or poll_status itself where
  // the optimiser inlined sleep_for; the coroutine's line is there either way.
  EXPECT_TRUE(contains(m, "poll_status at " + site("blocking_call_test.cpp", sleep_line) + "\n"));
  EXPECT_TRUE(contains(m, "  fix:        co_await an asynchronous equivalent"));
  // The run stops at the first blocking call (and does not really sleep).
  EXPECT_EQ(r.findings.size(), 1u);
}

TEST(BlockingCall, AwaitedSleepIsSilent) {
  detector_test::expect_silent([] { return body(poll_status_fixed); });
}

TEST(BlockingCall, AllowBlockingScope) {
  simloop::simulation sim({.seed = 9});
  simloop::report r = sim.run([]() -> asio::awaitable<void> {
    {
      simloop::allow_blocking allow;
      nanosleep_1ns();
    }
    co_await simloop::yield();
  }());
  EXPECT_TRUE(r.ok()) << r.describe();
}

TEST(BlockingCall, OutsideStepsIsNotReported) {
  nanosleep_1ns();  // no simulation running
  simloop::simulation sim({.seed = 9});
  simloop::report r = sim.run([]() -> asio::awaitable<void> {
    co_await simloop::yield();
  }());
  nanosleep_1ns();  // after the run
  EXPECT_TRUE(r.ok()) << r.describe();
}

TEST(BlockingCall, PollWithTimeoutAndGetaddrinfo) {
  {
    simloop::simulation sim({.seed = 9});
    simloop::report r = sim.run([]() -> asio::awaitable<void> {
      ::poll(nullptr, 0, 0);  // a zero timeout does not block
      co_await simloop::yield();
      ::poll(nullptr, 0, 250);
      co_await simloop::yield();
    }());
    std::string m = detector_test::only_finding(r, simloop::finding_kind::blocking_call);
    EXPECT_TRUE(contains(m, "simloop: blocking call: poll(0 fd(s), timeout 250ms) inside a simulated step"));
  }
  {
    simloop::simulation sim({.seed = 9});
    simloop::report r = sim.run([]() -> asio::awaitable<void> {
      addrinfo* res = nullptr;
      if (::getaddrinfo("localhost", "80", nullptr, &res) == 0) ::freeaddrinfo(res);
      co_await simloop::yield();
    }());
    std::string m = detector_test::only_finding(r, simloop::finding_kind::blocking_call);
    EXPECT_TRUE(contains(m, "simloop: blocking call: getaddrinfo(\"localhost\", \"80\") inside a simulated step"));
  }
}

TEST(BlockingCall, CanBeSwitchedOff) {
  simloop::simulation sim({.seed = 9, .detect_blocking_calls = false});
  simloop::report r = sim.run([]() -> asio::awaitable<void> {
    nanosleep_1ns();
    co_await simloop::yield();
  }());
  EXPECT_TRUE(r.ok()) << r.describe();
}

namespace {

// Burns at least ms of this thread's CPU time (not wall time: no sleeping).
void burn_cpu(int ms) {
  auto cpu = [] {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
  };
  std::int64_t until = cpu() + std::int64_t{ms} * 1'000'000;
  volatile std::uint64_t x = 0;
  while (cpu() < until) x = x + 1;
}

// The CPU budget tests measure real CPU time, so they keep wide margins:
// a 10 ms budget against a 60 ms step, and a first run of the same body
// with the budget off, so that what a fresh process pays once (lazy
// binding, the allocators' first pages, ASan's shadow memory) does not
// land in a measured step. CI's ASan build once spent 2.9 ms in step 1 of
// a process's first run, over the 1 ms budget these tests used to set.
simloop::report run_with_budget(std::chrono::nanoseconds budget,
                                const std::function<asio::awaitable<void>()>& body) {
  simloop::simulation({.seed = 9, .step_cpu_budget = 0ms}).run(body());
  return simloop::simulation({.seed = 9, .step_cpu_budget = budget}).run(body());
}

}  // namespace

TEST(BlockingCall, StepOverCpuBudget) {
  // A step that certainly used 60 ms of CPU against a 10 ms budget: the
  // finding is timing-based, the margins make the test deterministic.
  simloop::report r = run_with_budget(10ms, []() -> asio::awaitable<void> {
    co_await simloop::yield();
    burn_cpu(60);
    co_await simloop::yield();
  });
  std::string m = detector_test::only_finding(r, simloop::finding_kind::blocking_call);
  EXPECT_TRUE(contains(m, "simloop: slow step: task #1 lambda at blocking_call_test.cpp:"));
  EXPECT_TRUE(contains(m, "ms of CPU time, over the budget of 10.0 ms (seed 0x9, step 2, "));
  EXPECT_TRUE(contains(m, "  note:       timing-based (options::step_cpu_budget)"));
}

// A step is measured up to the next step's start; the last step of a run
// (nothing after it) is measured when the run ends.
TEST(BlockingCall, LastStepOverCpuBudget) {
  simloop::report r = run_with_budget(10ms, []() -> asio::awaitable<void> {
    co_await simloop::yield();
    burn_cpu(60);
  });
  std::string m = detector_test::only_finding(r, simloop::finding_kind::blocking_call);
  EXPECT_TRUE(contains(m, "simloop: slow step: task #1 lambda at blocking_call_test.cpp:"));
  EXPECT_TRUE(contains(m, "ms of CPU time, over the budget of 10.0 ms (seed 0x9, step 2, "));
}

TEST(BlockingCall, CpuBudgetZeroIsOff) {
  simloop::simulation sim({.seed = 9, .step_cpu_budget = 0ms});
  simloop::report r = sim.run([]() -> asio::awaitable<void> {
    burn_cpu(5);
    co_await simloop::yield();
  }());
  EXPECT_TRUE(r.ok()) << r.describe();
}
