// simloop/detail/time_text.hpp: virtual time as findings print it.
#pragma once

#include <chrono>
#include <string>

namespace simloop::detail {

// "+1.250s": seconds and milliseconds since the simulation's start.
std::string format_time(std::chrono::nanoseconds t);

}  // namespace simloop::detail
