// Waiters parked in simloop's primitives at the end of a run
// (detail/waiter.hpp): what the teardown destroys besides the ready set and
// the timer queue.
#include <simloop/detail/scheduler.hpp>
#include <simloop/detail/waiter.hpp>

namespace simloop::detail {

void note_parked_owner(waiter_owner& o) noexcept {
  if (scheduler* s = current_scheduler()) s->note_parked(o);
}

void forget_parked_owner(waiter_owner& o) noexcept {
  if (o.parked_in_) o.parked_in_->forget_parked(o);
}

void scheduler::note_parked(waiter_owner& o) noexcept {
  if (o.parked_in_) return;
  o.parked_in_ = this;
  o.parked_prev_ = nullptr;
  o.parked_next_ = parked_;
  if (parked_) parked_->parked_prev_ = &o;
  parked_ = &o;
}

void scheduler::forget_parked(waiter_owner& o) noexcept {
  (o.parked_prev_ ? o.parked_prev_->parked_next_ : parked_) = o.parked_next_;
  if (o.parked_next_) o.parked_next_->parked_prev_ = o.parked_prev_;
  o.parked_in_ = nullptr;
  o.parked_prev_ = o.parked_next_ = nullptr;
}

// Destroying a waiter destroys its handler: the frames of the task it would
// have resumed, which can destroy primitives (each forgets itself, and
// abandons its other waiters to the ready set), cancel timers, post Asio's
// unwinding of the task. So: one waiter at a time, always from the head of
// the list as it is then; an owner with nothing queued leaves the list.
std::size_t scheduler::discard_parked_waiters() noexcept {
  std::size_t n = 0;
  while (waiter_owner* o = parked_) {
    if (waiter_base* w = o->queued_.front()) {
      w->discard();
      ++n;
    } else {
      forget_parked(*o);
    }
  }
  return n;
}

// A scan from the head after every discard: a discard can destroy any
// owner, the one being scanned included. Crashes are rare and lists short.
std::size_t scheduler::discard_parked_if(bool (*pred)(void*, std::uint32_t), void* ctx) noexcept {
  std::size_t n = 0;
  for (bool again = true; again;) {
    again = false;
    for (waiter_owner* o = parked_; o && !again; o = o->parked_next_) {
      for (waiter_base* w = o->queued_.front(); w; w = w->next) {
        if (pred(ctx, w->task_lane())) {
          w->discard();
          ++n;
          again = true;
          break;
        }
      }
    }
  }
  return n;
}

}  // namespace simloop::detail
