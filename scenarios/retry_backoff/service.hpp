// scenarios/retry_backoff/service.hpp: a flaky service to retry against.
#pragma once

#include <simloop/clock.hpp>
#include <simloop/sleep.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/system/system_error.hpp>

#include <chrono>
#include <stdexcept>

namespace scenarios::retry_backoff {

// Refuses connections until `up_at`, then answers; a request for a key the
// service does not know is a permanent error (std::invalid_argument).
struct flaky_service {
  simloop::clock::time_point up_at;
  std::chrono::milliseconds latency{20};
  int calls = 0;

  boost::asio::awaitable<int> get(int key) {
    ++calls;
    co_await simloop::sleep_for(latency);
    if (simloop::clock::now() < up_at)
      throw boost::system::system_error(make_error_code(boost::system::errc::connection_refused));
    if (key < 0) throw std::invalid_argument("no such key");
    co_return key * 10;
  }
};

}  // namespace scenarios::retry_backoff
