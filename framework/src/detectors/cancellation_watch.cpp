// cancellation_ignored: a cancellation emitted on a pending operation (by
// simloop::timeout / with_deadline) that was still unanswered when the world
// went idle. The scheduler keeps the requests (scheduler::cancel_requested);
// this file turns the leftovers into findings.
#include <simloop/detail/scheduler.hpp>
#include <simloop/detail/task_report.hpp>

#include <fmt/format.h>

namespace simloop::detail {

namespace {

std::string seconds(std::chrono::nanoseconds t) {
  auto ns = t.count();
  return fmt::format("{}.{:03}s", ns / 1'000'000'000, (ns / 1'000'000) % 1000);
}

}  // namespace

bool report_ignored_cancellations(scheduler& s) {
  // Copy: add_finding must not see the list change under it.
  std::vector<scheduler::cancel_request> pending = s.cancel_requests();
  for (const auto& r : pending) {
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
    body += describe_task(s, r.caller_lane, 0, false);
    s.add_finding(finding_kind::cancellation_ignored,
                  fmt::format("cancellation ignored: an operation awaited under {} by {} neither completed nor "
                              "acknowledged its cancellation before nothing was ready",
                              r.by, task_label(s, r.caller_lane)),
                  body);
  }
  return true;
}

}  // namespace simloop::detail
