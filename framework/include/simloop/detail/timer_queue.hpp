// simloop/detail/timer_queue.hpp: pending timer waits ordered by deadline.
#pragma once

#include <simloop/detail/operation.hpp>

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
  boost::system::error_code ec;
  std::uint32_t armed_lane = 0;          // the task that armed it (for reports)
};

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
  wait_op* top() const noexcept { return heap_.front(); }
  std::chrono::nanoseconds earliest() const noexcept { return heap_.front()->deadline; }

  void push(wait_op* op) {
    op->seq = next_seq_++;
    op->aux_ = static_cast<std::uint32_t>(heap_.size());
    heap_.push_back(op);
    up(heap_.size() - 1);
  }

  void remove(wait_op* op) noexcept {
    std::size_t i = op->aux_;
    std::size_t last = heap_.size() - 1;
    if (i != last) {
      swap(i, last);
      heap_.pop_back();
      if (i > 0 && less(heap_[i], heap_[(i - 1) / 2])) up(i);
      else down(i);
    } else {
      heap_.pop_back();
    }
  }

  wait_op* pop() noexcept {
    wait_op* op = heap_.front();
    remove(op);
    return op;
  }

  template <class F>
  void for_each(F f) const {
    for (wait_op* op : heap_) f(op);
  }

 private:
  static bool less(const wait_op* a, const wait_op* b) noexcept {
    return a->deadline < b->deadline || (a->deadline == b->deadline && a->seq < b->seq);
  }
  void swap(std::size_t a, std::size_t b) noexcept {
    std::swap(heap_[a], heap_[b]);
    heap_[a]->aux_ = static_cast<std::uint32_t>(a);
    heap_[b]->aux_ = static_cast<std::uint32_t>(b);
  }
  void up(std::size_t i) noexcept {
    while (i > 0) {
      std::size_t parent = (i - 1) / 2;
      if (!less(heap_[i], heap_[parent])) break;
      swap(i, parent);
      i = parent;
    }
  }
  void down(std::size_t i) noexcept {
    for (;;) {
      std::size_t l = 2 * i + 1, r = l + 1, m = i;
      if (l < heap_.size() && less(heap_[l], heap_[m])) m = l;
      if (r < heap_.size() && less(heap_[r], heap_[m])) m = r;
      if (m == i) break;
      swap(i, m);
      i = m;
    }
  }

  std::vector<wait_op*> heap_;
  std::uint64_t next_seq_ = 0;
};

}  // namespace simloop::detail
