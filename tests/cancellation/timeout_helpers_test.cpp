// simloop::timeout / with_deadline in the programs asyncio users write:
// wait_for on a queue get, retry with exponential backoff.
#include <simloop/simloop.hpp>
#include <simloop/queue.hpp>
#include <simloop/random.hpp>
#include <simloop/timeout.hpp>

#include <gtest/gtest.h>

#include <vector>

using namespace std::chrono_literals;

namespace {

constexpr int items = 10;

// Fixed: simloop::queue's get is cancellation-safe (a cancelled get never
// consumes an item).
asio::awaitable<int> get_item(simloop::queue<int>& q) {
  co_return co_await q.async_get(asio::use_awaitable);
}

// The mutant: takes the item, then "decodes" it for a while; a timeout that
// fires during the decode cancels it and the item is gone.
asio::awaitable<int> get_and_decode(simloop::queue<int>& q) {
  int v = co_await q.async_get(asio::use_awaitable);
  co_await simloop::sleep_for(std::chrono::milliseconds(simloop::random_below(50)));
  co_return v;
}

template <class Get>
asio::awaitable<void> consume_with_timeouts(Get get) {
  auto ex = co_await asio::this_coro::executor;
  simloop::queue<int> q(ex);
  bool produced = false;
  asio::co_spawn(
      ex,
      [&]() -> asio::awaitable<void> {
        for (int i = 0; i < items; ++i) {
          co_await simloop::sleep_for(std::chrono::milliseconds(simloop::random_below(300)));
          co_await q.async_put(i, asio::use_awaitable);
        }
        produced = true;
      },
      asio::detached);
  std::vector<int> got;
  while (!(produced && q.empty())) {
    try {
      auto one = get(q);
      int v = co_await simloop::with_deadline(simloop::clock::now() + 100ms, std::move(one));
      got.push_back(v);
    } catch (const boost::system::system_error& e) {
      SIMLOOP_ASSERT(e.code() == simloop::error::timed_out);
    }
  }
  SIMLOOP_ASSERT(got.size() == items);
}

simloop::report explore(std::function<asio::awaitable<void>()> body, simloop::strategy s, std::uint64_t runs) {
  simloop::explore_options eo;
  eo.runs = runs;
  eo.strategy = s;
  eo.use_environment = false;
  return simloop::explore(eo, std::move(body));
}

}  // namespace

TEST(TimeoutHelpers, WaitForOnQueueGetLosesNothing) {
  for (auto s : {simloop::strategy::random, simloop::strategy::pct}) {
    simloop::report r = explore([] { return consume_with_timeouts(get_item); }, s, 1000);
    EXPECT_TRUE(r.ok()) << r.describe();
    EXPECT_EQ(r.runs, 1000u);
  }
}

TEST(TimeoutHelpers, WaitForOnGetThenDecodeLosesAnItem) {
  for (auto s : {simloop::strategy::random, simloop::strategy::pct}) {
    simloop::report r = explore([] { return consume_with_timeouts(get_and_decode); }, s, 1000);
    ASSERT_FALSE(r.ok()) << simloop::to_string(s);
    EXPECT_NE(r.findings[0].message.find("simloop: assertion failed: SIMLOOP_ASSERT(got.size() == items) (seed "),
              std::string::npos)
        << r.describe();
    std::cout << simloop::to_string(s) << ": lost an item at run " << r.runs << "\n";
  }
}

TEST(TimeoutHelpers, RetryWithExponentialBackoffTakesExactlyTheSumOfDelays) {
  simloop::simulation sim({.seed = 7});
  simloop::report r = sim.run([]() -> asio::awaitable<void> {
    int attempts = 0;
    auto flaky = [&attempts]() -> asio::awaitable<int> {
      if (++attempts < 5) throw std::runtime_error("unavailable");
      co_return 42;
    };
    auto start = simloop::clock::now();
    auto delay = 100ms;
    int result = 0;
    for (;;) {
      try {
        auto call = flaky();
        result = co_await simloop::timeout(1s, std::move(call));
        break;
      } catch (const std::runtime_error&) {
      }
      co_await simloop::sleep_for(delay);
      delay *= 2;
    }
    SIMLOOP_ASSERT(result == 42);
    SIMLOOP_ASSERT(attempts == 5);
    SIMLOOP_ASSERT(simloop::clock::now() - start == 100ms + 200ms + 400ms + 800ms);
  }());
  EXPECT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(r.virtual_elapsed, 1500ms);
}

namespace {

// Notes whether cancellation had been emitted on it by the time its timer's
// completion resumed it.
asio::awaitable<int> answer_after(std::chrono::nanoseconds d, bool& cancelled_meanwhile) {
  co_await simloop::sleep_for(d);
  auto state = co_await asio::this_coro::cancellation_state;
  cancelled_meanwhile = state.cancelled() != asio::cancellation_type::none;
  co_return 42;
}

}  // namespace

TEST(TimeoutHelpers, OperationThatCompletedDespiteTheDeadlineKeepsItsResult) {
  // The operation's timer and the deadline expire at the same instant: which
  // completion runs first is the strategy's choice. When the deadline's runs
  // first, its cancellation reaches an operation whose completion is already
  // queued (as Asio leaves a timer handler that was due with success): the
  // operation did its work, so its result comes back, never timed_out.
  int deadline_first = 0;
  for (std::uint64_t seed = 0; seed < 200; ++seed) {
    int got = 0;
    bool timed_out = false, cancelled_meanwhile = false;
    simloop::report r = simloop::run_one({.seed = seed, .strategy = simloop::strategy::random},
                                         [&]() -> asio::awaitable<void> {
                                           try {
                                             auto op = answer_after(1s, cancelled_meanwhile);
                                             got = co_await simloop::timeout(1s, std::move(op));
                                           } catch (const boost::system::system_error&) {
                                             timed_out = true;
                                           }
                                         });
    ASSERT_TRUE(r.ok()) << r.describe();
    EXPECT_FALSE(timed_out) << "seed " << seed;
    EXPECT_EQ(got, 42) << "seed " << seed;
    if (cancelled_meanwhile) ++deadline_first;
  }
  // The race really went both ways.
  EXPECT_GT(deadline_first, 20);
  EXPECT_LT(deadline_first, 180);
}
