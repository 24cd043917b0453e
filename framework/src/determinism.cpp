#include <simloop/detail/determinism.hpp>

#include <fmt/format.h>

#include <algorithm>

namespace simloop::detail {

namespace {

std::string format_time(std::chrono::nanoseconds t) {
  auto ns = t.count();
  return fmt::format("+{}.{:03}s", ns / 1'000'000'000, (ns / 1'000'000) % 1000);
}

// Virtual time at which step (1-based) ran.
std::chrono::nanoseconds time_of(const report& r, std::uint64_t step) {
  std::chrono::nanoseconds t{0};
  for (const auto& c : r.time_changes) {
    if (c.step > step) break;
    t = c.time;
  }
  return t;
}

std::string what_ran(const report& r, std::uint64_t step) {
  if (step > r.trace.size()) return fmt::format("had ended after {} steps", r.trace.size());
  const trace_step& s = r.trace[step - 1];
  std::string who = s.lane == 0 ? std::string("a handler outside every task") : fmt::format("task #{}", s.lane);
  std::uint64_t parent = step - 1 < r.trace_parents.size() ? r.trace_parents[step - 1] : 0;
  return fmt::format("{} ran (pick {} of the ready steps, submitted at step {}) at t={}", who, s.choice, parent,
                     format_time(time_of(r, step)));
}

std::string outcome(const report& r) {
  if (r.findings.empty()) return "no findings";
  std::string kinds;
  for (const auto& f : r.findings) kinds += fmt::format("{}{}", kinds.empty() ? "" : ", ", to_string(f.kind));
  return kinds;
}

}  // namespace

std::string first_divergence(const report& a, const report& b) {
  bool same_findings = a.findings.size() == b.findings.size() &&
                       std::equal(a.findings.begin(), a.findings.end(), b.findings.begin(),
                                  [](const finding& x, const finding& y) { return x.kind == y.kind && x.message == y.message; });
  if (a.trace_hash == b.trace_hash && a.steps == b.steps && same_findings && a.choices == b.choices) return {};

  // The first step whose lane, pick, parent or time differs.
  std::uint64_t n = std::max(a.trace.size(), b.trace.size());
  for (std::uint64_t step = 1; step <= n; ++step) {
    bool differ = step > a.trace.size() || step > b.trace.size();
    if (!differ) {
      const trace_step &x = a.trace[step - 1], &y = b.trace[step - 1];
      differ = x.lane != y.lane || x.choice != y.choice || time_of(a, step) != time_of(b, step) ||
               (step - 1 < a.trace_parents.size() && step - 1 < b.trace_parents.size() &&
                a.trace_parents[step - 1] != b.trace_parents[step - 1]);
    }
    if (differ)
      return fmt::format("  first divergence: step {}\n  run 1:            {}\n  run 2:            {}\n", step,
                         what_ran(a, step), what_ran(b, step));
  }
  // Same steps: a data decision or the outcome differs.
  for (std::size_t i = 0; i < std::min(a.choices.size(), b.choices.size()); ++i)
    if (a.choices[i] != b.choices[i])
      return fmt::format("  first divergence: decision #{} (every step ran the same task)\n"
                         "  run 1:            took {}\n  run 2:            took {}\n",
                         i + 1, a.choices[i], b.choices[i]);
  return fmt::format("  first divergence: the outcome (every step ran the same task)\n"
                     "  run 1:            {} ({} steps, hash {:#x})\n  run 2:            {} ({} steps, hash {:#x})\n",
                     outcome(a), a.steps, a.trace_hash, outcome(b), b.steps, b.trace_hash);
}

}  // namespace simloop::detail
