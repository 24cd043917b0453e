// scenarios/lock_counter/counter.hpp
//
// asyncio's Lock around a read-modify-write: `async with lock: v = value;
// await io(); value = v + 1`. Without the lock two tasks read the same value
// and one increment is lost; simloop's race detector predicts that from any
// single run, even one where the final count happened to be right.
#pragma once

#include <simloop/mutex.hpp>
#include <simloop/sleep.hpp>
#include <simloop/tracked.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/this_coro.hpp>

namespace scenarios::lock_counter {

namespace asio = boost::asio;

class counter {
 public:
  explicit counter(asio::any_io_executor ex, bool use_lock = true) : lock_(ex), use_lock_(use_lock) {}

  // Persists the new value through a slow store (a suspension point) before
  // publishing it, as a write-through cache would.
  asio::awaitable<void> increment() {
    simloop::mutex::guard g;
    if (use_lock_) g = co_await lock_.scoped_lock();
    int v = value_;
    co_await simloop::sleep_for(std::chrono::milliseconds(1));
    value_ = v + 1;
  }

  int value() const { return value_.peek(); }

 private:
  simloop::mutex lock_;
  bool use_lock_;
  simloop::tracked<int> value_{0, "counter.value"};
};

}  // namespace scenarios::lock_counter
