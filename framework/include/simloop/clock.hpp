// simloop/clock.hpp: virtual time.
#pragma once

#include <chrono>
#include <cstdint>

namespace simloop {

// Meets the C++ Clock requirements. now() is the virtual time of the
// simulation running on this thread; it moves only when nothing is ready and
// the simulation jumps to the next deadline. Calling now() when no
// simulation is running throws std::logic_error (simulation::now() works any
// time).
class clock {
 public:
  using rep = std::int64_t;
  using period = std::nano;
  using duration = std::chrono::duration<rep, period>;
  using time_point = std::chrono::time_point<clock, duration>;
  static constexpr bool is_steady = true;

  static time_point now();
};

}  // namespace simloop
