// tests/glue/subject_test.cpp: SIMLOOP_TESTs that fail on purpose. Not run by
// ctest directly: cli_test.cpp runs this binary as a subprocess with
// SIMLOOP_* variables and checks what it prints and its exit status.
#include <simloop/gtest.hpp>

#include "lost_update.hpp"

#include <cstdio>

SIMLOOP_TEST(Subject, LostUpdate) { co_await glue_test::staggered_lost_update(3); }

SIMLOOP_TEST(Subject, Passes) { co_await glue_test::atomic_counter(2); }

SIMLOOP_TEST_OPTS(Subject, RandomOpts, simloop::explore_options{.runs = 30, .strategy = simloop::strategy::random}) {
  co_await glue_test::atomic_counter(2);
}

// Prints the seed of every run, to check the seed ranges of SIMLOOP_SHARD.
SIMLOOP_TEST_OPTS(Subject, PrintSeeds, simloop::explore_options{.runs = 10}) {
  std::printf("ran seed %llu\n", static_cast<unsigned long long>(simloop::simulation::current()->get_options().seed));
  co_await simloop::yield();
}

// A failed EXPECT_* inside the body ends the run as a finding.
SIMLOOP_TEST(Subject, ExpectInBody) {
  co_await simloop::yield();
  int answer = 41;
  EXPECT_EQ(answer, 42) << "the answer";
}

// State that outlives a run: every other run of a seed takes one more step.
// Passes, unless SIMLOOP_CHECK_DETERMINISM=1 runs each seed twice.
SIMLOOP_TEST_OPTS(Subject, LeaksStateAcrossRuns, simloop::explore_options{.runs = 5}) {
  static int runs = 0;
  auto ex = co_await asio::this_coro::executor;
  asio::co_spawn(ex, []() -> asio::awaitable<void> { co_await simloop::yield(); }, asio::detached);
  if (++runs % 2 == 0) co_await simloop::yield();
  co_await simloop::sleep_for(std::chrono::milliseconds(1));
}
