// simloop/detail/access_log.hpp: the entry point from tracked<T> accesses to
// the race detector.
#pragma once

namespace simloop::detail {

enum class access_kind : unsigned char { read, write };

// Records one access to the shared variable at `var` in the running
// simulation (nothing outside a simulation).
void record_access(const void* var, const char* label, access_kind kind, const char* file, int line) noexcept;

}  // namespace simloop::detail
