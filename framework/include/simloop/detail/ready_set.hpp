// simloop/detail/ready_set.hpp: the steps that may run next, oldest first.
#pragma once

#include <simloop/detail/operation.hpp>

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <utility>

namespace simloop::detail {

// A ring buffer of operation pointers. Index 0 is the oldest entry: the pick a
// FIFO scheduler (and a single-threaded io_context) makes, and the pick that
// choice 0 means for every strategy.
//
// Each ready op keeps its ring slot in aux_ (free while an op is ready: the
// timer queue lane it held is dead once the wait left the queue), so a
// strategy that finds an op by other means (pct) learns its index in O(1).
class ready_set {
 public:
  ready_set() = default;
  ready_set(const ready_set&) = delete;
  ready_set& operator=(const ready_set&) = delete;
  ~ready_set() {
    if (ring_ != inline_) std::free(ring_);
  }

  bool empty() const noexcept { return size_ == 0; }
  std::size_t size() const noexcept { return size_; }
  operation* operator[](std::size_t i) const noexcept {
    return ring_[(head_ + i) & mask_];
  }

  // The index of a ready op.
  std::size_t index_of(const operation* op) const noexcept { return (op->aux_ - head_) & mask_; }
  // How many entries ever left the set: a strategy that indexes the set
  // itself sees from it whether anything but its own picks removed entries.
  std::uint64_t removed() const noexcept { return removed_; }

  void push_back(operation* op) {
    if (size_ == mask_ + 1) grow();
    const std::size_t at = (head_ + size_) & mask_;
    op->aux_ = static_cast<std::uint32_t>(at);
    ring_[at] = op;
    ++size_;
  }

  operation* pop_front() noexcept {
    operation* op = ring_[head_];
    head_ = (head_ + 1) & mask_;
    --size_;
    ++removed_;
    return op;
  }

  // Removes entry i in O(1): the oldest entry takes its place. The order of
  // the rest changes, deterministically; used by pickers that do not care
  // about age (random, replay).
  operation* take_swap(std::size_t i) noexcept {
    assert(i < size_);
    std::size_t at = (head_ + i) & mask_;
    operation* op = ring_[at];
    if (at != head_) {
      ring_[at] = ring_[head_];
      ring_[at]->aux_ = static_cast<std::uint32_t>(at);
    }
    head_ = (head_ + 1) & mask_;
    --size_;
    ++removed_;
    return op;
  }

  // Removes entry i keeping the order of the rest. No built-in strategy uses
  // it: a strategy whose picks are replayed must remove with take_swap, as
  // the replay strategy does, or the ready sets diverge after the first pick.
  operation* take_stable(std::size_t i) noexcept {
    assert(i < size_);
    operation* op = (*this)[i];
    for (std::size_t j = i; j > 0; --j) {
      const std::size_t to = (head_ + j) & mask_;
      ring_[to] = ring_[(head_ + j - 1) & mask_];
      ring_[to]->aux_ = static_cast<std::uint32_t>(to);
    }
    head_ = (head_ + 1) & mask_;
    --size_;
    ++removed_;
    return op;
  }

  template <class F>
  void for_each(F f) const {
    for (std::size_t i = 0; i < size_; ++i) f((*this)[i]);
  }

 private:
  void grow() {
    std::size_t cap = (mask_ + 1) * 2;
    auto* next = static_cast<operation**>(std::malloc(cap * sizeof(operation*)));
    if (!next) throw std::bad_alloc();
    for (std::size_t i = 0; i < size_; ++i) {
      next[i] = (*this)[i];
      next[i]->aux_ = static_cast<std::uint32_t>(i);
    }
    if (ring_ != inline_) std::free(ring_);
    ring_ = next;
    head_ = 0;
    mask_ = cap - 1;
  }

  // A small run never leaves the inline ring: no allocation per simulation.
  static constexpr std::size_t inline_size = 32;
  operation* inline_[inline_size];
  operation** ring_ = inline_;
  std::size_t head_ = 0;
  std::size_t size_ = 0;
  std::size_t mask_ = inline_size - 1;
  std::uint64_t removed_ = 0;
};

}  // namespace simloop::detail
