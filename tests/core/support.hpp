// tests/core/support.hpp: small helpers shared by the core's tests.
#pragma once

#include <simloop/simloop.hpp>

#include <chrono>
#include <string>
#include <utility>

namespace simloop_test {

// Runs make_body() on a fresh simulation. make_body must outlive the call
// (a lambda passed by the caller does: run() returns before the full
// expression ends).
template <class MakeBody>
simloop::report run_with(simloop::options opts, MakeBody&& make_body) {
  simloop::simulation sim(std::move(opts));
  return sim.run(make_body());
}

inline simloop::options fifo() {
  simloop::options o;
  o.strategy = simloop::strategy::fifo;
  return o;
}

inline simloop::options seeded(std::uint64_t seed, simloop::strategy s = simloop::strategy::random) {
  simloop::options o;
  o.seed = seed;
  o.strategy = s;
  return o;
}

// Virtual time of the running simulation, since its start.
inline std::chrono::nanoseconds vnow() { return simloop::clock::now().time_since_epoch(); }

inline bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace simloop_test
