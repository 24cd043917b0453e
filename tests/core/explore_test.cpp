// explore(): many seeds, stop at the first failure; the SIMLOOP_* variables
// that steer it, and their errors.
#include "explore_support.hpp"
#include "support.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

using simloop_test::contains;
using simloop_test::scoped_env;
using simloop_test::seed_recorder;

namespace {

simloop::explore_options opts(std::uint64_t first, std::uint64_t runs, bool env = true) {
  simloop::explore_options eo;
  eo.first_seed = first;
  eo.runs = runs;
  eo.use_environment = env;
  // These tests look at what every run did in this process (seed_recorder):
  // serial. explore_jobs_test.cpp explores with worker processes.
  eo.jobs = 1;
  return eo;
}

std::string invalid_argument_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "(no std::invalid_argument)";
}

// ---- exploring --------------------------------------------------------------------

TEST(Explore, StopsAtTheFirstFailingSeedAndReturnsItsReport) {
  scoped_env env;
  seed_recorder rec;
  rec.failing = {12, 17};
  auto r = simloop::explore(opts(5, 100), rec.body());
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.seed, 12u);
  EXPECT_EQ(r.runs, 8u);  // seeds 5..12
  ASSERT_EQ(r.findings.size(), 1u);
  EXPECT_EQ(r.findings[0].kind, simloop::finding_kind::assertion);
  EXPECT_TRUE(contains(r.findings[0].message, "seed 0xc")) << r.findings[0].message;
  EXPECT_TRUE(contains(r.replay_command(), "SIMLOOP_SEED=0xc")) << r.replay_command();
  EXPECT_EQ(rec.ran, (std::vector<std::uint64_t>{5, 6, 7, 8, 9, 10, 11, 12}));
  // The default strategy of explore is pct.
  EXPECT_EQ(r.strategy, simloop::strategy::pct);
  for (auto s : rec.strategies) EXPECT_EQ(s, simloop::strategy::pct);
}

TEST(Explore, ReturnsTheLastReportWhenEverySeedPasses) {
  scoped_env env;
  seed_recorder rec;
  auto r = simloop::explore(opts(0, 25), rec.body());
  EXPECT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(r.runs, 25u);
  EXPECT_EQ(r.seed, 24u);
  EXPECT_EQ(rec.ran.size(), 25u);
}

TEST(Explore, BaseOptionsApplyToEveryRun) {
  scoped_env env;
  simloop::explore_options eo = opts(0, 3);
  eo.strategy = simloop::strategy::random;
  eo.base.step_limit = 50;
  auto r = simloop::explore(eo, []() -> asio::awaitable<void> {
    for (;;) co_await simloop::yield();
  });
  ASSERT_EQ(r.findings.size(), 1u);
  EXPECT_EQ(r.findings[0].kind, simloop::finding_kind::step_limit);
  EXPECT_EQ(r.runs, 1u);
  EXPECT_EQ(r.steps, 50u);
  EXPECT_EQ(r.strategy, simloop::strategy::random);
}

TEST(Explore, RunOneRunsExactlyTheGivenOptions) {
  seed_recorder rec;
  simloop::options o;
  o.seed = 77;
  o.strategy = simloop::strategy::fifo;
  auto r = simloop::run_one(o, rec.body());
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(rec.ran, (std::vector<std::uint64_t>{77}));
  EXPECT_EQ(rec.strategies, (std::vector<simloop::strategy>{simloop::strategy::fifo}));
}

// ---- the environment ------------------------------------------------------------------

TEST(Explore, SimloopSeedRunsThatOneSeed) {
  scoped_env env;
  env.set("SIMLOOP_SEED", "0x2a");
  env.set("SIMLOOP_RUNS", "500");  // SIMLOOP_SEED wins: one run
  seed_recorder rec;
  auto r = simloop::explore(opts(0, 1000), rec.body());
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(rec.ran, (std::vector<std::uint64_t>{42}));
  EXPECT_EQ(r.seed, 42u);
  EXPECT_EQ(r.runs, 1u);

  env.set("SIMLOOP_SEED", "17");
  rec.failing = {17};
  auto failed = simloop::explore(opts(0, 1000), rec.body());
  EXPECT_FALSE(failed.ok());
  EXPECT_EQ(failed.seed, 17u);
}

TEST(Explore, SimloopRunsAndStrategyOverride) {
  scoped_env env;
  env.set("SIMLOOP_RUNS", "7");
  env.set("SIMLOOP_STRATEGY", "fifo");
  seed_recorder rec;
  auto r = simloop::explore(opts(100, 1000), rec.body());
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.runs, 7u);
  EXPECT_EQ(rec.ran, (std::vector<std::uint64_t>{100, 101, 102, 103, 104, 105, 106}));
  EXPECT_EQ(r.strategy, simloop::strategy::fifo);
  for (auto s : rec.strategies) EXPECT_EQ(s, simloop::strategy::fifo);

  env.set("SIMLOOP_STRATEGY", "random");
  seed_recorder rec2;
  auto r2 = simloop::explore(opts(0, 1000), rec2.body());
  EXPECT_EQ(r2.strategy, simloop::strategy::random);
}

TEST(Explore, EnvironmentIsIgnoredWhenUseEnvironmentIsOff) {
  scoped_env env;
  env.set("SIMLOOP_SEED", "5");
  env.set("SIMLOOP_RUNS", "not even a number");
  seed_recorder rec;
  auto r = simloop::explore(opts(0, 3, /*env=*/false), rec.body());
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(rec.ran, (std::vector<std::uint64_t>{0, 1, 2}));
}

TEST(Explore, MalformedVariablesNameTheVariableAndTheExpectedForm) {
  scoped_env env;
  seed_recorder rec;
  auto explore_error = [&] { return invalid_argument_of([&] { (void)simloop::explore(opts(0, 3), rec.body()); }); };

  for (const char* bad : {"abc", "", "-1", "0x", "12abc", " 3", "99999999999999999999999"}) {
    env.set("SIMLOOP_SEED", bad);
    std::string e = explore_error();
    EXPECT_TRUE(contains(e, "SIMLOOP_SEED")) << bad << ": " << e;
    EXPECT_TRUE(contains(e, "expected a non-negative integer")) << bad << ": " << e;
    EXPECT_TRUE(contains(e, "0x2a")) << "the message shows the hex form: " << e;
  }
  env.unset("SIMLOOP_SEED");

  env.set("SIMLOOP_RUNS", "0");
  std::string runs_zero = explore_error();
  EXPECT_TRUE(contains(runs_zero, "SIMLOOP_RUNS='0'")) << runs_zero;
  EXPECT_TRUE(contains(runs_zero, "positive integer")) << runs_zero;
  env.set("SIMLOOP_RUNS", "many");
  EXPECT_TRUE(contains(explore_error(), "SIMLOOP_RUNS='many'"));
  env.unset("SIMLOOP_RUNS");

  env.set("SIMLOOP_STRATEGY", "dfs");
  std::string strat = explore_error();
  EXPECT_TRUE(contains(strat, "SIMLOOP_STRATEGY='dfs'")) << strat;
  EXPECT_TRUE(contains(strat, "one of fifo, random, pct")) << strat;
  env.set("SIMLOOP_STRATEGY", "FIFO");
  EXPECT_TRUE(contains(explore_error(), "SIMLOOP_STRATEGY"));
  env.unset("SIMLOOP_STRATEGY");

  for (const char* bad : {"3", "2/2", "1/0", "a/b", "1/", "/4", "-1/4"}) {
    env.set("SIMLOOP_SHARD", bad);
    std::string e = explore_error();
    EXPECT_TRUE(contains(e, "SIMLOOP_SHARD")) << bad << ": " << e;
    EXPECT_TRUE(contains(e, "i/n with 0 <= i < n")) << bad << ": " << e;
  }
  // Nothing ran: the environment is checked before the first run.
  EXPECT_TRUE(rec.ran.empty());
}

TEST(Explore, SimloopShardSplitsTheSeedRange) {
  scoped_env env;
  std::vector<std::uint64_t> all;
  std::vector<std::uint64_t> sizes;
  for (int i = 0; i < 3; ++i) {
    std::string shard = std::to_string(i) + "/3";
    env.set("SIMLOOP_SHARD", shard.c_str());
    seed_recorder rec;
    auto r = simloop::explore(opts(1000, 10), rec.body());
    EXPECT_TRUE(r.ok());
    EXPECT_EQ(r.runs, rec.ran.size());
    sizes.push_back(rec.ran.size());
    all.insert(all.end(), rec.ran.begin(), rec.ran.end());
  }
  // Contiguous, disjoint, covering: 4 + 3 + 3 seeds from 1000.
  EXPECT_EQ(sizes, (std::vector<std::uint64_t>{4, 3, 3}));
  std::vector<std::uint64_t> expected;
  for (std::uint64_t s = 1000; s < 1010; ++s) expected.push_back(s);
  EXPECT_EQ(all, expected);

  // SIMLOOP_RUNS sets the range that is sharded; SIMLOOP_SEED overrides both.
  env.set("SIMLOOP_RUNS", "4");
  env.set("SIMLOOP_SHARD", "1/2");
  seed_recorder rec;
  (void)simloop::explore(opts(0, 1000), rec.body());
  EXPECT_EQ(rec.ran, (std::vector<std::uint64_t>{2, 3}));
  env.set("SIMLOOP_SEED", "9");
  seed_recorder one;
  (void)simloop::explore(opts(0, 1000), one.body());
  EXPECT_EQ(one.ran, (std::vector<std::uint64_t>{9}));
}

TEST(Explore, MoreShardsThanRunsLeavesSomeShardsEmpty) {
  scoped_env env;
  env.set("SIMLOOP_SHARD", "3/4");
  seed_recorder rec;
  // Two seeds over four shards: shards 2 and 3 have nothing to run, which is
  // not an error (a CI matrix is fixed while the run count changes).
  auto r = simloop::explore(opts(0, 2), rec.body());
  EXPECT_TRUE(rec.ran.empty());
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.runs, 0u);
}

// ---- bad arguments ----------------------------------------------------------------------

TEST(Explore, InvalidArgumentsNameTheField) {
  scoped_env env;
  seed_recorder rec;
  std::string zero_runs = invalid_argument_of([&] { (void)simloop::explore(opts(0, 0), rec.body()); });
  EXPECT_TRUE(contains(zero_runs, "runs")) << zero_runs;

  simloop::explore_options replay = opts(0, 3);
  replay.strategy = simloop::strategy::replay;
  std::string replay_error = invalid_argument_of([&] { (void)simloop::explore(replay, rec.body()); });
  EXPECT_TRUE(contains(replay_error, "strategy")) << replay_error;

  simloop::explore_options depth = opts(0, 3);
  depth.base.pct_depth = 0;
  std::string depth_error = invalid_argument_of([&] { (void)simloop::explore(depth, rec.body()); });
  EXPECT_TRUE(contains(depth_error, "pct_depth")) << depth_error;

  std::string empty = invalid_argument_of([&] { (void)simloop::explore(opts(0, 3), nullptr); });
  EXPECT_TRUE(contains(empty, "make_body")) << empty;
  EXPECT_TRUE(rec.ran.empty());
}

}  // namespace

