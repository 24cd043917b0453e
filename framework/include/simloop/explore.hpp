// simloop/explore.hpp: many seeds, stop at the first failure.
#pragma once

#include <simloop/finding.hpp>
#include <simloop/options.hpp>

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <functional>
#include <string>

namespace simloop {

struct explore_options {
  std::uint64_t first_seed = 0;
  std::uint64_t runs = 1000;
  simloop::strategy strategy = strategy::pct;
  // Everything else about each run (limits, pct depth); its seed and strategy
  // fields are replaced per run.
  options base = {};
  // Read SIMLOOP_SEED / SIMLOOP_RUNS / SIMLOOP_STRATEGY. Off for tests that
  // must not be steered by the environment.
  bool use_environment = true;
  // The test's name ("Suite.Name"): shown in progress lines, and the key of
  // its entries in the regressions file. SIMLOOP_TEST sets it.
  std::string name = {};
  // The test's source file (__FILE__). When it and name are set, failing
  // seeds are appended to <its directory>/<its stem>.simloop-regressions (or
  // to <SIMLOOP_REGRESSIONS>/<its stem>.simloop-regressions) and re-run
  // first by every later exploration. Empty: no regressions file.
  std::string regressions_source = {};
  // Cover every injectable point (docs/cancellation.md): run 1 (seed
  // first_seed, no injection) counts the k points its operations under
  // simloop::timeout / with_deadline pass (report::cancel_points); runs
  // 2..k+1 replay that seed with options::cancel_at_point = 1..k, each
  // cancelling exactly one point; the remaining runs (runs - k - 1, seeds
  // first_seed + 1, ...) sample as usual with base.cancel_one_in. All k + 1
  // cover runs are made even when runs is smaller. A failing cover run's
  // replay line carries SIMLOOP_CANCEL_AT. Cover runs are not appended to
  // the regressions file (it keeps seed and strategy only). Default false.
  bool cancel_each_point = false;
  // Worker processes that run seeds in parallel (docs/parallel.md). 0 (the
  // default): SIMLOOP_JOBS when set (and use_environment), else the number
  // of cores; 1: every run in this process, one after another. The result is
  // the serial one whatever the number: the same first failing run, and its
  // report made by running that seed again in this process, so that only
  // this process's run of it has effects that count (gtest failures, output,
  // the regressions file, SIMLOOP_TRACE). Workers are forked after the
  // regression entries (and cancel_each_point's counting run) have run here;
  // a worker's output is discarded, and its other effects on memory stay in
  // the worker. A body whose runs must all leave their effects in this
  // process (counting something across runs in a captured variable) sets 1.
  // Serial whatever the value: SIMLOOP_SEED, fewer than 3 runs, a process
  // with more than one thread (fork would be unsafe), systems other than
  // Linux.
  unsigned jobs = 0;
};

// Runs make_body() on a fresh simulation for seeds first_seed,
// first_seed + 1, ...; returns the first failing run's report, or the last
// run's report if none failed (report::runs says how many ran; 0 when a
// SIMLOOP_SHARD slice is empty because there are more shards than runs).
//
// Environment (when use_environment): SIMLOOP_SEED=<n|0xhex> runs that one
// seed only; SIMLOOP_RUNS=<n> sets runs; SIMLOOP_STRATEGY=<fifo|random|pct>
// sets the strategy. A malformed value throws std::invalid_argument naming
// the variable and the expected form. SIMLOOP_SHARD=i/n runs the i-th of n
// slices of the seed range. SIMLOOP_TRACE=file.json writes the failing run
// (or the SIMLOOP_SEED run) as Chrome trace-event JSON. SIMLOOP_CHECK_DETERMINISM=1
// runs every seed twice and reports a nondeterminism finding naming the first
// divergent step. SIMLOOP_CANCEL_AT=<i> (with SIMLOOP_SEED) sets
// options::cancel_at_point: the replay of a cancel_each_point run.
// SIMLOOP_JOBS=<n> sets the worker processes when jobs is 0. Progress goes to
// stderr (a live line on a terminal, a line every 5 s otherwise, period
// SIMLOOP_PROGRESS_MS) unless SIMLOOP_QUIET is set; nothing of it reaches a
// run.
report explore(explore_options, std::function<boost::asio::awaitable<void>()> make_body);

// Runs one seed (what explore does per seed).
report run_one(const options&, const std::function<boost::asio::awaitable<void>()>& make_body);

}  // namespace simloop
