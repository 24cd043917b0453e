// SIMLOOP_TEST as users see it: glue_subject run as a subprocess.
#include "subprocess.hpp"

#include <gtest/gtest.h>

#include <regex>
#include <set>

using glue_test::count;
using glue_test::fresh_dir;
using glue_test::read_file;
using glue_test::replay_seed;
using glue_test::run;

namespace {

const std::string subject = SIMLOOP_GLUE_SUBJECT;

}  // namespace

TEST(GtestGlue, FailureHoldsEveryFindingAndOneReplayLine) {
  auto dir = fresh_dir("one-replay-line");
  auto o = run("SIMLOOP_REGRESSIONS=" + dir, subject, "--gtest_filter=Subject.LostUpdate");
  EXPECT_EQ(o.status, 1) << o.output;
  EXPECT_NE(o.output.find("simloop: Subject.LostUpdate failed on seed 0x"), std::string::npos) << o.output;
  EXPECT_NE(o.output.find("simloop: assertion failed: SIMLOOP_ASSERT(*value == tasks)"), std::string::npos)
      << o.output;
  EXPECT_EQ(count(o.output, "SIMLOOP_SEED="), 1u) << o.output;
  EXPECT_NE(o.output.find("--gtest_filter=Subject.LostUpdate\n"), std::string::npos) << o.output;
  EXPECT_NE(o.output.find("replay: SIMLOOP_SEED=0x"), std::string::npos) << o.output;
  EXPECT_NE(o.output.find("SIMLOOP_STRATEGY=pct " + subject + " --gtest_filter=Subject.LostUpdate"),
            std::string::npos)
      << o.output;
  EXPECT_NE(o.output.find("[  FAILED  ] Subject.LostUpdate"), std::string::npos) << o.output;
}

TEST(GtestGlue, ReplayLineReproducesTheFailureInOneRun) {
  auto dir = fresh_dir("replay");
  auto first = run("SIMLOOP_REGRESSIONS=" + dir, subject, "--gtest_filter=Subject.LostUpdate");
  std::string seed = replay_seed(first.output);
  ASSERT_FALSE(seed.empty()) << first.output;
  auto again = run("SIMLOOP_REGRESSIONS=" + dir + " SIMLOOP_SEED=" + seed + " SIMLOOP_STRATEGY=pct", subject,
                   "--gtest_filter=Subject.LostUpdate");
  EXPECT_EQ(again.status, 1);
  EXPECT_NE(again.output.find("failed on seed " + seed + " (run 1,"), std::string::npos) << again.output;
  EXPECT_EQ(replay_seed(again.output), seed);
}

TEST(GtestGlue, PassingTestsPass) {
  auto o = run("", subject, "--gtest_filter=Subject.Passes:Subject.RandomOpts");
  EXPECT_EQ(o.status, 0) << o.output;
  EXPECT_NE(o.output.find("[  PASSED  ] 2 tests"), std::string::npos) << o.output;
}

TEST(GtestGlue, MalformedEnvironmentFailsNamingTheVariable) {
  auto o = run("SIMLOOP_SEED=abc", subject, "--gtest_filter=Subject.Passes");
  EXPECT_EQ(o.status, 1);
  EXPECT_NE(o.output.find("simloop: SIMLOOP_SEED='abc' is malformed: expected a non-negative integer, decimal or "
                          "0x-prefixed hex"),
            std::string::npos)
      << o.output;
  auto shard = run("SIMLOOP_SHARD=4/4", subject, "--gtest_filter=Subject.Passes");
  EXPECT_EQ(shard.status, 1);
  EXPECT_NE(shard.output.find("SIMLOOP_SHARD='4/4' is malformed: expected i/n with 0 <= i < n"), std::string::npos)
      << shard.output;
  auto runs = run("SIMLOOP_RUNS=-3", subject, "--gtest_filter=Subject.Passes");
  EXPECT_NE(runs.output.find("SIMLOOP_RUNS='-3' is malformed"), std::string::npos) << runs.output;
}

TEST(GtestGlue, ExpectationFailureInTheBodyStopsAtThatSeed) {
  auto dir = fresh_dir("expect");
  auto o = run("SIMLOOP_REGRESSIONS=" + dir, subject, "--gtest_filter=Subject.ExpectInBody");
  EXPECT_EQ(o.status, 1);
  EXPECT_NE(o.output.find("1 GoogleTest expectation(s) failed in the body"), std::string::npos) << o.output;
  // Stopped at the first seed: one gtest expectation failure, not 1,000.
  EXPECT_EQ(count(o.output, "\n    Which is: 41"), 1u) << o.output;
  EXPECT_NE(o.output.find("failed on seed 0x0 (run 1,"), std::string::npos) << o.output;
}

TEST(GtestGlue, GtestRepeatRunsTheSameExplorationAgain) {
  auto dir = fresh_dir("repeat");
  auto o = run("SIMLOOP_REGRESSIONS=" + dir, subject, "--gtest_filter=Subject.LostUpdate --gtest_repeat=3");
  EXPECT_EQ(count(o.output, "[  FAILED  ] Subject.LostUpdate ("), 3u) << o.output;
  EXPECT_EQ(count(o.output, "SIMLOOP_SEED="), 3u) << o.output;
  // The same seed each time: the second and third find it as a regression.
  std::string seed = replay_seed(o.output);
  EXPECT_EQ(count(o.output, "failed on seed " + seed), 3u) << o.output;
  EXPECT_EQ(count(o.output, "regression entry"), 2u) << o.output;
}

TEST(GtestGlue, GtestShardingSplitsTheTests) {
  std::multiset<std::string> ran;
  for (int i = 0; i < 2; ++i) {
    auto o = run("SIMLOOP_RUNS=5 GTEST_TOTAL_SHARDS=2 GTEST_SHARD_INDEX=" + std::to_string(i), subject,
                 "--gtest_filter=Subject.Passes:Subject.RandomOpts:Subject.PrintSeeds");
    std::regex line("\\[ RUN      \\] (Subject\\.\\w+)");
    for (std::sregex_iterator it(o.output.begin(), o.output.end(), line), end; it != end; ++it) ran.insert((*it)[1]);
  }
  EXPECT_EQ(ran, (std::multiset<std::string>{"Subject.Passes", "Subject.PrintSeeds", "Subject.RandomOpts"}));
}

TEST(GtestGlue, SimloopShardSplitsTheSeedRange) {
  std::multiset<std::string> seeds;
  for (int i = 0; i < 3; ++i) {
    auto o = run("SIMLOOP_SHARD=" + std::to_string(i) + "/3", subject, "--gtest_filter=Subject.PrintSeeds");
    EXPECT_EQ(o.status, 0) << o.output;
    std::regex line("ran seed (\\d+)");
    for (std::sregex_iterator it(o.output.begin(), o.output.end(), line), end; it != end; ++it)
      seeds.insert((*it)[1]);
  }
  // runs = 10: shards of 4, 3 and 3 seeds, each seed exactly once.
  std::multiset<std::string> all;
  for (int s = 0; s < 10; ++s) all.insert(std::to_string(s));
  EXPECT_EQ(seeds, all);
}

TEST(Regressions, FailingSeedIsRecordedAndRerunFirst) {
  auto dir = fresh_dir("regressions");
  auto first = run("SIMLOOP_REGRESSIONS=" + dir, subject, "--gtest_filter=Subject.LostUpdate");
  std::string seed = replay_seed(first.output);
  ASSERT_FALSE(seed.empty()) << first.output;
  std::string file = read_file(dir + "/subject_test.simloop-regressions");
  EXPECT_NE(file.find("Subject.LostUpdate seed=" + seed + " strategy=pct\n"), std::string::npos) << file;
  EXPECT_EQ(first.output.find("regression entry"), std::string::npos);

  auto second = run("SIMLOOP_REGRESSIONS=" + dir, subject, "--gtest_filter=Subject.LostUpdate");
  EXPECT_NE(second.output.find("failed on seed " + seed + " (run 1, strategy pct"), std::string::npos)
      << second.output;
  EXPECT_NE(second.output.find("regression entry " + dir + "/subject_test.simloop-regressions:3"), std::string::npos)
      << second.output;
  // Not appended twice.
  EXPECT_EQ(count(read_file(dir + "/subject_test.simloop-regressions"), "Subject.LostUpdate"), 1u);
}

TEST(Regressions, CorruptLineWarnsNamingItAndTheTestStillRuns) {
  auto dir = fresh_dir("corrupt");
  {
    std::ofstream f(dir + "/subject_test.simloop-regressions");
    f << "# comment\nSubject.Passes seed=zzz strategy=pct\n\x01\x02 garbage\nSubject.Passes seed=0x5 strategy=pct\n";
  }
  auto o = run("SIMLOOP_RUNS=10 SIMLOOP_REGRESSIONS=" + dir, subject, "--gtest_filter=Subject.Passes");
  EXPECT_EQ(o.status, 0) << o.output;
  EXPECT_NE(o.output.find("simloop: warning: " + dir +
                          "/subject_test.simloop-regressions:2: malformed regression entry 'Subject.Passes seed=zzz "
                          "strategy=pct' ignored"),
            std::string::npos)
      << o.output;
  EXPECT_NE(o.output.find("subject_test.simloop-regressions:3: malformed regression entry"), std::string::npos)
      << o.output;
}

TEST(Regressions, ConcurrentShardsAppendWholeLines) {
  auto dir = fresh_dir("shards");
  // Four shards at once, each failing on its own slice, sharing the file.
  std::string cmd;
  for (int i = 0; i < 4; ++i)
    cmd += "(SIMLOOP_QUIET=1 SIMLOOP_REGRESSIONS=" + dir + " SIMLOOP_RUNS=400 SIMLOOP_SHARD=" + std::to_string(i) +
           "/4 '" + subject + "' --gtest_filter=Subject.LostUpdate > /dev/null 2>&1) & ";
  cmd += "wait";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  std::string file = read_file(dir + "/subject_test.simloop-regressions");
  std::regex entry("^Subject\\.LostUpdate seed=0x[0-9a-f]+ strategy=pct$");
  std::istringstream lines(file);
  std::string line;
  int entries = 0;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] == '#') continue;
    EXPECT_TRUE(std::regex_match(line, entry)) << line;
    ++entries;
  }
  EXPECT_GE(entries, 1) << file;
}

TEST(Progress, LinesWhenNotATerminalAndSilentWhenQuiet) {
  auto o = run("SIMLOOP_PROGRESS_MS=0 SIMLOOP_RUNS=20", subject, "--gtest_filter=Subject.Passes");
  EXPECT_EQ(o.status, 0) << o.output;
  EXPECT_EQ(count(o.output, "simloop: Subject.Passes "), 21u) << o.output;  // every run, then the final line
  EXPECT_NE(o.output.find("simloop: Subject.Passes 1/20 runs (5%), 0 failures, "), std::string::npos) << o.output;
  EXPECT_NE(o.output.find("simloop: Subject.Passes 20/20 runs (100%), 0 failures, "), std::string::npos)
      << o.output;
  EXPECT_NE(o.output.find(" runs/s, ETA "), std::string::npos);
  auto quiet = run("SIMLOOP_QUIET=1 SIMLOOP_PROGRESS_MS=0 SIMLOOP_RUNS=20", subject, "--gtest_filter=Subject.Passes");
  EXPECT_EQ(count(quiet.output, "runs/s"), 0u) << quiet.output;
  // Default period (5 s): a short exploration prints nothing.
  auto plain = run("SIMLOOP_RUNS=20", subject, "--gtest_filter=Subject.Passes");
  EXPECT_EQ(count(plain.output, "runs/s"), 0u) << plain.output;
}

TEST(Progress, LiveLineOnATerminal) {
  if (std::system("command -v script > /dev/null 2>&1") != 0) GTEST_SKIP() << "no script(1) to fake a terminal";
  auto o = run("", "/usr/bin/script",
               "-qec \"SIMLOOP_PROGRESS_MS=0 SIMLOOP_RUNS=5 " + subject + " --gtest_filter=Subject.Passes\" /dev/null");
  EXPECT_NE(o.output.find("\r\033[Ksimloop: Subject.Passes 3/5 runs"), std::string::npos) << o.output;
}

TEST(Progress, DoesNotChangeWhatFails) {
  auto a = fresh_dir("progress-a"), b = fresh_dir("progress-b");
  auto loud = run("SIMLOOP_PROGRESS_MS=0 SIMLOOP_REGRESSIONS=" + a, subject, "--gtest_filter=Subject.LostUpdate");
  auto quiet = run("SIMLOOP_QUIET=1 SIMLOOP_REGRESSIONS=" + b, subject, "--gtest_filter=Subject.LostUpdate");
  ASSERT_FALSE(replay_seed(loud.output).empty());
  EXPECT_EQ(replay_seed(loud.output), replay_seed(quiet.output));
  EXPECT_GT(count(loud.output, "runs/s"), 0u);
}

TEST(Determinism, SelfCheckNamesTheFirstDivergentStep) {
  auto dir = fresh_dir("determinism");
  auto plain = run("SIMLOOP_REGRESSIONS=" + dir, subject, "--gtest_filter=Subject.LeaksStateAcrossRuns");
  EXPECT_EQ(plain.status, 0) << plain.output;
  auto o = run("SIMLOOP_CHECK_DETERMINISM=1 SIMLOOP_REGRESSIONS=" + dir, subject,
               "--gtest_filter=Subject.LeaksStateAcrossRuns");
  EXPECT_EQ(o.status, 1);
  EXPECT_NE(o.output.find("simloop: nondeterminism: seed 0x0 ran differently twice"), std::string::npos) << o.output;
  EXPECT_NE(o.output.find("  first divergence: step "), std::string::npos) << o.output;
  EXPECT_NE(o.output.find("  run 1:            "), std::string::npos) << o.output;
  EXPECT_NE(o.output.find("  run 2:            "), std::string::npos) << o.output;
  EXPECT_NE(o.output.find("replay: SIMLOOP_CHECK_DETERMINISM=1 SIMLOOP_SEED=0x0"), std::string::npos) << o.output;
  // A deterministic test passes the self-check.
  auto ok = run("SIMLOOP_CHECK_DETERMINISM=1 SIMLOOP_RUNS=50", subject, "--gtest_filter=Subject.LostUpdate");
  EXPECT_EQ(ok.output.find("nondeterminism"), std::string::npos) << ok.output;
}
