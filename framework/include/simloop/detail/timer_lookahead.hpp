// simloop/detail/timer_lookahead.hpp: loading, together, what the waits due
// at one instant will touch when they run.
#pragma once

#include <simloop/detail/timer_queue.hpp>

#include <cstddef>
#include <cstdint>

namespace simloop::detail {

// With thousands of pending waits (a simulated network's deliveries), each
// wait that fires and everything its step touches (a pipe, a socket, a
// pending read, its handler) is a cache miss, and each is found through the
// one before: a serial chain that costs more than the step's instructions.
// Waits due at the same instant fire together, and the steps they start
// run in the strategy's order among them. So when a batch fires, its chains
// are followed breadth first: one link of every wait, then the next link of
// every wait, the reads of each pass finding what the pass before requested.
// The misses of a batch overlap instead of queueing one behind the other.
// The next instant's waits, still in the timer queue, are followed in the
// same passes, so that their chains are in cache when their turn comes.
//
// Prefetching only: what runs, and in what order, is unchanged. Links are
// read from live objects (a wait just popped or still pending, its timer,
// what the hook's owner knows to be alive).
class timer_lookahead {
 public:
  // Requests the link at `stage` of op's chain; the links before it are
  // already requested. Registered for one kind of wait (its completion
  // function): the network's events.
  using hook = void (*)(wait_op* op, unsigned stage);
  static constexpr unsigned stages = 6;
  // Fewer pending waits than this and a run's working set is mostly in
  // cache: following the chains costs more than it saves (net_bench: about
  // 2% at 1,000 connections, a gain from 2,500).
  static constexpr std::size_t min_pending = 2048;
  // The next instant's first waits, at most (net_bench at 10,000
  // connections, ~9.5 deliveries an instant: 16 measured 6-7% faster than
  // 8 or 32).
  static constexpr std::size_t next_considered = 16;

  void set_hook(operation::complete_fn kind, hook h) noexcept {
    kind_ = kind;
    hook_ = h;
  }

  // The batch's waits and their timers are requested by the caller; this
  // goes further down each chain, a link per pass. The first waits of the
  // next instant (still pending, so alive; or of this instant, beyond the
  // batch) join the passes from their first link: they run after this
  // batch's steps, and their chains come in meanwhile. Interleaved with the
  // batch's, their requests also give each pass's reads more time to land.
  // `pending` counts the waits before the batch left the queue.
  void follow(wait_op* const* due, std::size_t k, std::size_t pending, const timer_queue& timers) noexcept {
    if (!hook_ || k < 2 || pending < min_pending) return;
    ++batches_;
    wait_op* next[next_considered];
    const std::size_t m = timers.peek_earliest(next, next_considered);
    // Passes 0 and 1 request the next waits and their timers (the caller
    // did that for the batch); then the hook's stages, for both.
    for (unsigned pass = 0; pass < stages + 2; ++pass) {
      if (pass >= 2)
        for (std::size_t i = 0; i < k; ++i)
          if (due[i]->complete_ == kind_) hook_(due[i], pass - 2);
      for (std::size_t i = 0; i < m; ++i) {
        if (pass < 2) {
          const char* p = reinterpret_cast<const char*>(pass == 0 ? static_cast<const void*>(next[i])
                                                                  : static_cast<const void*>(next[i]->owner));
          __builtin_prefetch(p);
          __builtin_prefetch(p + 64);
        } else if (next[i]->complete_ == kind_) {
          hook_(next[i], pass - 2);
        }
      }
    }
  }

  // How many batches were followed (for tests: the lookahead ran).
  std::uint64_t batches_followed() const noexcept { return batches_; }

 private:
  operation::complete_fn kind_ = nullptr;
  hook hook_ = nullptr;
  std::uint64_t batches_ = 0;
};

}  // namespace simloop::detail
