// simloop/spawn.hpp: asio::co_spawn that records its call site.
#pragma once

#include <simloop/detail/frame_info.hpp>
#include <simloop/detail/task_frame.hpp>

#include <boost/asio/co_spawn.hpp>

#include <utility>

namespace simloop {

// asio::co_spawn(ex, std::move(a), token), and the task's findings name
// this call's file:line as its spawn site, without a captured backtrace:
//
//   simloop::spawn(ex, heartbeat(), asio::detached);
template <class Executor, class T, class AwaitableExecutor, class CompletionToken>
auto spawn(const Executor& ex, boost::asio::awaitable<T, AwaitableExecutor> a, CompletionToken&& token,
           detail::source_site site = detail::source_site::current()) {
  // co_spawn constructs the task's entry frame before it returns; the frame
  // takes the site from here (and a co_spawn onto another executor clears it).
  detail::pending_spawn_site() = site;
  struct clear {
    ~clear() { detail::pending_spawn_site() = {}; }
  } guard;
  return boost::asio::co_spawn(ex, std::move(a), std::forward<CompletionToken>(token));
}

}  // namespace simloop
