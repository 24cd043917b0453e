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
  // The same place: the same literals (as __builtin_FUNCTION/FILE give them).
  friend bool operator==(const source_site&, const source_site&) = default;
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
inline constexpr std::uint32_t frame_magic32 = static_cast<std::uint32_t>(frame_magic);

// 32 bytes, in every coroutine frame (a million suspended tasks carry two or
// three each): a coroutine's note and an operation's share their words.
class frame_info {
 public:
  // A coroutine function: its name and where it is defined.
  void set_defined(const source_site& s) noexcept {
    first_ = s.function;
    second_ = s.file;
    line_ = (line_ & stack_reference_bit) | (s.line & line_mask);
  }
  // For the coroutines Asio makes for `op(use_awaitable)`: the operation's
  // initiation type (basic_timer<..>::initiate_async_wait, ...), and the I/O
  // object it works on when the initiation holds just a pointer to it
  // (timers, channels, sockets; tells waits on one object from waits on
  // another; never printed, addresses vary between runs).
  void set_operation(const std::type_info* op, const void* object) noexcept {
    first_ = object;
    second_ = op;
    line_ = operation_bit | library_yes;
  }
  bool is_operation() const noexcept { return (line_ & operation_bit) != 0; }
  source_site defined() const noexcept {
    if (is_operation()) return source_site{"async operation", nullptr, 0};
    return source_site{static_cast<const char*>(first_), static_cast<const char*>(second_), line_ & line_mask};
  }
  const std::type_info* op() const noexcept {
    return is_operation() ? static_cast<const std::type_info*>(second_) : nullptr;
  }
  const void* object() const noexcept { return is_operation() ? first_ : nullptr; }

  // The body started (the frame was awaited or spawned).
  bool started() const noexcept { return (line_ & started_bit) != 0; }
  void set_started() noexcept { line_ |= started_bit; }
  // Cached "defined in Asio's or simloop's headers" (detail/user_frame.hpp).
  bool library_known() const noexcept { return (line_ & library_known_bit) != 0; }
  bool library() const noexcept { return (line_ & library_yes) == library_yes; }
  void set_library(bool yes) const noexcept { line_ |= yes ? library_yes : library_known_bit; }

  // Made during a step with a reference parameter into that step's stack
  // (detail/stack_reference.hpp): the scheduler holds a record of it.
  bool has_stack_reference() const noexcept { return (line_ & stack_reference_bit) != 0; }
  void set_stack_reference(bool yes) noexcept {
    line_ = yes ? line_ | stack_reference_bit : line_ & ~stack_reference_bit;
  }

  bool has_magic() const noexcept { return magic_ == frame_magic32; }

  // The simulation running when the frame was created (null: none).
  scheduler* sched = nullptr;

 private:
  static constexpr std::uint32_t line_mask = 0x07ffffff;
  static constexpr std::uint32_t stack_reference_bit = 0x08000000;
  static constexpr std::uint32_t started_bit = 0x10000000;
  static constexpr std::uint32_t library_known_bit = 0x20000000;
  static constexpr std::uint32_t library_yes = 0x60000000;  // known and yes
  static constexpr std::uint32_t operation_bit = 0x80000000;

  const void* first_ = nullptr;   // function name, or the operation's I/O object
  const void* second_ = nullptr;  // file, or the operation's type_info
  std::uint32_t magic_ = frame_magic32;
  mutable std::uint32_t line_ = 0;  // line, and the bits above
};
static_assert(sizeof(frame_info) == 32);

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
  return i->has_magic() ? i : nullptr;
}

// What a task is suspended on, noted at each co_await.
struct wait_record {
  source_site at;                      // the co_await (file and line; function unused)
  const char* target = nullptr;        // the awaited coroutine's name, when it is one
  const std::type_info* op = nullptr;  // the awaited operation's type, when known
  const void* object = nullptr;        // the operation's I/O object, when known
};

// "Defined in Asio's or simloop's own headers" (cached per frame).
bool is_library_file(const char* file) noexcept;
inline bool is_library(const frame_info& i) noexcept {
  if (!i.library_known()) i.set_library(is_library_file(i.defined().file));
  return i.library();
}

}  // namespace simloop::detail
