// simloop/detail/timer_queue.hpp: pending timer waits ordered by deadline.
#pragma once

#include <simloop/detail/operation.hpp>
#include <simloop/detail/seq_set.hpp>

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

// A binary min-heap on (deadline, seq). Sifting writes nothing into the
// waits: with thousands pending (a simulated network's deliveries), each
// wait an entry names is a cold line, and writing a heap index into the ~13
// a pop moves cost about 5% of a 10,000-connection run (net_bench).
// So a wait does not know its position, and remove() leaves its entry in
// place, dead: its seq goes into a set, and the entry is dropped when it
// reaches the top (the top is always live) or when the dead are as many as
// the live, which rebuilds the heap. A dead entry's wait may be destroyed:
// nothing reads it. The live waits leave in the same order as with an
// indexed heap: keys are unique.
class timer_queue {
 public:
  bool empty() const noexcept { return heap_.empty(); }
  // Live (pending) waits.
  std::size_t size() const noexcept { return heap_.size() - dead_.size(); }
  wait_op* top() const noexcept { return heap_.front().op; }
  std::chrono::nanoseconds earliest() const noexcept { return std::chrono::nanoseconds(heap_.front().deadline); }

  // The heap's positions, dead entries included: position i < positions()
  // holds a wait (alive only if live_at(i)) and its deadline; 0 is top(), a
  // parent comes before its children.
  std::size_t positions() const noexcept { return heap_.size(); }
  bool live_at(std::size_t i) const noexcept { return dead_.empty() || !dead_.contains(heap_[i].seq); }
  wait_op* at(std::size_t i) const noexcept { return heap_[i].op; }
  std::chrono::nanoseconds deadline_at(std::size_t i) const noexcept {
    return std::chrono::nanoseconds(heap_[i].deadline);
  }

  void push(wait_op* op) {
    op->seq = next_seq_++;
    heap_.push_back(entry{op->deadline.count(), op->seq, op});
    up(heap_.size() - 1);
  }

  // op is pending (pushed, not yet popped or removed).
  void remove(wait_op* op) {
    if (heap_.front().op == op) {  // the top is live, so it is op itself
      pop();
      return;
    }
    dead_.insert(op->seq);
    if (dead_.size() >= min_rebuild && dead_.size() * 2 >= heap_.size()) rebuild();
  }

  // The earliest wait leaves.
  wait_op* pop() noexcept {
    wait_op* op = pop_top();
    while (!dead_.empty() && !heap_.empty() && dead_.erase(heap_.front().seq)) pop_top();
    return op;
  }

  // Every live wait, in heap order.
  template <class F>
  void for_each(F f) const {
    for (std::size_t i = 0; i < heap_.size(); ++i)
      if (live_at(i)) f(heap_[i].op);
  }

 private:
  // The key sits next to the pointer: sifting compares without touching the
  // ops (with many pending timers, those reads are cache misses).
  struct entry {
    std::int64_t deadline;
    std::uint64_t seq;
    wait_op* op;
  };
  // Fewer dead than this are never worth a rebuild.
  static constexpr std::size_t min_rebuild = 64;

  static bool less(const entry& a, const entry& b) noexcept {
    return a.deadline < b.deadline || (a.deadline == b.deadline && a.seq < b.seq);
  }
  // The hole at the root sinks along the smaller children to a leaf, and the
  // last entry, which usually belongs near the bottom, rises from there
  // (Floyd's heapsort trick): about half the comparisons of a sift-down.
  wait_op* pop_top() noexcept {
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
      heap_[i] = heap_[c];
      i = c;
    }
    heap_[i] = last;
    up(i);
    return op;
  }
  void up(std::size_t i) noexcept {
    const entry e = heap_[i];
    while (i > 0) {
      std::size_t parent = (i - 1) / 2;
      if (!less(e, heap_[parent])) break;
      heap_[i] = heap_[parent];
      i = parent;
    }
    heap_[i] = e;
  }
  void down(std::size_t i) noexcept {
    const entry e = heap_[i];
    const std::size_t n = heap_.size();
    for (;;) {
      std::size_t l = 2 * i + 1, r = l + 1, m = l;
      if (l >= n) break;
      if (r < n && less(heap_[r], heap_[l])) m = r;
      if (!less(heap_[m], e)) break;
      heap_[i] = heap_[m];
      i = m;
    }
    heap_[i] = e;
  }
  // Drops every dead entry and restores the heap (Floyd's bottom-up build).
  void rebuild() noexcept {
    std::erase_if(heap_, [this](const entry& e) { return dead_.contains(e.seq); });
    dead_.clear();
    for (std::size_t i = heap_.size() / 2; i-- > 0;) down(i);
  }

  std::vector<entry> heap_;
  seq_set dead_;
  std::uint64_t next_seq_ = 0;
};

}  // namespace simloop::detail
