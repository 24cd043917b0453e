#include "retry.hpp"
#include "service.hpp"

#include <simloop/simloop.hpp>

#include <gtest/gtest.h>

namespace rb = scenarios::retry_backoff;
using namespace std::chrono_literals;

TEST(RetryBackoff, DelaysDoubleUpToTheCap) {
  rb::policy p{.base = 100ms, .cap = 1s, .jitter = 0};
  EXPECT_EQ(rb::backoff_delay(p, 0), 100ms);
  EXPECT_EQ(rb::backoff_delay(p, 1), 200ms);
  EXPECT_EQ(rb::backoff_delay(p, 3), 800ms);
  EXPECT_EQ(rb::backoff_delay(p, 4), 1s);
  EXPECT_EQ(rb::backoff_delay(p, 30), 1s);
}

TEST(RetryBackoff, TotalVirtualTimeIsTheSumOfDelays) {
  // fifo: random_unit() is 0, so every delay is its lower bound, (1 - jitter) * raw.
  simloop::simulation sim({.strategy = simloop::strategy::fifo});
  rb::flaky_service svc{simloop::clock::time_point(1500ms), 0ms};
  rb::policy p{.base = 100ms, .cap = 10s, .jitter = 0};
  int value = 0;
  auto r = sim.run([&]() -> asio::awaitable<void> {
    auto call = [&] { return svc.get(3); };
    value = co_await rb::retry(call, p);
  }());
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(value, 30);
  // Attempts at 0, 0.1, 0.3, 0.7, 1.5 s: the fifth succeeds.
  EXPECT_EQ(svc.calls, 5);
  EXPECT_EQ(r.virtual_elapsed, 1500ms);
}

TEST(RetryBackoff, PermanentErrorsAreNotRetried) {
  simloop::simulation sim({.seed = 3});
  rb::flaky_service svc{simloop::clock::time_point(0ms)};
  bool threw = false;
  auto r = sim.run([&]() -> asio::awaitable<void> {
    auto call = [&] { return svc.get(-1); };
    try {
      (void)co_await rb::retry(call, rb::policy{});
    } catch (const std::invalid_argument&) {
      threw = true;
    }
  }());
  EXPECT_TRUE(r.ok()) << r.describe();
  EXPECT_TRUE(threw);
  EXPECT_EQ(svc.calls, 1);
}
