// scenarios/slow_call_timeout/client.hpp
//
// A timeout around a slow call (asyncio.wait_for): when the deadline passes,
// the call is cancelled and awaited, so nothing of it outlives the caller.
// The hand-made version starts the call in the background and stops
// *waiting* for it at the deadline, but never stops the call itself: it
// keeps running, holding its connection, after the caller gave up.
#pragma once

#include <simloop/error.hpp>
#include <simloop/random.hpp>
#include <simloop/sleep.hpp>
#include <simloop/timeout.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/system/system_error.hpp>

#include <chrono>
#include <memory>
#include <optional>

namespace scenarios::slow_call_timeout {

namespace asio = boost::asio;
using namespace std::chrono_literals;

// The backend: 20..219 ms per call.
inline asio::awaitable<int> slow_call(int x) {
  co_await simloop::sleep_for(std::chrono::milliseconds(20 + simloop::random_below(200)));
  co_return x * 2;
}

// nullopt when the call did not finish within `limit`.
inline asio::awaitable<std::optional<int>> call_with_timeout(int x, std::chrono::milliseconds limit) {
  try {
    co_return co_await simloop::timeout(limit, slow_call(x));
  } catch (const boost::system::system_error& e) {
    if (e.code() != simloop::error::timed_out) throw;
  }
  co_return std::nullopt;
}

// The mistake: only the waiting stops at the deadline.
inline asio::awaitable<std::optional<int>> call_with_timeout_leaky(int x, std::chrono::milliseconds limit) {
  auto ex = co_await asio::this_coro::executor;
  auto result = std::make_shared<std::optional<int>>();
  asio::co_spawn(ex, [](int x, std::shared_ptr<std::optional<int>> out) -> asio::awaitable<void> {
    *out = co_await slow_call(x);
  }(x, result), asio::detached);
  for (auto waited = 0ms; waited < limit && !*result; waited += 5ms) co_await simloop::sleep_for(5ms);
  co_return *result;
}

}  // namespace scenarios::slow_call_timeout
