// simloop/detail/co_spawn_site.hpp: asio::co_spawn that knows its call site.
#pragma once

#include <simloop/detail/frame_info.hpp>
#include <simloop/detail/spawn_slot.hpp>
#include <simloop/executor.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include <concepts>
#include <exception>
#include <type_traits>
#include <utility>

// A finding names the line that spawned each task. Capturing a backtrace
// inside co_spawn costs microseconds per task; a default argument costs
// three words. So simloop adds overloads of asio::co_spawn for the two
// executor types a simulation hands out (any_io_executor and
// simloop::executor) and for the simulation itself, each more specialised
// than Asio's own (so chosen over it for these types), that take the
// caller's file:line as a defaulted parameter and otherwise do exactly what
// Asio's co_spawn does (same initiation, same signature, same completion
// token handling). The site rides in the initiation, not in a global, so a
// deferred or use_awaitable co_spawn that starts later still names its own
// line. Spawns through Asio's overloads (another executor or execution
// context type) fall back to options::capture_spawn_sites.
//
// Asio's own internal co_spawns (the awaitable operators || and &&, through
// argument-dependent lookup) and simloop's primitives that spawn on the
// user's behalf (gather, as_completed) land here with a site in a library
// header; the task frame then names the spawning task's current co_await
// instead (see task_frame::on_create).

namespace simloop::detail {

// The call site handed to the entry frame that the initiation constructs
// synchronously on this thread (task_frame::on_create takes it).
source_site& pending_spawn_site() noexcept;

// Starts a detached task on a simulation's executor (detail/detached_entry.hpp).
template <class F>
void launch_detached(const boost::asio::any_io_executor& ex, const executor& spawner, F&& f);
// Tests only: false makes every spawn take Asio's own co_spawn_entry_point,
// to check that both give the same runs.
bool& use_detached_entry() noexcept;

// co_spawn(any_io_executor, f returning awaitable<void>, detached).
template <class Initiation, class Handler, class F>
inline constexpr bool is_detached_void_spawn =
    std::is_same_v<Initiation, boost::asio::detail::initiate_co_spawn<boost::asio::any_io_executor>> &&
    std::is_same_v<std::decay_t<Handler>, boost::asio::detail::detached_handler> &&
    std::is_same_v<std::invoke_result_t<std::decay_t<F>&>, boost::asio::awaitable<void, boost::asio::any_io_executor>>;

// initiate_co_spawn with a call site: sets the pending site for exactly the
// duration of the inner initiation.
template <class Initiation>
struct sited_initiation {
  using executor_type = typename Initiation::executor_type;
  Initiation inner;
  source_site site;

  executor_type get_executor() const noexcept { return inner.get_executor(); }

  template <class Handler, class F>
  void operator()(Handler&& handler, F&& f) const {
    pending_spawn_site() = site;
    // Cancellation injection into tasks with a bound slot: only a connected
    // slot costs a call, and that call does nothing unless the running
    // simulation injects into tasks.
    auto slot = boost::asio::get_associated_cancellation_slot(handler);
    struct clear {
      bool expecting;
      ~clear() {
        pending_spawn_site() = {};
        if (expecting) end_spawn_signal();
      }
    } guard{slot.is_connected() && expect_spawn_signal(slot, site.file)};
    if constexpr (is_detached_void_spawn<Initiation, Handler, F>) {
      const boost::asio::any_io_executor ex = inner.get_executor();
      if (const executor* spawner = ex.target<executor>(); spawner && use_detached_entry()) {
        launch_detached(ex, *spawner, std::forward<F>(f));
        return;
      }
    }
    inner(std::forward<Handler>(handler), std::forward<F>(f));
  }
};

template <class T>
struct co_spawn_signature {
  using type = void(std::exception_ptr, T);
};
template <>
struct co_spawn_signature<void> {
  using type = void(std::exception_ptr);
};

// asio::co_spawn(ex, awaitable, token), with the call site.
template <class T, class AwaitableExecutor, class Executor, class CompletionToken>
auto co_spawn_at(const Executor& ex, boost::asio::awaitable<T, AwaitableExecutor> a, CompletionToken&& token,
                 source_site site) {
  using initiation = boost::asio::detail::initiate_co_spawn<AwaitableExecutor>;
  return boost::asio::async_initiate<CompletionToken, typename co_spawn_signature<T>::type>(
      sited_initiation<initiation>{initiation(AwaitableExecutor(ex)), site}, token,
      boost::asio::detail::awaitable_as_function<T, AwaitableExecutor>(std::move(a)));
}

// asio::co_spawn(ex, function returning an awaitable, token), with the call site.
template <class Executor, class F, class CompletionToken>
auto co_spawn_function_at(const Executor& ex, F&& f, CompletionToken&& token, source_site site) {
  using awaitable_type = std::invoke_result_t<std::decay_t<F>&>;
  using initiation = boost::asio::detail::initiate_co_spawn<typename awaitable_type::executor_type>;
  return boost::asio::async_initiate<CompletionToken,
                                     typename boost::asio::detail::awaitable_signature<awaitable_type>::type>(
      sited_initiation<initiation>{initiation(ex), site}, token, std::forward<F>(f));
}

template <class T>
struct is_any_awaitable : std::false_type {};
template <class T, class E>
struct is_any_awaitable<boost::asio::awaitable<T, E>> : std::true_type {};

// What co_spawn's function-object form takes: a callable returning an awaitable.
template <class F>
concept awaitable_factory = !is_any_awaitable<std::remove_cvref_t<F>>::value &&
                            std::invocable<std::decay_t<F>&> &&
                            is_any_awaitable<std::invoke_result_t<std::decay_t<F>&>>::value;

}  // namespace simloop::detail

namespace boost::asio {

// The trailing defaulted parameter of each overload is the caller's file:line.

template <class T, class CompletionToken>
auto co_spawn(const any_io_executor& ex, awaitable<T, any_io_executor> a, CompletionToken&& token,
              simloop::detail::source_site site = simloop::detail::source_site::current()) {
  return simloop::detail::co_spawn_at(ex, std::move(a), std::forward<CompletionToken>(token), site);
}
template <class CompletionToken>
auto co_spawn(const any_io_executor& ex, awaitable<void, any_io_executor> a, CompletionToken&& token,
              simloop::detail::source_site site = simloop::detail::source_site::current()) {
  return simloop::detail::co_spawn_at(ex, std::move(a), std::forward<CompletionToken>(token), site);
}
template <class F, class CompletionToken>
  requires simloop::detail::awaitable_factory<F>
auto co_spawn(const any_io_executor& ex, F&& f, CompletionToken&& token,
              simloop::detail::source_site site = simloop::detail::source_site::current()) {
  return simloop::detail::co_spawn_function_at(ex, std::forward<F>(f), std::forward<CompletionToken>(token), site);
}

template <class T, class CompletionToken>
auto co_spawn(const simloop::executor& ex, awaitable<T, any_io_executor> a, CompletionToken&& token,
              simloop::detail::source_site site = simloop::detail::source_site::current()) {
  return simloop::detail::co_spawn_at(ex, std::move(a), std::forward<CompletionToken>(token), site);
}
template <class CompletionToken>
auto co_spawn(const simloop::executor& ex, awaitable<void, any_io_executor> a, CompletionToken&& token,
              simloop::detail::source_site site = simloop::detail::source_site::current()) {
  return simloop::detail::co_spawn_at(ex, std::move(a), std::forward<CompletionToken>(token), site);
}
template <class F, class CompletionToken>
  requires simloop::detail::awaitable_factory<F>
auto co_spawn(const simloop::executor& ex, F&& f, CompletionToken&& token,
              simloop::detail::source_site site = simloop::detail::source_site::current()) {
  return simloop::detail::co_spawn_function_at(ex, std::forward<F>(f), std::forward<CompletionToken>(token), site);
}

// co_spawn(sim, ...): what Asio's execution-context form does
// (co_spawn(ctx.get_executor(), ...)), with the call site.
template <class T, class CompletionToken>
auto co_spawn(simloop::simulation& sim, awaitable<T, any_io_executor> a, CompletionToken&& token,
              simloop::detail::source_site site = simloop::detail::source_site::current()) {
  return simloop::detail::co_spawn_at(simloop::executor(sim), std::move(a), std::forward<CompletionToken>(token),
                                      site);
}
template <class CompletionToken>
auto co_spawn(simloop::simulation& sim, awaitable<void, any_io_executor> a, CompletionToken&& token,
              simloop::detail::source_site site = simloop::detail::source_site::current()) {
  return simloop::detail::co_spawn_at(simloop::executor(sim), std::move(a), std::forward<CompletionToken>(token),
                                      site);
}
template <class F, class CompletionToken>
  requires simloop::detail::awaitable_factory<F>
auto co_spawn(simloop::simulation& sim, F&& f, CompletionToken&& token,
              simloop::detail::source_site site = simloop::detail::source_site::current()) {
  return simloop::detail::co_spawn_function_at(simloop::executor(sim), std::forward<F>(f),
                                               std::forward<CompletionToken>(token), site);
}

}  // namespace boost::asio
