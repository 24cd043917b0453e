#include <simloop/simloop.hpp>

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

using namespace std::chrono_literals;

namespace {

asio::awaitable<void> sleeper(int& done) {
  co_await simloop::sleep_for(5s);
  ++done;
}

}  // namespace

TEST(Smoke, SleepAdvancesVirtualTime) {
  simloop::simulation sim({.seed = 1});
  int done = 0;
  auto r = sim.run([&]() -> asio::awaitable<void> {
    co_await sleeper(done);
    co_await simloop::sleep_for(1h);
  }());
  EXPECT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(done, 1);
  EXPECT_EQ(r.virtual_elapsed, 1h + 5s);
}
