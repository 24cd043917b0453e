// fuzz/ordering_bug.hpp: an ordering bug of depth 3, for comparing how fast
// libFuzzer, random and pct find it.
//
// A publishes x and checks z one step later; B publishes y only after it saw
// x, C publishes z only after it saw y. The check fails only if, inside A's
// one-step window, B runs its three steps and C its five, in that order:
// three ordering constraints (A1 < B3 < C5 < A2). FIFO never fails.
#pragma once

#include <simloop/simloop.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include <memory>

namespace simloop::fuzz {

inline asio::awaitable<void> ordering_bug() {
  struct shared {
    bool x = false, y = false, z = false;
    int finished = 0;
  };
  auto s = std::make_shared<shared>();
  auto ex = co_await asio::this_coro::executor;
  auto a = [](std::shared_ptr<shared> s) -> asio::awaitable<void> {
    co_await simloop::yield();
    s->x = true;
    co_await simloop::yield();
    SIMLOOP_ASSERT(!s->z);
    ++s->finished;
  };
  auto b = [](std::shared_ptr<shared> s) -> asio::awaitable<void> {
    for (int i = 0; i < 3; ++i) co_await simloop::yield();
    if (s->x) s->y = true;
    ++s->finished;
  };
  auto c = [](std::shared_ptr<shared> s) -> asio::awaitable<void> {
    for (int i = 0; i < 5; ++i) co_await simloop::yield();
    if (s->y) s->z = true;
    ++s->finished;
  };
  asio::co_spawn(ex, a(s), asio::detached);
  asio::co_spawn(ex, b(s), asio::detached);
  asio::co_spawn(ex, c(s), asio::detached);
  while (s->finished < 3) co_await simloop::sleep_for(std::chrono::milliseconds(1));
}

}  // namespace simloop::fuzz
