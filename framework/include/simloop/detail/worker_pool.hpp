// simloop/detail/worker_pool.hpp: explore()'s runs in forked worker processes.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <utility>
#include <vector>

namespace simloop::detail {

// What run_in_workers found. Every index below first_failure (or below the
// count when none failed) either passed in a worker or is in unfinished.
struct pool_result {
  // False: no worker could be forked and nothing ran; the caller runs
  // serially.
  bool started = false;
  // The lowest index that failed in a worker.
  std::optional<std::uint64_t> first_failure;
  // Ranges [first, second) below first_failure that no worker finished (its
  // worker died: a crash, an exit or an exception escaping the run), in
  // ascending order. The caller runs them itself, so that a run that kills a
  // worker kills the exploration the way a serial one would.
  std::vector<std::pair<std::uint64_t, std::uint64_t>> unfinished;
};

// Runs the indexes [0, count) on up to `jobs` worker processes forked from
// this one; failed(i) runs index i in the worker (true: it failed). Indexes
// are handed out in ascending chunks over a socket per worker; a worker
// stops its chunk at the chunk's first failure, and no chunk starts at or
// beyond the lowest failure known, while every chunk below it is waited for.
// Which index fails first therefore does not depend on timing.
//
// A worker's stdout and stderr go to /dev/null: its output, like the rest of
// its process (gtest results, statics), is thrown away; the caller re-runs
// in its own process the run whose effects should count. Workers end with
// _exit (no atexit handlers, no static destructors, no stdio flush).
// progress(n) is called in this process with the number of runs finished so
// far. Call only when can_fork_workers().
pool_result run_in_workers(std::uint64_t count, unsigned jobs, const std::function<bool(std::uint64_t)>& failed,
                           const std::function<void(std::uint64_t)>& progress);

// Logical CPUs this process may run on (sched_getaffinity), at least 1.
unsigned available_cores();

// Whether forking workers is safe: a Linux process with exactly one thread
// (a fork of a threaded process keeps only the calling thread, with other
// threads' locks possibly held).
bool can_fork_workers();

}  // namespace simloop::detail
