// simloop/detail/stack_reference.hpp: coroutines that keep a reference into
// the stack of the step that made them (the dangling_reference finding).
#pragma once

#include <simloop/detail/frame_info.hpp>

#include <cstdint>
#include <memory>
#include <type_traits>
#include <typeinfo>

namespace simloop::detail {

// Asio starts an awaitable coroutine lazily, and a coroutine keeps its
// reference parameters as references: a lambda coroutine's closure (its
// captures), the object a member coroutine is called on, a `const T&`. Made
// during a step from a temporary or a local of a plain function, such a
// reference points into the stack that the step's return pops, while the
// coroutine is resumed in a later step:
//
//   asio::co_spawn(ex, [&]() -> asio::awaitable<void> { use(x); }(), asio::detached);
//
// (the closure is a temporary of the full-expression). A parameter lvalue of
// a by-value parameter is the frame's own copy, on the heap; a temporary of
// a full-expression that contains a co_await lives in the awaiting frame,
// also on the heap. So a parameter whose address lies in the running step's
// stack region, between the coroutine's ramp and the scheduler loop's frame,
// is a reference into that step's stack.

// While a simulation's loop runs on this thread with detect_dangling_references
// on: the loop's frame. Below it lies only what the current step called.
// Null otherwise: the check then costs one thread-local read per coroutine.
constinit inline thread_local const char* step_stack_top = nullptr;

// A coroutine frame made during a step with a reference parameter into that
// step's stack. The scheduler keeps one record per such frame until the
// step ends (scheduler::check_stack_references) or the frame is destroyed.
struct stack_reference {
  const frame_info* frame = nullptr;
  const std::type_info* type = nullptr;  // the referenced object's type; null when incomplete there
  std::uint64_t step = 0;                // the step that made the frame
  std::uint32_t lane = 0;                // the task that made it
  std::uint16_t index = 0;               // which parameter, from 1 (a member function's object is 1)
  std::uint16_t count = 0;               // of how many
};

// Records a frame's reference parameter into the step's stack (with
// info.sched, the running simulation: detectors/dangling_reference.cpp).
void note_stack_reference(frame_info& info, unsigned index, unsigned count, const std::type_info* type) noexcept;
// The frame is going away: its record with it.
void drop_stack_reference(const frame_info& info) noexcept;

// An object of an empty class (a lambda without captures) holds nothing that
// could dangle. An incomplete type cannot be asked, and is checked.
template <class X>
constexpr bool may_dangle() noexcept {
  if constexpr (requires { sizeof(X); }) return !std::is_empty_v<X>;
  else return true;
}

template <class X>
inline void note_if_on_step_stack(frame_info& info, const char* bottom, const char* top, X& x, unsigned index,
                                  unsigned count) noexcept {
  if constexpr (may_dangle<X>()) {
    // (As an integer: X may be volatile, or a function.)
    const auto at = reinterpret_cast<std::uintptr_t>(std::addressof(x));
    if (at > reinterpret_cast<std::uintptr_t>(bottom) && at < reinterpret_cast<std::uintptr_t>(top)) [[unlikely]] {
      const std::type_info* type = nullptr;
      if constexpr (requires { sizeof(X); }) type = &typeid(X);
      note_stack_reference(info, index, count, type);
    }
  }
}

// An address below every object of the calling frame: the frame of a
// function it calls. (The promise's constructor and the coroutine's ramp may
// be inlined into the caller, whose temporaries then lie below the frame
// address of the code running.)
[[gnu::noinline]] inline const char* callee_frame() noexcept {
  return static_cast<const char*>(__builtin_frame_address(0));
}

// From the promise's constructor, with the coroutine's parameter lvalues.
template <class... P>
inline void note_step_stack_references(frame_info& info, const char* top, P&... params) noexcept {
  const char* bottom = callee_frame();
  unsigned index = 0;
  (note_if_on_step_stack(info, bottom, top, params, ++index, sizeof...(P)), ...);
}

}  // namespace simloop::detail
