// tools/bench/suspended_tasks.hpp: the suspended tasks whose memory
// memory_bench measures at 1M and tests/core/memory_test.cpp bounds at
// 10,000 (one definition, so that the guard measures what the README reports).
#pragma once

#include <simloop/simloop.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <cstdint>

namespace simloop_bench {

// Sets *done when the last task finishes.
struct countdown {
  std::int64_t left;
  simloop::event* done;
  void finish_one() {
    if (--left == 0) done->set();
  }
};

// Suspends on its own timer (one virtual second).
inline asio::awaitable<void> sleeper(countdown* c) {
  simloop::timer t(co_await asio::this_coro::executor, std::chrono::seconds(1));
  co_await t.async_wait(asio::use_awaitable);
  c->finish_one();
}

// Suspends on a shared event.
inline asio::awaitable<void> event_waiter(simloop::event* go, countdown* c) {
  co_await go->async_wait(asio::use_awaitable);
  c->finish_one();
}

enum class wait_on { timer, event };

// Spawns n detached tasks from inside a step: each runs inline up to its
// first suspension (co_spawn's dispatch), so on return all of them wait.
inline void spawn_suspended(const asio::any_io_executor& ex, wait_on what, std::int64_t n, countdown* c,
                            simloop::event* go) {
  for (std::int64_t i = 0; i < n; ++i) {
    if (what == wait_on::timer) asio::co_spawn(ex, sleeper(c), asio::detached);
    else asio::co_spawn(ex, event_waiter(go, c), asio::detached);
  }
}

}  // namespace simloop_bench
