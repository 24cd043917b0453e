// Virtual time: simloop::clock and simloop::timer (the steady_timer
// interface), sleep_for, and the clock's jumps.
#include "support.hpp"

#include <gtest/gtest.h>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>

#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using simloop_test::contains;
using simloop_test::fifo;
using simloop_test::run_with;
using simloop_test::seeded;
using simloop_test::vnow;

namespace {

using error_code = boost::system::error_code;
const error_code unset = asio::error::fault;  // "handler not called yet"

// ---- the clock ------------------------------------------------------------------

static_assert(std::chrono::is_clock_v<simloop::clock>);
static_assert(simloop::clock::is_steady);
static_assert(std::is_same_v<simloop::clock::duration, std::chrono::nanoseconds>);
static_assert(std::is_same_v<simloop::timer::clock_type, simloop::clock>);
static_assert(std::is_same_v<simloop::timer::time_point, simloop::clock::time_point>);

TEST(Clock, NowOutsideARunThrows) {
  try {
    (void)simloop::clock::now();
    FAIL() << "clock::now() outside a run must throw";
  } catch (const std::logic_error& e) {
    EXPECT_TRUE(contains(e.what(), "no simulation is running")) << e.what();
  }
  // The simulation's own now() works at any time.
  simloop::simulation sim;
  EXPECT_EQ(sim.now().time_since_epoch(), 0ns);
}

TEST(Clock, NowIsTheRunningSimulationsVirtualTime) {
  simloop::simulation sim(fifo());
  std::vector<std::chrono::nanoseconds> seen;
  auto r = sim.run([&]() -> asio::awaitable<void> {
    seen.push_back(vnow());
    co_await simloop::sleep_for(1500ms);
    seen.push_back(vnow());
    seen.push_back(sim.now().time_since_epoch());
  }());
  EXPECT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(seen, (std::vector<std::chrono::nanoseconds>{0ns, 1500ms, 1500ms}));
  EXPECT_EQ(sim.now().time_since_epoch(), 1500ms);
}

TEST(Clock, AnHourOfSleepsPassesAtOnceAndExactly) {
  int wakes = 0;
  auto r = run_with(fifo(), [&]() -> asio::awaitable<void> {
    for (int i = 0; i < 3600; ++i) {
      co_await simloop::sleep_for(1s);
      ++wakes;
    }
  });
  EXPECT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(wakes, 3600);
  EXPECT_EQ(r.virtual_elapsed, 1h);
  // One clock jump per sleep, recorded in the trace.
  ASSERT_EQ(r.time_changes.size(), 3600u);
  EXPECT_EQ(r.time_changes.front().time, 1s);
  EXPECT_EQ(r.time_changes.back().time, 1h);
}

TEST(Clock, JumpsToTheEarliestDeadlineOnly) {
  std::vector<std::pair<int, std::chrono::nanoseconds>> woke;
  auto r = run_with(seeded(5), [&]() -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    for (int ms : {300, 100, 200})
      asio::co_spawn(
          ex,
          [&woke, ms]() -> asio::awaitable<void> {
            co_await simloop::sleep_for(std::chrono::milliseconds(ms));
            woke.emplace_back(ms, vnow());
          },
          asio::detached);
    co_await simloop::sleep_for(1s);
  });
  EXPECT_TRUE(r.ok()) << r.describe();
  ASSERT_EQ(woke.size(), 3u);
  EXPECT_EQ(woke[0], std::make_pair(100, std::chrono::nanoseconds(100ms)));
  EXPECT_EQ(woke[1], std::make_pair(200, std::chrono::nanoseconds(200ms)));
  EXPECT_EQ(woke[2], std::make_pair(300, std::chrono::nanoseconds(300ms)));
}

// ---- expiry ---------------------------------------------------------------------------

TEST(Timer, ExpiresAfterAndExpiresAtSetTheExpiry) {
  simloop::simulation sim;
  simloop::timer t(sim.get_executor());
  EXPECT_EQ(t.expiry().time_since_epoch(), 0ns);
  EXPECT_EQ(t.expires_after(5s), 0u);
  EXPECT_EQ(t.expiry().time_since_epoch(), 5s);
  EXPECT_EQ(t.expires_at(simloop::clock::time_point(2h)), 0u);
  EXPECT_EQ(t.expiry().time_since_epoch(), 2h);

  simloop::timer after(sim.get_executor(), 3s);
  EXPECT_EQ(after.expiry().time_since_epoch(), 3s);
  simloop::timer at(sim.get_executor(), simloop::clock::time_point(7s));
  EXPECT_EQ(at.expiry().time_since_epoch(), 7s);
  // From the context itself, like asio::steady_timer(io_context&).
  simloop::timer from_context(sim, 4s);
  EXPECT_EQ(from_context.expiry().time_since_epoch(), 4s);
  EXPECT_EQ(from_context.get_executor(), asio::any_io_executor(sim.get_executor()));
}

TEST(Timer, ExpiresAfterCountsFromTheCurrentVirtualTime) {
  std::chrono::nanoseconds expiry{};
  auto r = run_with(fifo(), [&]() -> asio::awaitable<void> {
    co_await simloop::sleep_for(10s);
    simloop::timer t(co_await asio::this_coro::executor);
    t.expires_after(5s);
    expiry = t.expiry().time_since_epoch();
    co_await t.async_wait(asio::use_awaitable);
  });
  EXPECT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(expiry, 15s);
  EXPECT_EQ(r.virtual_elapsed, 15s);
}

// ---- completion tokens -----------------------------------------------------------------

TEST(Timer, AsyncWaitWithEveryKindOfToken) {
  std::vector<std::pair<std::string, std::chrono::nanoseconds>> log;
  auto r = run_with(fifo(), [&]() -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    simloop::timer cb(ex, 3s);
    cb.async_wait([&](error_code ec) { log.emplace_back(ec ? "callback error" : "callback", vnow()); });

    simloop::timer aw(ex, 1s);
    co_await aw.async_wait(asio::use_awaitable);
    log.emplace_back("use_awaitable", vnow());

    simloop::timer def(ex, 1s);
    auto op = def.async_wait(asio::deferred);
    co_await std::move(op);
    log.emplace_back("deferred", vnow());

    // An executor adapter that supplies a default token, as for
    // asio::steady_timer (Asio 1.81 has no default token otherwise).
    auto dflt = asio::use_awaitable.as_default_on(simloop::timer(ex, 4s));
    co_await dflt.async_wait();
    log.emplace_back("default", vnow());
  });
  EXPECT_TRUE(r.ok()) << r.describe();
  using p = std::pair<std::string, std::chrono::nanoseconds>;
  EXPECT_EQ(log, (std::vector<p>{{"use_awaitable", 1s}, {"deferred", 2s}, {"callback", 3s}, {"default", 6s}}));
}

TEST(Timer, PastExpiryCompletesThroughTheReadySetNotInline) {
  std::vector<std::string> log;
  auto r = run_with(fifo(), [&]() -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    co_await simloop::sleep_for(5s);
    simloop::timer past(ex, simloop::clock::time_point(1s));
    past.async_wait([&](error_code ec) { log.push_back(ec ? "past: error" : "past: ok"); });
    simloop::timer now(ex, 0s);
    now.async_wait([&](error_code ec) { log.push_back(ec ? "now: error" : "now: ok"); });
    log.push_back("after async_wait");
    co_await simloop::yield();
    log.push_back("after yield");
  });
  EXPECT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(log, (std::vector<std::string>{"after async_wait", "past: ok", "now: ok", "after yield"}));
  // The clock did not move back or forward for them.
  EXPECT_EQ(r.virtual_elapsed, 5s);
}

// ---- cancellation -----------------------------------------------------------------------

TEST(Timer, CancelReturnsTheCountAndAbortsEveryWaiter) {
  std::size_t cancelled = 0;
  std::vector<std::string> log;
  auto r = run_with(fifo(), [&]() -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    simloop::timer t(ex, 1h);
    t.async_wait([&](error_code ec) { log.push_back("a " + ec.message()); });
    t.async_wait([&](error_code ec) { log.push_back("b " + ec.message()); });
    asio::co_spawn(
        ex,
        [&]() -> asio::awaitable<void> {
          try {
            co_await t.async_wait(asio::use_awaitable);
            log.push_back("c ok");
          } catch (const boost::system::system_error& e) {
            log.push_back(e.code() == asio::error::operation_aborted ? "c aborted" : "c other");
          }
        },
        asio::detached);
    co_await simloop::sleep_for(1s);
    cancelled = t.cancel();
    EXPECT_EQ(t.cancel(), 0u);  // nothing left to cancel
    co_await simloop::sleep_for(1s);
  });
  EXPECT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(cancelled, 3u);
  const std::string aborted = error_code(asio::error::operation_aborted).message();
  EXPECT_EQ(log, (std::vector<std::string>{"a " + aborted, "b " + aborted, "c aborted"}));
  EXPECT_EQ(r.virtual_elapsed, 2s);
}

TEST(Timer, CancelOneAbortsTheOldestWaiter) {
  std::vector<std::pair<int, error_code>> log;
  std::size_t first = 9, second = 9;
  auto r = run_with(fifo(), [&]() -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    simloop::timer t(ex, 10s);
    for (int i = 0; i < 3; ++i) t.async_wait([&, i](error_code ec) { log.emplace_back(i, ec); });
    co_await simloop::sleep_for(1s);
    first = t.cancel_one();
    co_await simloop::sleep_for(1s);
    second = t.cancel_one();
    co_await simloop::sleep_for(10s);
  });
  EXPECT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(first, 1u);
  EXPECT_EQ(second, 1u);
  ASSERT_EQ(log.size(), 3u);
  EXPECT_EQ(log[0], std::make_pair(0, error_code(asio::error::operation_aborted)));
  EXPECT_EQ(log[1], std::make_pair(1, error_code(asio::error::operation_aborted)));
  EXPECT_EQ(log[2], std::make_pair(2, error_code()));
}

TEST(Timer, PerOperationCancellationThroughTheAssociatedSlot) {
  for (auto type : {asio::cancellation_type::terminal, asio::cancellation_type::partial,
                    asio::cancellation_type::total}) {
    error_code cancelled_ec = unset, other_ec = unset;
    std::chrono::nanoseconds cancelled_at{-1}, other_at{-1};
    auto r = run_with(fifo(), [&]() -> asio::awaitable<void> {
      auto ex = co_await asio::this_coro::executor;
      simloop::timer t(ex, 5s);
      asio::cancellation_signal signal;
      t.async_wait(asio::bind_cancellation_slot(signal.slot(), [&](error_code ec) {
        cancelled_ec = ec;
        cancelled_at = vnow();
      }));
      t.async_wait([&](error_code ec) {
        other_ec = ec;
        other_at = vnow();
      });
      co_await simloop::sleep_for(2s);
      signal.emit(type);
      co_await simloop::sleep_for(5s);
      // A signal after completion finds nothing connected.
      signal.emit(type);
    });
    EXPECT_TRUE(r.ok()) << r.describe();
    EXPECT_EQ(cancelled_ec, asio::error::operation_aborted);
    EXPECT_EQ(cancelled_at, 2s);
    // Only that operation: the other wait on the same timer still expires.
    EXPECT_FALSE(other_ec);
    EXPECT_EQ(other_at, 5s);
  }
}

TEST(Timer, CoroutineCancellationReachesItsSleep) {
  std::string outcome;
  auto r = run_with(fifo(), [&]() -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    asio::cancellation_signal signal;
    asio::co_spawn(ex, simloop::sleep_for(1h),
                   asio::bind_cancellation_slot(signal.slot(), [&](std::exception_ptr e) {
                     try {
                       if (e) std::rethrow_exception(e);
                       outcome = "slept";
                     } catch (const boost::system::system_error& err) {
                       outcome = err.code() == asio::error::operation_aborted ? "aborted" : "other";
                     }
                   }));
    co_await simloop::sleep_for(1s);
    signal.emit(asio::cancellation_type::terminal);
    co_await simloop::yield();
    co_await simloop::yield();
  });
  EXPECT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(outcome, "aborted");
  EXPECT_EQ(r.virtual_elapsed, 1s);
}

TEST(Timer, ReArmingAbortsPendingWaiters) {
  std::vector<std::pair<std::string, error_code>> log;
  std::size_t by_after = 9, by_at = 9;
  auto r = run_with(fifo(), [&]() -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    simloop::timer t(ex, 10s);
    t.async_wait([&](error_code ec) { log.emplace_back("first", ec); });
    co_await simloop::sleep_for(1s);
    by_after = t.expires_after(10s);  // now 11s
    t.async_wait([&](error_code ec) { log.emplace_back("second", ec); });
    co_await simloop::sleep_for(1s);
    by_at = t.expires_at(simloop::clock::time_point(3s));
    t.async_wait([&](error_code ec) { log.emplace_back("third", ec); });
    co_await simloop::sleep_for(10s);
  });
  EXPECT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(by_after, 1u);
  EXPECT_EQ(by_at, 1u);
  ASSERT_EQ(log.size(), 3u);
  EXPECT_EQ(log[0], std::make_pair(std::string("first"), error_code(asio::error::operation_aborted)));
  EXPECT_EQ(log[1], std::make_pair(std::string("second"), error_code(asio::error::operation_aborted)));
  EXPECT_EQ(log[2], std::make_pair(std::string("third"), error_code()));
}

TEST(Timer, DestroyingATimerAbortsItsWaiters) {
  std::vector<std::pair<int, error_code>> log;
  std::chrono::nanoseconds at{-1};
  auto r = run_with(fifo(), [&]() -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    auto t = std::make_unique<simloop::timer>(ex, 1h);
    t->async_wait([&](error_code ec) {
      log.emplace_back(1, ec);
      at = vnow();
    });
    t->async_wait([&](error_code ec) { log.emplace_back(2, ec); });
    co_await simloop::sleep_for(1s);
    t.reset();
    co_await simloop::sleep_for(1s);
  });
  EXPECT_TRUE(r.ok()) << r.describe();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0].second, asio::error::operation_aborted);
  EXPECT_EQ(log[1].second, asio::error::operation_aborted);
  EXPECT_EQ(at, 1s);
  EXPECT_EQ(r.virtual_elapsed, 2s);
}

TEST(Timer, MovedTimerKeepsItsWaiters) {
  error_code got = unset;
  std::size_t cancelled = 9;
  auto r = run_with(fifo(), [&]() -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    simloop::timer a(ex, 1h);
    a.async_wait([&](error_code ec) { got = ec; });
    simloop::timer b(std::move(a));
    co_await simloop::sleep_for(1s);
    cancelled = b.cancel();
    co_await simloop::yield();
  });
  EXPECT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(cancelled, 1u);
  EXPECT_EQ(got, asio::error::operation_aborted);
}

TEST(Timer, CancelAfterTheDeadlineButBeforeTheHandlerLeavesSuccess) {
  // Two timers due at the same instant: under fifo the first armed runs
  // first, and cancels the second, whose completion is already queued.
  std::size_t cancelled = 9;
  error_code late = unset;
  auto r = run_with(fifo(), [&]() -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    simloop::timer first(ex, 1s), second(ex, 1s);
    first.async_wait([&](error_code) { cancelled = second.cancel(); });
    second.async_wait([&](error_code ec) { late = ec; });
    co_await simloop::sleep_for(2s);
  });
  EXPECT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(cancelled, 0u);
  EXPECT_FALSE(late) << late.message();
}

// ---- sleep_for, yield and timeout ------------------------------------------------------

TEST(Timer, YieldLetsEveryReadyStepGoFirstUnderFifo) {
  std::vector<std::string> log;
  auto r = run_with(fifo(), [&]() -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    asio::post(ex, [&] { log.push_back("posted"); });
    co_await simloop::yield();
    log.push_back("after yield");
    co_await simloop::sleep_for(0s);  // a zero sleep is a yield through the ready set
    log.push_back("after zero sleep");
  });
  EXPECT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(log, (std::vector<std::string>{"posted", "after yield", "after zero sleep"}));
  EXPECT_EQ(r.virtual_elapsed, 0s);
}

asio::awaitable<int> slow_value(std::chrono::nanoseconds d, int v, bool* cancelled) {
  try {
    co_await simloop::sleep_for(d);
  } catch (const boost::system::system_error& e) {
    if (e.code() == asio::error::operation_aborted) *cancelled = true;
    throw;
  }
  co_return v;
}

TEST(Timer, TimeoutReturnsTheValueWhenTheOperationWins) {
  int got = 0;
  bool cancelled = false;
  auto r = run_with(seeded(4), [&]() -> asio::awaitable<void> {
    got = co_await simloop::timeout(5s, slow_value(2s, 7, &cancelled));
    co_await simloop::sleep_for(10s);  // the deadline timer is gone: nothing fires at 5s
  });
  EXPECT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(got, 7);
  EXPECT_FALSE(cancelled);
  EXPECT_EQ(r.virtual_elapsed, 12s);
}

TEST(Timer, TimeoutCancelsTheOperationAndThrowsTimedOut) {
  std::string error;
  bool cancelled = false;
  std::chrono::nanoseconds at{-1};
  auto r = run_with(seeded(4), [&]() -> asio::awaitable<void> {
    try {
      (void)co_await simloop::timeout(1s, slow_value(1h, 7, &cancelled));
    } catch (const boost::system::system_error& e) {
      error = e.code() == simloop::error::timed_out ? "timed_out" : e.what();
      at = vnow();
    }
  });
  EXPECT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(error, "timed_out");
  EXPECT_TRUE(cancelled);
  EXPECT_EQ(at, 1s);
  EXPECT_EQ(r.virtual_elapsed, 1s);
  EXPECT_EQ(boost::system::error_code(simloop::error::timed_out).message(), "operation timed out");
}

TEST(Timer, TimeoutOfAVoidOperation) {
  int outcomes = 0;
  auto r = run_with(fifo(), [&]() -> asio::awaitable<void> {
    co_await simloop::timeout(2s, simloop::sleep_for(1s));
    ++outcomes;
    try {
      co_await simloop::timeout(1s, simloop::sleep_for(2s));
    } catch (const boost::system::system_error& e) {
      if (e.code() == simloop::error::timed_out) outcomes += 10;
    }
  });
  EXPECT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(outcomes, 11);
  EXPECT_EQ(r.virtual_elapsed, 2s);
}

// ---- same-instant timers are a scheduling choice -------------------------------------

std::vector<int> same_instant_order(simloop::options o) {
  std::vector<int> log;
  auto r = run_with(o, [&]() -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    simloop::timer t0(ex, 1s), t1(ex, 1s), t2(ex, 1s), t3(ex, 1s);
    // Armed in the order 2, 0, 3, 1.
    t2.async_wait([&](error_code) { log.push_back(2); });
    t0.async_wait([&](error_code) { log.push_back(0); });
    t3.async_wait([&](error_code) { log.push_back(3); });
    t1.async_wait([&](error_code) { log.push_back(1); });
    co_await simloop::sleep_for(2s);
  });
  EXPECT_TRUE(r.ok()) << r.describe();
  return log;
}

TEST(Timer, SameInstantTimersRunInArmingOrderUnderFifo) {
  for (std::uint64_t seed = 0; seed < 5; ++seed) {
    auto o = fifo();
    o.seed = seed;
    EXPECT_EQ(same_instant_order(o), (std::vector<int>{2, 0, 3, 1}));
  }
}

TEST(Timer, SameInstantTimersAreAStrategyChoice) {
  std::set<std::vector<int>> orders;
  for (std::uint64_t seed = 0; seed < 100; ++seed) {
    auto order = same_instant_order(seeded(seed));
    EXPECT_EQ(order.size(), 4u);
    orders.insert(order);
  }
  // 24 permutations; a uniform pick reaches most of them in 100 seeds.
  EXPECT_GT(orders.size(), 10u);
  // The same seed gives the same order.
  EXPECT_EQ(same_instant_order(seeded(17)), same_instant_order(seeded(17)));
}

// A timer keeps a simulation's own executor behind any_io_executor in 16
// bytes and boxes any other (a strand): get_executor() answers the executor
// it was made with either way, through moves and move-assignments, and its
// waits complete on time. (Under ASan, a box left behind would be a leak.)
TEST(Timer, KeepsItsExecutorThroughMovesWhateverItWraps) {
  std::vector<std::string> log;
  auto r = run_with(fifo(), [&]() -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    const asio::any_io_executor on_strand(asio::make_strand(ex));
    for (const asio::any_io_executor& e : {ex, on_strand}) {
      const std::string name = e == ex ? "plain" : "strand";
      simloop::timer a(e, 1s);
      EXPECT_EQ(a.get_executor(), e) << name;
      simloop::timer b(std::move(a));
      EXPECT_EQ(b.get_executor(), e) << name;
      EXPECT_FALSE(a.get_executor()) << name << ": a moved-from timer has no executor, as in Asio";
      // Assigned over a timer on the other kind of executor.
      simloop::timer c(e == ex ? on_strand : ex, 5s);
      c = std::move(b);
      EXPECT_EQ(c.get_executor(), e) << name;
      const auto start = simloop::clock::now();
      EXPECT_EQ(c.expiry(), start + 1s) << name;
      co_await c.async_wait(asio::use_awaitable);
      log.push_back(name + " after " + std::to_string((simloop::clock::now() - start) / 1ms) + "ms");
    }
  });
  EXPECT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(log, (std::vector<std::string>{"plain after 1000ms", "strand after 1000ms"}));
}

// A timer lives in its coroutine's frame, and a million suspended tasks have
// one each (tools/bench/memory_bench): on any_io_executor it is 56 bytes,
// not the 104 it took with a whole any_io_executor and a scheduler pointer.
static_assert(sizeof(simloop::timer) <= 56);

// ---- executors ---------------------------------------------------------------------------

TEST(Timer, ConstructibleFromAnyIoExecutorAndStrands) {
  std::vector<std::string> log;
  auto r = run_with(fifo(), [&]() -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;  // any_io_executor
    simloop::timer plain(ex, 1s);
    co_await plain.async_wait(asio::use_awaitable);
    log.push_back("any_io_executor");

    auto strand = asio::make_strand(ex);
    simloop::timer on_strand(strand, 1s);
    on_strand.async_wait([&, strand](error_code ec) {
      // The handler's associated executor is the timer's: the strand.
      log.push_back(strand.running_in_this_thread() && !ec ? "strand" : "not on strand");
    });

    simloop::executor concrete = simloop::simulation::current()->get_executor();
    auto concrete_strand = asio::make_strand(concrete);
    simloop::basic_timer<asio::strand<simloop::executor>> typed(concrete_strand, 2s);
    typed.async_wait([&, concrete_strand](error_code ec) {
      log.push_back(concrete_strand.running_in_this_thread() && !ec ? "typed strand" : "not on typed strand");
    });

    simloop::basic_timer<simloop::executor> direct(concrete, 3s);
    co_await direct.async_wait(asio::use_awaitable);
    log.push_back("simloop::executor");
  });
  EXPECT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(log, (std::vector<std::string>{"any_io_executor", "strand", "typed strand", "simloop::executor"}));
}

TEST(Timer, HandlerBoundToAStrandCompletesOnIt) {
  bool on_strand = false;
  auto r = run_with(seeded(2), [&]() -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    auto strand = asio::make_strand(ex);
    simloop::timer t(ex, 1s);
    t.async_wait(asio::bind_executor(strand, [&, strand](error_code) { on_strand = strand.running_in_this_thread(); }));
    co_await simloop::sleep_for(2s);
  });
  EXPECT_TRUE(r.ok()) << r.describe();
  EXPECT_TRUE(on_strand);
}

TEST(Timer, ForeignExecutorIsRejected) {
  asio::io_context io;
  try {
    simloop::timer t(io.get_executor(), 1s);
    FAIL() << "a timer on an io_context executor must be rejected";
  } catch (const std::invalid_argument& e) {
    EXPECT_TRUE(contains(e.what(), "simloop::timer needs an executor of a simloop::simulation")) << e.what();
    EXPECT_TRUE(contains(e.what(), "asio::steady_timer")) << e.what();
  }
  auto strand = asio::make_strand(io);
  EXPECT_THROW(simloop::timer(strand, 1s), std::invalid_argument);
}

TEST(Timer, UsedAfterItsSimulationIsGoneThrowsLogicError) {
  std::optional<simloop::timer> t;
  {
    simloop::simulation sim;
    t.emplace(sim.get_executor(), 5s);
  }
  EXPECT_EQ(t->expiry().time_since_epoch(), 5s);
  EXPECT_THROW(t->cancel(), std::logic_error);
  EXPECT_THROW(t->cancel_one(), std::logic_error);
  EXPECT_THROW(t->expires_after(1s), std::logic_error);
  EXPECT_THROW(t->expires_at(simloop::clock::time_point(1s)), std::logic_error);
  try {
    t->async_wait([](error_code) {});
    FAIL() << "async_wait on a timer whose simulation is gone must throw";
  } catch (const std::logic_error& e) {
    EXPECT_TRUE(contains(e.what(), "simloop::timer used after its simulation was destroyed")) << e.what();
  }
  t.reset();  // and its destruction is harmless
}

TEST(Timer, TimerWithPendingWaitOutlivedBySimulationTeardown) {
  // A timer declared outside the run, with a wait pending when the run ends:
  // the simulation's teardown destroys the wait; the timer can still be
  // destroyed afterwards.
  std::optional<simloop::timer> t;
  bool called = false;
  {
    simloop::simulation sim(fifo());
    auto r = sim.run([&]() -> asio::awaitable<void> {
      t.emplace(co_await asio::this_coro::executor, 1h);
      t->async_wait([&](error_code) { called = true; });
      co_return;
    }());
    // The wait outlives every task: the leak detector reports it, and the
    // teardown destroys it without calling the handler.
    ASSERT_EQ(r.findings.size(), 1u) << r.describe();
    EXPECT_EQ(r.findings[0].kind, simloop::finding_kind::leaked_task);
    EXPECT_NE(r.findings[0].message.find("leaked timer wait"), std::string::npos) << r.describe();
  }
  EXPECT_FALSE(called);
  EXPECT_THROW(t->cancel(), std::logic_error);
  t.reset();
}

}  // namespace
