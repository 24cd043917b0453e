// simloop/detail/access_log.hpp: the entry point from tracked<T> accesses to
// the race detector.
#pragma once

namespace simloop::detail {

enum class access_kind : unsigned char { read, write };

// Where an access was made: a file and line when the caller could name them
// (tracked::read/write default arguments), else the return address of the
// accessing operator, symbolised only if a finding needs it.
struct access_site {
  const char* file = nullptr;
  int line = 0;
  const void* pc = nullptr;
};

// Records one access to the shared variable at `var` in the running
// simulation (nothing outside a simulation, or with options::detect_races off).
void record_access(const void* var, const char* label, access_kind kind, access_site site) noexcept;
// The variable at `var` is gone: its address may be reused by another.
void forget_variable(const void* var) noexcept;

}  // namespace simloop::detail
