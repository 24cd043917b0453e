// simloop/detail/timer_queue.hpp: pending timer waits ordered by deadline.
#pragma once

#include <simloop/detail/operation.hpp>

#include <boost/asio/error.hpp>
#include <boost/system/error_code.hpp>

#include <algorithm>
#include <bit>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <limits>
#include <new>
#include <utility>
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

// The pending waits, leaving in (deadline, arming order). Built for
// thousands of them (a simulated network's deliveries), where waits share
// deadlines (latencies are drawn in whole microseconds; sleepers armed
// together wake together) and every line a pop touches may be a cache miss:
//  - the waits of one deadline are a bucket: appended in arming order to a
//    chain of 64-byte chunks (seven waits a chunk), popped from the front.
//    A deadline's second and later waits cost an append and a pop, with no
//    heap work at all;
//  - a 4-ary heap orders the buckets by deadline, with 16-byte entries whose
//    four siblings share one aligned line; a hash table finds a deadline's
//    bucket when a wait is pushed;
//  - nothing moves a pending wait: its chunk and lane are written into it
//    (aux_) once, when it is pushed, while it is in cache. remove() clears
//    its lane and leaves the rest in place; cleared lanes are skipped when
//    the front of their bucket reaches them, and when they are as many as
//    the live waits, every bucket is compacted (rebuild). A bucket left
//    without live waits stays, empty, until it reaches the heap's top or a
//    rebuild drops it; the top bucket always has a live wait at its front.
//    A cleared lane's wait may be destroyed: nothing reads it.
class timer_queue {
 public:
  timer_queue() = default;
  timer_queue(const timer_queue&) = delete;
  timer_queue& operator=(const timer_queue&) = delete;
  ~timer_queue() { ::operator delete(storage_, std::align_val_t{line}); }

  bool empty() const noexcept { return live_ == 0; }
  // Live (pending) waits.
  std::size_t size() const noexcept { return live_; }
  // The earliest wait, and its deadline: the front of the top bucket.
  wait_op* top() const noexcept {
    const bucket& b = buckets_[top_id()];
    return chunks_[b.head].w[b.read];
  }
  std::chrono::nanoseconds earliest() const noexcept { return std::chrono::nanoseconds(buckets_[top_id()].deadline); }

  // Copies up to `max` of the earliest deadline's pending waits, in the
  // order they will leave, to out; returns how many (for the timer
  // lookahead: what runs next).
  std::size_t peek_earliest(wait_op** out, std::size_t max) const noexcept {
    std::size_t m = 0;
    if (empty() || max == 0) return 0;
    walk(buckets_[top_id()], [&](wait_op* op) {
      out[m++] = op;
      return m < max;
    });
    return m;
  }

  // For tests, what the queue holds besides the live waits: deadlines with
  // a bucket (an emptied one has a cleared lane), and lanes cleared by
  // remove() but not yet dropped.
  std::size_t buckets() const noexcept { return n_; }
  std::size_t cleared() const noexcept { return dead_; }

  void push(wait_op* op) {
    op->seq = next_seq_++;
    const std::uint32_t id = bucket_for(op->deadline.count());
    bucket& b = buckets_[id];
    if (b.tail == none || b.fill == chunk_lanes) {
      const std::uint32_t c = take_chunk(id);
      if (b.tail == none) b.head = c;  // a new bucket
      else chunks_[b.tail].next = c;
      b.tail = c;
      b.fill = 0;
    }
    chunks_[b.tail].w[b.fill] = op;
    op->aux_ = b.tail * lanes_per_code + b.fill;
    ++b.fill;
    ++b.entries;
    ++b.live;
    ++live_;
  }

  // op is pending (pushed, not yet popped or removed).
  void remove(wait_op* op) noexcept {
    const std::uint32_t c = op->aux_ / lanes_per_code;
    const std::uint32_t id = chunks_[c].bucket;
    chunks_[c].w[op->aux_ % lanes_per_code] = nullptr;
    bucket& b = buckets_[id];
    --b.live;
    --live_;
    ++dead_;
    if (id == top_id()) settle();
    // Wherever the lane was (a wait re-armed and cancelled again and again
    // at the top's own deadline clears lanes behind its live front too).
    if (dead_ >= min_rebuild && dead_ >= live_) rebuild();
  }

  // The earliest wait leaves.
  wait_op* pop() noexcept {
    bucket& b = buckets_[top_id()];
    wait_op* op = chunks_[b.head].w[b.read];
    ++b.read;
    --b.entries;
    --b.live;
    --live_;
    settle();
    return op;
  }

  // Every live wait, in the order they will leave.
  template <class F>
  void for_each(F f) const {
    std::vector<std::pair<std::int64_t, std::uint32_t>> by_deadline;
    by_deadline.reserve(n_);
    for (std::size_t i = 0; i < n_; ++i) by_deadline.emplace_back(entry_at(i).deadline(), entry_at(i).id());
    std::sort(by_deadline.begin(), by_deadline.end());
    for (const auto& [deadline, id] : by_deadline)
      walk(buckets_[id], [&](wait_op* op) {
        f(op);
        return true;
      });
  }

 private:
  static constexpr std::uint32_t none = std::numeric_limits<std::uint32_t>::max();
  static constexpr std::uint32_t chunk_lanes = 7;
  static constexpr std::uint32_t lanes_per_code = 8;  // aux_ = chunk * 8 + lane
  static constexpr std::size_t arity = 4;
  static constexpr std::size_t line = 64;

  // Seven waits of one bucket, in arming order, and the next chunk.
  struct alignas(64) chunk {
    wait_op* w[chunk_lanes];
    std::uint32_t next;    // none: the bucket's last
    std::uint32_t bucket;  // or the next free chunk, while free
  };
  static_assert(sizeof(chunk) == 64);

  // The waits of one deadline: lanes [read, ...) of the chain from head to
  // tail (fill lanes used in tail), `entries` of them, `live` not cleared.
  struct bucket {
    std::int64_t deadline = 0;
    std::uint32_t head = none;
    std::uint32_t tail = none;
    std::uint32_t entries = 0;
    std::uint32_t live = 0;
    std::uint32_t read = 0;
    std::uint32_t fill = 0;
  };

  // A heap entry: the deadline (its sign bit flipped, so that it orders as
  // unsigned) above the bucket's id, as one number. Deadlines are unique
  // among the buckets, so the id never decides.
  struct entry {
    unsigned __int128 key;

    static constexpr std::uint64_t sign = std::uint64_t{1} << 63;
    static entry make(std::int64_t deadline, std::uint32_t id) noexcept {
      const auto hi = static_cast<std::uint64_t>(deadline) ^ sign;
      return entry{(static_cast<unsigned __int128>(hi) << 64) | id};
    }
    std::int64_t deadline() const noexcept {
      return static_cast<std::int64_t>(static_cast<std::uint64_t>(key >> 64) ^ sign);
    }
    std::uint32_t id() const noexcept { return static_cast<std::uint32_t>(key); }
  };
  static_assert(sizeof(entry) == 16);
  // Position i lives at index i + 3 of the storage, so that the children of
  // i, positions 4i+1..4i+4, are indexes 4(i+1)..4(i+1)+3: one aligned line.
  static constexpr std::size_t skew = arity - 1;
  // Fewer cleared lanes than this are never worth a rebuild. (A bucket
  // left without live waits holds a cleared lane, so the empty buckets are
  // bounded too.)
  static constexpr std::size_t min_rebuild = 64;
  // A smaller heap (64 KiB of entries) stays in the core's caches: a pop
  // requests no lines ahead.
  static constexpr std::size_t prefetch_from = 4096;

  // A slot of the deadline -> bucket table (open addressing, linear
  // probing, at most half full); id none: free.
  struct slot {
    std::int64_t deadline;
    std::uint32_t id;
  };

  std::uint32_t top_id() const noexcept { return entry_at(0).id(); }
  // Calls f(wait) for each live wait of b, front to back, while f returns
  // true. f may rewrite lanes at or behind the one it is given.
  template <class F>
  void walk(const bucket& b, F f) const {
    std::uint32_t lane = b.read;
    for (std::uint32_t c = b.head; c != none; c = chunks_[c].next, lane = 0) {
      const std::uint32_t end = c == b.tail ? b.fill : chunk_lanes;
      for (; lane < end; ++lane)
        if (wait_op* op = chunks_[c].w[lane])
          if (!f(op)) return;
    }
  }
  entry& entry_at(std::size_t i) noexcept { return storage_[i + skew]; }
  const entry& entry_at(std::size_t i) const noexcept { return storage_[i + skew]; }
  static bool less(const entry& a, const entry& b) noexcept { return a.key < b.key; }

  // The bucket of a deadline, made (and put in the heap) if there is none.
  std::uint32_t bucket_for(std::int64_t deadline) {
    if (last_id_ != none && buckets_[last_id_].deadline == deadline) return last_id_;
    if (2 * (n_ + 1) > table_.size()) grow_table();
    std::size_t i = home(deadline);
    while (table_[i].id != none) {
      if (table_[i].deadline == deadline) return last_id_ = table_[i].id;
      i = (i + 1) & (table_.size() - 1);
    }
    std::uint32_t id;
    if (free_buckets_.empty()) {
      id = static_cast<std::uint32_t>(buckets_.size());
      buckets_.emplace_back();
      // Dropping a bucket (in pop and remove, which do not throw) never
      // needs to grow the free list.
      free_buckets_.reserve(buckets_.capacity());
    } else {
      id = free_buckets_.back();
      free_buckets_.pop_back();
    }
    buckets_[id] = bucket{};
    buckets_[id].deadline = deadline;
    table_[i] = slot{deadline, id};
    if (n_ == capacity_) grow();
    entry_at(n_) = entry::make(deadline, id);
    up(n_++);
    return last_id_ = id;
  }
  std::size_t home(std::int64_t deadline) const noexcept {
    return static_cast<std::size_t>((static_cast<std::uint64_t>(deadline) * 0x9e3779b97f4a7c15ULL) >> table_shift_);
  }
  void grow_table() {
    std::vector<slot> old(std::max<std::size_t>(64, 2 * table_.size()), slot{0, none});
    old.swap(table_);
    table_shift_ = 64 - static_cast<unsigned>(std::countr_zero(table_.size()));
    for (const slot& s : old) {
      if (s.id == none) continue;
      std::size_t i = home(s.deadline);
      while (table_[i].id != none) i = (i + 1) & (table_.size() - 1);
      table_[i] = s;
    }
  }
  // Removes a bucket's deadline from the table (backward-shift deletion:
  // the slots after it that would no longer be found move up).
  void forget(std::int64_t deadline, std::uint32_t id) noexcept {
    const std::size_t mask = table_.size() - 1;
    std::size_t i = home(deadline);
    while (table_[i].id != id) i = (i + 1) & mask;
    for (std::size_t j = (i + 1) & mask; table_[j].id != none; j = (j + 1) & mask) {
      const std::size_t h = home(table_[j].deadline);
      // j's entry may fill the hole at i if its home is not in (i, j].
      if (((j - h) & mask) >= ((j - i) & mask)) {
        table_[i] = table_[j];
        i = j;
      }
    }
    table_[i].id = none;
  }

  std::uint32_t take_chunk(std::uint32_t id) {
    std::uint32_t c;
    if (free_chunk_ != none) {
      c = free_chunk_;
      free_chunk_ = chunks_[c].bucket;
    } else {
      c = static_cast<std::uint32_t>(chunks_.size());
      chunks_.emplace_back();
    }
    chunks_[c].next = none;
    chunks_[c].bucket = id;
    return c;
  }
  void release_chunk(std::uint32_t c) noexcept {
    chunks_[c].bucket = free_chunk_;
    free_chunk_ = c;
  }

  // The top bucket's front moves past cleared lanes (and the chunks it
  // leaves are freed); a top bucket without live waits leaves the heap, as
  // does each empty one that reaches the top after it.
  void settle() noexcept {
    while (n_ > 0) {
      bucket& b = buckets_[top_id()];
      if (b.live == 0) {
        dead_ -= b.entries;
        drop_top();
        continue;
      }
      for (;;) {
        if (b.read == (b.head == b.tail ? b.fill : chunk_lanes)) {
          const std::uint32_t c = b.head;
          b.head = chunks_[c].next;
          b.read = 0;
          release_chunk(c);
          continue;
        }
        if (chunks_[b.head].w[b.read]) return;
        ++b.read;
        --b.entries;
        --dead_;
      }
    }
  }
  // The top bucket (no live waits) leaves: its chunks, its table slot, its
  // heap entry.
  void drop_top() noexcept {
    const std::uint32_t id = top_id();
    drop_bucket(id);
    const entry last = entry_at(--n_);
    if (n_ > 0) sift_hole_from_top(last);
  }
  void drop_bucket(std::uint32_t id) noexcept {
    bucket& b = buckets_[id];
    for (std::uint32_t c = b.head; c != none;) {
      const std::uint32_t next = chunks_[c].next;
      release_chunk(c);
      c = next;
    }
    forget(b.deadline, id);
    if (last_id_ == id) last_id_ = none;
    free_buckets_.push_back(id);
  }

  // The smallest of the children of a position, the first of them at
  // `first`: a tournament without branches when all four are there.
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
  // The root is a hole: it sinks along the smallest children to the bottom,
  // and `last` (the entry that was last) rises from there (Floyd's trick).
  // While a level's line is compared, the four lines of the next level's
  // candidates (contiguous) are requested.
  void sift_hole_from_top(entry last) noexcept {
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
  // Compacts every bucket in place (its live waits move to the front of its
  // chain, in order, their aux_ rewritten; the chunks left over are freed),
  // drops the empty ones and rebuilds the heap. Writing never overtakes
  // reading: the k-th live wait goes to the k-th lane from the head chunk's
  // first, and it was read at or after that lane.
  void rebuild() noexcept {
    std::size_t kept = 0;
    for (std::size_t i = 0; i < n_; ++i) {
      const std::uint32_t id = entry_at(i).id();
      bucket& b = buckets_[id];
      if (b.live == 0) {
        drop_bucket(id);
        continue;
      }
      std::uint32_t wc = b.head, wl = 0;
      walk(b, [&](wait_op* op) {
        if (wl == chunk_lanes) {
          wc = chunks_[wc].next;
          wl = 0;
        }
        chunks_[wc].w[wl] = op;
        op->aux_ = wc * lanes_per_code + wl;
        ++wl;
        return true;
      });
      for (std::uint32_t c = chunks_[wc].next; c != none;) {
        const std::uint32_t next = chunks_[c].next;
        release_chunk(c);
        c = next;
      }
      chunks_[wc].next = none;
      b.read = 0;
      b.tail = wc;
      b.fill = wl;
      b.entries = b.live;
      entry_at(kept++) = entry_at(i);
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
  }

  entry* storage_ = nullptr;  // the heap of buckets
  std::size_t capacity_ = 0;  // entries, beyond the skew
  std::size_t n_ = 0;         // buckets in the heap, empty ones included
  std::size_t live_ = 0;      // pending waits
  std::size_t dead_ = 0;      // cleared lanes not yet dropped
  std::vector<bucket> buckets_;
  std::vector<std::uint32_t> free_buckets_;
  std::vector<chunk> chunks_;
  std::uint32_t free_chunk_ = none;
  std::vector<slot> table_;
  unsigned table_shift_ = 0;  // 64 - log2(table size), set by grow_table
  std::uint32_t last_id_ = none;  // the bucket the last push found
  std::uint64_t next_seq_ = 0;
};

}  // namespace simloop::detail
