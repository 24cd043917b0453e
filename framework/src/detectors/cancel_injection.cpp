// Cancellation injection (options::cancel_one_in, cancel_at_point): at an
// injectable point the deadline of the simloop::timeout / with_deadline
// around the suspended operation fires now. Everything after that is the
// real mechanism: the deadline's `||` operand completes, `||` emits
// cancellation on the operation (the type recorded in the cancel_point,
// `all` unless options::cancel_types says otherwise), the operation
// completes with operation_aborted and the caller sees timed_out. So the
// code under test cannot tell an injected cancellation from a real one.
//
// Tasks spawned with a bound cancellation slot (options::cancel_targets
// cancel_tasks) are cancelled through that slot's signal: the emit runs in
// a step of the task, as one from the signal's owner would.
#include <simloop/detail/scheduler.hpp>

#include <simloop/detail/frame_info.hpp>
#include <simloop/detail/spawn_slot.hpp>

#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/cancellation_type.hpp>

#include <algorithm>
#include <bit>
#include <cstring>
#include <type_traits>
#include <utility>

namespace simloop::detail {

namespace {

// The cancellation_type of the i-th allowed bit of options::cancel_types
// (cancel_type_bits order: all, terminal, partial, total).
std::uint32_t nth_allowed_type(unsigned allowed, std::uint64_t i) {
  using ct = boost::asio::cancellation_type;
  static constexpr struct {
    unsigned bit;
    ct type;
  } table[] = {{inject_all, ct::all}, {inject_terminal, ct::terminal}, {inject_partial, ct::partial},
               {inject_total, ct::total}};
  for (const auto& e : table)
    if (allowed & e.bit) {
      if (i == 0) return static_cast<std::uint32_t>(e.type);
      --i;
    }
  return static_cast<std::uint32_t>(ct::all);
}

}  // namespace

bool scheduler::should_inject_here() {
  ++points_passed_;
  if (options_.cancel_at_point != 0) return points_passed_ == options_.cancel_at_point;
  // Choice 0 (fifo, replay past the end, shrunk inputs) never injects.
  if (options_.cancel_one_in > 1 && options_.strategy != strategy::fifo)
    return decide(options_.cancel_one_in) == options_.cancel_one_in - 1;
  return false;
}

bool scheduler::ran_in_step(std::uint32_t lane, std::uint32_t step_lane) const noexcept {
  return lane == step_lane || std::find(touched_lanes_.begin(), touched_lanes_.end(), lane) != touched_lanes_.end();
}

void scheduler::visit_cancel_points(std::uint32_t step_lane) {
  // The step that delivered an injected cancellation to a task left it where
  // it was suspended: not a new suspension point.
  if (std::exchange(injection_step_, false)) {
    touched_lanes_.clear();
    return;
  }
  // Index loop: inject_cancel only moves a timer wait into the ready set, it
  // runs no user code, so the list does not change under it.
  for (std::size_t i = 0; i < cancel_points_.size(); ++i) {
    cancel_point& p = *cancel_points_[i];
    if (p.settled || p.op_lane == 0 || !p.deadline || !p.deadline->head) continue;
    if (!ran_in_step(p.op_lane, step_lane)) continue;
    if (should_inject_here()) inject_cancel(p);
  }
  if (!task_points_.empty()) visit_task_points(step_lane);
  touched_lanes_.clear();
}

std::uint32_t scheduler::pick_cancel_type() {
  unsigned allowed = options_.cancel_types;
  std::uint64_t pick = decide(static_cast<std::uint64_t>(std::popcount(allowed)));
  return nth_allowed_type(allowed, pick);
}

void scheduler::inject_cancel(cancel_point& p) {
  p.injected_type = pick_cancel_type();
  p.injected_point = points_passed_;
  // The deadline's one pending wait fires now, as advance_time fires a due
  // wait: it leaves its timer and becomes ready with success. Its expiry is
  // left as it was (nobody reads it again: the timeout is settled).
  wait_op* w = p.deadline->head;
  p.deadline->unlink(w);
  timers_.remove(w);
  w->aborted = false;
  w->parent_step_ = step_;
  if (count_fired_) {
    w->fired = true;
    ++fired_ready_;
  }
  ready_.push_back(w);
  hash_ = (hash_ ^ ((std::uint64_t{p.op_lane} << 32) | (0xca000000ULL + p.injected_type))) * 0x100000001b3ULL;
  hash_ ^= hash_ >> 29;
  cancellations_.push_back(trace_cancel{step_, points_passed_, p.op_lane, p.injected_type});
}

// ---- tasks spawned with a bound cancellation slot -------------------------

namespace {

using boost::asio::cancellation_signal;
using boost::asio::cancellation_slot;

// Asio gives no way from a slot to its signal or to the handler installed in
// it. In 1.81 a signal is one pointer (the installed handler) and a slot is
// one pointer to that pointer: checked here, and by slot equality below.
static_assert(sizeof(cancellation_signal) == sizeof(void*) && sizeof(cancellation_slot) == sizeof(void*));
static_assert(std::is_standard_layout_v<cancellation_signal> && std::is_standard_layout_v<cancellation_slot>);

void* installed_handler(void* signal) noexcept {
  void* h;
  std::memcpy(&h, signal, sizeof h);
  return h;
}

}  // namespace

void* signal_of(const cancellation_slot& slot) noexcept {
  void* p;
  std::memcpy(&p, &slot, sizeof p);
  if (!p) return nullptr;
  // The signal's only member is the handler pointer the slot points at.
  auto* sig = static_cast<cancellation_signal*>(p);
  return sig->slot() == slot ? p : nullptr;
}

void scheduler::register_task_point(std::uint32_t lane) noexcept {
  void* sig = std::exchange(expected_signal_, nullptr);
  try {
    task_points_.push_back(task_cancel_point{lane, sig, installed_handler(sig)});
  } catch (...) {
    // Out of memory: the task is simply not a target.
  }
}

void scheduler::visit_task_points(std::uint32_t step_lane) {
  std::size_t kept = 0;
  for (std::size_t i = 0; i < task_points_.size(); ++i) {
    task_cancel_point p = task_points_[i];
    // A task that ended, or whose signal now holds another handler (the
    // owner reused it), is no target any more.
    if (!tasks_[p.lane].alive || installed_handler(p.signal) != p.handler) continue;
    task_points_[kept++] = p;
    if (ran_in_step(p.lane, step_lane) && should_inject_here()) inject_into_task(p);
  }
  task_points_.resize(kept);
}

void scheduler::inject_into_task(const task_cancel_point& p) {
  std::uint32_t type = pick_cancel_type();
  hash_ = (hash_ ^ ((std::uint64_t{p.lane} << 32) | (0xcb000000ULL + type))) * 0x100000001b3ULL;
  hash_ ^= hash_ >> 29;
  cancellations_.push_back(trace_cancel{step_, points_passed_, p.lane, type});
  // The signal is emitted in a step of the task, as a cancellation another
  // task emits: what co_spawn installed in it may run the task's
  // cancellation handlers inline. By then the task may have ended or the
  // signal been reused: nothing to cancel.
  // With terminal among the type's bits (a coroutine's default filter lets
  // only that through), the task must end: until it has, the request is
  // watched by cancellation_ignored (detectors/cancellation_watch.cpp).
  const std::uint64_t point = points_passed_;
  execute(
      [this, p, type, point] {
        if (!tasks_[p.lane].alive || installed_handler(p.signal) != p.handler) return;
        injection_step_ = true;
        static_cast<cancellation_signal*>(p.signal)->emit(static_cast<boost::asio::cancellation_type>(type));
        if (type & static_cast<std::uint32_t>(boost::asio::cancellation_type::terminal))
          watch_task_cancellation(p.lane, "injection", point, type);
      },
      false, p.lane);
}

bool expect_spawn_signal(const cancellation_slot& slot, const char* site_file) noexcept {
  scheduler* s = current_scheduler();
  if (!s || !s->injecting_into_tasks() || !slot.is_connected() || is_library_file(site_file)) return false;
  void* sig = signal_of(slot);
  s->expect_task_signal(sig);
  return sig != nullptr;
}

void end_spawn_signal() noexcept {
  if (scheduler* s = current_scheduler()) s->expect_task_signal(nullptr);
}

}  // namespace simloop::detail
