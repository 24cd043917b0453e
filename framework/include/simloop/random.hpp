// simloop/random.hpp: randomness that a simulation records and replays.
#pragma once

#include <cstdint>

namespace simloop {

// Uniform in [0, n), n >= 1. Inside a running simulation the value is a
// recorded decision of the run (fixed by the seed, replayed exactly, 0 under
// fifo); anywhere else it comes from a per-thread generator seeded from
// std::random_device. Use it for jitter, backoff, load balancing: code that
// draws from std::mt19937 directly makes a seed replay differently.
std::uint64_t random_below(std::uint64_t n);

// Uniform in [0, 1), with 2^24 steps.
double random_unit();

}  // namespace simloop
