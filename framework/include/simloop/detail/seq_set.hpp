// simloop/detail/seq_set.hpp: a set of sequence numbers in one flat table.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

namespace simloop::detail {

// Open addressing with linear probing, and backward-shift deletion (no
// tombstones of its own). One allocation, which grows by doubling and is kept
// across clear(). Any value but the maximum can be stored.
class seq_set {
 public:
  bool empty() const noexcept { return size_ == 0; }
  std::size_t size() const noexcept { return size_; }

  bool contains(std::uint64_t v) const noexcept {
    if (size_ == 0) return false;
    for (std::size_t i = home(v);; i = (i + 1) & mask_) {
      if (slots_[i] == v) return true;
      if (slots_[i] == empty_slot) return false;
    }
  }

  // Adds v (not yet in the set).
  void insert(std::uint64_t v) {
    if ((size_ + 1) * 4 > slots_.size() * 3) grow();
    place(v);
    ++size_;
  }

  // Removes v if present; whether it was.
  bool erase(std::uint64_t v) noexcept {
    if (size_ == 0) return false;
    std::size_t i = home(v);
    while (slots_[i] != v) {
      if (slots_[i] == empty_slot) return false;
      i = (i + 1) & mask_;
    }
    // Backward shift: later entries of the probe run move into the gap
    // when their home does not lie cyclically in (gap, their position].
    for (std::size_t j = (i + 1) & mask_;; j = (j + 1) & mask_) {
      if (slots_[j] == empty_slot) break;
      const std::size_t h = home(slots_[j]);
      if (((j - h) & mask_) >= ((j - i) & mask_)) {
        slots_[i] = slots_[j];
        i = j;
      }
    }
    slots_[i] = empty_slot;
    --size_;
    return true;
  }

  void clear() noexcept {
    if (size_ == 0) return;
    for (auto& s : slots_) s = empty_slot;
    size_ = 0;
  }

 private:
  static constexpr std::uint64_t empty_slot = std::numeric_limits<std::uint64_t>::max();

  std::size_t home(std::uint64_t v) const noexcept {
    return static_cast<std::size_t>((v * 0x9e3779b97f4a7c15ULL) >> shift_) & mask_;
  }
  void place(std::uint64_t v) noexcept {
    std::size_t i = home(v);
    while (slots_[i] != empty_slot) i = (i + 1) & mask_;
    slots_[i] = v;
  }
  void grow() {
    std::vector<std::uint64_t> old(slots_.empty() ? 16 : slots_.size() * 2, empty_slot);
    old.swap(slots_);
    mask_ = slots_.size() - 1;
    shift_ = 64;
    for (std::size_t n = slots_.size(); n > 1; n >>= 1) --shift_;
    for (std::uint64_t v : old)
      if (v != empty_slot) place(v);
  }

  std::vector<std::uint64_t> slots_;
  std::size_t mask_ = 0;
  unsigned shift_ = 64;
  std::size_t size_ = 0;
};

}  // namespace simloop::detail
