// simloop/detail/environment.hpp: the one place that reads SIMLOOP_*.
#pragma once

#include <simloop/options.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace simloop::detail {

struct environment {
  std::optional<std::uint64_t> seed;          // SIMLOOP_SEED=<n|0xhex>
  std::optional<std::uint64_t> runs;          // SIMLOOP_RUNS=<n>, n >= 1
  std::optional<simloop::strategy> strategy;  // SIMLOOP_STRATEGY=fifo|random|pct
  std::optional<std::uint32_t> shard_index;   // SIMLOOP_SHARD=i/n, 0 <= i < n
  std::optional<std::uint32_t> shard_count;
  std::string trace_path;                     // SIMLOOP_TRACE=file.json
  std::string regressions_dir;                // SIMLOOP_REGRESSIONS=dir
  bool quiet = false;                         // SIMLOOP_QUIET (any value but 0)
  std::optional<std::uint64_t> progress_ms;   // SIMLOOP_PROGRESS_MS=<n>: progress line period
  bool check_determinism = false;             // SIMLOOP_CHECK_DETERMINISM=1
  std::optional<std::uint64_t> cancel_at;     // SIMLOOP_CANCEL_AT=<n>: options::cancel_at_point
  std::optional<unsigned> jobs;               // SIMLOOP_JOBS=<n>, 1 <= n <= 1024: worker processes
};

// Reads and validates every SIMLOOP_* variable. A malformed value throws
// std::invalid_argument naming the variable, the value and the expected form.
environment read_environment();

// The parsers, exposed for tests.
std::uint64_t parse_u64(const char* variable, const std::string& value);
simloop::strategy parse_strategy(const char* variable, const std::string& value);

}  // namespace simloop::detail
