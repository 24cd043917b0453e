#include <simloop/random.hpp>

#include <simloop/detail/prng.hpp>
#include <simloop/detail/scheduler.hpp>

#include <random>
#include <stdexcept>

namespace simloop {

std::uint64_t random_below(std::uint64_t n) {
  if (n == 0) throw std::invalid_argument("simloop::random_below: n must be >= 1");
  if (detail::scheduler* s = detail::current_scheduler()) return s->decide(n);
  thread_local detail::prng rng{std::random_device{}() ^ (std::uint64_t{std::random_device{}()} << 32)};
  return rng.below(n);
}

double random_unit() { return static_cast<double>(random_below(1u << 24)) / static_cast<double>(1u << 24); }

}  // namespace simloop
