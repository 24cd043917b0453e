// tests/glue/subject_test.cpp: SIMLOOP_TESTs that fail on purpose. Not run by
// ctest directly: cli_test.cpp runs this binary as a subprocess with
// SIMLOOP_* variables and checks what it prints and its exit status.
#include <simloop/gtest.hpp>

#include "lost_update.hpp"

#include <cstdio>
#include <cstdlib>
#include <string>

#include <fcntl.h>
#include <unistd.h>

SIMLOOP_TEST(Subject, LostUpdate) { co_await glue_test::staggered_lost_update(3); }

SIMLOOP_TEST(Subject, Passes) { co_await glue_test::atomic_counter(2); }

SIMLOOP_TEST_OPTS(Subject, RandomOpts, simloop::explore_options{.runs = 30, .strategy = simloop::strategy::random}) {
  co_await glue_test::atomic_counter(2);
}

// Prints the seed of every run, to check the seed ranges of SIMLOOP_SHARD.
// Serial: a worker process's output is discarded.
SIMLOOP_TEST_OPTS(Subject, PrintSeeds, simloop::explore_options{.runs = 10, .jobs = 1}) {
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

// A failed EXPECT_* on seeds 37 and 53 only: whatever SIMLOOP_JOBS, seed 37
// is reported, and its gtest failure once.
SIMLOOP_TEST_OPTS(Subject, ExpectAtSeeds, simloop::explore_options{.runs = 100}) {
  co_await glue_test::atomic_counter(2);
  std::uint64_t seed = simloop::simulation::current()->get_options().seed;
  EXPECT_TRUE(seed != 37 && seed != 53) << "failing seed " << seed;
}

// Appends "<seed> <pid>" for every run to the file SUBJECT_SEED_LOG names, from
// whichever process makes the run (a worker's output would be discarded; its
// O_APPEND writes are not).
SIMLOOP_TEST_OPTS(Subject, LogsSeeds, simloop::explore_options{.runs = 60}) {
  if (const char* log = std::getenv("SUBJECT_SEED_LOG")) {
    std::string line =
        std::to_string(simloop::simulation::current()->get_options().seed) + " " + std::to_string(::getpid()) + "\n";
    int fd = ::open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd >= 0) {
      EXPECT_EQ(::write(fd, line.data(), line.size()), static_cast<ssize_t>(line.size()));
      ::close(fd);
    }
  }
  co_await simloop::yield();
}
