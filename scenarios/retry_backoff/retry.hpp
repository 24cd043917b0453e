// scenarios/retry_backoff/retry.hpp
//
// Retry with exponential backoff, a cap and jitter (the asyncio recipe:
// `delay = min(cap, base * 2**attempt)`, then "full jitter"). Transient
// errors are retried; anything else propagates at once.
#pragma once

#include <simloop/random.hpp>
#include <simloop/sleep.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/system/system_error.hpp>

#include <algorithm>
#include <chrono>
#include <exception>
#include <functional>
#include <optional>

namespace scenarios::retry_backoff {

namespace asio = boost::asio;
using namespace std::chrono_literals;

struct policy {
  std::chrono::milliseconds base = 100ms;
  std::chrono::milliseconds cap = 10s;
  // 0: no limit on attempts.
  int max_attempts = 0;
  // Each delay is drawn uniformly in [delay * (1 - jitter), delay]; 0: none.
  double jitter = 0.5;
  // Whether to cap at all: the no-cap mistake sets this false.
  bool capped = true;
};

// The delay before retry number `attempt` (0-based).
inline std::chrono::milliseconds backoff_delay(const policy& p, int attempt) {
  double raw = static_cast<double>(p.base.count()) * static_cast<double>(1ULL << std::min(attempt, 40));
  if (p.capped) raw = std::min(raw, static_cast<double>(p.cap.count()));
  double low = raw * (1.0 - p.jitter);
  return std::chrono::milliseconds(static_cast<std::int64_t>(low + (raw - low) * simloop::random_unit()));
}

// A transient error: worth retrying.
inline bool is_transient(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const boost::system::system_error& err) {
    return err.code() == boost::system::errc::connection_refused ||
           err.code() == boost::system::errc::timed_out || err.code() == boost::system::errc::resource_unavailable_try_again;
  } catch (...) {
    return false;
  }
}

// Calls op until it succeeds. op: () -> awaitable<T>.
template <class Op, class T = typename std::invoke_result_t<Op>::value_type>
asio::awaitable<T> retry(Op op, policy p, std::function<bool(const std::exception_ptr&)> retryable = is_transient) {
  for (int attempt = 0;; ++attempt) {
    std::exception_ptr failure;
    try {
      co_return co_await op();
    } catch (...) {
      failure = std::current_exception();
    }
    if (!retryable(failure) || (p.max_attempts > 0 && attempt + 1 >= p.max_attempts)) std::rethrow_exception(failure);
    co_await simloop::sleep_for(backoff_delay(p, attempt));
  }
}

}  // namespace scenarios::retry_backoff
