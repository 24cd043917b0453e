// scenarios/producer_consumer/pipeline.hpp
//
// asyncio's Queue with sentinels: one producer, N workers, a bounded queue.
// The producer puts every item, then one sentinel per worker; each worker
// stops at its sentinel. Here the queue is an asio::experimental::channel and
// the pipeline waits for every worker through a second channel.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/channel.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <simloop/sleep.hpp>

#include <chrono>
#include <memory>
#include <vector>

namespace scenarios::producer_consumer {

namespace asio = boost::asio;
using queue = asio::experimental::channel<void(boost::system::error_code, int)>;
inline constexpr int sentinel = -1;

struct config {
  int items = 12;
  int workers = 3;
  std::size_t capacity = 4;
  std::chrono::milliseconds work{5};
  // How many sentinels the producer sends. A pipeline that sends fewer than
  // `workers` leaves a worker waiting forever.
  int sentinels = 3;
};

inline asio::awaitable<void> produce(queue& q, const config& cfg) {
  for (int i = 0; i < cfg.items; ++i) co_await q.async_send(boost::system::error_code{}, i, asio::use_awaitable);
  for (int i = 0; i < cfg.sentinels; ++i)
    co_await q.async_send(boost::system::error_code{}, sentinel, asio::use_awaitable);
}

inline asio::awaitable<void> work(queue& q, queue& done, std::vector<int>& processed, std::chrono::milliseconds cost) {
  for (;;) {
    int item = co_await q.async_receive(asio::use_awaitable);
    if (item == sentinel) break;
    co_await simloop::sleep_for(cost);
    processed.push_back(item);
  }
  co_await done.async_send(boost::system::error_code{}, 0, asio::use_awaitable);
}

// Runs the pipeline; returns the items in the order they were processed.
inline asio::awaitable<std::vector<int>> run(config cfg) {
  auto ex = co_await asio::this_coro::executor;
  queue q(ex, cfg.capacity);
  queue done(ex, static_cast<std::size_t>(cfg.workers));
  std::vector<int> processed;
  for (int w = 0; w < cfg.workers; ++w) asio::co_spawn(ex, work(q, done, processed, cfg.work), asio::detached);
  co_await produce(q, cfg);
  for (int w = 0; w < cfg.workers; ++w) co_await done.async_receive(asio::use_awaitable);
  co_return processed;
}

}  // namespace scenarios::producer_consumer
