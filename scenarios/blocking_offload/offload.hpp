// scenarios/blocking_offload/offload.hpp
//
// asyncio.to_thread: blocking work (a slow hash, a blocking driver call) must
// not run on the event loop, or every other task stalls behind it. Here the
// work goes to a thread pool; in a simulation, to_thread costs virtual time
// instead (the work runs inline, then the task sleeps `cost`), so the
// schedule stays deterministic. Calling the blocking function directly from
// the coroutine is the classic mistake: simloop reports the blocking call.
#pragma once

#include <simloop/simulation.hpp>
#include <simloop/sleep.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <functional>
#include <string>
#include <thread>

namespace scenarios::blocking_offload {

namespace asio = boost::asio;

// Runs fn off the loop and resumes the caller with its result. In a
// simulation no pool is needed (pass null): the work costs `cost` of virtual
// time.
template <class F>
asio::awaitable<std::invoke_result_t<F>> to_thread(asio::thread_pool* pool, F fn, std::chrono::milliseconds cost) {
  auto ex = co_await asio::this_coro::executor;
  if (simloop::find_simulation(ex) || !pool) {
    co_await simloop::sleep_for(cost);
    co_return fn();
  }
  // The work runs as a task on the pool; its completion resumes the caller
  // on the caller's executor.
  co_return co_await asio::co_spawn(
      *pool, [fn]() -> asio::awaitable<std::invoke_result_t<F>> { co_return fn(); }, asio::use_awaitable);
}

// The blocking function: "fast" in the simulation (the cost is virtual),
// except that the direct-call mistake really blocks, as production would.
inline std::string hash_password(const std::string& pw, bool really_block) {
  if (really_block) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  std::size_t h = std::hash<std::string>{}(pw);
  return std::to_string(h);
}

}  // namespace scenarios::blocking_offload
