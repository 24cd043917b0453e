// simloop/assert.hpp: SIMLOOP_ASSERT, an assertion that is a finding.
#pragma once

namespace simloop::detail {
// Records an assertion finding in the running simulation and throws
// run_aborted to leave the failing coroutine. Outside a simulation it throws
// std::logic_error with the same text.
[[noreturn]] void assertion_failed(const char* expr, const char* file, int line, const char* function);
}  // namespace simloop::detail

// Records an `assertion` finding (expression, file:line, function) and ends
// the run. Usable in coroutines and plain handlers.
#define SIMLOOP_ASSERT(cond)                                                                       \
  do {                                                                                             \
    if (!static_cast<bool>(cond))                                                                  \
      ::simloop::detail::assertion_failed(#cond, __builtin_FILE(), __builtin_LINE(), __builtin_FUNCTION()); \
  } while (false)
