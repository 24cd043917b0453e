// simloop::rc::check: RapidCheck shrinks the input and the schedule together.
#include <simloop/rapidcheck.hpp>

#include "lost_update.hpp"
#include "subprocess.hpp"

#include <rapidcheck.h>

#include <gtest/gtest.h>

#include <optional>
#include <regex>

namespace {

// 8, shrinking towards 2.
rc::Gen<int> eight_tasks() {
  return rc::Gen<int>([](const rc::Random&, int) {
    return rc::shrinkable::shrinkRecur(8, [](int v) { return rc::shrink::towards(v, 2); });
  });
}

}  // namespace

struct shrunk {
  int tasks = 0;
  std::size_t deviations = 0;
  simloop::report report;
};

// One RapidCheck check of `body(tasks)` with tasks starting at 8, under a
// fixed RapidCheck seed so that the test is deterministic.
template <class Body>
std::optional<shrunk> shrink_from_eight(std::uint64_t rc_seed, Body body) {
  int last_failing_tasks = 0;
  rc::detail::TestParams params;
  params.seed = rc_seed;
  auto result = rc::detail::checkTestable(
      [&] {
        const int tasks = *eight_tasks();
        try {
          simloop::rc::check([tasks, body] { return body(tasks); });
        } catch (...) {
          last_failing_tasks = tasks;  // the last failing case is the shrunk one
          throw;
        }
      },
      rc::detail::TestMetadata{}, params);
  if (!result.template is<rc::detail::FailureResult>()) return std::nullopt;
  const simloop::report& r = simloop::rc::last_failure();
  return shrunk{last_failing_tasks, simloop::rc::deviations(r), r};
}

TEST(RapidCheckGlue, EightTaskLostUpdateShrinksToTwoTasksAndFewDeviations) {
  for (std::uint64_t seed = 1; seed <= 10; ++seed) {
    auto s = shrink_from_eight(seed, glue_test::lost_update);
    ASSERT_TRUE(s) << "RapidCheck found no failing schedule, seed " << seed;
    EXPECT_EQ(s->tasks, 2) << "seed " << seed;
    EXPECT_LE(s->deviations, 2u) << "seed " << seed;
    EXPECT_TRUE(s->report.has(simloop::finding_kind::assertion));
    // Replaying the shrunk decisions gives the same failing run.
    simloop::options replay{.strategy = simloop::strategy::replay};
    replay.choices = s->report.choices;
    auto again = simloop::run_one(replay, [] { return glue_test::lost_update(2); });
    EXPECT_EQ(again.trace_hash, s->report.trace_hash);
    EXPECT_FALSE(again.ok());
  }
}

// A lost update FIFO does not show: the shrunk schedule keeps the one or two
// deviations it needs. RapidCheck shrinks one input at a time, so a schedule
// found for many tasks does not always carry over to fewer (a local minimum):
// the task count shrinks, but not always to 2.
TEST(RapidCheckGlue, ScheduleOnlyBugKeepsItsFewDeviations) {
  int reached_two = 0;
  for (std::uint64_t seed = 1; seed <= 10; ++seed) {
    auto s = shrink_from_eight(seed, glue_test::staggered_lost_update);
    ASSERT_TRUE(s) << "RapidCheck found no failing schedule, seed " << seed;
    EXPECT_LT(s->tasks, 8) << "seed " << seed;
    EXPECT_GE(s->deviations, 1u) << "seed " << seed;  // FIFO alone passes
    EXPECT_LE(s->deviations, 2u) << "seed " << seed;
    reached_two += s->tasks == 2;
  }
  EXPECT_GE(reached_two, 1);
}

TEST(RapidCheckGlue, CorrectCodePasses) {
  EXPECT_TRUE(rc::check("atomic counter", [] {
    const int tasks = *rc::gen::inRange(1, 5);
    simloop::rc::check([tasks] { return glue_test::atomic_counter(tasks); });
  }));
}

TEST(RapidCheckGlue, ReproduceLineReplaysTheShrunkCase) {
  const std::string subject = SIMLOOP_GLUE_RC_SUBJECT;
  // A fixed RapidCheck seed: without one RapidCheck draws its own per
  // process, and the test would not be deterministic.
  auto first = glue_test::run("RC_PARAMS=\"seed=1\"", subject, "--gtest_filter=RcSubject.LostUpdate");
  EXPECT_EQ(first.status, 1) << first.output;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(first.output, m, std::regex("RC_PARAMS=\"(reproduce=[A-Za-z0-9_-]+)\""))) << first.output;
  std::string params = m[1];
  EXPECT_NE(first.output.find("simloop: the schedule below fails"), std::string::npos) << first.output;
  EXPECT_NE(first.output.find("SIMLOOP_ASSERT(*value == tasks)"), std::string::npos) << first.output;
  EXPECT_EQ(first.output.find("SIMLOOP_SEED="), std::string::npos) << first.output;

  auto again = glue_test::run("RC_PARAMS=\"" + params + "\"", subject, "--gtest_filter=RcSubject.LostUpdate");
  EXPECT_EQ(again.status, 1) << again.output;
  // The same shrunk counterexample, schedule included.
  auto schedule = [](const std::string& text) {
    std::smatch s;
    return std::regex_search(text, s, std::regex("simloop: the schedule below fails[^\n]*")) ? s.str() : "";
  };
  EXPECT_FALSE(schedule(first.output).empty());
  EXPECT_EQ(schedule(first.output), schedule(again.output)) << again.output;
}
