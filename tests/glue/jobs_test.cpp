// SIMLOOP_JOBS as users see it: glue_subject run as a subprocess with seeds
// explored in worker processes, reporting what a serial run reports.
#include "subprocess.hpp"

#include <gtest/gtest.h>

#include <regex>
#include <set>
#include <sstream>

using glue_test::count;
using glue_test::fresh_dir;
using glue_test::read_file;
using glue_test::run;

namespace {

const std::string subject = SIMLOOP_GLUE_SUBJECT;

// simloop's failure text: from "simloop: <test> failed" to the end of its
// replay line (what follows, gtest's "[  FAILED  ]" lines, holds timings).
std::string failure_text(const std::string& output, const std::string& test) {
  auto begin = output.find("simloop: " + test + " failed");
  if (begin == std::string::npos) return {};
  auto replay = output.find("\nreplay: ", begin);
  if (replay == std::string::npos) return {};
  return output.substr(begin, output.find('\n', replay + 1) - begin);
}

TEST(Jobs, GtestFailureIsReportedOnceAsInASerialRun) {
  std::string serial_text;
  for (const char* jobs : {"1", "2", "4"}) {
    SCOPED_TRACE(std::string("SIMLOOP_JOBS=") + jobs);
    auto dir = fresh_dir(std::string("jobs-expect-") + jobs);
    auto o = run(std::string("SIMLOOP_JOBS=") + jobs + " SIMLOOP_REGRESSIONS=" + dir, subject,
                 "--gtest_filter=Subject.ExpectAtSeeds");
    EXPECT_EQ(o.status, 1) << o.output;
    EXPECT_NE(o.output.find("simloop: Subject.ExpectAtSeeds failed on seed 0x25 (run 38, strategy pct"),
              std::string::npos)
        << o.output;
    // gtest printed one failure, seed 37's in this process; the workers'
    // (seed 53's too) went nowhere.
    EXPECT_EQ(count(o.output, "  Actual: false\nExpected: true\nfailing seed 37\n"), 1u) << o.output;
    EXPECT_EQ(count(o.output, "failing seed 53"), 0u) << o.output;
    EXPECT_EQ(count(o.output, "1 GoogleTest expectation(s) failed in the body"), 1u) << o.output;
    EXPECT_EQ(count(o.output, "[  FAILED  ] Subject.ExpectAtSeeds ("), 1u) << o.output;
    EXPECT_EQ(count(o.output, "SIMLOOP_SEED="), 1u) << o.output;
    EXPECT_NE(o.output.find("\nreplay: SIMLOOP_SEED=0x25 SIMLOOP_STRATEGY=pct " + subject +
                            " --gtest_filter=Subject.ExpectAtSeeds\n"),
              std::string::npos)
        << o.output;
    // The regressions file got seed 37, once.
    std::string file = read_file(dir + "/subject_test.simloop-regressions");
    EXPECT_EQ(count(file, "Subject.ExpectAtSeeds"), 1u) << file;
    EXPECT_EQ(count(file, "Subject.ExpectAtSeeds seed=0x25 strategy=pct\n"), 1u) << file;
    // Word for word what the serial run printed.
    std::string text = failure_text(o.output, "Subject.ExpectAtSeeds");
    EXPECT_FALSE(text.empty()) << o.output;
    if (serial_text.empty()) serial_text = text;
    EXPECT_EQ(text, serial_text);
  }
}

TEST(Jobs, ReplayLineOfAParallelRunReproducesTheFailure) {
  auto dir = fresh_dir("jobs-replay");
  auto found = run("SIMLOOP_JOBS=2 SIMLOOP_REGRESSIONS=" + dir, subject, "--gtest_filter=Subject.LostUpdate");
  std::string seed = glue_test::replay_seed(found.output);
  ASSERT_FALSE(seed.empty()) << found.output;
  auto serial = run("SIMLOOP_JOBS=1 SIMLOOP_REGRESSIONS=" + fresh_dir("jobs-replay-serial"), subject,
                    "--gtest_filter=Subject.LostUpdate");
  EXPECT_EQ(failure_text(found.output, "Subject.LostUpdate"), failure_text(serial.output, "Subject.LostUpdate"));
  auto again = run("SIMLOOP_JOBS=2 SIMLOOP_SEED=" + seed + " SIMLOOP_STRATEGY=pct SIMLOOP_REGRESSIONS=" + dir,
                   subject, "--gtest_filter=Subject.LostUpdate");
  EXPECT_EQ(again.status, 1);
  EXPECT_NE(again.output.find("failed on seed " + seed + " (run 1,"), std::string::npos) << again.output;
}

// Subject.LogsSeeds logs "<seed> <pid>" for each of its 60 runs.
TEST(Jobs, ShardsAndJobsTogetherRunEverySeedOnce) {
  auto dir = fresh_dir("jobs-shards");
  std::multiset<std::string> seeds;
  for (int i = 0; i < 3; ++i) {
    std::string log = dir + "/shard-" + std::to_string(i);
    auto o = run("SIMLOOP_JOBS=2 SIMLOOP_SHARD=" + std::to_string(i) + "/3 SUBJECT_SEED_LOG=" + log, subject,
                 "--gtest_filter=Subject.LogsSeeds");
    EXPECT_EQ(o.status, 0) << o.output;
    std::set<std::string> pids;
    std::istringstream lines(read_file(log));
    std::string seed, pid;
    while (lines >> seed >> pid) {
      seeds.insert(seed);
      pids.insert(pid);
    }
    // Two workers took the first two chunks; the shard's last run was the
    // exploring process's own.
    EXPECT_EQ(pids.size(), 3u) << read_file(log);
  }
  // 60 runs: shards of 20 seeds, each seed run exactly once.
  std::multiset<std::string> all;
  for (int s = 0; s < 60; ++s) all.insert(std::to_string(s));
  EXPECT_EQ(seeds, all);
}

TEST(Jobs, FailingShardReportsWhatASerialShardReports) {
  for (const char* shard : {"0/2", "1/2"}) {
    SCOPED_TRACE(shard);
    std::string env = std::string("SIMLOOP_SHARD=") + shard + " SIMLOOP_REGRESSIONS=";
    auto serial = run("SIMLOOP_JOBS=1 " + env + fresh_dir("jobs-shard-serial"), subject,
                      "--gtest_filter=Subject.ExpectAtSeeds");
    auto parallel = run("SIMLOOP_JOBS=2 " + env + fresh_dir("jobs-shard-parallel"), subject,
                        "--gtest_filter=Subject.ExpectAtSeeds");
    // Shard 0 holds seeds 0..49 (37 fails), shard 1 seeds 50..99 (53 fails).
    std::string seed = std::string(shard) == "0/2" ? "0x25 (run 38," : "0x35 (run 4,";
    EXPECT_NE(parallel.output.find("failed on seed " + seed), std::string::npos) << parallel.output;
    EXPECT_EQ(failure_text(parallel.output, "Subject.ExpectAtSeeds"),
              failure_text(serial.output, "Subject.ExpectAtSeeds"));
    EXPECT_FALSE(failure_text(serial.output, "Subject.ExpectAtSeeds").empty()) << serial.output;
  }
}

TEST(Jobs, ProgressComesFromTheExploringProcessOnly) {
  auto o = run("SIMLOOP_JOBS=2 SIMLOOP_PROGRESS_MS=0 SIMLOOP_RUNS=20", subject, "--gtest_filter=Subject.Passes");
  EXPECT_EQ(o.status, 0) << o.output;
  // One line per chunk a worker finished (19 chunks of one run), one for the
  // last run, made here, and the final line: as many as a serial run prints.
  EXPECT_EQ(count(o.output, "simloop: Subject.Passes "), 21u) << o.output;
  EXPECT_NE(o.output.find("simloop: Subject.Passes 20/20 runs (100%), 0 failures, "), std::string::npos)
      << o.output;
  std::regex line("^simloop: Subject\\.Passes (\\d+)/20 runs .*$");
  std::istringstream lines(o.output);
  std::string l;
  std::uint64_t previous = 0;
  while (std::getline(lines, l)) {
    std::smatch m;
    if (!std::regex_match(l, m, line)) continue;
    std::uint64_t done = std::stoull(m[1]);
    EXPECT_GE(done, previous) << o.output;
    previous = done;
  }
  EXPECT_EQ(previous, 20u);
}

}  // namespace
