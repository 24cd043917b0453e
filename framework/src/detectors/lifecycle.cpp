// never_awaited and unobserved exceptions: a coroutine's life ending wrong.
#include <simloop/detail/scheduler.hpp>
#include <simloop/detail/spawn_site.hpp>
#include <simloop/detail/task_frame.hpp>
#include <simloop/detail/task_report.hpp>

#include <boost/core/demangle.hpp>

#include <fmt/format.h>

#include <cstring>
#include <exception>
#include <typeinfo>

namespace simloop::detail {

std::string exception_summary(std::exception_ptr e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    return fmt::format("{}: {}", boost::core::demangle(typeid(ex).name()), ex.what());
  } catch (...) {
    return "an exception not derived from std::exception";
  }
}

std::string coroutine_description(const frame_info& info) {
  if (info.op()) return fmt::format("the operation {}(use_awaitable)", describe_operation(info.op()));
  const source_site i = info.defined();
  if (i.function && std::strcmp(i.function, "operator()") == 0)
    return fmt::format("the lambda coroutine defined at {}", short_site(i.file, i.line));
  return fmt::format("{}(), defined at {}", i.function ? i.function : "?", short_site(i.file, i.line));
}

namespace {

// Several frames dropped in one step are one mistake (an unawaited
// `a() || b()` drops the operator's frame and both operands): one finding.
struct last_drop {
  const scheduler* sched = nullptr;
  std::uint64_t step = 0;
  std::size_t findings = 0;
};
thread_local last_drop tl_last_drop;

}  // namespace

void on_unstarted_frame_destroyed(const frame_info& i) noexcept {
  scheduler* s = current_scheduler();
  // Only a user step drops a frame: teardown, a run being stopped, and the
  // unwinding of an exception (its own finding, if any, says why) do not
  // count. A frame of another (or no) simulation is not ours to report.
  if (!s || s != i.sched || !s->in_step() || s->tearing_down() || s->stopping() || std::uncaught_exceptions() > 0)
    return;
  if (!s->opts().detect_never_awaited) return;
  try {
    std::string what = coroutine_description(i);
    last_drop& last = tl_last_drop;
    if (last.sched == s && last.step == s->step() && last.findings == s->finding_count()) {
      s->amend_last_finding(fmt::format("  also:       {}\n", what));
      return;
    }
    s->add_finding(finding_kind::never_awaited,
                   fmt::format("never awaited: {} was created and destroyed without co_await or co_spawn", what),
                   fmt::format("  coroutine:  {}\n"
                               "  dropped by: {}\n"
                               "  fix:        co_await it (or co_spawn it); a discarded call is a compile error "
                               "with -Werror=unused-result\n",
                               what, task_label(*s, s->current_lane())));
    last = last_drop{s, s->step(), s->finding_count()};
  } catch (...) {
    // A finding that cannot be formatted (out of memory) is dropped.
  }
}

void task_frame::on_exception(std::exception_ptr e) noexcept {
  if (!sched_ || !sched_->opts().detect_unobserved_exceptions) return;
  if (sched_->stopping() || sched_->tearing_down() || is_run_aborted(e)) return;
  if (stateless_handler_) {
    rare_notes* r = rare();
    if (!r) return;  // out of memory: the check is dropped
    watch_exception();
    r->ended_with = std::move(e);
    return;
  }
  if (!detached_) return;
  try {
    sched_->add_finding(
        finding_kind::exception,
        fmt::format("exception in a detached task, nobody observed it: {}", exception_summary(e)),
        fmt::format("{}"
                    "  fix:        asio::detached drops the exception_ptr: co_await the task, or give co_spawn a "
                    "handler that checks it\n",
                    describe_task(*sched_, lane_, 0, false)));
  } catch (...) {
  }
}

}  // namespace simloop::detail
