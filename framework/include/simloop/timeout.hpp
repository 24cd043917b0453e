// simloop/timeout.hpp: asyncio.wait_for for Asio coroutines.
#pragma once

#include <simloop/clock.hpp>
#include <simloop/error.hpp>
#include <simloop/simulation.hpp>
#include <simloop/timer.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>

#include <chrono>
#include <utility>
#include <variant>

namespace simloop {

namespace detail {

template <class T>
boost::asio::awaitable<T> race_deadline(boost::asio::awaitable<T> op, auto& deadline) {
  using namespace boost::asio::experimental::awaitable_operators;
  auto result = co_await (std::move(op) || deadline.async_wait(boost::asio::use_awaitable));
  if (result.index() == 1) throw boost::system::system_error(error::timed_out);
  if constexpr (!std::is_void_v<T>) co_return std::get<0>(std::move(result));
}

}  // namespace detail

// Like asyncio.wait_for: runs op; if d passes first, op is cancelled
// (terminal cancellation through its cancellation slot) and awaited until it
// has completed, then boost::system::system_error(simloop::error::timed_out)
// is thrown. If op completes first the timer is cancelled and op's result (or
// exception) is returned.
//
// It is Asio's `op || timer.async_wait()` idiom with the timer's side turned
// into an error. On a simulation it waits in virtual time (simloop::timer); on
// any other executor, in real time (asio::steady_timer), so the same code runs
// in production.
template <class T>
boost::asio::awaitable<T> timeout(clock::duration d, boost::asio::awaitable<T> op) {
  auto ex = co_await boost::asio::this_coro::executor;
  if (find_simulation(ex)) {
    timer deadline(ex, d);
    co_return co_await detail::race_deadline(std::move(op), deadline);
  } else {
    boost::asio::steady_timer deadline(ex, std::chrono::duration_cast<std::chrono::steady_clock::duration>(d));
    co_return co_await detail::race_deadline(std::move(op), deadline);
  }
}

}  // namespace simloop
