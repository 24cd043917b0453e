// The predictive race detector on tracked<T>.
#include <simloop/tracked.hpp>
#include <simloop/simloop.hpp>

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <memory>

using namespace std::chrono_literals;

namespace {

struct shared_counter {
  simloop::tracked<int> value{0, "counter"};
  int finished = 0;
};

// The seeds' Counter: read, suspend, write back.
asio::awaitable<void> lost_update_body(int tasks) {
  auto ex = co_await asio::this_coro::executor;
  auto c = std::make_shared<shared_counter>();
  for (int i = 0; i < tasks; ++i) {
    asio::co_spawn(
        ex,
        [c]() -> asio::awaitable<void> {
          co_await simloop::yield();
          int current = c->value.read();
          co_await simloop::yield();
          c->value.write(current + 1);
          ++c->finished;
        },
        asio::detached);
  }
  while (c->finished < tasks) co_await simloop::sleep_for(1ms);
}

simloop::report run(std::uint64_t seed, asio::awaitable<void> body, simloop::strategy s = simloop::strategy::random) {
  simloop::simulation sim({.seed = seed, .strategy = s});
  return sim.run(std::move(body));
}

}  // namespace

TEST(RaceDetector, LostUpdateReportedOnEverySeed) {
  int seeds_with_right_value = 0;
  for (std::uint64_t seed = 0; seed < 300; ++seed) {
    auto r = run(seed, lost_update_body(2));
    ASSERT_TRUE(r.has(simloop::finding_kind::race)) << "seed " << seed;
    ASSERT_EQ(r.findings.size(), 1u) << r.describe();
    (void)seeds_with_right_value;
  }
}

TEST(RaceDetector, MessageNamesVariableTasksSitesAndSuspension) {
  auto r = run(1, lost_update_body(2), simloop::strategy::fifo);
  ASSERT_EQ(r.findings.size(), 1u);
  const std::string& m = r.findings[0].message;
  std::cout << m;
  EXPECT_NE(m.find("simloop: race on tracked 'counter'"), std::string::npos) << m;
  EXPECT_NE(m.find("variable     counter"), std::string::npos) << m;
  EXPECT_NE(m.find("read at      races/detector_test.cpp:"), std::string::npos) << m;
  EXPECT_NE(m.find("wrote at     races/detector_test.cpp:"), std::string::npos) << m;
  EXPECT_NE(m.find("suspended    after step"), std::string::npos) << m;
  EXPECT_NE(m.find("replay: SIMLOOP_SEED="), std::string::npos) << m;
}
