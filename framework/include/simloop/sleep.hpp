// simloop/sleep.hpp: sleep_for and yield, the two suspension points tests use most.
#pragma once

#include <simloop/clock.hpp>
#include <simloop/timer.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace simloop {

// Suspends the calling coroutine for d (asyncio.sleep(d)): virtual time on a
// simulation, real time (asio::steady_timer) on any other executor, so
// production code can call it too. Cancellable through the coroutine's
// cancellation state.
inline boost::asio::awaitable<void> sleep_for(clock::duration d) {
  auto ex = co_await boost::asio::this_coro::executor;
  if (find_simulation(ex)) {
    timer t(ex, d);
    co_await t.async_wait(boost::asio::use_awaitable);
  } else {
    boost::asio::steady_timer t(ex, std::chrono::duration_cast<std::chrono::steady_clock::duration>(d));
    co_await t.async_wait(boost::asio::use_awaitable);
  }
}

// Lets every other ready step be considered before the caller continues
// (asyncio.sleep(0)): the continuation goes through the ready set, so the
// strategy decides what runs first. Not a coroutine itself: the post goes to
// the awaiting coroutine's executor (use_awaitable's handler is associated
// with it), and a yield costs one coroutine frame (Asio's for the post)
// instead of two.
inline boost::asio::awaitable<void> yield() { return boost::asio::post(boost::asio::use_awaitable); }

}  // namespace simloop
