// simloop/detail/run_record.hpp: a run's record (its choices, its trace),
// written into pages mapped ahead of it.
#pragma once

#include <simloop/detail/step_budget.hpp>

#include <algorithm>
#include <cstddef>
#include <utility>
#include <vector>

namespace simloop::detail {

// Asks the kernel to map the whole pages inside [p, p + n) now, writable,
// in one call (a page the range shares with its neighbours is left to them).
// False when it cannot (a kernel before 5.14, another system): the pages are
// then mapped one fault at a time, when first written, as for any memory.
bool map_ahead(void* p, std::size_t n) noexcept;

// Grows only at its back and is handed to the report whole, as the
// std::vector the report holds. A long run records an entry at most steps
// (tens of megabytes at millions of steps), in memory fresh from the
// kernel, and each 4 KiB page of it cost a page fault when first written,
// and again in the copy each doubling made: on a virtual machine a fault
// costs microseconds (README, "Run records"). So:
//  - the pages are mapped in bulk: the copy's destination at once, then a
//    window of map_window bytes ahead of the writes (at most one window
//    beyond the last entry is mapped and not written);
//  - the first allocation is as long as the thread's last record of the
//    same type: runs in a row (explore, a property, a benchmark) are often
//    alike, and then nothing is copied, and malloc hands back the memory
//    the last run's report freed, already mapped.
// Small records (below map_from bytes) grow as a vector does: their few
// faults cost less than the system call.
template <class T>
class run_record {
 public:
  static constexpr std::size_t map_window = std::size_t{256} << 10;
  static constexpr std::size_t map_from = std::size_t{256} << 10;

  // Appends v. The copy and the mapping are simloop's work, not the step's:
  // a step being measured restarts its measure after them.
  void push_back(const T& v, step_budget& budget) {
    if (items_.size() == mapped_end_) [[unlikely]]
      make_room(budget);
    items_.push_back(v);
  }

  std::size_t size() const noexcept { return items_.size(); }
  std::size_t capacity() const noexcept { return items_.capacity(); }
  // Entries below this index are on pages mapped already (or the record is
  // small). Never beyond capacity().
  std::size_t mapped_end() const noexcept { return mapped_end_; }
  const std::vector<T>& items() const noexcept { return items_; }

  // The record, for the report; this one is left empty. Its length is the
  // thread's guess for the next record of this type.
  std::vector<T> take() {
    mapped_end_ = 0;
    last_size_ = items_.size();
    // A guess far too large is not kept in the report: the copy is short.
    if (items_.capacity() * sizeof(T) >= map_from && items_.capacity() > 2 * items_.size()) items_.shrink_to_fit();
    return std::exchange(items_, {});
  }

 private:
  [[gnu::cold, gnu::noinline]] void make_room(step_budget& budget) {
    constexpr std::size_t window = map_window / sizeof(T);
    const std::size_t size = items_.size();
    bool large = false;
    if (size == items_.capacity()) {
      // Doubling, from the last record's length (at least 32 entries: one
      // allocation for a short run). Capacity costs no memory until written.
      std::vector<T> fresh;
      fresh.reserve(size == 0 ? std::max<std::size_t>(32, last_size_) : 2 * size);
      large = fresh.capacity() * sizeof(T) >= map_from;
      if (large) map_entries(fresh.data(), std::min(fresh.capacity(), size + window));
      fresh.insert(fresh.end(), items_.begin(), items_.end());
      items_.swap(fresh);
    } else {
      large = true;
      map_entries(items_.data() + size, std::min(items_.capacity() - size, window));
    }
    mapped_end_ = large ? std::min(items_.capacity(), size + window) : items_.capacity();
    // A restart reads the thread's CPU clock, a system call: only after
    // work that costs more.
    if (large && budget.enabled()) budget.restart();
  }

  static void map_entries(T* p, std::size_t n) noexcept { map_ahead(p, n * sizeof(T)); }

  static inline thread_local std::size_t last_size_ = 0;
  std::vector<T> items_;
  std::size_t mapped_end_ = 0;
};

}  // namespace simloop::detail
