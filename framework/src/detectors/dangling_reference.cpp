// dangling_reference: a coroutine that keeps a reference into the stack of
// the step that made it (detail/stack_reference.hpp).
#include <simloop/detail/scheduler.hpp>
#include <simloop/detail/stack_reference.hpp>
#include <simloop/detail/task_report.hpp>

#include <boost/core/demangle.hpp>

#include <fmt/format.h>

#include <string>
#include <vector>

namespace simloop::detail {

void note_stack_reference(frame_info& info, unsigned index, unsigned count, const std::type_info* type) noexcept {
  scheduler* s = info.sched;
  // A step of the simulation running on this thread made the frame.
  if (!s || s != current_scheduler() || !s->in_step() || s->tearing_down()) return;
  try {
    s->add_stack_reference(stack_reference{&info, type, s->step(), s->current_lane(),
                                           static_cast<std::uint16_t>(index), static_cast<std::uint16_t>(count)});
    info.set_stack_reference(true);
  } catch (...) {
    // Out of memory: this frame goes unchecked.
  }
}

void drop_stack_reference(const frame_info& info) noexcept {
  scheduler* s = current_scheduler();
  if (s && s == info.sched) s->drop_stack_reference(&info);
}

namespace {

// "parameter 1 of 1: the lambda's closure, which holds its captures (`f()::{lambda()#1}`)".
std::string describe_parameter(const stack_reference& r) {
  std::string where = fmt::format("parameter {} of {}", r.index, r.count);
  if (!r.type) return where + ": a reference to an object of a type incomplete there";
  std::string type = boost::core::demangle(r.type->name());
  if (type.find("{lambda(") != std::string::npos)
    return fmt::format("{}: the lambda's closure, which holds its captures (`{}`)", where, type);
  return fmt::format("{}: a reference to a `{}`{}", where, type,
                     r.index == 1 ? " (of a member coroutine, parameter 1 is the object it was called on)" : "");
}

std::string frame_state(const frame_info& f) {
  return f.started() ? "it ran to its first suspension inside the step and runs again later"
                     : "it has not started yet";
}

}  // namespace

void report_dangling_references(scheduler& s) {
  std::vector<stack_reference> refs = s.take_stack_references();
  // A run already stopping never resumes those frames: nothing dangles.
  if (refs.empty() || s.stopping() || !s.opts().detect_dangling_references) return;
  try {
    const stack_reference& first = refs.front();
    std::string body = fmt::format("  coroutine:  {}\n", coroutine_description(*first.frame));
    for (const stack_reference& r : refs)
      if (r.frame == first.frame) body += fmt::format("  reference:  {}\n", describe_parameter(r));
    body += fmt::format(
        "  made by:    {} in step {}, from a temporary or a local of a plain function: gone when the step "
        "returned\n",
        task_label(s, first.lane), first.step);
    body += describe_task(s, first.lane, 0, true);
    // The task each frame runs as (a spawned coroutine is its task's root):
    // where it will resume.
    std::uint32_t lane = task_rooted_at(s, *first.frame, first.step, 0);
    if (lane) {
      body += fmt::format("  runs as:    {}, which resumes where it waits:\n", task_label(s, lane));
      body += describe_task(s, lane, 0, true);
    }
    // A frame's records are consecutive (one constructor notes them all).
    const frame_info* previous = first.frame;
    std::uint32_t after = lane, frame_lane = 0;
    for (const stack_reference& r : refs) {
      if (r.frame == first.frame) continue;
      if (r.frame != previous) {
        frame_lane = task_rooted_at(s, *r.frame, r.step, after);
        if (frame_lane) after = frame_lane;
        previous = r.frame;
      }
      body += fmt::format("  also:       {}, parameter {} of {}; {}{}\n", coroutine_description(*r.frame), r.index,
                          r.count, frame_state(*r.frame), frame_lane ? fmt::format(" (task #{})", frame_lane) : "");
    }
    body +=
        "  fix:        Asio runs a coroutine after the call that made it, and a reference parameter stays a "
        "reference: pass by value, or give co_spawn the lambda itself (co_spawn(ex, [..]() -> "
        "awaitable<void> {...}, token)), so that the task owns the closure\n"
        "  the run stops here: running the coroutine again would read the freed stack\n";
    s.add_finding(finding_kind::dangling_reference,
                  fmt::format("dangling reference: {} keeps a reference into the stack of step {}, which has ended; {}",
                              coroutine_description(*first.frame), first.step, frame_state(*first.frame)),
                  body);
  } catch (...) {
    // A finding that cannot be formatted (out of memory) is dropped; the
    // run still stops.
  }
  s.request_stop();
}

}  // namespace simloop::detail
