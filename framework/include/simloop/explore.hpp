// simloop/explore.hpp: many seeds, stop at the first failure.
#pragma once

#include <simloop/finding.hpp>
#include <simloop/options.hpp>

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <functional>

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
};

// Runs make_body() on a fresh simulation for seeds first_seed,
// first_seed + 1, ...; returns the first failing run's report, or the last
// run's report if none failed (report::runs says how many ran; 0 when a
// SIMLOOP_SHARD slice is empty because there are more shards than runs).
//
// Environment (when use_environment): SIMLOOP_SEED=<n|0xhex> runs that one
// seed only; SIMLOOP_RUNS=<n> sets runs; SIMLOOP_STRATEGY=<fifo|random|pct>
// sets the strategy; SIMLOOP_SHARD=i/n runs the i-th of n contiguous slices
// of the seed range. A malformed value throws std::invalid_argument naming
// the variable and the expected form.
report explore(explore_options, std::function<boost::asio::awaitable<void>()> make_body);

// Runs one seed (what explore does per seed).
report run_one(const options&, const std::function<boost::asio::awaitable<void>()>& make_body);

}  // namespace simloop
