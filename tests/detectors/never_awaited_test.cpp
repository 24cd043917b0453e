// Missed awaits: an awaitable created, then destroyed without co_await.
#include "detector_test_util.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>

using namespace std::chrono_literals;
using namespace asio::experimental::awaitable_operators;
using detector_test::contains;
using detector_test::site;

namespace {

// One line each, so that GCC and Clang give the same definition site.
asio::awaitable<int> fetch_user(int id) { co_await simloop::yield(); co_return id; } const int fetch_user_line = __LINE__;
asio::awaitable<void> save(int) { co_await simloop::yield(); } const int save_line = __LINE__;

// The asyncio classic: the call is made, the result never awaited. (A call
// whose result is discarded outright does not even compile here, see
// compile_fail/discarded_awaitable.cpp; a named one does.)
asio::awaitable<void> forgetful_body() {
  auto user = fetch_user(7);
  co_await simloop::yield();
}

asio::awaitable<void> fixed_body() {
  auto user = fetch_user(7);
  co_await simloop::yield();
  int id = co_await std::move(user);
  SIMLOOP_ASSERT(id == 7);
}

}  // namespace

TEST(NeverAwaited, ForgottenAwait) {
  simloop::simulation sim({.seed = 5});
  simloop::report r = sim.run(forgetful_body());
  std::string m = detector_test::only_finding(r, simloop::finding_kind::never_awaited);
  EXPECT_TRUE(contains(m, "simloop: never awaited: fetch_user(), defined at " + site("never_awaited_test.cpp", fetch_user_line) +
                              " was created and destroyed without co_await or co_spawn (seed 0x5, step "));
  EXPECT_TRUE(contains(m, "  coroutine:  fetch_user(), defined at " + site("never_awaited_test.cpp", fetch_user_line) + "\n"
                          "  dropped by: task #1 forgetful_body\n"
                          "  fix:        co_await it (or co_spawn it); a discarded call is a compile error with "
                          "-Werror=unused-result\n"
                          "  replay: SIMLOOP_SEED=0x5 SIMLOOP_STRATEGY=random "));
}

TEST(NeverAwaited, AwaitedLaterIsSilent) {
  detector_test::expect_silent([] { return fixed_body(); });
}

TEST(NeverAwaited, UnawaitedOperatorIsOneFinding) {
  simloop::simulation sim({.seed = 5});
  simloop::report r = sim.run([]() -> asio::awaitable<void> {
    auto both = fetch_user(1) && save(2);
    co_await simloop::yield();
  }());
  std::string m = detector_test::only_finding(r, simloop::finding_kind::never_awaited);
  EXPECT_TRUE(contains(m, "  also:       fetch_user(), defined at " + site("never_awaited_test.cpp", fetch_user_line) + "\n"));
  EXPECT_TRUE(contains(m, "  also:       save(), defined at " + site("never_awaited_test.cpp", save_line) + "\n"));
}

TEST(NeverAwaited, UnawaitedOperation) {
  simloop::simulation sim({.seed = 5});
  simloop::report r = sim.run([]() -> asio::awaitable<void> {
    simloop::timer t(co_await asio::this_coro::executor, 1s);
    auto wait = t.async_wait(asio::use_awaitable);
    co_await simloop::yield();
  }());
  std::string m = detector_test::only_finding(r, simloop::finding_kind::never_awaited);
  EXPECT_TRUE(contains(m, "simloop: never awaited: the operation timer.async_wait(use_awaitable) was created and "
                          "destroyed without co_await or co_spawn"));
}

TEST(NeverAwaited, SpawnedCountsAsAwaited) {
  detector_test::expect_silent(
      []() -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        auto later = save(1);
        asio::co_spawn(ex, std::move(later), asio::detached);
        co_await simloop::sleep_for(1s);
      },
      200);
}

TEST(NeverAwaited, TeardownAndAbortedRunsAreSilent) {
  // Frames still unstarted when a run ends (a deadlock, an assertion) are
  // destroyed by the simulation, not dropped by the program.
  simloop::simulation sim({.seed = 1});
  simloop::report r = sim.run([]() -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    asio::co_spawn(
        ex,
        []() -> asio::awaitable<void> {
          auto pending = fetch_user(3);
          co_await simloop::sleep_for(1h);
          co_await std::move(pending);
        },
        asio::detached);
    auto mine = save(4);
    co_await simloop::sleep_for(1s);
    SIMLOOP_ASSERT(false);
    co_await std::move(mine);
  }());
  EXPECT_EQ(r.findings.size(), 1u) << r.describe();
  EXPECT_TRUE(r.has(simloop::finding_kind::assertion));
}

TEST(NeverAwaited, CanBeSwitchedOff) {
  simloop::simulation sim({.seed = 5, .detect_never_awaited = false});
  EXPECT_TRUE(sim.run(forgetful_body()).ok());
}

TEST(NeverAwaited, TimeoutsAndOperatorsAreSilent) {
  // Cancelled losers of || and timeout() were started: not reported.
  detector_test::expect_silent([]() -> asio::awaitable<void> {
    auto slow = []() -> asio::awaitable<int> {
      co_await simloop::sleep_for(2s);
      co_return 1;
    };
    try {
      co_await simloop::timeout(1s, slow());
      SIMLOOP_ASSERT(false);
    } catch (const boost::system::system_error& e) {
      SIMLOOP_ASSERT(e.code() == simloop::error::timed_out);
    }
    int v = co_await simloop::timeout(3s, slow());
    SIMLOOP_ASSERT(v == 1);
    auto either = co_await (fetch_user(1) || simloop::sleep_for(1s));
    SIMLOOP_ASSERT(either.index() == 0);
  });
}
