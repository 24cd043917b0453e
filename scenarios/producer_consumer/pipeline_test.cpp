#include "pipeline.hpp"

#include <simloop/simloop.hpp>

#include <boost/asio/io_context.hpp>

#include <gtest/gtest.h>

#include <algorithm>

namespace pc = scenarios::producer_consumer;

TEST(ProducerConsumer, ProcessesEveryItemOnARealIoContext) {
  asio::io_context io;
  std::vector<int> processed;
  asio::co_spawn(io, pc::run(pc::config{.items = 20, .workers = 4, .capacity = 2, .work = std::chrono::milliseconds(0), .sentinels = 4}),
                 [&](std::exception_ptr e, std::vector<int> r) {
                   ASSERT_FALSE(e);
                   processed = std::move(r);
                 });
  io.run();
  std::sort(processed.begin(), processed.end());
  ASSERT_EQ(processed.size(), 20u);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(processed[i], i);
}

TEST(ProducerConsumer, WorkersShareTheLoadInVirtualTime) {
  // 12 items of 5 ms over 3 workers: 20 ms of virtual time, not 60.
  simloop::simulation sim({.seed = 7});
  std::vector<int> processed;
  auto r = sim.run([&]() -> asio::awaitable<void> { processed = co_await pc::run(pc::config{}); }());
  EXPECT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(processed.size(), 12u);
  EXPECT_EQ(r.virtual_elapsed, std::chrono::milliseconds(20));
}

TEST(ProducerConsumer, MissingSentinelIsADeadlockNamingTheWait) {
  simloop::simulation sim({.seed = 1});
  auto r = sim.run([]() -> asio::awaitable<void> { (void)co_await pc::run(pc::config{.sentinels = 2}); }());
  ASSERT_TRUE(r.has(simloop::finding_kind::deadlock)) << r.describe();
  EXPECT_NE(r.findings.front().message.find("deadlock"), std::string::npos);
}
