// cancellation_ignored: a cancellation emitted on a pending operation (by
// simloop::timeout / with_deadline) that was still unanswered when the world
// went idle, or after options::cancellation_grace of virtual time. The
// scheduler keeps the requests (scheduler::cancel_requested); this file
// turns the leftovers into findings.
#include <simloop/detail/scheduler.hpp>
#include <simloop/detail/task_report.hpp>

#include <fmt/format.h>

#include <algorithm>

namespace simloop::detail {

namespace {

std::string seconds(std::chrono::nanoseconds t) {
  auto ns = t.count();
  return fmt::format("{}.{:03}s", ns / 1'000'000'000, (ns / 1'000'000) % 1000);
}

// "  grace ... due by t=+..." for a request made at `at`; empty without a grace.
std::string grace_line(std::chrono::nanoseconds grace, std::chrono::nanoseconds at) {
  if (grace.count() <= 0) return {};
  return fmt::format("  grace         options::cancellation_grace = {}: due by t=+{}\n", seconds(grace),
                     seconds(at + grace));
}

// A task cancelled through its slot (injection into tasks, its task group)
// that has not ended: where it waits is what ignores the cancellation.
void report_ignored_task_cancellation(scheduler& s, const scheduler::cancel_request& r, bool grace_expired) {
  const auto grace = s.opts().cancellation_grace;
  std::string body = describe_task(s, r.lane);
  if (r.injected_point)
    body += fmt::format("  cancelled     {} cancellation emitted on the task's slot by injection at point {} "
                        "(options::cancel_one_in / cancel_at_point), step {}, t=+{}\n",
                        cancellation_type_text(r.injected_type), r.injected_point, r.step, seconds(r.time));
  else
    body += fmt::format("  cancelled     {} cancellation emitted on the task's slot by {} in a step of {}, step {}, "
                        "t=+{}\n",
                        cancellation_type_text(r.injected_type), r.by, task_label(s, r.caller_lane), r.step,
                        seconds(r.time));
  body += grace_line(grace, r.time);
  std::string headline =
      grace_expired
          ? fmt::format("cancellation ignored: {} was cancelled through its cancellation slot and did not end "
                        "within {} (options::cancellation_grace)",
                        task_label(s, r.lane), seconds(grace))
          : fmt::format("cancellation ignored: {} was cancelled through its cancellation slot and had not ended "
                        "when nothing was ready and no timer was armed",
                        task_label(s, r.lane));
  s.add_finding(finding_kind::cancellation_ignored, headline, body);
}

}  // namespace

void scheduler::watch_task_cancellation(std::uint32_t lane, const char* by, std::uint64_t point,
                                        std::uint32_t type) {
  if (!options_.detect_cancellation_ignored || lane == 0 || lane > tasks_.size() || !tasks_[lane].alive) return;
  for (const auto& r : cancels_)
    if (r.task && r.lane == lane) return;  // already watched since its first cancellation
  cancel_requested(cancel_request{tasks_[lane].frame, lane, current_lane_, step_, now_, by,
                                  std::chrono::nanoseconds(0), point, type, true});
}

std::chrono::nanoseconds scheduler::earliest_grace_end() const noexcept {
  auto end = std::chrono::nanoseconds::max();
  for (const auto& r : cancels_) end = std::min(end, r.time + options_.cancellation_grace);
  return end;
}

bool report_ignored_cancellations(scheduler& s) {
  // Copy: add_finding must not see the list change under it.
  std::vector<scheduler::cancel_request> pending = s.cancel_requests();
  // With a grace, the requests whose grace ran out (all of them when the
  // world is idle for good: then none can be answered any more).
  auto grace = s.opts().cancellation_grace;
  bool any_expired = false;
  for (const auto& r : pending) any_expired |= grace.count() > 0 && r.time + grace <= s.now();
  std::size_t reported = 0;
  for (const auto& r : pending) {
    if (any_expired && r.time + grace > s.now()) continue;
    if (r.task) {
      // Ending may take a task virtual time (a graceful shutdown flushes,
      // sleeps): without a grace, only a world with no timer left, where it
      // can never end, makes this a finding.
      if (grace.count() == 0 && !s.timers().empty()) continue;
      report_ignored_task_cancellation(s, r, any_expired);
      ++reported;
      continue;
    }
    // The operation's own wait site: the "waiting on" line of the task that
    // awaits it (the `||` operand simloop::timeout spawned).
    std::string op = describe_task(s, r.lane);
    auto at = op.find("waiting on  ");
    op = at == std::string::npos ? "(not known)" : op.substr(at + 12);
    if (!op.empty() && op.back() == '\n') op.pop_back();
    std::string body = fmt::format("  operation     {}\n", op);
    body += fmt::format("  requested by  {}({}) at step {}, t=+{}", r.by, seconds(r.after), r.step, seconds(r.time));
    if (r.injected_point)
      body += fmt::format(" (injected at point {}, options::cancel_one_in / cancel_at_point)", r.injected_point);
    body += "\n";
    body += grace_line(grace, r.time);
    body += describe_task(s, r.caller_lane, 0, false);
    std::string headline =
        any_expired
            ? fmt::format("cancellation ignored: an operation awaited under {} by {} did not complete within "
                          "{} (options::cancellation_grace) of its cancellation",
                          r.by, task_label(s, r.caller_lane), seconds(grace))
            : fmt::format("cancellation ignored: an operation awaited under {} by {} neither completed nor "
                          "acknowledged its cancellation before nothing was ready",
                          r.by, task_label(s, r.caller_lane));
    s.add_finding(finding_kind::cancellation_ignored, headline, body);
    ++reported;
  }
  return reported > 0;
}

}  // namespace simloop::detail
