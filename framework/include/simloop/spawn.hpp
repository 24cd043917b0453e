// simloop/spawn.hpp: asio::co_spawn that records its call site.
#pragma once

#include <simloop/detail/co_spawn_site.hpp>
#include <simloop/detail/frame_info.hpp>
#include <simloop/detail/task_frame.hpp>

#include <utility>

namespace simloop {

// asio::co_spawn(ex, std::move(a), token), and the task's findings name
// this call's file:line as its spawn site, without a captured backtrace:
//
//   simloop::spawn(ex, heartbeat(), asio::detached);
//
// Plain asio::co_spawn does the same onto any_io_executor, simloop::executor
// and the simulation (detail/co_spawn_site.hpp); simloop::spawn accepts any
// executor type (tasks exist only on a simulation's executors).
template <class Executor, class T, class AwaitableExecutor, class CompletionToken>
auto spawn(const Executor& ex, boost::asio::awaitable<T, AwaitableExecutor> a, CompletionToken&& token,
           detail::source_site site = detail::source_site::current()) {
  return detail::co_spawn_at(ex, std::move(a), std::forward<CompletionToken>(token), site);
}

}  // namespace simloop
