#include <simloop/options.hpp>

#include <fmt/format.h>

#include <stdexcept>

namespace simloop {

std::string_view to_string(strategy s) noexcept {
  switch (s) {
    case strategy::fifo: return "fifo";
    case strategy::random: return "random";
    case strategy::pct: return "pct";
    case strategy::replay: return "replay";
  }
  return "unknown";
}

void validate(const options& o) {
  auto bad = [](std::string_view field, std::string_view why) {
    throw std::invalid_argument(fmt::format("simloop::options::{} {}", field, why));
  };
  if (o.pct_depth < 1) bad("pct_depth", fmt::format("must be >= 1 (got {})", o.pct_depth));
  if (o.time_limit.count() <= 0) bad("time_limit", fmt::format("must be positive (got {}ns)", o.time_limit.count()));
  if (o.step_limit == 0) bad("step_limit", "must be positive (got 0)");
  if (o.step_cpu_budget.count() < 0)
    bad("step_cpu_budget", fmt::format("must not be negative (got {}ns)", o.step_cpu_budget.count()));
  if (o.pct_steps == 0) bad("pct_steps", "must be positive (got 0)");
  if (o.cancel_one_in == 1) bad("cancel_one_in", "must be 0 (off) or >= 2 (got 1; cancel_at_point injects at one chosen point)");
  if (o.cancel_types == 0 || o.cancel_types > 15)
    bad("cancel_types", fmt::format("must be a non-empty set of simloop::cancel_type_bits (got {})", o.cancel_types));
  if (o.max_delay.count() < 0) bad("max_delay", fmt::format("must not be negative (got {}ns)", o.max_delay.count()));
  if (o.cancel_targets == 0 || o.cancel_targets > 3)
    bad("cancel_targets", fmt::format("must be a non-empty set of simloop::cancel_target_bits (got {})", o.cancel_targets));
  if (o.cancellation_grace.count() < 0)
    bad("cancellation_grace", fmt::format("must not be negative (got {}ns)", o.cancellation_grace.count()));
  if (o.timer_jitter.count() < 0)
    bad("timer_jitter", fmt::format("must not be negative (got {}ns)", o.timer_jitter.count()));
  if (static_cast<int>(o.strategy) < 0 || static_cast<int>(o.strategy) > 3) bad("strategy", "is not a simloop::strategy");
}

}  // namespace simloop
