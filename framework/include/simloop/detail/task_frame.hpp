// simloop/detail/task_frame.hpp: how a plain asio::co_spawn becomes a task.
#pragma once

#include <simloop/executor.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <coroutine>
#include <cstdint>

// Every asio::co_spawn runs its coroutine under one more coroutine, Asio's
// co_spawn_entry_point, whose frame is the bottom of the new "awaitable
// thread" and lives exactly as long as the task. simloop substitutes that
// frame's promise (a more specialised std::coroutine_traits, below) with
// task_frame, derived from Asio's own. Asio's code is unchanged; task_frame
// adds two things:
//  - when the frame first runs, a task is registered with the simulation and
//    the thread's executor gets the task's lane, so every handler the task
//    submits from then on is attributed to it;
//  - when the frame is destroyed, the task is over.
// For executors that are not simloop's, task_frame does nothing at all.
//
// The specialisation must be visible wherever co_spawn is instantiated with
// any_io_executor for a simulation: include <simloop/simloop.hpp> (or any
// simloop header) in those translation units.

namespace simloop::detail {

using any_executor = boost::asio::any_io_executor;
using entry_point = boost::asio::detail::awaitable_thread_entry_point;
using entry_frame_base = boost::asio::detail::awaitable_frame<entry_point, any_executor>;

// The thread's executor lives in a private union of Asio's entry frame.
// Naming a private member in an explicit instantiation is allowed
// ([temp.spec.general]/6); this is the one access simloop needs.
struct entry_executor_tag {
  friend constexpr auto entry_executor_member(entry_executor_tag);
};
template <auto Member>
struct entry_executor_access {
  friend constexpr auto entry_executor_member(entry_executor_tag) { return Member; }
};

class task_frame;

// Asio's awaitable::await_suspend takes coroutine_handle<awaitable_frame<U,
// Executor>>; task_frame's handles are re-typed to its base, which sits at the
// same address.
template <class T>
struct retyped_awaitable {
  boost::asio::awaitable<T, any_executor> inner;

  bool await_ready() const noexcept { return inner.await_ready(); }
  template <class Promise>
  void await_suspend(std::coroutine_handle<Promise> h) {
    inner.await_suspend(std::coroutine_handle<entry_frame_base>::from_address(h.address()));
  }
  T await_resume() { return inner.await_resume(); }
};

class task_frame : public entry_frame_base {
 public:
  task_frame() = default;
  ~task_frame();

  auto initial_suspend() noexcept {
    struct starter {
      task_frame* self;
      bool await_ready() const noexcept { return false; }
      void await_suspend(std::coroutine_handle<>) const noexcept {}
      void await_resume() const noexcept { self->on_start(); }
    };
    return starter{this};
  }

  using entry_frame_base::await_transform;
  template <class T>
  retyped_awaitable<T> await_transform(boost::asio::awaitable<T, any_executor> a) {
    return retyped_awaitable<T>{static_cast<const entry_frame_base&>(*this).await_transform(std::move(a))};
  }

  // The simulation's teardown destroys a task's frame: the registry must not
  // treat that as the task finishing normally.
  std::uint32_t lane() const noexcept { return lane_; }

 private:
  any_executor& thread_executor() noexcept;
  void on_start() noexcept;

  scheduler* sched_ = nullptr;
  std::uint32_t lane_ = 0;
};

}  // namespace simloop::detail

namespace std {
template <class... Args>
struct coroutine_traits<
    boost::asio::awaitable<boost::asio::detail::awaitable_thread_entry_point, boost::asio::any_io_executor>,
    Args...> {
  using promise_type = simloop::detail::task_frame;
};
}  // namespace std
