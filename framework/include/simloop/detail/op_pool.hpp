// simloop/detail/op_pool.hpp: recycled memory for handler operations.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <new>

namespace simloop::detail {

// Free lists by size class. A step allocates and frees one op: recycling makes
// that two pointer moves instead of two malloc calls. Blocks are returned
// only when the pool dies (a few to the thread's spares, the rest to the
// heap); the pool outlives every op (the simulation destroys all ops before
// its pool). Classes are 16 bytes apart and 8 bytes short of a multiple of
// 16 (24, 40, 56, ..., 1016): malloc adds an 8-byte header and rounds to 16,
// so a block of such a size fills its heap chunk exactly. A pending op then
// wastes less than 16 bytes, which counts when a million tasks each have a
// timer wait pending.
class op_pool {
 public:
  static constexpr std::size_t granule = 16;
  static constexpr std::size_t class_count = 63;  // up to 1016 bytes
  // The block size of class c.
  static constexpr std::size_t block_size(std::size_t c) noexcept { return granule * (c + 1) + 8; }

  op_pool() = default;
  op_pool(const op_pool&) = delete;
  op_pool& operator=(const op_pool&) = delete;
  // Up to spare_limit blocks per class go to the thread's spares, for the
  // next simulation on this thread; the rest back to the heap.
  ~op_pool() {
    spare_blocks& spare = thread_spares();
    // Only the classes that ever got a block back (a short run uses two or
    // three of them).
    for (std::uint64_t used = used_; used != 0; used &= used - 1) {
      const auto c = static_cast<std::size_t>(std::countr_zero(used));
      while (node* p = free_[c]) {
        free_[c] = p->next;
        if (spare.count[c] < spare_limit) {
          p->next = spare.head[c];
          spare.head[c] = p;
          ++spare.count[c];
        } else {
          ::operator delete(p);
        }
      }
    }
  }

  void* allocate(std::size_t n) {
    std::size_t c = size_class(n);
    if (c == class_count) return ::operator new(n);
    if (node* p = free_[c]) {
      free_[c] = p->next;
      return p;
    }
    spare_blocks& spare = thread_spares();
    if (node* p = spare.head[c]) {
      spare.head[c] = p->next;
      --spare.count[c];
      return p;
    }
    return ::operator new(block_size(c));
  }

  void deallocate(void* p, std::size_t n) noexcept {
    std::size_t c = size_class(n);
    if (c == class_count) {
      ::operator delete(p);
      return;
    }
    auto* nd = static_cast<node*>(p);
    nd->next = free_[c];
    free_[c] = nd;
    used_ |= std::uint64_t{1} << c;
  }

 private:
  struct node {
    node* next;
  };
  // Blocks kept between the simulations of one thread: a short run then
  // allocates no op memory at all.
  static constexpr std::size_t spare_limit = 64;
  struct spare_blocks {
    node* head[class_count] = {};
    std::size_t count[class_count] = {};
    spare_blocks() = default;
    spare_blocks(const spare_blocks&) = delete;
    spare_blocks& operator=(const spare_blocks&) = delete;
    // Leaves the lists empty: a pool that dies later on this thread (a
    // simulation destroyed during static destruction) then finds no freed
    // block here.
    ~spare_blocks() {
      for (std::size_t c = 0; c < class_count; ++c) {
        while (node* p = head[c]) {
          head[c] = p->next;
          ::operator delete(p);
        }
        count[c] = 0;
      }
    }
  };
  static spare_blocks& thread_spares() {
    thread_local spare_blocks spare;
    return spare;
  }
  // class_count for sizes above the largest class (and for 0, never asked).
  static std::size_t size_class(std::size_t n) noexcept {
    std::size_t c = n <= block_size(0) ? 0 : (n - 9) / granule;
    return c < class_count ? c : class_count;
  }
  node* free_[class_count] = {};
  std::uint64_t used_ = 0;  // bit c: free_[c] was ever non-empty
  static_assert(class_count <= 64);
};

}  // namespace simloop::detail
