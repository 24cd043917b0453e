// scenarios/as_completed/process.hpp
//
// asyncio.as_completed: handle each result as soon as it is ready, whatever
// order the requests were made in. Awaiting the requests one by one in
// submission order makes every fast result wait for the slow ones before it.
#pragma once

#include <simloop/as_completed.hpp>
#include <simloop/clock.hpp>
#include <simloop/event.hpp>
#include <simloop/sleep.hpp>
#include <simloop/task_group.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/this_coro.hpp>

#include <chrono>
#include <functional>
#include <vector>

namespace scenarios::as_completed {

namespace asio = boost::asio;

struct lookup {
  int id;
  std::chrono::milliseconds latency;
};

inline asio::awaitable<int> resolve(lookup l) {
  co_await simloop::sleep_for(l.latency);
  co_return l.id;
}

// Calls handle(id) for every lookup, each as soon as its answer is in.
inline asio::awaitable<void> process(std::vector<lookup> lookups, std::function<void(int)> handle) {
  auto ex = co_await asio::this_coro::executor;
  std::vector<asio::awaitable<int>> pending;
  for (const auto& l : lookups) pending.push_back(resolve(l));
  simloop::as_completed<int> results(ex, std::move(pending));
  while (results.remaining() > 0) handle(co_await results.next());
}

// The mistake: every lookup starts at once, but the results are taken in
// submission order.
inline asio::awaitable<void> process_in_order(std::vector<lookup> lookups, std::function<void(int)> handle) {
  auto ex = co_await asio::this_coro::executor;
  std::vector<int> answers(lookups.size());
  simloop::task_group g(ex);
  std::vector<std::shared_ptr<simloop::event>> ready;
  for (std::size_t i = 0; i < lookups.size(); ++i) {
    ready.push_back(std::make_shared<simloop::event>(ex));
    auto one = [](lookup l, int& slot, std::shared_ptr<simloop::event> done) -> asio::awaitable<void> {
      slot = co_await resolve(l);
      done->set();
    };
    g.spawn(one(lookups[i], answers[i], ready[i]));
  }
  for (std::size_t i = 0; i < lookups.size(); ++i) {
    co_await ready[i]->async_wait(asio::use_awaitable);
    handle(answers[i]);
  }
  co_await g.async_wait(asio::use_awaitable);
}

}  // namespace scenarios::as_completed
