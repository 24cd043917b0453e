// tests/glue/lost_update.hpp: the bodies the glue tests explore.
#pragma once

#include <simloop/simloop.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include <memory>

namespace glue_test {

using namespace std::chrono_literals;

// The core's lost update: read, suspend, write back. FIFO already loses an
// update (every task reads before any writes).
inline asio::awaitable<void> lost_update(int tasks) {
  auto ex = co_await asio::this_coro::executor;
  auto value = std::make_shared<int>(0);
  auto finished = std::make_shared<int>(0);
  for (int i = 1; i <= tasks; ++i) {
    asio::co_spawn(
        ex,
        [value, finished]() -> asio::awaitable<void> {
          co_await simloop::yield();
          int current = *value;
          co_await simloop::yield();
          *value = current + 1;
          ++*finished;
        },
        asio::detached);
  }
  while (*finished < tasks) co_await simloop::sleep_for(1ms);
  SIMLOOP_ASSERT(*value == tasks);
}

// Read, suspend, write back: two increments can collapse into one. Task i
// first yields i times, so under FIFO every task's write lands before the
// next task's read (the run passes) and a failing schedule needs at least one
// deviation from the default pick.
inline asio::awaitable<void> staggered_lost_update(int tasks) {
  auto ex = co_await asio::this_coro::executor;
  auto value = std::make_shared<int>(0);
  auto finished = std::make_shared<int>(0);
  for (int i = 1; i <= tasks; ++i) {
    asio::co_spawn(
        ex,
        [value, finished, i]() -> asio::awaitable<void> {
          for (int k = 0; k < i; ++k) co_await simloop::yield();
          int current = *value;
          co_await simloop::yield();
          *value = current + 1;
          ++*finished;
        },
        asio::detached);
  }
  while (*finished < tasks) co_await simloop::sleep_for(1ms);
  SIMLOOP_ASSERT(*value == tasks);
}

// The same counter with the read and the write in one step: always correct.
inline asio::awaitable<void> atomic_counter(int tasks) {
  auto ex = co_await asio::this_coro::executor;
  auto value = std::make_shared<int>(0);
  auto finished = std::make_shared<int>(0);
  for (int i = 1; i <= tasks; ++i) {
    asio::co_spawn(
        ex,
        [value, finished]() -> asio::awaitable<void> {
          co_await simloop::yield();
          ++*value;
          co_await simloop::yield();
          ++*finished;
        },
        asio::detached);
  }
  while (*finished < tasks) co_await simloop::sleep_for(1ms);
  SIMLOOP_ASSERT(*value == tasks);
}

}  // namespace glue_test
