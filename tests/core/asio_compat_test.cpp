// Unmodified Asio code on the simulation's executor: co_spawn, awaitable
// operators, parallel groups, channels, strands, post/dispatch/defer,
// cancellation slots, use_promise and deferred. Each test checks values and
// ordering, not only that the code compiles.
#include "support.hpp"

#include <gtest/gtest.h>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/defer.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/experimental/channel.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/experimental/promise.hpp>
#include <boost/asio/experimental/use_promise.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>

#include <array>
#include <set>
#include <memory>
#include <stdexcept>
#include <string>
#include <tuple>
#include <variant>
#include <vector>

using namespace std::chrono_literals;
using simloop_test::fifo;
using simloop_test::run_with;
using simloop_test::seeded;
using simloop_test::vnow;

namespace {

asio::awaitable<int> answer() {
  co_await simloop::yield();
  co_return 42;
}

asio::awaitable<int> fails_after(std::chrono::nanoseconds d) {
  co_await simloop::sleep_for(d);
  throw std::runtime_error("fails_after: planned failure");
}

// Sleeps d, then returns v. Records in *aborted when its sleep was cancelled.
asio::awaitable<int> value_after(std::chrono::nanoseconds d, int v, bool* aborted = nullptr) {
  try {
    co_await simloop::sleep_for(d);
  } catch (const boost::system::system_error& e) {
    if (aborted && e.code() == asio::error::operation_aborted) *aborted = true;
    throw;
  }
  co_return v;
}

// ---- co_spawn ---------------------------------------------------------------

TEST(AsioCompat, CoSpawnReturnsValueToAwaitingCoroutine) {
  int got = 0;
  auto r = run_with(fifo(), [&]() -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    got = co_await asio::co_spawn(ex, answer(), asio::use_awaitable);
  });
  EXPECT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(got, 42);
}

TEST(AsioCompat, CoSpawnReturnsValueToCallback) {
  int got = 0;
  bool had_exception = true;
  auto r = run_with(fifo(), [&]() -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    asio::co_spawn(ex, answer(), [&](std::exception_ptr e, int v) {
      had_exception = e != nullptr;
      got = v;
    });
    co_return;
  });
  EXPECT_TRUE(r.ok()) << r.describe();
  EXPECT_FALSE(had_exception);
  EXPECT_EQ(got, 42);
}

TEST(AsioCompat, CoSpawnPropagatesExceptionToAwaitingCoroutine) {
  std::string caught;
  auto r = run_with(fifo(), [&]() -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    try {
      co_await asio::co_spawn(ex, fails_after(1s), asio::use_awaitable);
    } catch (const std::runtime_error& e) {
      caught = e.what();
    }
  });
  EXPECT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(caught, "fails_after: planned failure");
  EXPECT_EQ(r.virtual_elapsed, 1s);
}

TEST(AsioCompat, CoSpawnPassesExceptionToCallback) {
  std::string caught;
  auto r = run_with(fifo(), [&]() -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    asio::co_spawn(ex, fails_after(2s), [&](std::exception_ptr e, int) {
      try {
        if (e) std::rethrow_exception(e);
      } catch (const std::runtime_error& err) {
        caught = err.what();
      }
    });
    // The run ends when the body is done and nothing is ready: stay until
    // the task has failed.
    co_await simloop::sleep_for(3s);
  });
  EXPECT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(caught, "fails_after: planned failure");
  EXPECT_EQ(r.virtual_elapsed, 3s);
}

TEST(AsioCompat, CoSpawnedTasksRunConcurrently) {
  // Three tasks each sleeping 1s finish at t=1s, not 3s.
  int done = 0;
  auto r = run_with(seeded(7), [&]() -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    for (int i = 0; i < 3; ++i)
      asio::co_spawn(ex, simloop::sleep_for(1s), [&](std::exception_ptr e) { done += e ? 100 : 1; });
    co_await simloop::sleep_for(1s);
    co_await simloop::yield();
    co_await simloop::yield();
    co_await simloop::yield();
  });
  EXPECT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(done, 3);
  EXPECT_EQ(r.virtual_elapsed, 1s);
}

// ---- awaitable operators ------------------------------------------------------

TEST(AsioCompat, OrOperatorReturnsTheFirstAndCancelsTheOther) {
  using namespace asio::experimental::awaitable_operators;
  std::size_t index = 99;
  int value = 0;
  bool loser_aborted = false;
  std::chrono::nanoseconds finished_at{};
  auto r = run_with(fifo(), [&]() -> asio::awaitable<void> {
    auto race = value_after(2s, 2, &loser_aborted) || value_after(1s, 1);
    std::variant<int, int> result = co_await std::move(race);
    index = result.index();
    value = index == 0 ? std::get<0>(result) : std::get<1>(result);
    finished_at = vnow();
  });
  EXPECT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(index, 1u);
  EXPECT_EQ(value, 1);
  EXPECT_EQ(finished_at, 1s);
  // The loser was cancelled, not waited for: time never reached 2s.
  EXPECT_TRUE(loser_aborted);
  EXPECT_EQ(r.virtual_elapsed, 1s);
}

TEST(AsioCompat, AndOperatorWaitsForBoth) {
  using namespace asio::experimental::awaitable_operators;
  std::tuple<int, int> values{};
  auto r = run_with(fifo(), [&]() -> asio::awaitable<void> {
    auto both = value_after(2s, 2) && value_after(3s, 3);
    values = co_await std::move(both);
  });
  EXPECT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(values, std::make_tuple(2, 3));
  EXPECT_EQ(r.virtual_elapsed, 3s);
}

TEST(AsioCompat, AndOperatorCancelsTheOtherOnException) {
  using namespace asio::experimental::awaitable_operators;
  std::string caught;
  bool other_aborted = false;
  auto r = run_with(fifo(), [&]() -> asio::awaitable<void> {
    auto both = fails_after(1s) && value_after(10s, 10, &other_aborted);
    // The failure cancels the other operand, which then fails too
    // (operation_aborted): Asio reports both as multiple_exceptions whose
    // first_exception() is the left operand's.
    try {
      co_await std::move(both);
    } catch (const asio::multiple_exceptions& e) {
      try {
        std::rethrow_exception(e.first_exception());
      } catch (const std::runtime_error& first) {
        caught = first.what();
      }
    }
  });
  EXPECT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(caught, "fails_after: planned failure");
  EXPECT_TRUE(other_aborted);
  EXPECT_EQ(r.virtual_elapsed, 1s);
}

// ---- parallel groups ----------------------------------------------------------

TEST(AsioCompat, ParallelGroupWaitForAllReportsCompletionOrder) {
  std::array<std::size_t, 2> order{};
  boost::system::error_code e1 = asio::error::fault, e2 = asio::error::fault;
  auto r = run_with(fifo(), [&]() -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    simloop::timer slow(ex, 2s), fast(ex, 1s);
    auto group = asio::experimental::make_parallel_group(slow.async_wait(asio::deferred), fast.async_wait(asio::deferred));
    auto result = co_await group.async_wait(asio::experimental::wait_for_all(), asio::use_awaitable);
    order = std::get<0>(result);
    e1 = std::get<1>(result);
    e2 = std::get<2>(result);
  });
  EXPECT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(order, (std::array<std::size_t, 2>{1, 0}));
  EXPECT_FALSE(e1);
  EXPECT_FALSE(e2);
  EXPECT_EQ(r.virtual_elapsed, 2s);
}

TEST(AsioCompat, ParallelGroupWaitForOneCancelsTheRest) {
  std::array<std::size_t, 2> order{};
  boost::system::error_code e_slow, e_fast = asio::error::fault;
  auto r = run_with(fifo(), [&]() -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    simloop::timer slow(ex, 1h), fast(ex, 1s);
    auto group = asio::experimental::make_parallel_group(slow.async_wait(asio::deferred), fast.async_wait(asio::deferred));
    auto result = co_await group.async_wait(asio::experimental::wait_for_one(), asio::use_awaitable);
    order = std::get<0>(result);
    e_slow = std::get<1>(result);
    e_fast = std::get<2>(result);
  });
  EXPECT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(order, (std::array<std::size_t, 2>{1, 0}));
  EXPECT_EQ(e_slow, asio::error::operation_aborted);
  EXPECT_FALSE(e_fast);
  EXPECT_EQ(r.virtual_elapsed, 1s);
}

// ---- channels -------------------------------------------------------------------
// Avoided on purpose (Asio 1.81 bugs, see ASIO-FACTS): cancelling a receive
// on a buffered channel, `||` over two receives, close() with buffered values.

using int_channel = asio::experimental::channel<void(boost::system::error_code, int)>;

TEST(AsioCompat, UnbufferedChannelHandsOverEveryValueInOrder) {
  for (std::uint64_t seed = 0; seed < 20; ++seed) {
    std::vector<int> received;
    std::vector<std::pair<int, std::size_t>> sent_when;  // value, received.size() when its send completed
    auto r = run_with(seeded(seed), [&]() -> asio::awaitable<void> {
      auto ex = co_await asio::this_coro::executor;
      int_channel ch(ex, 0);
      asio::co_spawn(
          ex,
          [&]() -> asio::awaitable<void> {
            for (int i = 1; i <= 5; ++i) {
              co_await ch.async_send(boost::system::error_code{}, i, asio::use_awaitable);
              sent_when.emplace_back(i, received.size());
            }
          },
          asio::detached);
      for (int i = 0; i < 5; ++i) {
        int v = co_await ch.async_receive(asio::use_awaitable);
        received.push_back(v);
        co_await simloop::yield();
      }
      co_await simloop::sleep_for(1s);  // let the sender observe its last completion
    });
    EXPECT_TRUE(r.ok()) << r.describe();
    EXPECT_EQ(received, (std::vector<int>{1, 2, 3, 4, 5})) << "seed " << seed;
    ASSERT_EQ(sent_when.size(), 5u) << "seed " << seed;
    // Unbuffered: a send completes only once its value was taken, so the
    // receiver had already taken value i (possibly not yet recorded it).
    for (auto [value, seen] : sent_when) EXPECT_GE(seen + 1, static_cast<std::size_t>(value)) << "seed " << seed;
  }
}

TEST(AsioCompat, BufferedChannelSendsWithoutWaitingUntilFull) {
  std::vector<std::chrono::nanoseconds> send_done;
  std::vector<int> received;
  auto r = run_with(fifo(), [&]() -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    int_channel ch(ex, 3);
    asio::co_spawn(
        ex,
        [&]() -> asio::awaitable<void> {
          for (int i = 1; i <= 4; ++i) {
            co_await ch.async_send(boost::system::error_code{}, i, asio::use_awaitable);
            send_done.push_back(vnow());
          }
        },
        asio::detached);
    co_await simloop::sleep_for(5s);
    EXPECT_TRUE(ch.ready());
    for (int i = 0; i < 4; ++i) {
      int v = co_await ch.async_receive(asio::use_awaitable);
      received.push_back(v);
    }
    co_await simloop::yield();
    // try_send succeeds while there is room, and the value is buffered.
    bool sent = ch.try_send(boost::system::error_code{}, 99);
    EXPECT_TRUE(sent);
    int last = co_await ch.async_receive(asio::use_awaitable);
    received.push_back(last);
  });
  EXPECT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(received, (std::vector<int>{1, 2, 3, 4, 99}));
  ASSERT_EQ(send_done.size(), 4u);
  // Three sends fit the buffer at t=0; the fourth waits for the receiver at 5s.
  EXPECT_EQ(send_done[0], 0s);
  EXPECT_EQ(send_done[1], 0s);
  EXPECT_EQ(send_done[2], 0s);
  EXPECT_EQ(send_done[3], 5s);
}

// ---- strands --------------------------------------------------------------------

TEST(AsioCompat, StrandKeepsItsHandlersInOrderUnderEverySchedule) {
  for (std::uint64_t seed = 0; seed < 30; ++seed) {
    std::vector<std::string> log;
    bool inside_strand = false;
    auto r = run_with(seeded(seed), [&]() -> asio::awaitable<void> {
      auto ex = co_await asio::this_coro::executor;
      auto strand = asio::make_strand(ex);
      for (int i = 0; i < 4; ++i) {
        asio::post(strand, [&, i] {
          inside_strand = strand.running_in_this_thread();
          log.push_back("s" + std::to_string(i));
        });
        asio::post(ex, [&, i] { log.push_back("p" + std::to_string(i)); });
      }
      co_await simloop::sleep_for(1s);
    });
    EXPECT_TRUE(r.ok()) << r.describe();
    ASSERT_EQ(log.size(), 8u);
    std::vector<std::string> strand_order;
    for (auto& e : log)
      if (e[0] == 's') strand_order.push_back(e);
    EXPECT_EQ(strand_order, (std::vector<std::string>{"s0", "s1", "s2", "s3"})) << "seed " << seed;
    EXPECT_TRUE(inside_strand);
  }
}

TEST(AsioCompat, CoroutinesOnAStrandResumeThroughIt) {
  std::vector<int> log;
  auto r = run_with(seeded(3), [&]() -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    auto strand = asio::make_strand(ex);
    auto worker = [&](int id) -> asio::awaitable<void> {
      for (int i = 0; i < 3; ++i) {
        auto self = co_await asio::this_coro::executor;
        EXPECT_TRUE(self.target<asio::strand<asio::any_io_executor>>() != nullptr);
        log.push_back(id);
        co_await simloop::sleep_for(1s);
      }
    };
    asio::co_spawn(strand, worker(1), asio::detached);
    asio::co_spawn(strand, worker(2), asio::detached);
    co_await simloop::sleep_for(10s);
  });
  EXPECT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(log.size(), 6u);
  EXPECT_EQ(r.virtual_elapsed, 10s);
}

// ---- post / dispatch / defer ----------------------------------------------------

TEST(AsioCompat, DispatchInsideAStepRunsInlinePostAndDeferDoNot) {
  std::vector<std::string> log;
  auto r = run_with(fifo(), [&]() -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    asio::post(ex, [&] { log.push_back("post"); });
    asio::dispatch(ex, [&] { log.push_back("dispatch"); });
    asio::defer(ex, [&] { log.push_back("defer"); });
    log.push_back("body");
    EXPECT_EQ(log, (std::vector<std::string>{"dispatch", "body"}));
    co_await simloop::yield();
    log.push_back("after yield");
  });
  EXPECT_TRUE(r.ok()) << r.describe();
  // FIFO: the queued handlers run in submission order, before the yield's
  // continuation that was queued after them.
  EXPECT_EQ(log, (std::vector<std::string>{"dispatch", "body", "post", "defer", "after yield"}));
}

TEST(AsioCompat, DispatchOutsideAStepIsQueued) {
  simloop::simulation sim(fifo());
  std::vector<std::string> log;
  asio::dispatch(sim.get_executor(), [&] { log.push_back("dispatched before run"); });
  EXPECT_TRUE(log.empty());
  auto r = sim.run([&]() -> asio::awaitable<void> {
    log.push_back("body");
    co_return;
  }());
  EXPECT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(log, (std::vector<std::string>{"dispatched before run", "body"}));
}

TEST(AsioCompat, CompletionTokensOfPostDispatchDefer) {
  std::vector<std::string> log;
  auto r = run_with(fifo(), [&]() -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    asio::post(ex, [&] { log.push_back("queued first"); });
    co_await asio::post(ex, asio::use_awaitable);
    log.push_back("after post");
    co_await asio::defer(ex, asio::use_awaitable);
    log.push_back("after defer");
    co_await asio::dispatch(ex, asio::use_awaitable);
    log.push_back("after dispatch");
  });
  EXPECT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(log, (std::vector<std::string>{"queued first", "after post", "after defer", "after dispatch"}));
}

TEST(AsioCompat, PostedHandlersOrderFollowsTheStrategy) {
  // FIFO keeps submission order; random explores other orders.
  auto order_of = [](simloop::options o) {
    std::vector<int> log;
    auto r = run_with(o, [&]() -> asio::awaitable<void> {
      auto ex = co_await asio::this_coro::executor;
      for (int i = 0; i < 4; ++i) asio::post(ex, [&log, i] { log.push_back(i); });
      co_return;
    });
    EXPECT_TRUE(r.ok()) << r.describe();
    return log;
  };
  EXPECT_EQ(order_of(fifo()), (std::vector<int>{0, 1, 2, 3}));
  std::set<std::vector<int>> orders;
  for (std::uint64_t seed = 0; seed < 50; ++seed) orders.insert(order_of(seeded(seed)));
  EXPECT_GT(orders.size(), 5u);
}

TEST(AsioCompat, WorkGuardsAndSpawningOntoTheContext) {
  simloop::simulation sim(fifo());
  // Work counting is accepted and answered, but does not decide when a run
  // ends (the body and the ready set do).
  auto guard = asio::make_work_guard(sim);
  EXPECT_TRUE(guard.owns_work());
  EXPECT_EQ(guard.get_executor(), sim.get_executor());
  std::vector<std::string> log;
  auto r = sim.run([&]() -> asio::awaitable<void> {
    asio::co_spawn(sim, [&]() -> asio::awaitable<void> {
      log.push_back("spawned on the context");
      co_return;
    }, asio::detached);
    co_await simloop::yield();
    log.push_back("body");
  }());
  EXPECT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(log, (std::vector<std::string>{"spawned on the context", "body"}));
  guard.reset();
}

// ---- cancellation slots -----------------------------------------------------------

TEST(AsioCompat, BindCancellationSlotCancelsATimerWait) {
  boost::system::error_code got = asio::error::fault;
  std::chrono::nanoseconds completed_at{-1};
  auto r = run_with(fifo(), [&]() -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    asio::cancellation_signal signal;
    simloop::timer t(ex, 1h);
    t.async_wait(asio::bind_cancellation_slot(signal.slot(), [&](boost::system::error_code ec) {
      got = ec;
      completed_at = vnow();
    }));
    co_await simloop::sleep_for(1s);
    signal.emit(asio::cancellation_type::terminal);
    co_await simloop::yield();
  });
  EXPECT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(got, asio::error::operation_aborted);
  EXPECT_EQ(completed_at, 1s);
  EXPECT_EQ(r.virtual_elapsed, 1s);
}

TEST(AsioCompat, BindCancellationSlotCancelsACoSpawnedCoroutine) {
  std::string outcome;
  auto r = run_with(fifo(), [&]() -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    asio::cancellation_signal signal;
    asio::co_spawn(ex, simloop::sleep_for(1h), asio::bind_cancellation_slot(signal.slot(), [&](std::exception_ptr e) {
                     try {
                       if (e) std::rethrow_exception(e);
                       outcome = "completed";
                     } catch (const boost::system::system_error& err) {
                       outcome = err.code() == asio::error::operation_aborted ? "aborted" : err.what();
                     }
                   }));
    co_await simloop::sleep_for(2s);
    signal.emit(asio::cancellation_type::terminal);
    co_await simloop::sleep_for(1s);
  });
  EXPECT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(outcome, "aborted");
  EXPECT_EQ(r.virtual_elapsed, 3s);
}

// ---- use_promise / deferred ---------------------------------------------------------

TEST(AsioCompat, UsePromiseStartsEagerly) {
  std::chrono::nanoseconds resolved_at{-1};
  auto r = run_with(fifo(), [&]() -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    simloop::timer t(ex, 1s);
    auto p = t.async_wait(asio::experimental::use_promise);
    // The wait runs while the coroutine sleeps longer than the timer.
    co_await simloop::sleep_for(3s);
    EXPECT_TRUE(p.completed());
    co_await p(asio::use_awaitable);
    resolved_at = vnow();
  });
  EXPECT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(resolved_at, 3s);
  EXPECT_EQ(r.virtual_elapsed, 3s);
}

TEST(AsioCompat, UsePromiseDeliversTheResultToACallback) {
  boost::system::error_code got = asio::error::fault;
  std::chrono::nanoseconds at{-1};
  auto r = run_with(fifo(), [&]() -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    simloop::timer t(ex, 2s);
    auto p = t.async_wait(asio::experimental::use_promise);
    EXPECT_FALSE(p.completed());
    p([&](boost::system::error_code ec) {
      got = ec;
      at = vnow();
    });
    co_await simloop::sleep_for(5s);
  });
  EXPECT_TRUE(r.ok()) << r.describe();
  EXPECT_FALSE(got);
  EXPECT_EQ(at, 2s);
}

TEST(AsioCompat, DeferredStartsOnlyWhenLaunched) {
  std::chrono::nanoseconds first{-1};
  int composed = 0;
  auto r = run_with(fifo(), [&]() -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    simloop::timer t(ex, 1s);
    auto wait = t.async_wait(asio::deferred);
    // Nothing was started: there is no pending wait to cancel.
    EXPECT_EQ(t.cancel(), 0u);
    co_await std::move(wait);
    first = vnow();

    simloop::timer t2(ex, 2s);
    auto then = [](boost::system::error_code ec) { return asio::deferred.values(ec, 7); };
    auto chained = t2.async_wait(asio::deferred(then));
    composed = co_await std::move(chained)(asio::use_awaitable);
  });
  EXPECT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(first, 1s);
  EXPECT_EQ(composed, 7);
  EXPECT_EQ(r.virtual_elapsed, 3s);
}

}  // namespace
