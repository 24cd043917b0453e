// Cancellation injection (options::cancel_one_in, cancel_at_point,
// explore_options::cancel_each_point): a deadline of simloop::timeout fires at
// a chosen suspension point of its operation, exactly as if it had passed.
#include <simloop/simloop.hpp>
#include <simloop/queue.hpp>
#include <simloop/task_group.hpp>
#include <simloop/timeout.hpp>

#include <gtest/gtest.h>

#include "support.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <stdexcept>
#include <vector>

using namespace std::chrono_literals;

namespace {

using cancellation_test::contains;

constexpr int items = 3;

// One item's work: 1s, far inside its 10s timeout. Only an injected
// cancellation (or a real deadline on a slower machine) makes it time out.
asio::awaitable<void> slow_step(int item, std::vector<int>& done) {
  co_await simloop::sleep_for(1s);
  done.push_back(item);
}

// Takes items until the queue is empty. The bug (PutBack false): on
// timed_out the item it took is dropped. Fixed: it goes back to the queue.
template <bool PutBack>
asio::awaitable<void> worker(simloop::queue<int>& q, std::vector<int>& done) {
  // No suspension between the check and the get: the get takes an item.
  while (!q.empty()) {
    auto get = q.async_get(asio::use_awaitable);
    int item = co_await std::move(get);
    bool timed_out = false;
    try {
      auto step = slow_step(item, done);
      co_await simloop::timeout(10s, std::move(step));
    } catch (const boost::system::system_error& e) {
      SIMLOOP_ASSERT(e.code() == simloop::error::timed_out);
      timed_out = true;
    }
    if (timed_out && PutBack) {
      auto put = q.async_put(item, asio::use_awaitable);
      co_await std::move(put);
    }
  }
}

template <bool PutBack>
asio::awaitable<void> worker_program() {
  auto ex = co_await asio::this_coro::executor;
  simloop::queue<int> q(ex);
  std::vector<int> done;
  for (int i = 0; i < items; ++i) {
    auto put = q.async_put(i, asio::use_awaitable);
    co_await std::move(put);
  }
  simloop::task_group g(ex);
  g.spawn(worker<PutBack>(q, done));
  g.spawn(worker<PutBack>(q, done));
  auto all = g.async_wait(asio::use_awaitable);
  co_await std::move(all);
  SIMLOOP_ASSERT(done.size() == items);
}

const auto buggy = [] { return worker_program<false>(); };
const auto fixed = [] { return worker_program<true>(); };

simloop::explore_options explore_opts(simloop::strategy s, std::uint64_t runs, std::uint32_t one_in) {
  simloop::explore_options eo;
  eo.runs = runs;
  eo.strategy = s;
  eo.use_environment = false;
  eo.base.cancel_one_in = one_in;
  // These tests are about the timeout around each item: the task group's
  // children are no targets here (task_injection_test.cpp covers them).
  eo.base.cancel_targets = simloop::cancel_timeouts;
  return eo;
}

}  // namespace

TEST(CancelInjection, FindsWorkerThatDropsItemOnTimeout) {
  for (auto s : {simloop::strategy::random, simloop::strategy::pct}) {
    simloop::report r = simloop::explore(explore_opts(s, 1000, 4), buggy);
    ASSERT_FALSE(r.ok()) << simloop::to_string(s);
    ASSERT_EQ(r.findings.size(), 1u) << r.describe();
    EXPECT_TRUE(contains(r.findings[0].message, "simloop: assertion failed: SIMLOOP_ASSERT(done.size() == items)"));
    EXPECT_FALSE(r.cancellations.empty());
    EXPECT_LT(r.runs, 50u);
    std::cout << simloop::to_string(s) << ": dropped an item at run " << r.runs << "\n";
  }
}

TEST(CancelInjection, FixedWorkerPassesOverThousandSeeds) {
  for (auto s : {simloop::strategy::random, simloop::strategy::pct}) {
    std::uint64_t injected_runs = 0;
    for (std::uint64_t seed = 0; seed < 1000; ++seed) {
      simloop::report r = simloop::run_one({.seed = seed, .strategy = s, .cancel_one_in = 4, .cancel_targets = simloop::cancel_timeouts}, fixed);
      // ok(): no assertion, no leak, no deadlock, no cancellation_ignored.
      ASSERT_TRUE(r.ok()) << simloop::to_string(s) << " seed " << seed << ":\n" << r.describe();
      if (!r.cancellations.empty()) ++injected_runs;
    }
    // Most runs really were cancelled somewhere (1 - (3/4)^3 of them at least).
    EXPECT_GT(injected_runs, 400u) << simloop::to_string(s);
  }
}

TEST(CancelInjection, NeverFoundWithInjectionOff) {
  for (auto s : {simloop::strategy::random, simloop::strategy::pct}) {
    simloop::report r = simloop::explore(explore_opts(s, 1000, 0), buggy);
    EXPECT_TRUE(r.ok()) << r.describe();
    EXPECT_EQ(r.runs, 1000u);
    EXPECT_EQ(r.cancel_points, 0u);  // not even counted
  }
}

TEST(CancelInjection, NeverUnderFifo) {
  for (std::uint64_t seed = 0; seed < 100; ++seed) {
    simloop::report r = simloop::run_one({.seed = seed, .strategy = simloop::strategy::fifo, .cancel_one_in = 2, .cancel_targets = simloop::cancel_timeouts}, buggy);
    EXPECT_TRUE(r.ok()) << r.describe();
    EXPECT_TRUE(r.cancellations.empty());
  }
}

TEST(CancelInjection, CoverEveryPointFindsTheDropAtRunTwo) {
  simloop::report learn = simloop::run_one({.seed = 0, .strategy = simloop::strategy::pct, .cancel_targets = simloop::cancel_timeouts, .count_cancel_points = true}, buggy);
  ASSERT_TRUE(learn.ok()) << learn.describe();
  EXPECT_EQ(learn.cancel_points, static_cast<std::uint64_t>(items));  // one suspension per item's slow step
  EXPECT_TRUE(learn.cancellations.empty());

  for (auto s : {simloop::strategy::random, simloop::strategy::pct}) {
    simloop::explore_options eo = explore_opts(s, 1000, 0);
    eo.cancel_each_point = true;
    simloop::report r = simloop::explore(eo, buggy);
    ASSERT_FALSE(r.ok()) << simloop::to_string(s);
    // Run 1 learns the points, run 2 cancels the first: the item is lost.
    EXPECT_EQ(r.runs, 2u);
    EXPECT_EQ(r.seed, 0u);
    EXPECT_EQ(r.cancel_at_point, 1u);
    ASSERT_EQ(r.cancellations.size(), 1u);
    EXPECT_EQ(r.cancellations[0].point, 1u);
    EXPECT_EQ(r.cancellations[0].type, static_cast<std::uint32_t>(asio::cancellation_type::all));
    EXPECT_TRUE(contains(r.replay_command(), "SIMLOOP_CANCEL_AT=1 "));
    EXPECT_TRUE(contains(r.findings[0].message, "  replay: SIMLOOP_SEED=0x0 SIMLOOP_STRATEGY=" +
                                                    std::string(simloop::to_string(s)) + " SIMLOOP_CANCEL_AT=1 "));
  }
}

TEST(CancelInjection, CoverEveryPointThenSamplesForTheFixedWorker) {
  for (auto s : {simloop::strategy::random, simloop::strategy::pct}) {
    simloop::explore_options eo = explore_opts(s, 1000, 4);
    eo.cancel_each_point = true;
    simloop::report r = simloop::explore(eo, fixed);
    EXPECT_TRUE(r.ok()) << r.describe();
    EXPECT_EQ(r.runs, 1000u);  // 1 + 3 cover runs, then 996 sampled seeds
    EXPECT_EQ(r.cancel_at_point, 0u);
  }
}

TEST(CancelInjection, FailingRunReplaysFromChoicesAndFromItsSeed) {
  simloop::report found = simloop::explore(explore_opts(simloop::strategy::random, 1000, 4), buggy);
  ASSERT_FALSE(found.ok());
  ASSERT_FALSE(found.cancellations.empty());

  simloop::report from_choices = simloop::run_one(
      {.strategy = simloop::strategy::replay, .choices = found.choices, .cancel_one_in = 4, .cancel_targets = simloop::cancel_timeouts}, buggy);
  ASSERT_FALSE(from_choices.ok());
  EXPECT_EQ(from_choices.trace_hash, found.trace_hash);
  EXPECT_EQ(from_choices.steps, found.steps);
  EXPECT_EQ(from_choices.cancellations.size(), found.cancellations.size());

  simloop::report from_seed =
      simloop::run_one({.seed = found.seed, .strategy = simloop::strategy::random, .cancel_one_in = 4, .cancel_targets = simloop::cancel_timeouts}, buggy);
  EXPECT_EQ(from_seed.trace_hash, found.trace_hash);
  ASSERT_EQ(from_seed.findings.size(), 1u);
  EXPECT_EQ(from_seed.findings[0].message, found.findings[0].message);

  // The injection is part of the trace: the same seed without it differs.
  simloop::report clean = simloop::run_one({.seed = found.seed, .strategy = simloop::strategy::random}, buggy);
  EXPECT_NE(clean.trace_hash, found.trace_hash);
}

TEST(CancelInjection, CoverRunReplaysFromItsReplayLine) {
  simloop::explore_options eo = explore_opts(simloop::strategy::pct, 1000, 0);
  eo.cancel_each_point = true;
  simloop::report found = simloop::explore(eo, buggy);
  ASSERT_FALSE(found.ok());
  // What the replay line sets: SIMLOOP_SEED, SIMLOOP_STRATEGY, SIMLOOP_CANCEL_AT.
  ::setenv("SIMLOOP_SEED", "0x0", 1);
  ::setenv("SIMLOOP_STRATEGY", "pct", 1);
  ::setenv("SIMLOOP_CANCEL_AT", "1", 1);
  ::setenv("SIMLOOP_QUIET", "1", 1);
  simloop::explore_options again_eo = eo;
  again_eo.use_environment = true;
  simloop::report again = simloop::explore(again_eo, buggy);
  ::unsetenv("SIMLOOP_SEED");
  ::unsetenv("SIMLOOP_STRATEGY");
  ::unsetenv("SIMLOOP_CANCEL_AT");
  ::unsetenv("SIMLOOP_QUIET");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.runs, 1u);
  EXPECT_EQ(again.trace_hash, found.trace_hash);
  EXPECT_EQ(again.findings[0].message, found.findings[0].message);
}

TEST(CancelInjection, CoverRunFailureIsARegressionEntryWithItsPoint) {
  std::string dir = ::testing::TempDir() + "simloop-cover-regressions";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::string source = dir + "/cover_test.cpp";
  simloop::explore_options eo = explore_opts(simloop::strategy::pct, 1000, 0);
  eo.cancel_each_point = true;
  eo.name = "Cover.Drop";
  eo.regressions_source = source;
  simloop::report found = simloop::explore(eo, buggy);
  ASSERT_FALSE(found.ok());
  ASSERT_EQ(found.cancel_at_point, 1u);
  std::string file;
  {
    std::ifstream in(dir + "/cover_test.simloop-regressions");
    file.assign(std::istreambuf_iterator<char>(in), {});
  }
  EXPECT_TRUE(contains(file, "Cover.Drop seed=0x0 strategy=pct cancel_at=1\n"));

  // The next exploration, even one that no longer covers points, re-runs the
  // entry first with its point: the same failing run, found at run 1.
  simloop::explore_options later = explore_opts(simloop::strategy::pct, 1000, 0);
  later.name = "Cover.Drop";
  later.regressions_source = source;
  simloop::report again = simloop::explore(later, buggy);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.runs, 1u);
  EXPECT_EQ(again.cancel_at_point, 1u);
  EXPECT_EQ(again.trace_hash, found.trace_hash);
  EXPECT_TRUE(contains(again.note, "cover_test.simloop-regressions:3"));
  EXPECT_EQ(again.findings[0].message, found.findings[0].message);
}

TEST(CancelInjection, OffDrawsNoExtraChoices) {
  for (auto s : {simloop::strategy::random, simloop::strategy::pct}) {
    for (std::uint64_t seed = 0; seed < 100; ++seed) {
      simloop::report off = simloop::run_one({.seed = seed, .strategy = s}, fixed);
      // Counting points registers every timeout but can never inject.
      simloop::report counted = simloop::run_one({.seed = seed, .strategy = s, .cancel_targets = simloop::cancel_timeouts, .count_cancel_points = true}, fixed);
      // An injection point that is never reached.
      simloop::report unreachable = simloop::run_one({.seed = seed, .strategy = s, .cancel_targets = simloop::cancel_timeouts, .cancel_at_point = 1000}, fixed);
      EXPECT_EQ(off.choices, counted.choices);
      EXPECT_EQ(off.choices, unreachable.choices);
      EXPECT_EQ(off.trace_hash, counted.trace_hash);
      EXPECT_EQ(off.trace_hash, unreachable.trace_hash);
      EXPECT_EQ(off.cancel_points, 0u);
      EXPECT_EQ(counted.cancel_points, static_cast<std::uint64_t>(items));
      // On, every point draws a decision (which shifts the later picks).
      simloop::report on = simloop::run_one({.seed = seed, .strategy = s, .cancel_one_in = 1'000'000, .cancel_targets = simloop::cancel_timeouts}, fixed);
      EXPECT_EQ(on.cancel_points, static_cast<std::uint64_t>(items));
      EXPECT_NE(on.trace_hash, off.trace_hash);
    }
  }
}

namespace {

// The operation sees what it would see if the deadline had passed.
asio::awaitable<void> observed_sleep(boost::system::error_code& seen) {
  try {
    co_await simloop::sleep_for(1s);
  } catch (const boost::system::system_error& e) {
    seen = e.code();
    throw;
  }
}

simloop::report run_injected_at_first_point(unsigned types, boost::system::error_code& seen, bool& timed_out) {
  return simloop::run_one({.strategy = simloop::strategy::fifo, .cancel_types = types, .cancel_targets = simloop::cancel_timeouts, .cancel_at_point = 1},
                          [&]() -> asio::awaitable<void> {
                            try {
                              auto op = observed_sleep(seen);
                              co_await simloop::timeout(10s, std::move(op));
                            } catch (const boost::system::system_error& e) {
                              timed_out = e.code() == simloop::error::timed_out;
                            }
                          });
}

}  // namespace

TEST(CancelInjection, LooksLikeTheDeadlinePassed) {
  boost::system::error_code seen;
  bool timed_out = false;
  simloop::report r = run_injected_at_first_point(simloop::inject_all, seen, timed_out);
  EXPECT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(seen, asio::error::operation_aborted);
  EXPECT_TRUE(timed_out);
  EXPECT_EQ(r.virtual_elapsed, 0s);  // cancelled at once, not after 1s
  ASSERT_EQ(r.cancellations.size(), 1u);
  EXPECT_EQ(r.cancellations[0].type, static_cast<std::uint32_t>(asio::cancellation_type::all));
}

TEST(CancelInjection, TerminalReachesTheOperationTotalIsFilteredByTheCoroutine) {
  boost::system::error_code seen;
  bool timed_out = false;
  simloop::report r = run_injected_at_first_point(simloop::inject_terminal, seen, timed_out);
  EXPECT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(seen, asio::error::operation_aborted);
  EXPECT_TRUE(timed_out);
  EXPECT_EQ(r.cancellations.at(0).type, static_cast<std::uint32_t>(asio::cancellation_type::terminal));

  // A coroutine's default filter passes terminal only: the sleep runs on and
  // succeeds, so its result stands (no timed_out), and cancellation_ignored
  // stays silent.
  seen = {};
  timed_out = false;
  r = run_injected_at_first_point(simloop::inject_total, seen, timed_out);
  EXPECT_TRUE(r.ok()) << r.describe();
  EXPECT_FALSE(seen);
  EXPECT_FALSE(timed_out);
  EXPECT_EQ(r.virtual_elapsed, 1s);
  EXPECT_EQ(r.cancellations.at(0).type, static_cast<std::uint32_t>(asio::cancellation_type::total));
}

TEST(CancelInjection, TypeIsARecordedChoice) {
  unsigned every = simloop::inject_all | simloop::inject_terminal | simloop::inject_partial | simloop::inject_total;
  using ct = asio::cancellation_type;
  std::map<std::uint32_t, bool> types_seen;
  for (std::uint64_t seed = 0; seed < 200; ++seed) {
    simloop::options o{.seed = seed, .cancel_one_in = 2, .cancel_types = every, .cancel_targets = simloop::cancel_timeouts};
    simloop::report r = simloop::run_one(o, fixed);
    EXPECT_TRUE(r.ok()) << r.describe();
    for (const auto& c : r.cancellations) types_seen[c.type] = true;
    simloop::report replayed = simloop::run_one(
        {.strategy = simloop::strategy::replay, .choices = r.choices, .cancel_one_in = 2, .cancel_types = every, .cancel_targets = simloop::cancel_timeouts}, fixed);
    EXPECT_EQ(replayed.trace_hash, r.trace_hash);
  }
  for (ct t : {ct::all, ct::terminal, ct::partial, ct::total})
    EXPECT_TRUE(types_seen[static_cast<std::uint32_t>(t)]) << static_cast<std::uint32_t>(t);
}

TEST(CancelInjection, OptionsAreValidated) {
  auto message = [](simloop::options o) -> std::string {
    try {
      simloop::validate(o);
    } catch (const std::invalid_argument& e) {
      return e.what();
    }
    return "";
  };
  EXPECT_TRUE(contains(message({.cancel_one_in = 1}), "simloop::options::cancel_one_in must be 0 (off) or >= 2"));
  EXPECT_TRUE(contains(message({.cancel_types = 0}), "simloop::options::cancel_types must be a non-empty set"));
  EXPECT_TRUE(contains(message({.cancel_types = 16}), "simloop::options::cancel_types"));
  EXPECT_TRUE(contains(message({.cancellation_grace = -1s}), "simloop::options::cancellation_grace must not be negative"));
  EXPECT_EQ(message({.cancel_one_in = 2, .cancel_at_point = 5, .cancellation_grace = 1s}), "");
  EXPECT_THROW(simloop::simulation({.cancel_one_in = 1}), std::invalid_argument);
}
