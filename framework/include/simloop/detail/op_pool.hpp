// simloop/detail/op_pool.hpp: recycled memory for handler operations.
#pragma once

#include <cstddef>
#include <new>

namespace simloop::detail {

// Free lists by size class. A step allocates and frees one op: recycling makes
// that two pointer moves instead of two malloc calls. Blocks are returned to
// the heap only when the pool dies; the pool outlives every op (the
// simulation destroys all ops before its pool).
class op_pool {
 public:
  static constexpr std::size_t class_count = 5;  // 64, 128, 256, 512, 1024

  op_pool() = default;
  op_pool(const op_pool&) = delete;
  op_pool& operator=(const op_pool&) = delete;
  ~op_pool() {
    for (auto*& head : free_) {
      while (head) {
        node* next = head->next;
        ::operator delete(head);
        head = next;
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
    return ::operator new(std::size_t{64} << c);
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
  }

 private:
  struct node {
    node* next;
  };
  static std::size_t size_class(std::size_t n) noexcept {
    std::size_t c = 0;
    std::size_t cap = 64;
    while (c < class_count && n > cap) {
      cap <<= 1;
      ++c;
    }
    return c;
  }
  node* free_[class_count] = {};
};

}  // namespace simloop::detail
