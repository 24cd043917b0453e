// simloop/detail/timer_queue.hpp: pending timer waits ordered by deadline.
#pragma once

#include <simloop/detail/operation.hpp>

#include <boost/asio/error.hpp>
#include <boost/system/error_code.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <limits>
#include <new>
#include <vector>

namespace simloop::detail {

struct timer_state;

// One async_wait on a timer. It is an operation, so when it fires (or is
// cancelled) the same object goes into the ready set: no second allocation.
struct wait_op : operation {
  using operation::operation;
  std::chrono::nanoseconds deadline{0};  // since the simulation's epoch
  std::uint64_t seq = 0;                 // arming order (reports list orphaned waits by it)
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

// A min-heap of the pending waits on (deadline, arming order), built for
// thousands of them (a simulated network's deliveries), where every line a
// pop touches is a cache miss that the next one waits for:
//  - 4-ary, with 16-byte entries whose four siblings share one 64-byte line:
//    a pop reads about half the lines a binary heap does;
//  - an entry holds the deadline, the arming order and a slot number; the
//    slot table holds the wait, read once per pop;
//  - sifting writes nothing into the waits. remove() marks the wait's slot
//    dead and leaves its entry in place: it is dropped when it reaches the
//    top (the top is always live) or when the dead are as many as the live,
//    which rebuilds the heap. A dead entry's wait may be destroyed: nothing
//    reads it.
// The waits leave in (deadline, arming) order, whatever the shape.
class timer_queue {
 public:
  // The parent of position i > 0 is (i - 1) / arity.
  static constexpr std::size_t arity = 4;

  timer_queue() = default;
  timer_queue(const timer_queue&) = delete;
  timer_queue& operator=(const timer_queue&) = delete;
  ~timer_queue() { ::operator delete(storage_, std::align_val_t{line}); }

  bool empty() const noexcept { return n_ == 0; }
  // Live (pending) waits.
  std::size_t size() const noexcept { return n_ - dead_; }
  wait_op* top() const noexcept { return wait_of(entry_at(0)); }
  std::chrono::nanoseconds earliest() const noexcept { return std::chrono::nanoseconds(entry_at(0).deadline()); }

  // The heap's positions, dead entries included: position i < positions()
  // holds a wait (alive only if live_at(i)) and its deadline; 0 is top(), a
  // parent comes before its children.
  std::size_t positions() const noexcept { return n_; }
  bool live_at(std::size_t i) const noexcept { return !(slots_[entry_at(i).slot()] & dead_bit); }
  wait_op* at(std::size_t i) const noexcept { return wait_of(entry_at(i)); }
  std::chrono::nanoseconds deadline_at(std::size_t i) const noexcept {
    return std::chrono::nanoseconds(entry_at(i).deadline());
  }

  void push(wait_op* op) {
    op->seq = next_seq_++;
    if (next_order_ == std::numeric_limits<std::uint32_t>::max()) renumber();
    if (n_ == capacity_) grow();
    const std::uint32_t slot = take_slot(op);
    op->aux_ = slot;
    entry_at(n_) = entry::make(op->deadline.count(), next_order_++, slot);
    up(n_++);
  }

  // op is pending (pushed, not yet popped or removed).
  void remove(wait_op* op) noexcept {
    const std::uint32_t slot = op->aux_;
    if (entry_at(0).slot() == slot) {  // the top is live, so it is op itself
      pop();
      return;
    }
    slots_[slot] |= dead_bit;
    ++dead_;
    if (dead_ >= min_rebuild && 2 * dead_ >= n_) rebuild();
  }

  // The earliest wait leaves.
  wait_op* pop() noexcept {
    wait_op* op = top();
    pop_top();
    while (dead_ > 0 && n_ > 0 && (slots_[entry_at(0).slot()] & dead_bit)) {
      --dead_;
      pop_top();
    }
    return op;
  }

  // Every live wait, in heap order.
  template <class F>
  void for_each(F f) const {
    for (std::size_t i = 0; i < n_; ++i)
      if (live_at(i)) f(at(i));
  }

  // Before the 32-bit arming order wraps (push does it then; public for
  // tests): renumbers the entries 0..n-1 in their (deadline, order) order,
  // which is all the order is for. Same waits, same order.
  void renumber() {
    std::vector<entry*> by_key;
    by_key.reserve(n_);
    for (std::size_t i = 0; i < n_; ++i) by_key.push_back(&entry_at(i));
    std::sort(by_key.begin(), by_key.end(), [](const entry* a, const entry* b) { return less(*a, *b); });
    std::uint32_t k = 0;
    for (entry* e : by_key) *e = entry::make(e->deadline(), k++, e->slot());
    next_order_ = k;
  }

 private:
  // The deadline (its sign bit flipped, so that it orders as unsigned), the
  // arming order among the entries (renumbered before it wraps) and the
  // slot, as one number: an entry is less than another iff its key is.
  // (The order is unique, so the slot never decides.)
  struct entry {
    unsigned __int128 key;

    static constexpr std::uint64_t sign = std::uint64_t{1} << 63;
    static entry make(std::int64_t deadline, std::uint32_t order, std::uint32_t slot) noexcept {
      const auto hi = static_cast<std::uint64_t>(deadline) ^ sign;
      const std::uint64_t lo = (std::uint64_t{order} << 32) | slot;
      return entry{(static_cast<unsigned __int128>(hi) << 64) | lo};
    }
    std::int64_t deadline() const noexcept {
      return static_cast<std::int64_t>(static_cast<std::uint64_t>(key >> 64) ^ sign);
    }
    std::uint32_t order() const noexcept { return static_cast<std::uint32_t>(key >> 32); }
    std::uint32_t slot() const noexcept { return static_cast<std::uint32_t>(key); }
  };
  static_assert(sizeof(entry) == 16);
  static constexpr std::size_t line = 64;
  // Position i lives at index i + 3 of the storage, so that the children of
  // i, positions 4i+1..4i+4, are indexes 4(i+1)..4(i+1)+3: one aligned line.
  static constexpr std::size_t skew = arity - 1;
  static constexpr std::uintptr_t dead_bit = 1;
  // Fewer dead than this are never worth a rebuild.
  static constexpr std::size_t min_rebuild = 64;
  // A smaller heap (64 KiB of entries) stays in the core's caches: a pop
  // requests no lines ahead.
  static constexpr std::size_t prefetch_from = 4096;

  entry& entry_at(std::size_t i) noexcept { return storage_[i + skew]; }
  const entry& entry_at(std::size_t i) const noexcept { return storage_[i + skew]; }
  wait_op* wait_of(const entry& e) const noexcept {
    return reinterpret_cast<wait_op*>(slots_[e.slot()] & ~dead_bit);
  }
  static bool less(const entry& a, const entry& b) noexcept { return a.key < b.key; }
  // The smallest of the children of a position, the first of them at
  // `first`: a tournament without branches when all four are there (which
  // is smallest is a coin toss for the branch predictor).
  std::size_t smallest_child(std::size_t first) const noexcept {
    if (first + arity <= n_) {
      const entry* ch = &entry_at(first);
      const std::size_t a = less(ch[1], ch[0]) ? 1 : 0;
      const std::size_t b = less(ch[3], ch[2]) ? 3 : 2;
      return first + (less(ch[b], ch[a]) ? b : a);
    }
    std::size_t c = first;
    for (std::size_t k = first + 1; k < n_; ++k) c = less(entry_at(k), entry_at(c)) ? k : c;
    return c;
  }

  std::uint32_t take_slot(wait_op* op) {
    std::uint32_t slot;
    if (free_.empty()) {
      slot = static_cast<std::uint32_t>(slots_.size());
      slots_.push_back(0);
    } else {
      slot = free_.back();
      free_.pop_back();
    }
    slots_[slot] = reinterpret_cast<std::uintptr_t>(op);
    return slot;
  }
  // free_ never needs to grow here: it has room for every slot (grow()).
  void release_slot(std::uint32_t slot) noexcept { free_.push_back(slot); }

  // The top entry leaves: the hole at the root sinks along the smallest
  // children to the bottom, and the last entry, which usually belongs near
  // the bottom, rises from there (Floyd's trick: no comparison with it on
  // the way down). While a level's line is compared, the four lines of the
  // next level's candidates (contiguous) are requested, so the descent
  // waits for memory once instead of once per level.
  void pop_top() noexcept {
    release_slot(entry_at(0).slot());
    const entry last = entry_at(--n_);
    if (n_ == 0) return;
    std::size_t i = 0;
    for (;;) {
      const std::size_t first = arity * i + 1;
      if (first >= n_) break;
      if (n_ >= prefetch_from && arity * first + 1 < n_) {
        const char* next = reinterpret_cast<const char*>(&entry_at(arity * first + 1));
        for (std::size_t k = 0; k < arity; ++k) __builtin_prefetch(next + k * line);
      }
      const std::size_t c = smallest_child(first);
      entry_at(i) = entry_at(c);
      i = c;
    }
    entry_at(i) = last;
    up(i);
  }
  void up(std::size_t i) noexcept {
    const entry e = entry_at(i);
    while (i > 0) {
      const std::size_t parent = (i - 1) / arity;
      if (!less(e, entry_at(parent))) break;
      entry_at(i) = entry_at(parent);
      i = parent;
    }
    entry_at(i) = e;
  }
  void down(std::size_t i) noexcept {
    const entry e = entry_at(i);
    for (;;) {
      const std::size_t first = arity * i + 1;
      if (first >= n_) break;
      const std::size_t c = smallest_child(first);
      if (!less(entry_at(c), e)) break;
      entry_at(i) = entry_at(c);
      i = c;
    }
    entry_at(i) = e;
  }
  // Drops every dead entry (freeing its slot) and restores the heap
  // (bottom-up build).
  void rebuild() noexcept {
    std::size_t kept = 0;
    for (std::size_t i = 0; i < n_; ++i) {
      const entry e = entry_at(i);
      if (slots_[e.slot()] & dead_bit) release_slot(e.slot());
      else entry_at(kept++) = e;
    }
    n_ = kept;
    dead_ = 0;
    for (std::size_t i = n_ / arity + 1; i-- > 0;) down(i);
  }
  void grow() {
    const std::size_t cap = capacity_ ? 2 * capacity_ : 64;
    auto* fresh = static_cast<entry*>(::operator new((cap + skew) * sizeof(entry), std::align_val_t{line}));
    if (storage_) std::memcpy(fresh + skew, storage_ + skew, n_ * sizeof(entry));
    ::operator delete(storage_, std::align_val_t{line});
    storage_ = fresh;
    capacity_ = cap;
    // Every slot is either in use by an entry or free: room for them all.
    free_.reserve(cap);
    slots_.reserve(cap);
  }

  entry* storage_ = nullptr;
  std::size_t capacity_ = 0;  // entries, beyond the skew
  std::size_t n_ = 0;         // entries, dead ones included
  std::size_t dead_ = 0;
  std::vector<std::uintptr_t> slots_;  // a wait's address, or dead_bit with it
  std::vector<std::uint32_t> free_;
  std::uint64_t next_seq_ = 0;
  std::uint32_t next_order_ = 0;
};

}  // namespace simloop::detail
