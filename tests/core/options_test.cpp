// options: defaults, validation (bad input names the field), the parsers
// behind the SIMLOOP_* variables, and the names of enums.
#include "support.hpp"

#include <simloop/detail/environment.hpp>

#include <gtest/gtest.h>

#include <functional>
#include <limits>
#include <stdexcept>
#include <string>

using namespace std::chrono_literals;
using simloop_test::contains;

namespace {

std::string rejection(const simloop::options& o) {
  try {
    simloop::validate(o);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "(accepted)";
}

TEST(Options, Defaults) {
  simloop::options o;
  EXPECT_EQ(o.seed, 0u);
  EXPECT_EQ(o.strategy, simloop::strategy::random);
  EXPECT_EQ(o.pct_depth, 3);
  EXPECT_EQ(o.time_limit, 24h);
  EXPECT_EQ(o.step_limit, 10'000'000u);
  EXPECT_TRUE(o.choices.empty());
  EXPECT_TRUE(o.record_trace);
  EXPECT_EQ(rejection(o), "(accepted)");

  simloop::explore_options eo;
  EXPECT_EQ(eo.first_seed, 0u);
  EXPECT_EQ(eo.runs, 1000u);
  EXPECT_EQ(eo.strategy, simloop::strategy::pct);
}

TEST(Options, DesignatedInitializersOfTheContractCompile) {
  // The spelling of the design document: sim({.seed = 42}).
  simloop::simulation sim({.seed = 42, .strategy = simloop::strategy::pct, .pct_depth = 2});
  EXPECT_EQ(sim.get_options().seed, 42u);
  EXPECT_EQ(sim.get_options().pct_depth, 2);
}

TEST(Options, PctDepthBelowOneIsRejected) {
  for (int depth : {0, -1, std::numeric_limits<int>::min()}) {
    simloop::options o;
    o.pct_depth = depth;
    std::string e = rejection(o);
    EXPECT_TRUE(contains(e, "simloop::options::pct_depth must be >= 1")) << e;
    EXPECT_TRUE(contains(e, std::to_string(depth))) << e;
  }
  simloop::options one;
  one.pct_depth = 1;
  EXPECT_EQ(rejection(one), "(accepted)");
}

TEST(Options, NonPositiveTimeLimitIsRejected) {
  for (auto limit : {std::chrono::nanoseconds(0), std::chrono::nanoseconds(-1), std::chrono::nanoseconds(-5s)}) {
    simloop::options o;
    o.time_limit = limit;
    std::string e = rejection(o);
    EXPECT_TRUE(contains(e, "simloop::options::time_limit must be positive")) << e;
  }
}

TEST(Options, ZeroStepLimitAndZeroPctStepsAreRejected) {
  simloop::options steps;
  steps.step_limit = 0;
  EXPECT_TRUE(contains(rejection(steps), "simloop::options::step_limit must be positive")) << rejection(steps);
  simloop::options pct;
  pct.pct_steps = 0;
  EXPECT_TRUE(contains(rejection(pct), "simloop::options::pct_steps must be positive")) << rejection(pct);
}

TEST(Options, UnknownStrategyValueIsRejected) {
  simloop::options o;
  o.strategy = static_cast<simloop::strategy>(9);
  EXPECT_TRUE(contains(rejection(o), "simloop::options::strategy")) << rejection(o);
}

TEST(Options, SimulationRejectsInvalidOptions) {
  simloop::options o;
  o.pct_depth = 0;
  try {
    simloop::simulation sim(o);
    FAIL() << "a simulation with pct_depth 0 must not be constructed";
  } catch (const std::invalid_argument& e) {
    EXPECT_TRUE(contains(e.what(), "pct_depth")) << e.what();
  }
  simloop::options t;
  t.time_limit = -1s;
  EXPECT_THROW(simloop::simulation{t}, std::invalid_argument);
  simloop::options s;
  s.step_limit = 0;
  EXPECT_THROW(simloop::run_one(s, []() -> asio::awaitable<void> { co_return; }), std::invalid_argument);
}

TEST(Options, ParseU64AcceptsDecimalAndHex) {
  using simloop::detail::parse_u64;
  EXPECT_EQ(parse_u64("V", "0"), 0u);
  EXPECT_EQ(parse_u64("V", "42"), 42u);
  EXPECT_EQ(parse_u64("V", "0x2a"), 42u);
  EXPECT_EQ(parse_u64("V", "0X2A"), 42u);
  EXPECT_EQ(parse_u64("V", "18446744073709551615"), std::numeric_limits<std::uint64_t>::max());
  EXPECT_EQ(parse_u64("V", "0xffffffffffffffff"), std::numeric_limits<std::uint64_t>::max());
}

TEST(Options, ParseU64RejectsEverythingElse) {
  using simloop::detail::parse_u64;
  for (const char* bad : {"", "-1", "+1", " 1", "1 ", "0x", "0xg", "1.5", "1e3", "18446744073709551616", "ten"}) {
    try {
      (void)parse_u64("SIMLOOP_SEED", bad);
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const std::invalid_argument& e) {
      EXPECT_TRUE(contains(e.what(), std::string("SIMLOOP_SEED='") + bad + "' is malformed")) << e.what();
      EXPECT_TRUE(contains(e.what(), "expected a non-negative integer, decimal or 0x-prefixed hex")) << e.what();
    }
  }
}

TEST(Options, ParseStrategy) {
  using simloop::detail::parse_strategy;
  EXPECT_EQ(parse_strategy("S", "fifo"), simloop::strategy::fifo);
  EXPECT_EQ(parse_strategy("S", "random"), simloop::strategy::random);
  EXPECT_EQ(parse_strategy("S", "pct"), simloop::strategy::pct);
  // replay needs a choice list: it is not a strategy one names in the environment.
  for (const char* bad : {"replay", "", "Random", "dfs"}) {
    try {
      (void)parse_strategy("SIMLOOP_STRATEGY", bad);
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const std::invalid_argument& e) {
      EXPECT_TRUE(contains(e.what(), "SIMLOOP_STRATEGY")) << e.what();
      EXPECT_TRUE(contains(e.what(), "one of fifo, random, pct")) << e.what();
    }
  }
}

TEST(Options, NamesOfStrategiesAndFindingKinds) {
  EXPECT_EQ(simloop::to_string(simloop::strategy::fifo), "fifo");
  EXPECT_EQ(simloop::to_string(simloop::strategy::random), "random");
  EXPECT_EQ(simloop::to_string(simloop::strategy::pct), "pct");
  EXPECT_EQ(simloop::to_string(simloop::strategy::replay), "replay");
  using k = simloop::finding_kind;
  EXPECT_EQ(simloop::to_string(k::assertion), "assertion");
  EXPECT_EQ(simloop::to_string(k::exception), "exception");
  EXPECT_EQ(simloop::to_string(k::deadlock), "deadlock");
  EXPECT_EQ(simloop::to_string(k::time_limit), "time_limit");
  EXPECT_EQ(simloop::to_string(k::step_limit), "step_limit");
}

}  // namespace
