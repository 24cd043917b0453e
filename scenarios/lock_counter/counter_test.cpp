#include "counter.hpp"

#include <simloop/simloop.hpp>

#include <boost/asio/io_context.hpp>

#include <gtest/gtest.h>

namespace lc = scenarios::lock_counter;

TEST(LockCounter, CountsEveryIncrementOnARealIoContext) {
  asio::io_context io;
  lc::counter c(io.get_executor());
  for (int i = 0; i < 5; ++i) asio::co_spawn(io, c.increment(), asio::detached);
  io.run();
  EXPECT_EQ(c.value(), 5);
}

TEST(LockCounter, RaceIsPredictedEvenWhenTheCountIsRight) {
  // Two unlocked increments that happen not to overlap in this run (the
  // second starts 10 ms later): the count is right, and the race is still
  // reported, because nothing orders the two tasks.
  simloop::simulation sim({.seed = 1});
  int final_value = 0;
  auto r = sim.run([&]() -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    lc::counter c(ex, false);
    auto late = [&]() -> asio::awaitable<void> {
      co_await simloop::sleep_for(std::chrono::milliseconds(10));
      co_await c.increment();
    };
    asio::co_spawn(ex, c.increment(), asio::detached);
    asio::co_spawn(ex, late(), asio::detached);
    co_await simloop::sleep_for(std::chrono::milliseconds(20));
    final_value = c.value();
  }());
  EXPECT_EQ(final_value, 2);
  ASSERT_TRUE(r.has(simloop::finding_kind::race)) << r.describe();
  EXPECT_NE(r.findings.front().message.find("counter.value"), std::string::npos) << r.describe();
}
