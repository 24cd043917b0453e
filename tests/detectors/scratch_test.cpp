#include <simloop/simloop.hpp>
#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/channel.hpp>
#include <thread>
using namespace std::chrono_literals;

namespace {
asio::awaitable<void> heartbeat_forever() {
  for (;;) co_await simloop::sleep_for(1s);
}
asio::awaitable<int> fetch() { co_await simloop::yield(); co_return 1; }
asio::awaitable<void> fails() { co_await simloop::yield(); throw std::runtime_error("connection refused"); }
using channel = asio::experimental::channel<void(boost::system::error_code, int)>;
asio::awaitable<void> worker(channel& ch) {
  for (;;) {
    int v = co_await ch.async_receive(asio::use_awaitable);
    if (v < 0) co_return;
  }
}
asio::awaitable<void> blocker() { std::this_thread::sleep_for(1s); co_return; }
}

TEST(Scratch, All) {
  {
    simloop::simulation sim({.seed = 1});
    auto r = sim.run([]() -> asio::awaitable<void> {
      auto ex = co_await asio::this_coro::executor;
      asio::co_spawn(ex, heartbeat_forever(), asio::detached);
      simloop::spawn(ex, heartbeat_forever(), asio::detached);
      co_await simloop::sleep_for(5s);
    }());
    std::printf("%s\n", r.describe().c_str());
  }
  {
    simloop::simulation sim({.seed = 1});
    auto r = sim.run([]() -> asio::awaitable<void> {
      auto op = fetch();
      co_await simloop::yield();
    }());
    std::printf("%s\n", r.describe().c_str());
  }
  {
    simloop::simulation sim({.seed = 1});
    auto r = sim.run([]() -> asio::awaitable<void> {
      auto ex = co_await asio::this_coro::executor;
      asio::co_spawn(ex, fails(), asio::detached);
      co_await simloop::sleep_for(1s);
    }());
    std::printf("%s\n", r.describe().c_str());
  }
  {
    simloop::simulation sim({.seed = 1});
    auto r = sim.run([]() -> asio::awaitable<void> {
      auto ex = co_await asio::this_coro::executor;
      channel ch(ex, 4);
      int done = 0;
      for (int i = 0; i < 3; ++i) asio::co_spawn(ex, worker(ch), [&](std::exception_ptr) { ++done; });
      for (int i = 0; i < 5; ++i) co_await ch.async_send({}, i, asio::use_awaitable);
      for (int i = 0; i < 2; ++i) co_await ch.async_send({}, -1, asio::use_awaitable);
      while (done < 3) co_await simloop::sleep_for(1ms);
    }());
    std::printf("%s\n", r.describe().c_str());
  }
  {
    simloop::simulation sim({.seed = 1});
    auto r = sim.run([]() -> asio::awaitable<void> {
      auto ex = co_await asio::this_coro::executor;
      channel ch(ex, 4);
      for (int i = 0; i < 3; ++i) asio::co_spawn(ex, worker(ch), asio::detached);
      co_await ch.async_receive(asio::use_awaitable);
    }());
    std::printf("%s\n", r.describe().c_str());
  }
  {
    simloop::simulation sim({.seed = 1});
    auto r = sim.run([]() -> asio::awaitable<void> { co_await blocker(); }());
    std::printf("%s\n", r.describe().c_str());
  }
}
