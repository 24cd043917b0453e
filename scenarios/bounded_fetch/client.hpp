// scenarios/bounded_fetch/client.hpp
//
// asyncio's `async with semaphore:` around each request of one shared
// client: many fetches started at once, never more than N on the wire.
#pragma once

#include <simloop/random.hpp>
#include <simloop/semaphore.hpp>
#include <simloop/sleep.hpp>
#include <simloop/task_group.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

namespace scenarios::bounded_fetch {

namespace asio = boost::asio;

// The remote service, as the client sees it: a request takes 5..24 ms.
struct service {
  int in_flight = 0;
  int max_in_flight = 0;

  asio::awaitable<std::string> get(std::string url) {
    ++in_flight;
    max_in_flight = std::max(max_in_flight, in_flight);
    co_await simloop::sleep_for(std::chrono::milliseconds(5 + simloop::random_below(20)));
    --in_flight;
    co_return "body of " + url;
  }
};

class client {
 public:
  client(asio::any_io_executor ex, service& svc, std::size_t limit) : svc_(svc), limit_(ex, limit) {}

  // One request, holding a permit until its response is in.
  asio::awaitable<std::string> fetch(std::string url) {
    co_await limit_.async_acquire(asio::use_awaitable);
    struct release {
      simloop::semaphore& s;
      ~release() { s.release(); }
    } r{limit_};
    co_return co_await svc_.get(std::move(url));
  }

  // The mistake: the permit only covers *starting* the request. The request
  // is handed to a background task and the permit returned at once, so the
  // limit bounds nothing.
  asio::awaitable<std::string> fetch_permit_released_early(std::string url) {
    co_await limit_.async_acquire(asio::use_awaitable);
    auto ex = co_await asio::this_coro::executor;
    simloop::task_group background(ex);
    std::string body;
    auto request = [&]() -> asio::awaitable<void> { body = co_await svc_.get(url); };
    background.spawn(request());
    limit_.release();
    co_await background.async_wait(asio::use_awaitable);
    co_return body;
  }

 private:
  service& svc_;
  simloop::semaphore limit_;
};

}  // namespace scenarios::bounded_fetch
