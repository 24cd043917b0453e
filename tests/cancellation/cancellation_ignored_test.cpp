// cancellation_ignored: an operation cancelled by simloop::timeout that
// neither completes nor acknowledges the cancellation before nothing is ready.
#include <simloop/simloop.hpp>
#include <simloop/queue.hpp>
#include <simloop/timeout.hpp>

#include <boost/asio/experimental/channel.hpp>

#include <gtest/gtest.h>

#include "support.hpp"

#include <memory>
#include <string>

using namespace std::chrono_literals;

namespace {

using cancellation_test::contains;

// The bug: a hand-written async operation that completes after d through a
// timer wait whose handler is a plain lambda: the caller's cancellation slot
// is never connected, so a cancellation request is ignored.
template <class Token>
auto async_stubborn(asio::any_io_executor ex, simloop::clock::duration d, Token&& token) {
  return asio::async_initiate<Token, void(boost::system::error_code)>(
      [ex, d](auto&& handler) {
        auto t = std::make_shared<simloop::timer>(ex, d);
        t->async_wait([t, h = std::move(handler)](boost::system::error_code ec) mutable { std::move(h)(ec); });
      },
      token);
}

int stubborn_line = 0;

// Completes after d whatever happens (10s: long after its 1s timeout).
asio::awaitable<void> stubborn_request(simloop::clock::duration d) {
  auto ex = co_await asio::this_coro::executor;
  stubborn_line = __LINE__; co_await async_stubborn(ex, d, asio::use_awaitable);
}

// When the detector lets it run on, the operation completes successfully
// after d: it did its work, so timeout returns (late) rather than throwing
// timed_out, as asyncio.wait_for returns the result of a task that
// swallowed its cancellation.
asio::awaitable<void> stubborn_body(simloop::clock::duration d = 10s) {
  bool timed_out = false;
  auto start = simloop::clock::now();
  try {
    co_await simloop::timeout(1s, stubborn_request(d));
  } catch (const boost::system::system_error& e) {
    timed_out = e.code() == simloop::error::timed_out;
  }
  SIMLOOP_ASSERT(!timed_out);
  SIMLOOP_ASSERT(simloop::clock::now() - start >= d);
}

void expect_silent(const std::function<asio::awaitable<void>()>& body, std::uint64_t runs = 1000) {
  for (auto s : {simloop::strategy::random, simloop::strategy::pct}) {
    simloop::explore_options eo;
    eo.runs = runs;
    eo.strategy = s;
    eo.use_environment = false;
    eo.base.delay_one_in = 200;  // silent with delay injection on, too
    simloop::report r = simloop::explore(eo, body);
    EXPECT_TRUE(r.ok()) << "strategy " << simloop::to_string(s) << ", run " << r.runs << ":\n" << r.describe();
    EXPECT_EQ(r.runs, runs);
  }
}

}  // namespace

TEST(CancellationIgnored, StubbornOperationUnderTimeoutIsReported) {
  simloop::simulation sim({.seed = 0x2a});
  simloop::report r = sim.run(stubborn_body());
  ASSERT_EQ(r.findings.size(), 1u) << r.describe();
  EXPECT_EQ(r.findings[0].kind, simloop::finding_kind::cancellation_ignored);
  const std::string& m = r.findings[0].message;
  EXPECT_TRUE(contains(m, "simloop: cancellation ignored: an operation awaited under simloop::timeout by task #1 "
                          "stubborn_body neither completed nor acknowledged its cancellation before nothing was "
                          "ready (seed 0x2a, step "));
  EXPECT_TRUE(contains(m, "  operation     (anonymous namespace)::async_stubborn"));
  EXPECT_TRUE(contains(m, ", t=+1.000s)\n"));
  EXPECT_TRUE(contains(m, "  requested by  simloop::timeout(1.000s) at step "));
  EXPECT_TRUE(contains(m, " at tests/cancellation/cancellation_ignored_test.cpp:" + std::to_string(stubborn_line) +
                              " (due t=+10.000s)\n"));
  EXPECT_TRUE(contains(m, "  task #1 stubborn_body   spawned at  simloop::simulation::run (the test body)\n"));
  EXPECT_TRUE(contains(m, "  replay: SIMLOOP_SEED=0x2a SIMLOOP_STRATEGY=random "));
}

TEST(CancellationIgnored, FoundOnEverySeed) {
  for (auto s : {simloop::strategy::random, simloop::strategy::pct}) {
    simloop::explore_options eo;
    eo.runs = 100;
    eo.strategy = s;
    eo.use_environment = false;
    simloop::report r = simloop::explore(eo, [] { return stubborn_body(); });
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.runs, 1u);
    EXPECT_EQ(r.findings[0].kind, simloop::finding_kind::cancellation_ignored);
  }
}

TEST(CancellationIgnored, CanBeSwitchedOff) {
  simloop::simulation sim({.seed = 0x2a, .detect_cancellation_ignored = false});
  simloop::report r = sim.run(stubborn_body());
  // The stubborn operation completes at t=10s; the timeout reports then.
  EXPECT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(r.virtual_elapsed, 10s);
}

TEST(CancellationIgnored, TimeoutAroundTimerWaitIsSilent) {
  expect_silent([]() -> asio::awaitable<void> {
    int timeouts = 0;
    for (int i = 0; i < 3; ++i) {
      try {
        co_await simloop::timeout(1s, simloop::sleep_for(2s));
      } catch (const boost::system::system_error&) {
        ++timeouts;
      }
      // Usually completes; with delay injection (a slow step lets 2s pass
      // before the sleep's completion runs) it may time out too: either way
      // the sleep acknowledges the cancellation.
      try {
        co_await simloop::timeout(2s, simloop::sleep_for(1s));
      } catch (const boost::system::system_error&) {
        ++timeouts;
      }
    }
    // No count: two injected delays in a row let both deadlines pass before
    // either handler runs, so either side of each `||` may win.
    (void)timeouts;
  });
}

TEST(CancellationIgnored, TimeoutAroundChannelReceiveIsSilent) {
  expect_silent([]() -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    using channel = asio::experimental::channel<void(boost::system::error_code, int)>;
    channel ch(ex, 0);
    try {
      auto recv = ch.async_receive(asio::use_awaitable);
      co_await simloop::timeout(1s, std::move(recv));
      SIMLOOP_ASSERT(false);
    } catch (const boost::system::system_error& e) {
      SIMLOOP_ASSERT(e.code() == simloop::error::timed_out);
    }
  });
}

TEST(CancellationIgnored, TimeoutAroundQueueGetIsSilent) {
  expect_silent([]() -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    simloop::queue<int> q(ex);
    asio::co_spawn(
        ex,
        [&q]() -> asio::awaitable<void> {
          co_await simloop::sleep_for(1s);
          co_await q.async_put(7, asio::use_awaitable);
        },
        asio::detached);
    int got = 0;
    for (;;) {
      try {
        auto get = q.async_get(asio::use_awaitable);
        got = co_await simloop::timeout(300ms, std::move(get));
        break;
      } catch (const boost::system::system_error& e) {
        SIMLOOP_ASSERT(e.code() == simloop::error::timed_out);
      }
    }
    SIMLOOP_ASSERT(got == 7);
  });
}

// Answers its cancellation late: stubborn_body(3s)'s operation ignores it
// and completes at t=3s, 2s after timeout(1s) requested it.
TEST(CancellationGrace, AnswerAfterTwoSecondsIsSilentWithGraceFive) {
  simloop::simulation sim({.seed = 0x2a, .cancellation_grace = 5s});
  simloop::report r = sim.run(stubborn_body(3s));
  EXPECT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(r.virtual_elapsed, 3s);
}

TEST(CancellationGrace, AnswerExactlyAtTheGraceIsInTime) {
  simloop::simulation sim({.seed = 0x2a, .cancellation_grace = 2s});
  simloop::report r = sim.run(stubborn_body(3s));
  EXPECT_TRUE(r.ok()) << r.describe();
}

TEST(CancellationGrace, AnswerAfterTwoSecondsIsReportedWithGraceOne) {
  simloop::simulation sim({.seed = 0x2a, .cancellation_grace = 1s});
  simloop::report r = sim.run(stubborn_body(3s));
  ASSERT_EQ(r.findings.size(), 1u) << r.describe();
  EXPECT_EQ(r.findings[0].kind, simloop::finding_kind::cancellation_ignored);
  EXPECT_EQ(r.findings[0].time, 2s);
  EXPECT_EQ(r.virtual_elapsed, 2s);  // the run stops when the grace runs out
  const std::string& m = r.findings[0].message;
  EXPECT_TRUE(contains(m, "simloop: cancellation ignored: an operation awaited under simloop::timeout by task #1 "
                          "stubborn_body did not complete within 1.000s (options::cancellation_grace) of its "
                          "cancellation (seed 0x2a, step "));
  EXPECT_TRUE(contains(m, ", t=+2.000s)\n"));
  EXPECT_TRUE(contains(m, "  operation     (anonymous namespace)::async_stubborn"));
  EXPECT_TRUE(contains(m, " at tests/cancellation/cancellation_ignored_test.cpp:" + std::to_string(stubborn_line) +
                              " (due t=+3.000s)\n"));
  EXPECT_TRUE(contains(m, "  requested by  simloop::timeout(1.000s) at step "));
  EXPECT_TRUE(contains(m, ", t=+1.000s\n  grace         options::cancellation_grace = 1.000s: due by t=+2.000s\n"));
  EXPECT_TRUE(contains(m, "  task #1 stubborn_body   spawned at  simloop::simulation::run (the test body)\n"));
  EXPECT_TRUE(contains(m, "  replay: SIMLOOP_SEED=0x2a SIMLOOP_STRATEGY=random "));
}

TEST(CancellationGrace, DefaultIsUntilIdle) {
  simloop::simulation sim({.seed = 0x2a});
  simloop::report r = sim.run(stubborn_body(3s));
  ASSERT_EQ(r.findings.size(), 1u) << r.describe();
  EXPECT_EQ(r.findings[0].time, 1s);
  EXPECT_TRUE(contains(r.findings[0].message, "before nothing was ready"));
}

TEST(CancellationGrace, CorrectProgramsAreSilentWithAGrace) {
  for (auto s : {simloop::strategy::random, simloop::strategy::pct}) {
    simloop::explore_options eo;
    eo.runs = 300;
    eo.strategy = s;
    eo.use_environment = false;
    eo.base.cancellation_grace = 1ms;
    eo.base.cancel_one_in = 3;
    simloop::report r = simloop::explore(eo, []() -> asio::awaitable<void> {
      for (int i = 0; i < 3; ++i) {
        try {
          auto nap = simloop::sleep_for(2s);
          co_await simloop::timeout(1s, std::move(nap));
        } catch (const boost::system::system_error&) {
        }
      }
    });
    EXPECT_TRUE(r.ok()) << r.describe();
    EXPECT_EQ(r.runs, 300u);
  }
}
