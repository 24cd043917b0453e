// simloop/detail/user_frame.hpp: simloop's notes on every awaitable<T> coroutine.
#pragma once

#include <simloop/detail/frame_info.hpp>
#include <simloop/detail/stack_reference.hpp>
#include <simloop/detail/task_frame.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <coroutine>
#include <cstring>
#include <type_traits>
#include <typeinfo>
#include <utility>

// A more specialised std::coroutine_traits for asio::awaitable<T,
// any_io_executor> (below) gives every such coroutine the promise user_frame,
// derived from Asio's awaitable_frame and unchanged in behaviour. It notes:
//  - the coroutine function's name and definition site (default arguments of
//    get_return_object, evaluated in the coroutine), and for the
//    coroutines Asio makes for `op(use_awaitable)`, the operation's type;
//  - whether the coroutine ever started: a frame destroyed unstarted during a
//    simulated step was never awaited nor spawned (never_awaited finding);
//  - a reference parameter into the stack of the step that made it: gone
//    when the coroutine next runs (dangling_reference finding);
//  - at each co_await, the co_await's site (default arguments of
//    await_transform, evaluated at the co_await expression) and what it
//    awaits, stored in the task's entry frame: that is the task's wait site.
// The cost is a few stores per coroutine and per co_await; the promise
// reads one thread-local at creation.

namespace simloop::detail {

scheduler* current_scheduler() noexcept;
// A frame destroyed without ever starting (detectors/never_awaited.cpp).
void on_unstarted_frame_destroyed(const frame_info&) noexcept;

template <class X>
inline constexpr bool is_awaitable = false;
template <class U>
inline constexpr bool is_awaitable<boost::asio::awaitable<U, any_executor>> = true;

template <class T, class Op>
class user_frame : public frame_with_info<T> {
  using base = boost::asio::detail::awaitable_frame<T, any_executor>;

 public:
  using value_type = T;

  // A coroutine without parameters. (Its name and site: get_return_object.)
  user_frame() noexcept {
    if constexpr (!std::is_void_v<Op>) this->info.set_operation(&typeid(Op), nullptr);
    this->info.sched = current_scheduler();
  }
  // A coroutine with parameters: the promise sees their lvalues (the
  // frame's copies, or what a reference parameter refers to), and notes a
  // reference into the running step's stack (detail/stack_reference.hpp).
  template <class... P>
    requires(std::is_void_v<Op> && sizeof...(P) > 0)
  explicit user_frame(P&... params) noexcept {
    this->info.sched = current_scheduler();
    if constexpr ((may_dangle<P>() || ...))
      if (const char* top = step_stack_top) note_step_stack_references(this->info, top, params...);
  }
  // Asio's coroutine for `op(use_awaitable)`: initiate(Initiation,
  // use_awaitable_t, args...). The promise sees the initiation object.
  template <class Initiation, class Executor, class... Rest>
    requires(!std::is_void_v<Op>)
  user_frame(Initiation& init, boost::asio::use_awaitable_t<Executor>&, Rest&...) noexcept {
    const void* object = nullptr;
    if constexpr (sizeof(Initiation) == sizeof(void*) && std::is_trivially_copyable_v<Initiation>)
      std::memcpy(&object, static_cast<const void*>(&init), sizeof(void*));
    this->info.set_operation(&typeid(Op), object);
    this->info.sched = current_scheduler();
  }
  // The frame's memory (detail/frame_pool.hpp), not Asio's recycling allocator.
  static void* operator new(std::size_t n) { return frame_pool::allocate(n); }
  static void operator delete(void* p, std::size_t n) noexcept { frame_pool::deallocate(p, n); }

  ~user_frame() {
    if (this->info.has_stack_reference()) [[unlikely]]
      drop_stack_reference(this->info);
    if (!this->info.started() && this->info.sched) on_unstarted_frame_destroyed(this->info);
  }

  // The coroutine function's name and definition site: default arguments,
  // evaluated in the coroutine's ramp, where the compiler calls this for
  // every coroutine, whatever its parameters (GCC names a function template's
  // specialisation there: "worker<true>").
  auto get_return_object(const char* function = __builtin_FUNCTION(), const char* file = __builtin_FILE(),
                         unsigned line = __builtin_LINE()) noexcept {
    if constexpr (std::is_void_v<Op>) this->info.set_defined(source_site{function, file, line});
    return base::get_return_object();
  }

  auto initial_suspend() noexcept {
    struct starter {
      frame_info* info;
      bool await_ready() const noexcept { return false; }
      void await_suspend(std::coroutine_handle<>) const noexcept {}
      void await_resume() const noexcept { info->set_started(); }
    };
    return starter{&this->info};
  }

  template <class U>
  retyped_awaitable<U> await_transform(boost::asio::awaitable<U, any_executor> a,
                                       const char* file = __builtin_FILE(), unsigned line = __builtin_LINE()) {
    if (task_frame* task = running_task()) {
      wait_record r;
      r.at = source_site{nullptr, file, line};
      if (const frame_info* t = info_of(a)) {
        r.op = t->op();
        r.object = t->object();
        if (!r.op) r.target = t->defined().function;
      }
      task->note_wait(this->info, r);
    }
    return retyped_awaitable<U>{static_cast<const base&>(*this).await_transform(std::move(a))};
  }

  template <class X>
    requires(!is_awaitable<std::remove_cvref_t<X>>)
  auto await_transform(X&& x, const char* file = __builtin_FILE(), unsigned line = __builtin_LINE())
      -> decltype(std::declval<base&>().await_transform(std::forward<X>(x))) {
    // this_coro queries never suspend: nothing to note.
    constexpr bool suspends =
        is_operation<std::remove_cvref_t<X>> ||
        std::is_invocable_v<X, boost::asio::detail::awaitable_frame_base<any_executor>*>;
    if (task_frame* task = suspends ? running_task() : nullptr) {
      wait_record r;
      r.at = source_site{nullptr, file, line};
      // Inside Asio's use_awaitable coroutine, the awaited lambda starts the
      // operation itself; elsewhere, an async operation awaited directly.
      r.op = this->info.op();
      r.object = this->info.object();
      if (!r.op && is_operation<std::remove_cvref_t<X>>) r.op = &typeid(std::remove_cvref_t<X>);
      task->note_wait(this->info, r);
    }
    return base::await_transform(std::forward<X>(x));
  }

 private:
  template <class X>
  static constexpr bool is_operation = boost::asio::is_async_operation<X>::value;

  // The task this frame runs on, when it is a simulation's task. (A frame
  // made before run(), like the body's, is noted too.)
  task_frame* running_task() const noexcept {
    if (!this->attached_thread_) return nullptr;
    auto* t = static_cast<task_frame*>(this->attached_thread_->entry_point());
    return t->is_task_frame() && t->sched() ? t : nullptr;
  }
};

template <class... Args>
struct operation_of {
  using type = void;
};
template <class Initiation, class Executor, class... Rest>
struct operation_of<Initiation, boost::asio::use_awaitable_t<Executor>, Rest...> {
  using type = std::decay_t<Initiation>;
};

}  // namespace simloop::detail

namespace std {
template <class T, class... Args>
struct coroutine_traits<boost::asio::awaitable<T, boost::asio::any_io_executor>, Args...> {
  using promise_type = simloop::detail::user_frame<T, typename simloop::detail::operation_of<Args...>::type>;
};
}  // namespace std
