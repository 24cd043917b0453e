#include <simloop/assert.hpp>

#include <simloop/detail/scheduler.hpp>

#include <fmt/format.h>

#include <stdexcept>

namespace simloop::detail {

void assertion_failed(const char* expr, const char* file, int line, const char* function) {
  scheduler* s = current_scheduler();
  if (!s) throw std::logic_error(fmt::format("SIMLOOP_ASSERT({}) failed at {}:{} in {}", expr, file, line, function));
  s->add_finding(finding_kind::assertion, fmt::format("assertion failed: SIMLOOP_ASSERT({})", expr),
                 fmt::format("  at:         {}:{} in {}\n  task:       #{}\n", file, line, function, s->current_lane()));
  s->request_stop();
  throw run_aborted{};
}

}  // namespace simloop::detail
