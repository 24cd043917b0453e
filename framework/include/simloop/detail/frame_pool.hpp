// simloop/detail/frame_pool.hpp: memory for the coroutine frames of simloop's promise types.
#pragma once

#include <cstddef>
#include <cstdint>
#include <new>

#if defined(__SANITIZE_ADDRESS__)
#define SIMLOOP_DETAIL_FRAME_POOL_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SIMLOOP_DETAIL_FRAME_POOL_ASAN 1
#endif
#endif
#if defined(SIMLOOP_DETAIL_FRAME_POOL_ASAN)
#include <sanitizer/asan_interface.h>
#endif

// Every awaitable<T> coroutine and co_spawn entry frame made where simloop's
// headers are seen has a simloop promise type (detail/user_frame.hpp,
// detail/task_frame.hpp), and those promises allocate their frames here
// rather than through Asio's awaitable_frame_base::operator new. Asio's
// recycling allocator asks malloc for the size rounded up to 4 bytes plus
// one (its size tag) and then to 16, which costs 16 bytes per frame over
// malloc's own header and rounding: with two or three frames per suspended
// task, 40-50 bytes a task. Here a frame takes a block of the smallest size
// of the form 16k + 8 that holds it: malloc's chunk for it (8-byte header,
// 16-byte rounding) has no slack.
//
// Freed blocks are kept per size class in a small cache of the thread that
// frees them (a step creates and destroys frames: those become pointer
// moves), up to cache_limit blocks a class; the rest go back to malloc. A
// block is interchangeable between threads (a frame made on one thread and
// destroyed on another just changes caches). The cache is trivially
// destructible thread-local storage, so it stays usable during static
// destruction; a separate thread-local drains it when the thread ends and
// from then on every block goes straight to malloc (frames destroyed after
// that, e.g. by a simulation that is a static object, must not land in a
// list nobody frees).
namespace simloop::detail {

class frame_pool {
 public:
  static constexpr std::size_t class_count = 64;  // blocks of 24, 40, ..., 1032 bytes
  static constexpr std::size_t block_size(std::size_t c) noexcept { return 16 * (c + 1) + 8; }
  static constexpr std::uint32_t cache_limit = 32;

  static void* allocate(std::size_t n) {
    const std::size_t c = size_class(n);
    if (c == class_count) return ::operator new(n);
    cache& k = tl_cache;
    if (node* p = k.head[c]) {
#if defined(SIMLOOP_DETAIL_FRAME_POOL_ASAN)
      ASAN_UNPOISON_MEMORY_REGION(p, block_size(c));
#endif
      k.head[c] = p->next;
      --k.count[c];
      return p;
    }
    return ::operator new(block_size(c));
  }

  static void deallocate(void* p, std::size_t n) noexcept {
    const std::size_t c = size_class(n);
    if (c == class_count) {
      ::operator delete(p, n);
      return;
    }
    cache& k = tl_cache;
    if (k.count[c] >= cache_limit || k.state == cache::drained) {
      ::operator delete(p, block_size(c));
      return;
    }
    if (k.state == cache::unregistered) register_drain();
    auto* nd = static_cast<node*>(p);
    nd->next = k.head[c];
    k.head[c] = nd;
    ++k.count[c];
#if defined(SIMLOOP_DETAIL_FRAME_POOL_ASAN)
    ASAN_POISON_MEMORY_REGION(p, block_size(c));
#endif
  }

  // class_count for sizes above the largest class.
  static constexpr std::size_t size_class(std::size_t n) noexcept {
    const std::size_t c = n <= block_size(0) ? 0 : (n - 9) / 16;
    return c < class_count ? c : class_count;
  }

 private:
  struct node {
    node* next;
  };
  struct cache {
    enum : std::uint8_t { unregistered, registered, drained };
    node* head[class_count];
    std::uint32_t count[class_count];
    std::uint8_t state;
  };
  // Zero-initialised, no destructor: valid for the whole life of the thread.
  static inline thread_local constinit cache tl_cache{};

  // Makes the thread's drain object (whose destructor empties the cache and
  // marks it drained), once per thread.
  static void register_drain() noexcept;
  friend struct frame_pool_drain;
  static void drain() noexcept {
    cache& k = tl_cache;
    k.state = cache::drained;
    for (std::size_t c = 0; c < class_count; ++c) {
      while (node* p = k.head[c]) {
#if defined(SIMLOOP_DETAIL_FRAME_POOL_ASAN)
        ASAN_UNPOISON_MEMORY_REGION(p, block_size(c));
#endif
        k.head[c] = p->next;
        ::operator delete(p, block_size(c));
      }
      k.count[c] = 0;
    }
  }
};

}  // namespace simloop::detail
