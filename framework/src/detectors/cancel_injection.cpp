// Cancellation injection (options::cancel_one_in, cancel_at_point): at an
// injectable point the deadline of the simloop::timeout / with_deadline
// around the suspended operation fires now. Everything after that is the
// real mechanism: the deadline's `||` operand completes, `||` emits
// cancellation on the operation (the type recorded in the cancel_point,
// `all` unless options::cancel_types says otherwise), the operation
// completes with operation_aborted and the caller sees timed_out. So the
// code under test cannot tell an injected cancellation from a real one.
#include <simloop/detail/scheduler.hpp>

#include <boost/asio/cancellation_type.hpp>

#include <algorithm>
#include <bit>

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

void scheduler::visit_cancel_points(std::uint32_t step_lane) {
  // Index loop: inject_cancel only moves a timer wait into the ready set, it
  // runs no user code, so the list does not change under it.
  for (std::size_t i = 0; i < cancel_points_.size(); ++i) {
    cancel_point& p = *cancel_points_[i];
    if (p.settled || p.op_lane == 0 || !p.deadline || !p.deadline->head) continue;
    if (p.op_lane != step_lane &&
        std::find(touched_lanes_.begin(), touched_lanes_.end(), p.op_lane) == touched_lanes_.end())
      continue;
    ++points_passed_;
    bool inject = false;
    if (options_.cancel_at_point != 0) {
      inject = points_passed_ == options_.cancel_at_point;
    } else if (options_.cancel_one_in > 1 && options_.strategy != strategy::fifo) {
      // Choice 0 (fifo, replay past the end, shrunk inputs) never injects.
      inject = decide(options_.cancel_one_in) == options_.cancel_one_in - 1;
    }
    if (inject) inject_cancel(p);
  }
  touched_lanes_.clear();
}

void scheduler::inject_cancel(cancel_point& p) {
  unsigned allowed = options_.cancel_types;
  std::uint64_t pick = decide(static_cast<std::uint64_t>(std::popcount(allowed)));
  p.injected_type = nth_allowed_type(allowed, pick);
  p.injected_point = points_passed_;
  // The deadline's one pending wait fires now, as advance_time fires a due
  // wait: it leaves its timer and becomes ready with success. Its expiry is
  // left as it was (nobody reads it again: the timeout is settled).
  wait_op* w = p.deadline->head;
  p.deadline->unlink(w);
  timers_.remove(w);
  w->ec = {};
  w->parent_step_ = step_;
  ready_.push_back(w);
  hash_ = (hash_ ^ ((std::uint64_t{p.op_lane} << 32) | (0xca000000ULL + p.injected_type))) * 0x100000001b3ULL;
  hash_ ^= hash_ >> 29;
  cancellations_.push_back(trace_cancel{step_, points_passed_, p.op_lane, p.injected_type});
}

}  // namespace simloop::detail
