#include "offload.hpp"

#include <simloop/simloop.hpp>

#include <boost/asio/io_context.hpp>

#include <gtest/gtest.h>

namespace bo = scenarios::blocking_offload;

TEST(BlockingOffload, RunsOnAPoolThreadOnARealIoContext) {
  asio::io_context io;
  asio::thread_pool pool(1);
  std::thread::id worker, loop = std::this_thread::get_id();
  std::string out;
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    auto work = [&] {
      worker = std::this_thread::get_id();
      return bo::hash_password("pw", false);
    };
    out = co_await bo::to_thread(&pool, work, std::chrono::milliseconds(5));
    EXPECT_EQ(std::this_thread::get_id(), loop);  // resumed on the loop
  }, asio::detached);
  io.run();
  pool.join();
  EXPECT_NE(worker, loop);
  EXPECT_EQ(out, bo::hash_password("pw", false));
}

TEST(BlockingOffload, CostsVirtualTimeInASimulation) {
  simloop::simulation sim({.seed = 2});
  auto r = sim.run([]() -> asio::awaitable<void> {
    auto work = [] { return bo::hash_password("pw", false); };
    std::string h = co_await bo::to_thread(nullptr, work, std::chrono::milliseconds(5));
    SIMLOOP_ASSERT(!h.empty());
  }());
  EXPECT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(r.virtual_elapsed, std::chrono::milliseconds(5));
}
