// scenarios/fetch_many/fetch.hpp
//
// asyncio.gather over many requests, `return_exceptions=True`: every result
// in request order, a failed request kept as its error instead of failing the
// whole batch.
#pragma once

#include <simloop/gather.hpp>
#include <simloop/random.hpp>
#include <simloop/sleep.hpp>

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

namespace scenarios::fetch_many {

namespace asio = boost::asio;

// A service where every fourth item is missing; a request takes 1..30 ms.
inline asio::awaitable<std::string> get_item(int id) {
  co_await simloop::sleep_for(std::chrono::milliseconds(1 + simloop::random_below(30)));
  if (id % 4 == 3) throw std::runtime_error("404 /item/" + std::to_string(id));
  co_return "item " + std::to_string(id);
}

using result = simloop::outcome<std::string>;

// Results in the order of `ids`.
inline asio::awaitable<std::vector<result>> fetch_all(std::vector<int> ids) {
  std::vector<asio::awaitable<std::string>> requests;
  for (int id : ids) requests.push_back(get_item(id));
  co_return co_await simloop::gather(simloop::return_exceptions, std::move(requests));
}

// The mistake: each request appends its own result when it finishes, so the
// results come back in completion order, not request order.
inline asio::awaitable<std::vector<result>> fetch_all_appending(std::vector<int> ids) {
  std::vector<result> results;
  auto one = [&](int id) -> asio::awaitable<void> {
    try {
      results.emplace_back(co_await get_item(id));
    } catch (...) {
      results.emplace_back(std::current_exception());
    }
  };
  std::vector<asio::awaitable<void>> requests;
  for (int id : ids) requests.push_back(one(id));
  co_await simloop::gather(std::move(requests));
  co_return results;
}

}  // namespace scenarios::fetch_many
