// simloop/detail/frame_info.hpp: what simloop notes about a coroutine frame.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <cstring>
#include <typeinfo>

namespace simloop::detail {

class scheduler;

// A place in the source, as the compiler's __builtin_FILE/LINE/FUNCTION give
// it: string literals, so storing one costs three words and no formatting.
struct source_site {
  const char* function = nullptr;
  const char* file = nullptr;
  unsigned line = 0;

  explicit operator bool() const noexcept { return file != nullptr; }
  static constexpr source_site current(const char* function = __builtin_FUNCTION(),
                                       const char* file = __builtin_FILE(),
                                       unsigned line = __builtin_LINE()) noexcept {
    return source_site{function, file, line};
  }
};

// Every asio::awaitable<T> coroutine (default executor) created in a
// translation unit that sees simloop's headers carries one of these after
// Asio's own promise (see detail/user_frame.hpp). The magic word lets a
// reader tell such a frame from a plain Asio one made elsewhere.
inline constexpr std::uint64_t frame_magic = 0x73696d6c6f6f7046ULL;

struct frame_info {
  std::uint64_t magic = frame_magic;
  // The coroutine function: its name and where it is defined.
  source_site defined;
  // For the coroutines Asio makes for `op(use_awaitable)`: the operation's
  // initiation type (basic_timer<..>::initiate_async_wait, ...), else null.
  const std::type_info* op = nullptr;
  // And the I/O object it works on, when the initiation holds just a
  // pointer to it (timers, channels, sockets): tells waits on one object
  // from waits on another. Never printed (addresses vary between runs).
  const void* object = nullptr;
  // The simulation running when the frame was created (null: none).
  scheduler* sched = nullptr;
  // The body started (the frame was awaited or spawned).
  bool started = false;
  // Cached "defined in Asio's or simloop's headers": 0 unknown, 1 yes, 2 no.
  mutable std::uint8_t library = 0;
};

// Asio's promise followed by simloop's note: the note sits at the same offset
// for every promise of an awaitable<T>, so it can be found from the frame.
template <class T>
struct frame_with_info : boost::asio::detail::awaitable_frame<T, boost::asio::any_io_executor> {
  frame_info info;
};

// The frame of an awaitable, and its note when it has one.
template <class T>
boost::asio::detail::awaitable_frame<T, boost::asio::any_io_executor>* frame_of(
    const boost::asio::awaitable<T, boost::asio::any_io_executor>& a) noexcept {
  // awaitable holds exactly its frame pointer (a private member).
  static_assert(sizeof(a) == sizeof(void*));
  boost::asio::detail::awaitable_frame<T, boost::asio::any_io_executor>* f;
  std::memcpy(&f, static_cast<const void*>(&a), sizeof f);
  return f;
}
template <class T>
const frame_info* info_of(const boost::asio::awaitable<T, boost::asio::any_io_executor>& a) noexcept {
  auto* f = frame_of(a);
  if (!f) return nullptr;
  const frame_info* i = &static_cast<frame_with_info<T>*>(f)->info;
  return i->magic == frame_magic ? i : nullptr;
}

// What a task is suspended on, noted at each co_await.
struct wait_record {
  source_site at;                      // the co_await (function = the awaiting coroutine)
  const char* target = nullptr;        // the awaited coroutine's name, when it is one
  const std::type_info* op = nullptr;  // the awaited operation's type, when known
  const void* object = nullptr;        // the operation's I/O object, when known
};

// "Defined in Asio's or simloop's own headers" (cached per frame).
bool is_library_file(const char* file) noexcept;
inline bool is_library(const frame_info& i) noexcept {
  if (i.library == 0) i.library = is_library_file(i.defined.file) ? 1 : 2;
  return i.library == 1;
}

}  // namespace simloop::detail
