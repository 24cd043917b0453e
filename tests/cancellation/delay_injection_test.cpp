// Delay injection (options::delay_one_in): virtual time may jump to the next
// timer deadline although steps are ready, so a timer can fire "before" work
// that was already runnable.
#include <simloop/simloop.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <vector>

using namespace std::chrono_literals;

namespace {

// The bug: the body assumes its initialisation task, runnable at once, has
// run before a 1ms timer fires. Without delay injection it always has
// (virtual time moves only when nothing is ready); a slow step breaks it.
asio::awaitable<void> use_before_init() {
  auto ex = co_await asio::this_coro::executor;
  const int* config = nullptr;
  static const int value = 42;
  asio::co_spawn(
      ex,
      [&config]() -> asio::awaitable<void> {
        co_await simloop::yield();
        config = &value;
      },
      asio::detached);
  co_await simloop::sleep_for(1ms);
  SIMLOOP_ASSERT(config != nullptr);
  co_await simloop::yield();  // let the init task finish in every schedule
}

simloop::report explore(simloop::strategy s, std::uint64_t runs, std::uint32_t delay_one_in) {
  simloop::explore_options eo;
  eo.runs = runs;
  eo.strategy = s;
  eo.base.delay_one_in = delay_one_in;
  eo.use_environment = false;
  return simloop::explore(eo, [] { return use_before_init(); });
}

}  // namespace

TEST(DelayInjection, FindsTimerFiringBeforeRunnableInit) {
  for (auto s : {simloop::strategy::random, simloop::strategy::pct}) {
    simloop::report r = explore(s, 5000, 200);  // the default probability
    ASSERT_FALSE(r.ok()) << simloop::to_string(s);
    EXPECT_EQ(r.findings[0].kind, simloop::finding_kind::assertion) << r.describe();
    EXPECT_NE(r.findings[0].message.find("simloop: assertion failed: SIMLOOP_ASSERT(config != nullptr) (seed "), std::string::npos)
        << r.findings[0].message;
    EXPECT_EQ(r.virtual_elapsed, 1ms);
    EXPECT_LT(r.runs, 5000u);
    std::cout << simloop::to_string(s) << ": found at run " << r.runs << "\n";
  }
}

TEST(DelayInjection, NeverFoundWithInjectionOff) {
  for (auto s : {simloop::strategy::random, simloop::strategy::pct}) {
    simloop::report r = explore(s, 1000, 0);
    EXPECT_TRUE(r.ok()) << r.describe();
    EXPECT_EQ(r.runs, 1000u);
  }
}

TEST(DelayInjection, NeverUnderFifo) {
  for (std::uint64_t seed = 0; seed < 100; ++seed) {
    simloop::simulation sim({.seed = seed, .strategy = simloop::strategy::fifo, .delay_one_in = 2});
    EXPECT_TRUE(sim.run(use_before_init()).ok());
  }
}

TEST(DelayInjection, ReplaysFromChoices) {
  simloop::report found = explore(simloop::strategy::random, 5000, 2);
  ASSERT_FALSE(found.ok());
  simloop::simulation sim({.strategy = simloop::strategy::replay, .choices = found.choices, .delay_one_in = 2});
  simloop::report again = sim.run(use_before_init());
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.trace_hash, found.trace_hash);
}

namespace {

// A body with one timer armed 50ms ahead that then yields ten times, alone:
// every yield is a step where delay injection may jump, and no step has a
// second ready step to choose from, so the replayed list holds only delay
// decisions. Returns the virtual time each yield came back at.
std::vector<std::chrono::nanoseconds> yield_times(std::vector<std::uint32_t> choices) {
  std::vector<std::chrono::nanoseconds> times;
  simloop::simulation sim({.strategy = simloop::strategy::replay, .choices = std::move(choices), .delay_one_in = 200});
  simloop::report r = sim.run([&]() -> asio::awaitable<void> {
    simloop::timer t(co_await asio::this_coro::executor);
    t.expires_after(50ms);
    t.async_wait([](boost::system::error_code) {});
    for (int i = 0; i < 10; ++i) {
      co_await simloop::yield();
      times.push_back(simloop::clock::now().time_since_epoch());
    }
  }());
  EXPECT_TRUE(r.ok()) << r.describe();
  return times;
}

}  // namespace

// The gap to the next jump is one decision: g in 1..2n-1 jumps before the
// g-th eligible step; 0 (the default, and replay past the end) lets 2n
// eligible steps pass without one.
TEST(DelayInjection, TheGapToTheNextJumpIsOneDecision) {
  for (std::uint32_t g : {1u, 3u, 7u}) {
    std::vector<std::chrono::nanoseconds> times = yield_times({g});
    ASSERT_EQ(times.size(), 10u);
    for (std::uint32_t i = 0; i < 10; ++i)
      EXPECT_EQ(times[i], i + 1 < g ? 0ms : 50ms) << "gap " << g << ", yield " << i + 1;
  }
  for (const std::vector<std::uint32_t>& none : {std::vector<std::uint32_t>{}, std::vector<std::uint32_t>{0}}) {
    std::vector<std::chrono::nanoseconds> times = yield_times(none);
    ASSERT_EQ(times.size(), 10u);
    for (std::chrono::nanoseconds t : times) EXPECT_EQ(t, 0ms);
  }
}
