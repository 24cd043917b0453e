// In-process parts of the glue: SIMLOOP_TEST itself, regressions files,
// progress lines, the determinism comparison.
#include <simloop/gtest.hpp>

#include <simloop/detail/determinism.hpp>
#include <simloop/detail/progress.hpp>
#include <simloop/detail/regressions.hpp>

#include "lost_update.hpp"
#include "subprocess.hpp"

#include <fmt/format.h>

#include <fstream>
#include <iterator>

// SIMLOOP_TEST under gtest_discover_tests and gtest_main.
SIMLOOP_TEST(GlueSimloopTest, CorrectCounterPassesEverySeed) { co_await glue_test::atomic_counter(3); }

SIMLOOP_TEST_OPTS(GlueSimloopTest, OptionsAreUsed,
                  simloop::explore_options{.first_seed = 100, .runs = 7, .strategy = simloop::strategy::random}) {
  auto& o = simloop::simulation::current()->get_options();
  EXPECT_EQ(o.strategy, simloop::strategy::random);
  EXPECT_GE(o.seed, 100u);
  EXPECT_LT(o.seed, 107u);
  co_await simloop::yield();
}

TEST(GlueSimloopTest, RunTestReturnsTheReport) {
  auto r = simloop::gtest::run_test(simloop::explore_options{.runs = 12, .use_environment = false},
                                    [] { return glue_test::atomic_counter(2); }, __FILE__, __LINE__);
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.runs, 12u);
}

TEST(RegressionsFile, PathIsNextToTheSourceOrInTheDirectory) {
  EXPECT_EQ(simloop::detail::regressions_path("", "/src/tests/net/tcp_test.cpp"),
            "/src/tests/net/tcp_test.simloop-regressions");
  EXPECT_EQ(simloop::detail::regressions_path("/ci/regr", "/src/tests/net/tcp_test.cpp"),
            "/ci/regr/tcp_test.simloop-regressions");
}

TEST(RegressionsFile, LoadKeepsOrderSkipsOtherTestsAndDuplicates) {
  auto dir = glue_test::fresh_dir("regr-unit");
  std::string path = dir + "/x.simloop-regressions";
  EXPECT_EQ(simloop::detail::append_regression(path, "A.B", 0x2a, simloop::strategy::pct), "");
  EXPECT_EQ(simloop::detail::append_regression(path, "A.C", 3, simloop::strategy::random), "");
  EXPECT_EQ(simloop::detail::append_regression(path, "A.B", 7, simloop::strategy::fifo), "");
  EXPECT_EQ(simloop::detail::append_regression(path, "A.B", 0x2a, simloop::strategy::pct), "");
  { std::ofstream(path, std::ios::app) << "A.B seed=0x2a strategy=pct   # again, by hand\nA.B seed=0x9\n"; }
  std::string warnings;
  auto entries = simloop::detail::load_regressions(path, "A.B", warnings);
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].seed, 0x2au);
  EXPECT_EQ(entries[0].strategy, simloop::strategy::pct);
  EXPECT_EQ(entries[0].line, 3u);  // after the two header comment lines
  EXPECT_EQ(entries[1].seed, 7u);
  EXPECT_EQ(entries[1].strategy, simloop::strategy::fifo);
  EXPECT_EQ(warnings, "simloop: warning: " + path +
                          ":7: malformed regression entry 'A.B seed=0x9' ignored (expected '<test> seed=<0xhex> "
                          "strategy=<fifo|random|pct> [cancel_at=<n>]')\n");
  std::string none;
  EXPECT_TRUE(simloop::detail::load_regressions(dir + "/absent", "A.B", none).empty());
  EXPECT_EQ(none, "");
}

TEST(RegressionsFile, CancelAtIsPartOfAnEntry) {
  auto dir = glue_test::fresh_dir("regr-cancel-at");
  std::string path = dir + "/x.simloop-regressions";
  EXPECT_EQ(simloop::detail::append_regression(path, "A.B", 0, simloop::strategy::pct, 3), "");
  EXPECT_EQ(simloop::detail::append_regression(path, "A.B", 0, simloop::strategy::pct), "");
  EXPECT_EQ(simloop::detail::append_regression(path, "A.B", 0, simloop::strategy::pct, 3), "");  // already there
  { std::ofstream(path, std::ios::app) << "A.B seed=0x1 strategy=pct cancel_at=0\nA.B seed=0x1 strategy=pct at=2\n"; }
  std::string file;
  {
    std::ifstream in(path);
    file.assign(std::istreambuf_iterator<char>(in), {});
  }
  EXPECT_NE(file.find("A.B seed=0x0 strategy=pct cancel_at=3\nA.B seed=0x0 strategy=pct\n"), std::string::npos)
      << file;
  std::string warnings;
  auto entries = simloop::detail::load_regressions(path, "A.B", warnings);
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].cancel_at_point, 3u);
  EXPECT_EQ(entries[1].cancel_at_point, 0u);
  // cancel_at=0 (no point) and an unknown field are malformed.
  EXPECT_NE(warnings.find(":5: malformed regression entry 'A.B seed=0x1 strategy=pct cancel_at=0'"),
            std::string::npos)
      << warnings;
  EXPECT_NE(warnings.find(":6: malformed regression entry 'A.B seed=0x1 strategy=pct at=2'"), std::string::npos)
      << warnings;
}

TEST(RegressionsFile, ExploreRerunsAnEntryFirst) {
  auto dir = glue_test::fresh_dir("regr-explore");
  std::string source = dir + "/my_test.cpp";
  // Seed 12345 fails under random; the entry makes it the first run.
  std::uint64_t failing = 0;
  for (std::uint64_t seed = 12345;; ++seed) {
    auto r = simloop::run_one({.seed = seed, .strategy = simloop::strategy::random},
                              [] { return glue_test::staggered_lost_update(3); });
    if (!r.ok()) {
      failing = seed;
      break;
    }
  }
  ASSERT_EQ(simloop::detail::append_regression(dir + "/my_test.simloop-regressions", "My.Test", failing,
                                               simloop::strategy::random),
            "");
  auto r = simloop::explore({.runs = 5, .strategy = simloop::strategy::fifo, .use_environment = false,
                             .name = "My.Test", .regressions_source = source},
                            [] { return glue_test::staggered_lost_update(3); });
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.seed, failing);
  EXPECT_EQ(r.strategy, simloop::strategy::random);
  EXPECT_EQ(r.runs, 1u);
  EXPECT_EQ(r.note, "regression entry " + dir + "/my_test.simloop-regressions:3");
}

TEST(ProgressLine, Format) {
  EXPECT_EQ(simloop::detail::progress_meter::format_line("S.N", 250, 1000, 0, 0.5),
            "simloop: S.N 250/1000 runs (25%), 0 failures, 500 runs/s, ETA 1.5s");
  EXPECT_EQ(simloop::detail::progress_meter::format_line("S.N", 3'000'000, 100'000'000, 1, 2.0),
            "simloop: S.N 3000000/100000000 runs (3%), 1 failure, 1,500,000 runs/s, ETA 1m04s");
  EXPECT_EQ(simloop::detail::progress_meter::format_line("", 1, 1, 0, 0.001),
            "simloop: 1/1 runs (100%), 0 failures, 1,000 runs/s, ETA 0.0s");
}

TEST(DeterminismCheck, SameSeedHasNoDivergence) {
  auto body = [] { return glue_test::staggered_lost_update(3); };
  for (std::uint64_t seed = 0; seed < 20; ++seed) {
    auto a = simloop::run_one({.seed = seed, .strategy = simloop::strategy::pct}, body);
    auto b = simloop::run_one({.seed = seed, .strategy = simloop::strategy::pct}, body);
    EXPECT_EQ(simloop::detail::first_divergence(a, b), "");
  }
}

TEST(DeterminismCheck, NamesTheFirstDivergentStepAndWhatEachRunDid) {
  auto body = [] { return glue_test::staggered_lost_update(3); };
  auto a = simloop::run_one({.seed = 1, .strategy = simloop::strategy::random}, body);
  simloop::report b;
  for (std::uint64_t seed = 2;; ++seed) {
    b = simloop::run_one({.seed = seed, .strategy = simloop::strategy::random}, body);
    if (b.trace_hash != a.trace_hash) break;
  }
  std::size_t first = 0;
  while (first < a.trace.size() && first < b.trace.size() && a.trace[first].lane == b.trace[first].lane &&
         a.trace[first].choice == b.trace[first].choice && a.trace_parents[first] == b.trace_parents[first])
    ++first;
  std::string text = simloop::detail::first_divergence(a, b);
  EXPECT_EQ(text.rfind(fmt::format("  first divergence: step {}\n", first + 1), 0), 0u) << text;
  EXPECT_NE(text.find(fmt::format("  run 1:            task #{} ran (pick {} of the ready steps",
                                   a.trace[first].lane, a.trace[first].choice)),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(fmt::format("  run 2:            task #{} ran (pick {} of the ready steps",
                                   b.trace[first].lane, b.trace[first].choice)),
            std::string::npos)
      << text;
}
