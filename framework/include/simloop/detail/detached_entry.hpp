// simloop/detail/detached_entry.hpp: the entry frame of a detached task, made smaller.
#pragma once

#include <simloop/detail/task_frame.hpp>
#include <simloop/executor.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/cancellation_state.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cstdint>
#include <exception>
#include <utility>

// asio::co_spawn(ex, coroutine, asio::detached) on a simulation's executor
// is the common way to start a task, and a task's entry frame lives as long
// as the task. Asio's co_spawn_entry_point keeps three any_io_executor
// copies in that frame (its executor parameter and two outstanding-work
// guards, 56 bytes each), and GCC keeps every temporary of a co_await
// expression there too: ~480 bytes besides the promise. For this one case
// simloop's co_spawn (detail/co_spawn_site.hpp) starts the task with the
// coroutine below instead. It does what co_spawn_entry_point<void> does,
// step for step and in the same order: co_await dispatch(use_awaitable);
// clear the thread's context-switched flag; co_await the task's coroutine,
// keeping its exception; co_await post(use_awaitable) unless the thread
// switched context; dispatch the handler (detached: does nothing) to the
// handler's executor with work tracked. So every schedule, step and trace
// hash is the same. What it keeps: the spawner's simloop::executor (16
// bytes; outstanding-work tracking on it is only a bit, and the handler's
// executor is the spawner's, as detached_handler has none of its own).
namespace simloop::detail {

// The handler's completion, outside the coroutine (its temporaries stay on
// the stack, not in the frame): dispatch(prefer(spawner, work tracked),
// handler bound to the exception), as co_spawn_entry_point does.
void complete_detached(const executor& spawner, std::exception_ptr e);

// What the entry coroutine awaits at each of its stages: dispatch() to the
// thread's executor, the task's coroutine, post() to the thread's executor.
template <class F>
boost::asio::awaitable<void, any_executor> detached_entry_stage(std::uint32_t stage, F& f) {
  if (stage == 0) return boost::asio::dispatch(boost::asio::use_awaitable_t<any_executor>{});
  if (stage == 1) return f();
  return boost::asio::post(boost::asio::use_awaitable_t<any_executor>{});
}

// GCC keeps a slot in the frame for every temporary of every co_await
// expression, for the frame's whole life, and does not share slots between
// co_awaits. So the three awaits are one co_await in a loop (one awaitable
// and one awaiter slot), and the thread's context-switched flag is read
// through the promise (entry_self, filled in by task_frame's constructor)
// rather than by co_awaiting Asio's query twice: ~80 bytes less per task.
template <class F>
boost::asio::awaitable<entry_point, any_executor> detached_entry_point(executor spawner, F f, entry_self self = {}) {
  std::exception_ptr e = nullptr;
  for (std::uint32_t stage = 0; stage < 3; ++stage) {
    if (stage == 2 && self.frame->context_switched()) break;
    try {
      co_await detached_entry_stage(stage, f);
    } catch (...) {
      if (stage != 1) throw;
      e = std::current_exception();
    }
    if (stage == 0) self.frame->context_switched() = false;
  }
  complete_detached(spawner, std::move(e));
}

template <class F>
void launch_detached(const any_executor& ex, const executor& spawner, F&& f) {
  // What initiate_co_spawn does for a handler without a cancellation slot.
  boost::asio::cancellation_slot proxy_slot;
  boost::asio::cancellation_state cancel_state(proxy_slot);
  auto a = detached_entry_point(spawner, std::forward<F>(f));
  boost::asio::detail::awaitable_handler<any_executor, void>(std::move(a), ex, proxy_slot, cancel_state).launch();
}

}  // namespace simloop::detail
