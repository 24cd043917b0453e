// The timer lookahead (detail/timer_lookahead.hpp) for network deliveries:
// the chain it follows is the awaiting task's real stack, and at thousands
// of connections it runs, reading only live objects (ASan checks that in
// the sanitizer build), without changing what runs.
#include "../../tools/bench/echo_load.hpp"

#include <simloop/net.hpp>
#include <simloop/net/detail/state.hpp>
#include <simloop/simloop.hpp>

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <cstdint>
#include <memory>

using namespace std::chrono_literals;
namespace net = simloop::net;
namespace sd = simloop::detail;
using boost::asio::use_awaitable;

namespace {

const auto server_addr = asio::ip::make_address("10.0.0.2");

// What the lookahead would walk for a socket's pending read: the task's
// entry frame, the frame on top of its stack, the frame below that, and the
// one under it. Walked while the frames are alive.
struct walked {
  const void* entry = nullptr;
  const void* top = nullptr;
  const void* below_top = nullptr;
  const void* under_that = nullptr;
};

walked walk(net::tcp::socket& s) {
  walked w;
  const net::detail::io_op* op = s.impl().read_op;
  if (!op) return w;
  const sd::entry_frame_base* entry = op->awaiting_entry();
  if (!entry) return w;
  w.entry = entry;
  w.top = sd::entry_top_of_stack(entry);
  if (w.top) w.below_top = sd::frame_caller(w.top);
  if (w.below_top) w.under_that = sd::frame_caller(w.below_top);
  return w;
}

// A task awaiting `how` on s: 0 async_read with redirect_error (Asio's
// composed read around redirect_error around the awaitable handler),
// 1 async_read_some with use_awaitable (the awaitable handler itself).
asio::awaitable<void> reader(net::tcp::socket& s, int how, bool* done) {
  std::array<char, 4> buf;
  if (how == 0) {
    boost::system::error_code ec;
    co_await asio::async_read(s, asio::buffer(buf), asio::redirect_error(use_awaitable, ec));
  } else {
    co_await s.async_read_some(asio::buffer(buf), use_awaitable);
  }
  *done = true;
}

TEST(NetLookahead, APendingReadLeadsToItsTasksFramesThroughAsiosComposedOperations) {
  for (int how = 0; how < 2; ++how) {
    simloop::simulation sim({.seed = 3});
    auto& netw = sim.network();
    auto& server = netw.add_host("server", server_addr);
    auto& client = netw.add_host("client", asio::ip::make_address("10.0.0.1"));
    bool done = false, callback_ran = false;
    walked seen, callback;
    auto r = sim.run([&]() -> asio::awaitable<void> {
      net::tcp::acceptor acc(server.get_executor(), net::tcp::endpoint(server_addr, 7));
      net::tcp::socket c(client.get_executor());
      co_await c.async_connect(net::tcp::endpoint(server_addr, 7), use_awaitable);
      net::tcp::socket s = co_await acc.async_accept(use_awaitable);
      asio::co_spawn(server.get_executor(), reader(s, how, &done), asio::detached);
      co_await simloop::sleep_for(1ms);  // the reader waits in its read
      seen = walk(s);
      // A callback resumes no coroutine: nothing to walk.
      std::array<char, 4> other;
      c.async_read_some(asio::buffer(other), [&](boost::system::error_code, std::size_t) { callback_ran = true; });
      callback = walk(c);
      co_await asio::async_write(c, asio::buffer("ping", 4), use_awaitable);
      co_await asio::async_write(s, asio::buffer("pong", 4), use_awaitable);
      co_await simloop::sleep_for(10ms);
    }());
    ASSERT_TRUE(r.ok()) << r.describe();
    EXPECT_TRUE(done) << how;
    EXPECT_TRUE(callback_ran) << how;
    // The reader's stack: its entry frame at the bottom, co_await's
    // initiation on top, and below that the reader's own frame, which
    // returns to the entry frame.
    ASSERT_NE(seen.entry, nullptr) << how;
    ASSERT_NE(seen.top, nullptr) << how;
    ASSERT_NE(seen.below_top, nullptr) << how;
    EXPECT_NE(seen.top, seen.entry) << how;
    EXPECT_NE(seen.below_top, seen.top) << how;
    EXPECT_EQ(seen.under_that, seen.entry) << how;
    EXPECT_EQ(callback.entry, nullptr) << how;
  }
}

asio::awaitable<void> client(simloop::executor ex, int id, int rounds, int* echoed) {
  net::tcp::socket s(ex);
  co_await s.async_connect(net::tcp::endpoint(server_addr, 7), use_awaitable);
  for (int i = 0; i < rounds; ++i) {
    std::array<char, simloop_bench::echo_message_size> out, in;
    out.fill(static_cast<char>('a' + (id + i) % 26));
    co_await asio::async_write(s, asio::buffer(out), use_awaitable);
    co_await asio::async_read(s, asio::buffer(in), use_awaitable);
    if (in == out) ++*echoed;
  }
}

struct echo_result {
  simloop::report r;
  int echoed = 0;
  std::uint64_t batches = 0;
};

echo_result run_echo(std::uint64_t seed, int connections, int rounds) {
  simloop::simulation sim({.seed = seed});
  auto& netw = sim.network();
  auto& server = netw.add_host("server", server_addr);
  auto& cl = netw.add_host("client", asio::ip::make_address("10.0.0.1"));
  echo_result out;
  out.r = sim.run([&]() -> asio::awaitable<void> {
    auto acc = std::make_shared<net::tcp::acceptor>(server.get_executor(), net::tcp::endpoint(server_addr, 7));
    int ended = 0;
    asio::co_spawn(server.get_executor(), simloop_bench::accept_loop(acc, connections, &ended), asio::detached);
    for (int i = 0; i < connections; ++i)
      asio::co_spawn(cl.get_executor(), client(cl.get_executor(), i, rounds, &out.echoed), asio::detached);
    while (ended < connections) co_await simloop::sleep_for(1ms);
    acc->close();
  }());
  out.batches = sim.scheduler().lookahead().batches_followed();
  return out;
}

TEST(NetLookahead, ThousandsOfConnectionsEchoWithTheLookaheadOn) {
  // Enough connections for the lookahead (2,048 pending waits) and partial
  // reads (the default link): every message comes back whole, and the run
  // is the same run twice over.
  constexpr int connections = 2'400, rounds = 3;
  echo_result a = run_echo(7, connections, rounds);
  ASSERT_TRUE(a.r.ok()) << a.r.describe();
  EXPECT_EQ(a.echoed, connections * rounds);
  EXPECT_GT(a.batches, 0u);
  echo_result b = run_echo(7, connections, rounds);
  EXPECT_EQ(b.r.trace_hash, a.r.trace_hash);
  EXPECT_EQ(b.r.steps, a.r.steps);
  EXPECT_EQ(b.batches, a.batches);
  // Below the threshold it stays off.
  echo_result small = run_echo(7, 100, rounds);
  ASSERT_TRUE(small.r.ok()) << small.r.describe();
  EXPECT_EQ(small.batches, 0u);
}

asio::awaitable<void> stubborn_client(simloop::executor ex, int rounds, int* finished, int* failed) {
  net::tcp::socket s(ex);
  boost::system::error_code ec;
  auto tok = asio::redirect_error(use_awaitable, ec);
  co_await s.async_connect(net::tcp::endpoint(server_addr, 7), tok);
  std::array<char, simloop_bench::echo_message_size> buf{};
  for (int i = 0; i < rounds && !ec; ++i) {
    co_await asio::async_write(s, asio::buffer(buf), tok);
    if (!ec) co_await asio::async_read(s, asio::buffer(buf), tok);
  }
  if (ec) ++*failed;
  ++*finished;
}

TEST(NetLookahead, AServerCrashingWithThousandsOfDeliveriesInFlight) {
  // The crash destroys the sessions' tasks, and their pending reads, while
  // deliveries to them are still in the timer heap: the lookahead follows
  // only what is alive (the sanitizer build checks every read).
  constexpr int connections = 2'400;
  simloop::simulation sim({.seed = 11});
  auto& netw = sim.network();
  auto& server = netw.add_host("server", server_addr);
  auto& cl = netw.add_host("client", asio::ip::make_address("10.0.0.1"));
  int finished = 0, failed = 0, ended = 0;
  auto r = sim.run([&]() -> asio::awaitable<void> {
    auto acc = std::make_shared<net::tcp::acceptor>(server.get_executor(), net::tcp::endpoint(server_addr, 7));
    asio::co_spawn(server.get_executor(), simloop_bench::accept_loop(acc, connections, &ended), asio::detached);
    for (int i = 0; i < connections; ++i)
      asio::co_spawn(cl.get_executor(), stubborn_client(cl.get_executor(), 50, &finished, &failed), asio::detached);
    co_await simloop::sleep_for(8ms);
    netw.crash(server);
    while (finished < connections) co_await simloop::sleep_for(1ms);
  }());
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(finished, connections);
  EXPECT_EQ(failed, connections);  // 50 round trips take longer than 8 ms
  EXPECT_GT(sim.scheduler().lookahead().batches_followed(), 0u);
}

}  // namespace
