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

template <class F>
boost::asio::awaitable<entry_point, any_executor> detached_entry_point(boost::asio::awaitable<void, any_executor>*,
                                                                      executor spawner, F f) {
  (void)co_await boost::asio::dispatch(boost::asio::use_awaitable_t<any_executor>{});
  (co_await boost::asio::detail::awaitable_thread_has_context_switched{}) = false;
  std::exception_ptr e = nullptr;
  try {
    co_await f();
  } catch (...) {
    e = std::current_exception();
  }
  // (GCC 12 miscompiles `if (co_await ...)`: the flag goes through a local.)
  const bool switched = (co_await boost::asio::detail::awaitable_thread_has_context_switched{});
  if (!switched) (void)co_await boost::asio::post(boost::asio::use_awaitable_t<any_executor>{});
  complete_detached(spawner, std::move(e));
}

template <class F>
void launch_detached(const any_executor& ex, const executor& spawner, F&& f) {
  // What initiate_co_spawn does for a handler without a cancellation slot.
  boost::asio::cancellation_slot proxy_slot;
  boost::asio::cancellation_state cancel_state(proxy_slot);
  auto a = detached_entry_point(static_cast<boost::asio::awaitable<void, any_executor>*>(nullptr), spawner,
                                std::forward<F>(f));
  boost::asio::detail::awaitable_handler<any_executor, void>(std::move(a), ex, proxy_slot, cancel_state).launch();
}

}  // namespace simloop::detail
