// explore() with worker processes (explore_options::jobs, SIMLOOP_JOBS): the
// result is the serial one, report for report, whatever the number of jobs.
#include "explore_support.hpp"
#include "support.hpp"

#include <simloop/detail/regressions.hpp>
#include <simloop/detail/worker_pool.hpp>
#include <simloop/timeout.hpp>

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

using namespace std::chrono_literals;
using simloop_test::contains;
using simloop_test::scoped_env;

namespace {

// Fails on the seeds in `failing`; three tasks interleave in every run.
simloop_test::seed_recorder contended(std::set<std::uint64_t> failing) {
  simloop_test::seed_recorder rec;
  rec.failing = std::move(failing);
  rec.contenders = 3;
  return rec;
}

simloop::explore_options with_jobs(unsigned jobs, std::uint64_t runs = 100) {
  simloop::explore_options eo;
  eo.runs = runs;
  eo.jobs = jobs;
  eo.use_environment = false;
  return eo;
}

// Everything a report says, compared field by field.
void expect_same_report(const simloop::report& serial, const simloop::report& parallel, const std::string& what) {
  SCOPED_TRACE(what);
  EXPECT_EQ(parallel.ok(), serial.ok());
  EXPECT_EQ(parallel.seed, serial.seed);
  EXPECT_EQ(parallel.runs, serial.runs);
  EXPECT_EQ(parallel.steps, serial.steps);
  EXPECT_EQ(parallel.virtual_elapsed, serial.virtual_elapsed);
  EXPECT_EQ(parallel.trace_hash, serial.trace_hash);
  EXPECT_EQ(parallel.choices, serial.choices);
  EXPECT_EQ(parallel.strategy, serial.strategy);
  EXPECT_EQ(parallel.cancel_at_point, serial.cancel_at_point);
  EXPECT_EQ(parallel.cancel_points, serial.cancel_points);
  EXPECT_EQ(parallel.note, serial.note);
  EXPECT_EQ(parallel.describe(), serial.describe());
  EXPECT_EQ(parallel.replay_command(), serial.replay_command());
  ASSERT_EQ(parallel.findings.size(), serial.findings.size());
  for (std::size_t i = 0; i < serial.findings.size(); ++i) {
    EXPECT_EQ(parallel.findings[i].kind, serial.findings[i].kind);
    EXPECT_EQ(parallel.findings[i].step, serial.findings[i].step);
    EXPECT_EQ(parallel.findings[i].time, serial.findings[i].time);
  }
}

// This test binary has one thread, so explore() really forks: without that,
// every "parallel" run below would be a serial one and prove nothing.
TEST(ExploreJobs, TheTestProcessCanForkWorkers) { EXPECT_TRUE(simloop::detail::can_fork_workers()); }

TEST(ExploreJobs, SameFirstFailureAndReportWhateverTheNumberOfJobs) {
  // runs = 100: seed 99 is the last run, which the exploring process makes
  // itself; 98 is the last one a worker makes.
  const std::vector<std::set<std::uint64_t>> cases = {{37, 53}, {53, 37}, {0}, {1, 2}, {98}, {99}, {}};
  for (const auto& failing : cases) {
    auto serial_body = contended(failing);
    simloop::report serial = simloop::explore(with_jobs(1), serial_body.body());
    std::uint64_t expected = failing.empty() ? 99 : *failing.begin();
    EXPECT_EQ(serial.seed, expected);
    EXPECT_EQ(serial.runs, expected + 1);
    EXPECT_EQ(serial.ok(), failing.empty());
    for (unsigned jobs : {2u, 4u}) {
      auto parallel_body = contended(failing);
      simloop::report parallel = simloop::explore(with_jobs(jobs), parallel_body.body());
      std::string what = "failing " + std::to_string(failing.size()) + " seed(s) from " + std::to_string(expected) +
                         ", jobs " + std::to_string(jobs);
      expect_same_report(serial, parallel, what);
      // The workers made the other runs: this process made only the one
      // whose report it returns.
      EXPECT_EQ(parallel_body.ran, (std::vector<std::uint64_t>{expected})) << what;
    }
  }
}

TEST(ExploreJobs, EveryStrategyAndFirstSeed) {
  for (auto strat : {simloop::strategy::fifo, simloop::strategy::random, simloop::strategy::pct}) {
    simloop::explore_options eo = with_jobs(1, 50);
    eo.first_seed = 1000;
    eo.strategy = strat;
    auto serial_body = contended({1020, 1030});
    simloop::report serial = simloop::explore(eo, serial_body.body());
    EXPECT_EQ(serial.seed, 1020u);
    eo.jobs = 3;
    auto parallel_body = contended({1020, 1030});
    expect_same_report(serial, simloop::explore(eo, parallel_body.body()), std::string(simloop::to_string(strat)));
  }
}

// Four timeouts; an injected cancellation of the one numbered `fragile`
// (from 0; -1: none) fails the run.
asio::awaitable<void> timeouts(int fragile) {
  for (int i = 0; i < 4; ++i) {
    bool timed_out = false;
    try {
      auto op = simloop::sleep_for(1s);
      co_await simloop::timeout(10s, std::move(op));
    } catch (const boost::system::system_error&) {
      timed_out = true;
    }
    SIMLOOP_ASSERT(!(timed_out && i == fragile));
  }
}

TEST(ExploreJobs, CoverRunsComeFirstAsInASerialExploration) {
  simloop::explore_options eo = with_jobs(1, 40);
  eo.cancel_each_point = true;
  auto third_is_fragile = [] { return timeouts(2); };
  simloop::report serial = simloop::explore(eo, third_is_fragile);
  ASSERT_FALSE(serial.ok());
  // A cover run failed: the one cancelling a point of the third timeout.
  EXPECT_NE(serial.cancel_at_point, 0u);
  EXPECT_EQ(serial.seed, 0u);
  for (unsigned jobs : {2u, 4u}) {
    eo.jobs = jobs;
    expect_same_report(serial, simloop::explore(eo, third_is_fragile), "jobs " + std::to_string(jobs));
  }
  // With nothing failing, cover runs and sampled runs add up the same.
  eo.jobs = 1;
  auto fine = [] { return timeouts(-1); };
  simloop::report all_serial = simloop::explore(eo, fine);
  eo.jobs = 2;
  expect_same_report(all_serial, simloop::explore(eo, fine), "passing, jobs 2");
  EXPECT_TRUE(all_serial.ok());
  EXPECT_EQ(all_serial.runs, 40u);
}

TEST(ExploreJobs, AFailureOnlyAWorkerSeesIsReportedAsNondeterminism) {
  const pid_t explorer = ::getpid();
  auto body = [explorer]() -> asio::awaitable<void> {
    co_await simloop::yield();
    // Depends on the process, not only on the seed.
    SIMLOOP_ASSERT(!(simloop::simulation::current()->get_options().seed == 5 && ::getpid() != explorer));
  };
  simloop::report r = simloop::explore(with_jobs(2, 20), body);
  ASSERT_EQ(r.findings.size(), 1u) << r.describe();
  EXPECT_EQ(r.findings[0].kind, simloop::finding_kind::nondeterminism);
  EXPECT_EQ(r.seed, 5u);
  EXPECT_EQ(r.runs, 6u);
  EXPECT_TRUE(contains(r.findings[0].message,
                       "simloop: nondeterminism: seed 0x5 failed in a worker process but passed when run again in "
                       "the exploring process"))
      << r.findings[0].message;
  EXPECT_TRUE(contains(r.findings[0].message, "replay: SIMLOOP_CHECK_DETERMINISM=1 SIMLOOP_JOBS=1 SIMLOOP_SEED=0x5"))
      << r.findings[0].message;
}

TEST(ExploreJobs, RunsOfAWorkerThatDiedAreMadeInThisProcess) {
  const pid_t explorer = ::getpid();
  auto ran = std::make_shared<std::vector<std::uint64_t>>();
  auto body = [explorer, ran]() -> asio::awaitable<void> {
    std::uint64_t seed = simloop::simulation::current()->get_options().seed;
    ran->push_back(seed);
    co_await simloop::yield();
    if (seed == 10 && ::getpid() != explorer) std::_Exit(3);  // a crash, in a worker only
  };
  // 40 runs on 2 workers: chunks of one run, two once they come back fast
  // (at most an eighth of a worker's share). When chunks double depends on
  // the machine's speed, so the chunk holding seed 10 is {10}, {9, 10} or
  // {10, 11}. The worker given it dies; this process makes that chunk's runs
  // and, as ever, the last run again for the report.
  simloop::report r = simloop::explore(with_jobs(2, 40), body);
  EXPECT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(r.runs, 40u);
  EXPECT_EQ(r.seed, 39u);
  using seeds = std::vector<std::uint64_t>;
  EXPECT_TRUE((*ran == seeds{10, 39} || *ran == seeds{9, 10, 39} || *ran == seeds{10, 11, 39}))
      << ::testing::PrintToString(*ran);

  // Every worker dies: this process makes every run.
  ran->clear();
  auto always_dies = [explorer, ran]() -> asio::awaitable<void> {
    ran->push_back(simloop::simulation::current()->get_options().seed);
    if (::getpid() != explorer) std::_Exit(3);
    co_await simloop::yield();
  };
  simloop::report all = simloop::explore(with_jobs(4, 12), always_dies);
  EXPECT_TRUE(all.ok());
  EXPECT_EQ(all.runs, 12u);
  EXPECT_EQ(*ran, (std::vector<std::uint64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}));
}

TEST(ExploreJobs, AThreadedProcessExploresSerially) {
  std::promise<void> release;
  std::thread other([done = release.get_future()]() mutable { done.wait(); });
  bool could_fork = simloop::detail::can_fork_workers();
  auto body = contended({15});
  simloop::report r = simloop::explore(with_jobs(4, 30), body.body());
  release.set_value();
  other.join();
  EXPECT_FALSE(could_fork);
  EXPECT_EQ(r.seed, 15u);
  std::vector<std::uint64_t> all;
  for (std::uint64_t s = 0; s <= 15; ++s) all.push_back(s);
  EXPECT_EQ(body.ran, all);
}

TEST(ExploreJobs, FewRunsAreMadeInThisProcess) {
  auto body = contended({});
  simloop::report r = simloop::explore(with_jobs(4, 2), body.body());
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(body.ran, (std::vector<std::uint64_t>{0, 1}));
}

// ---- the environment ------------------------------------------------------------------

simloop::explore_options from_environment(unsigned jobs, std::uint64_t runs) {
  simloop::explore_options eo = with_jobs(jobs, runs);
  eo.use_environment = true;
  return eo;
}

TEST(ExploreJobs, SimloopJobsSetsTheWorkersUnlessTheOptionDoes) {
  scoped_env env;
  env.set("SIMLOOP_JOBS", "2");
  auto parallel = contended({7});
  EXPECT_EQ(simloop::explore(from_environment(0, 20), parallel.body()).seed, 7u);
  EXPECT_EQ(parallel.ran, (std::vector<std::uint64_t>{7}));

  // jobs = 1 in the options wins over the environment.
  auto pinned = contended({7});
  EXPECT_EQ(simloop::explore(from_environment(1, 20), pinned.body()).seed, 7u);
  EXPECT_EQ(pinned.ran.size(), 8u);

  env.set("SIMLOOP_JOBS", "1");
  auto serial = contended({7});
  EXPECT_EQ(simloop::explore(from_environment(0, 20), serial.body()).seed, 7u);
  EXPECT_EQ(serial.ran.size(), 8u);

  // SIMLOOP_SEED replays one seed, in this process.
  env.set("SIMLOOP_JOBS", "4");
  env.set("SIMLOOP_SEED", "0x7");
  auto replay = contended({7});
  simloop::report one = simloop::explore(from_environment(0, 20), replay.body());
  EXPECT_EQ(one.seed, 7u);
  EXPECT_EQ(one.runs, 1u);
  EXPECT_EQ(replay.ran, (std::vector<std::uint64_t>{7}));
}

TEST(ExploreJobs, MalformedJobsNameTheVariableOrField) {
  scoped_env env;
  for (const char* bad : {"0", "-1", "two", "", "1025"}) {
    env.set("SIMLOOP_JOBS", bad);
    auto body = contended({});
    try {
      (void)simloop::explore(from_environment(0, 20), body.body());
      ADD_FAILURE() << "SIMLOOP_JOBS='" << bad << "' was accepted";
    } catch (const std::invalid_argument& e) {
      EXPECT_TRUE(contains(e.what(), std::string("SIMLOOP_JOBS='") + bad + "' is malformed")) << e.what();
    }
    EXPECT_TRUE(body.ran.empty());
  }
  auto body = contended({});
  try {
    (void)simloop::explore(with_jobs(1025, 20), body.body());
    ADD_FAILURE() << "jobs = 1025 was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_TRUE(contains(e.what(), "explore_options::jobs must be at most 1024 (got 1025)")) << e.what();
  }
  EXPECT_TRUE(body.ran.empty());
}

TEST(ExploreJobs, ShardsSplitTheSeedsAndJobsSplitAShard) {
  scoped_env env;
  env.set("SIMLOOP_RUNS", "300");
  for (int shard = 0; shard < 3; ++shard) {
    std::string s = std::to_string(shard) + "/3";
    env.set("SIMLOOP_SHARD", s.c_str());
    // Shard 1 holds seeds 100..199: it fails at 150; shard 2 passes.
    auto serial_body = contended({150, 160, 250});
    if (shard == 2) serial_body.failing.clear();
    simloop::report serial = simloop::explore(from_environment(1, 1000), serial_body.body());
    auto parallel_body = contended(serial_body.failing);
    simloop::report parallel = simloop::explore(from_environment(2, 1000), parallel_body.body());
    expect_same_report(serial, parallel, "shard " + s);
    EXPECT_EQ(serial.seed, shard == 1 ? 150u : shard == 0 ? 99u : 299u) << s;
    EXPECT_EQ(serial.runs, shard == 1 ? 51u : 100u) << s;
    EXPECT_EQ(parallel_body.ran.size(), 1u) << s;
  }
}

// ---- the regressions file ---------------------------------------------------------------

std::string read_all(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(ExploreJobs, RegressionEntriesRunFirstAndAFailureIsAppendedOnce) {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("simloop-explore-jobs-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::string file = (dir / "jobs_test.simloop-regressions").string();
  simloop::explore_options eo = with_jobs(2, 100);
  eo.name = "Jobs.Test";
  eo.regressions_source = (dir / "jobs_test.cpp").string();
  // An entry that passes runs first and counts as a run.
  ASSERT_EQ(simloop::detail::append_regression(file, "Jobs.Test", 0x99, simloop::strategy::pct), "");

  auto first = contended({37, 53});
  simloop::report r = simloop::explore(eo, first.body());
  EXPECT_EQ(r.seed, 37u);
  EXPECT_EQ(r.runs, 39u);  // the entry, then seeds 0..37
  EXPECT_EQ(first.ran, (std::vector<std::uint64_t>{0x99, 37}));
  std::string text = read_all(file);
  EXPECT_EQ(text.find("Jobs.Test seed=0x35"), std::string::npos) << text;
  std::size_t at = text.find("Jobs.Test seed=0x25 strategy=pct\n");
  ASSERT_NE(at, std::string::npos) << text;
  EXPECT_EQ(text.find("Jobs.Test seed=0x25", at + 1), std::string::npos) << text;

  // The next exploration finds it as an entry, before any worker starts.
  auto again = contended({37, 53});
  simloop::report second = simloop::explore(eo, again.body());
  EXPECT_EQ(second.seed, 37u);
  EXPECT_EQ(second.runs, 2u);
  EXPECT_EQ(second.note, "regression entry " + file + ":4");
  EXPECT_EQ(again.ran, (std::vector<std::uint64_t>{0x99, 37}));
  fs::remove_all(dir);
}

}  // namespace
