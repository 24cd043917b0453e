// simloop/detail/prng.hpp: the seeded generator behind every random decision.
#pragma once

#include <cstdint>

namespace simloop::detail {

// SplitMix64: tiny state, fast, passes BigCrush, and splittable: split()
// derives an independent stream, so adding a consumer of randomness to one
// part of the simulation does not shift another part's draws.
class prng {
 public:
  explicit prng(std::uint64_t seed) noexcept : state_(seed) {}

  std::uint64_t next() noexcept {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

  prng split() noexcept { return prng(next() ^ 0x6a09e667f3bcc909ULL); }

  // Uniform in [0, n), n >= 1. Lemire's multiply-shift with rejection: the
  // same on every standard library (std::uniform_int_distribution is not).
  std::uint64_t below(std::uint64_t n) noexcept {
    std::uint64_t x = next();
    __uint128_t m = static_cast<__uint128_t>(x) * n;
    auto low = static_cast<std::uint64_t>(m);
    if (low < n) {
      std::uint64_t threshold = (0 - n) % n;
      while (low < threshold) {
        x = next();
        m = static_cast<__uint128_t>(x) * n;
        low = static_cast<std::uint64_t>(m);
      }
    }
    return static_cast<std::uint64_t>(m >> 64);
  }

 private:
  std::uint64_t state_;
};

}  // namespace simloop::detail
