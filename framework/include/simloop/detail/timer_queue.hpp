// simloop/detail/timer_queue.hpp: pending timer waits ordered by deadline.
#pragma once

#include <simloop/detail/operation.hpp>

#include <boost/asio/error.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstdint>
#include <vector>

namespace simloop::detail {

struct timer_state;

// One async_wait on a timer. It is an operation, so when it fires (or is
// cancelled) the same object goes into the ready set: no second allocation.
struct wait_op : operation {
  using operation::operation;
  std::chrono::nanoseconds deadline{0};  // since the simulation's epoch
  std::uint64_t seq = 0;                 // arming order, breaks deadline ties in the heap
  timer_state* owner = nullptr;          // null once it left the timer
  wait_op* prev = nullptr;               // the owner's list of pending waits
  wait_op* next = nullptr;
  std::uint32_t armed_lane = 0;          // the task that armed it (for reports)
  // Completes with operation_aborted (cancelled, re-armed, timer gone)
  // rather than success: the only two results a wait has. A flag, not an
  // error_code (24 bytes of every pending wait).
  bool aborted = false;
  // The handler runs inside the step (its associated executor is this
  // simulation's), not posted to another executor (wait_op_impl).
  bool direct = true;
  // The simulation's own machinery (network delivery, fault ends), not a
  // wait of user code: never reported as a leak.
  bool internal = false;
  // Made ready by virtual time reaching its deadline; counted by the
  // scheduler until it runs (delay injection waits for these).
  bool fired = false;

  boost::system::error_code error() const noexcept {
    return aborted ? boost::system::error_code(boost::asio::error::operation_aborted) : boost::system::error_code();
  }
};

// A wait_op with `fired` set completes (runs or is destroyed): tells the
// running scheduler (scheduler::fired_wait_done).
void note_fired_wait_done() noexcept;

// The part of a timer the scheduler sees: its expiry and its pending waits.
struct timer_state {
  std::chrono::nanoseconds expiry{0};
  wait_op* head = nullptr;
  std::size_t pending = 0;

  void link(wait_op* op) noexcept {
    op->owner = this;
    op->prev = nullptr;
    op->next = head;
    if (head) head->prev = op;
    head = op;
    ++pending;
  }
  void unlink(wait_op* op) noexcept {
    if (op->prev) op->prev->next = op->next;
    else head = op->next;
    if (op->next) op->next->prev = op->prev;
    op->owner = nullptr;
    op->prev = op->next = nullptr;
    --pending;
  }
  // After a move of the timer object that embeds this state.
  void adopt() noexcept {
    for (wait_op* op = head; op; op = op->next) op->owner = this;
  }
};

// A binary min-heap on (deadline, seq); each op keeps its heap index in aux_,
// so a cancelled wait leaves in O(log n).
class timer_queue {
 public:
  bool empty() const noexcept { return heap_.empty(); }
  std::size_t size() const noexcept { return heap_.size(); }
  wait_op* top() const noexcept { return heap_.front().op; }
  // The wait at heap position i < size() and its deadline (0 is top(); a
  // parent comes before its children).
  wait_op* at(std::size_t i) const noexcept { return heap_[i].op; }
  std::chrono::nanoseconds deadline_at(std::size_t i) const noexcept {
    return std::chrono::nanoseconds(heap_[i].deadline);
  }
  std::chrono::nanoseconds earliest() const noexcept { return std::chrono::nanoseconds(heap_.front().deadline); }

  void push(wait_op* op) {
    op->seq = next_seq_++;
    op->aux_ = static_cast<std::uint32_t>(heap_.size());
    heap_.push_back(entry{op->deadline.count(), op->seq, op});
    up(heap_.size() - 1);
  }

  void remove(wait_op* op) noexcept {
    std::size_t i = op->aux_;
    std::size_t last = heap_.size() - 1;
    if (i != last) {
      move(i, heap_[last]);
      heap_.pop_back();
      if (i > 0 && less(heap_[i], heap_[(i - 1) / 2])) up(i);
      else down(i);
    } else {
      heap_.pop_back();
    }
  }

  // The earliest wait leaves. Same result as remove(top()), entry for entry
  // (keys are unique: seq breaks every tie), with about half the
  // comparisons: the hole at the root sinks along the smaller children to a
  // leaf, and the last entry, which usually belongs near the bottom, rises
  // from there (Floyd's heapsort trick).
  wait_op* pop() noexcept {
    wait_op* op = heap_.front().op;
    const entry last = heap_.back();
    heap_.pop_back();
    const std::size_t n = heap_.size();
    if (n == 0) return op;
    std::size_t i = 0;
    for (;;) {
      std::size_t c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && less(heap_[c + 1], heap_[c])) ++c;
      move(i, heap_[c]);
      i = c;
    }
    heap_[i] = last;
    up(i);
    return op;
  }

  template <class F>
  void for_each(F f) const {
    for (const entry& e : heap_) f(e.op);
  }

 private:
  // The key sits next to the pointer: sifting compares without touching the
  // ops (with many pending timers, those reads are cache misses).
  struct entry {
    std::int64_t deadline;
    std::uint64_t seq;
    wait_op* op;
  };
  static bool less(const entry& a, const entry& b) noexcept {
    return a.deadline < b.deadline || (a.deadline == b.deadline && a.seq < b.seq);
  }
  void move(std::size_t to, const entry& e) noexcept {
    heap_[to] = e;
    e.op->aux_ = static_cast<std::uint32_t>(to);
  }
  void up(std::size_t i) noexcept {
    entry e = heap_[i];
    while (i > 0) {
      std::size_t parent = (i - 1) / 2;
      if (!less(e, heap_[parent])) break;
      move(i, heap_[parent]);
      i = parent;
    }
    move(i, e);
  }
  void down(std::size_t i) noexcept {
    entry e = heap_[i];
    const std::size_t n = heap_.size();
    for (;;) {
      std::size_t l = 2 * i + 1, r = l + 1, m = l;
      if (l >= n) break;
      if (r < n && less(heap_[r], heap_[l])) m = r;
      if (!less(heap_[m], e)) break;
      move(i, heap_[m]);
      i = m;
    }
    move(i, e);
  }

  std::vector<entry> heap_;
  std::uint64_t next_seq_ = 0;
};

}  // namespace simloop::detail
