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
class ready_set {
 public:
  ready_set() { grow(); }
  ready_set(const ready_set&) = delete;
  ready_set& operator=(const ready_set&) = delete;
  ~ready_set() { std::free(ring_); }

  bool empty() const noexcept { return size_ == 0; }
  std::size_t size() const noexcept { return size_; }
  operation* operator[](std::size_t i) const noexcept {
    return ring_[(head_ + i) & mask_];
  }

  // Stamps the op's age in aux_ (free while an op is ready: the timer heap
  // index it held is dead once the wait left the heap).
  void push_back(operation* op) {
    if (size_ == mask_ + 1) grow();
    op->aux_ = next_age_++;
    ring_[(head_ + size_) & mask_] = op;
    ++size_;
  }

  operation* pop_front() noexcept {
    operation* op = ring_[head_];
    head_ = (head_ + 1) & mask_;
    --size_;
    return op;
  }

  // Removes entry i in O(1): the oldest entry takes its place. The order of
  // the rest changes, deterministically; used by pickers that do not care
  // about age (random, replay).
  operation* take_swap(std::size_t i) noexcept {
    assert(i < size_);
    std::size_t at = (head_ + i) & mask_;
    operation* op = ring_[at];
    ring_[at] = ring_[head_];
    head_ = (head_ + 1) & mask_;
    --size_;
    return op;
  }

  // Removes entry i keeping the order of the rest. No built-in strategy uses
  // it: a strategy whose picks are replayed must remove with take_swap, as
  // the replay strategy does, or the ready sets diverge after the first pick.
  operation* take_stable(std::size_t i) noexcept {
    assert(i < size_);
    operation* op = (*this)[i];
    for (std::size_t j = i; j > 0; --j)
      ring_[(head_ + j) & mask_] = ring_[(head_ + j - 1) & mask_];
    head_ = (head_ + 1) & mask_;
    --size_;
    return op;
  }

  // True when a entered the ready set before b. Ages are 32-bit and wrap:
  // the comparison holds while the two entered less than 2^31 pushes apart.
  static bool older(const operation* a, const operation* b) noexcept {
    return static_cast<std::int32_t>(a->aux_ - b->aux_) < 0;
  }

  template <class F>
  void for_each(F f) const {
    for (std::size_t i = 0; i < size_; ++i) f((*this)[i]);
  }

 private:
  void grow() {
    std::size_t cap = ring_ ? (mask_ + 1) * 2 : 64;
    auto* next = static_cast<operation**>(std::malloc(cap * sizeof(operation*)));
    if (!next) throw std::bad_alloc();
    for (std::size_t i = 0; i < size_; ++i) next[i] = (*this)[i];
    std::free(ring_);
    ring_ = next;
    head_ = 0;
    mask_ = cap - 1;
  }

  operation** ring_ = nullptr;
  std::size_t head_ = 0;
  std::size_t size_ = 0;
  std::size_t mask_ = 0;
  std::uint32_t next_age_ = 0;
};

}  // namespace simloop::detail
