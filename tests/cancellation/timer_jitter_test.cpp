// Timer jitter (options::timer_jitter): a timer fires at a strategy-chosen
// instant in [deadline, deadline + jitter].
#include <simloop/simloop.hpp>
#include <simloop/timeout.hpp>

#include <gtest/gtest.h>

#include <set>
#include <stdexcept>

using namespace std::chrono_literals;

namespace {

// The timing-fragile assumption: a 1s sleep always beats a 1.005s
// timeout. True on an idle machine; with timers 10ms late it is not.
asio::awaitable<void> sleep_beats_close_deadline() {
  bool timed_out = false;
  try {
    auto nap = simloop::sleep_for(1000ms);
    co_await simloop::timeout(1005ms, std::move(nap));
  } catch (const boost::system::system_error& e) {
    timed_out = e.code() == simloop::error::timed_out;
  }
  SIMLOOP_ASSERT(!timed_out);
}

simloop::report explore(simloop::strategy s, std::uint64_t runs, std::chrono::nanoseconds jitter) {
  simloop::explore_options eo;
  eo.runs = runs;
  eo.strategy = s;
  eo.use_environment = false;
  eo.base.timer_jitter = jitter;
  return simloop::explore(eo, [] { return sleep_beats_close_deadline(); });
}

}  // namespace

TEST(TimerJitter, FindsTimingFragileTimeout) {
  for (auto s : {simloop::strategy::random, simloop::strategy::pct}) {
    simloop::report r = explore(s, 1000, 10ms);
    ASSERT_FALSE(r.ok()) << simloop::to_string(s);
    EXPECT_NE(r.findings[0].message.find("SIMLOOP_ASSERT(!timed_out)"), std::string::npos) << r.describe();
    EXPECT_LT(r.runs, 100u);
    std::cout << simloop::to_string(s) << ": found at run " << r.runs << "\n";
  }
}

TEST(TimerJitter, NeverFoundWithJitterOffOrUnderFifo) {
  for (auto s : {simloop::strategy::random, simloop::strategy::pct}) {
    simloop::report r = explore(s, 1000, 0ms);
    EXPECT_TRUE(r.ok()) << r.describe();
    EXPECT_EQ(r.runs, 1000u);
  }
  for (std::uint64_t seed = 0; seed < 100; ++seed) {
    simloop::report r = simloop::run_one({.seed = seed, .strategy = simloop::strategy::fifo, .timer_jitter = 10ms},
                                         [] { return sleep_beats_close_deadline(); });
    EXPECT_TRUE(r.ok()) << r.describe();
    EXPECT_TRUE(r.choices.empty());
  }
}

TEST(TimerJitter, FiresWithinTheJitterAndReplays) {
  std::set<std::int64_t> ends;
  auto body = []() -> asio::awaitable<void> { co_await simloop::sleep_for(1s); };
  for (std::uint64_t seed = 0; seed < 200; ++seed) {
    simloop::report r = simloop::run_one({.seed = seed, .timer_jitter = 10ms}, body);
    ASSERT_TRUE(r.ok()) << r.describe();
    EXPECT_GE(r.virtual_elapsed, 1s);
    EXPECT_LE(r.virtual_elapsed, 1010ms);
    ends.insert(r.virtual_elapsed.count());
    simloop::report again =
        simloop::run_one({.strategy = simloop::strategy::replay, .choices = r.choices, .timer_jitter = 10ms}, body);
    EXPECT_EQ(again.trace_hash, r.trace_hash);
    EXPECT_EQ(again.virtual_elapsed, r.virtual_elapsed);
  }
  EXPECT_GT(ends.size(), 100u);  // the instant really is chosen
  // Off: exactly on time, no decision drawn.
  simloop::report off = simloop::run_one({.seed = 3}, body);
  EXPECT_EQ(off.virtual_elapsed, 1s);
  EXPECT_TRUE(off.choices.empty());
}

TEST(TimerJitter, NegativeJitterIsRejected) {
  try {
    simloop::validate({.timer_jitter = -1ms});
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("simloop::options::timer_jitter must not be negative"), std::string::npos);
  }
}
