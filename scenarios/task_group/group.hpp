// scenarios/task_group/group.hpp
//
// Structured concurrency (asyncio.TaskGroup): children run concurrently; the
// first failure cancels the siblings; the group returns only when every child
// is done, and rethrows the failure. A hand-rolled "group" that returns at
// the first failure leaves the siblings running behind the caller's back.
#pragma once

#include <simloop/sleep.hpp>
#include <simloop/task_group.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/channel.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <exception>
#include <functional>
#include <memory>
#include <vector>

namespace scenarios::task_group {

namespace asio = boost::asio;

// Runs every job; throws the first failure after all jobs have stopped.
inline asio::awaitable<void> run_all(std::vector<std::function<asio::awaitable<void>()>> jobs) {
  auto ex = co_await asio::this_coro::executor;
  simloop::task_group g(ex);
  for (auto& job : jobs) g.spawn(job());
  co_await g.async_wait(asio::use_awaitable);
}

// The mistake: each job is wrapped in a capturing lambda coroutine (to count
// the jobs that finished) and spawned from the lambda's temporary closure.
// The closure holds the captures (`job`, `finished`); it is destroyed at the
// end of the spawn's statement, and the child reads it when it runs again.
// The fix: a coroutine function that takes what it needs by value, or
// co_spawn given the lambda itself (the task then owns the closure).
inline asio::awaitable<void> run_all_counted(std::vector<std::function<asio::awaitable<void>()>> jobs) {
  auto ex = co_await asio::this_coro::executor;
  simloop::task_group g(ex);
  std::size_t finished = 0;
  for (auto& job : jobs)
    g.spawn([&job, &finished]() -> asio::awaitable<void> {
      co_await job();
      ++finished;
    }());
  co_await g.async_wait(asio::use_awaitable);
}

// The mistake: children are detached; the first failure is rethrown at once,
// nothing cancels or waits for the others.
inline asio::awaitable<void> run_all_detached(std::vector<std::function<asio::awaitable<void>()>> jobs) {
  auto ex = co_await asio::this_coro::executor;
  using results = asio::experimental::channel<void(boost::system::error_code, std::exception_ptr)>;
  auto done = std::make_shared<results>(ex, jobs.size());
  for (auto& job : jobs)
    asio::co_spawn(ex, job(), [done](std::exception_ptr e) { done->try_send(boost::system::error_code{}, e); });
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    std::exception_ptr e = co_await done->async_receive(asio::use_awaitable);
    if (e) std::rethrow_exception(e);
  }
}

}  // namespace scenarios::task_group
