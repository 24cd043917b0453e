#include <simloop/net.hpp>
#include <simloop/simloop.hpp>
#include <simloop/task_group.hpp>

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <array>
#include <string>

using namespace std::chrono_literals;
namespace net = simloop::net;
using boost::asio::use_awaitable;

namespace {

const auto server_addr = asio::ip::make_address("10.0.0.2");

// Acks every datagram with its own payload.
asio::awaitable<void> ack_server(net::udp::socket& s) {
  std::array<char, 64> buf;
  for (;;) {
    net::udp::endpoint from;
    std::size_t n = co_await s.async_receive_from(asio::buffer(buf), from, use_awaitable);
    co_await s.async_send_to(asio::buffer(buf.data(), n), from, use_awaitable);
  }
}

}  // namespace

TEST(NetUdp, LossSeenByRetryingSender) {
  // Counted across runs in this process: serial (worker processes would
  // count into their own copies).
  std::uint64_t retries_total = 0;
  auto r = simloop::explore({.runs = 200, .strategy = simloop::strategy::random, .jobs = 1}, [&]() -> asio::awaitable<void> {
    auto& netw = simloop::simulation::current()->network();
    net::link_options l;
    l.udp_loss_permille = 300;
    l.udp_duplicate_permille = 100;
    netw.set_default_link(l);
    auto& server = netw.add_host("server", server_addr);
    auto& client = netw.add_host("client", asio::ip::make_address("10.0.0.1"));
    auto srv = std::make_shared<net::udp::socket>(server.get_executor(), net::udp::endpoint(server_addr, 53));
    // The server runs until its socket is closed (operation_aborted).
    simloop::task_group server_task(server.get_executor());
    auto serve = [](std::shared_ptr<net::udp::socket> srv) -> asio::awaitable<void> {
      try {
        co_await ack_server(*srv);
      } catch (const boost::system::system_error& e) {
        if (e.code() != asio::error::operation_aborted) throw;
      }
    };
    server_task.spawn(serve(srv));
    net::udp::socket c(client.get_executor(), net::udp::endpoint());
    for (int i = 0; i < 10; ++i) {
      std::string msg = "req " + std::to_string(i);
      for (;;) {
        co_await c.async_send_to(asio::buffer(msg), net::udp::endpoint(server_addr, 53), use_awaitable);
        std::array<char, 64> buf;
        net::udp::endpoint from;
        try {
          std::size_t n =
              co_await simloop::timeout(50ms, c.async_receive_from(asio::buffer(buf), from, use_awaitable));
          // A late ack or a duplicate of an earlier request may come first.
          if (std::string(buf.data(), n) == msg) break;
        } catch (const boost::system::system_error&) {
          ++retries_total;
        }
      }
    }
    srv->close();
    co_await server_task.async_wait(use_awaitable);
  });
  EXPECT_TRUE(r.ok()) << r.describe();
  EXPECT_GT(retries_total, 100u);  // ~50% of round trips lose a datagram
}

TEST(NetUdp, DatagramsReorder) {
  int reordered_runs = 0;
  for (std::uint64_t seed = 0; seed < 50; ++seed) {
    simloop::simulation sim({.seed = seed});
    auto& server = sim.network().add_host("server", server_addr);
    std::vector<int> order;
    auto r = sim.run([&]() -> asio::awaitable<void> {
      net::udp::socket srv(server.get_executor(), net::udp::endpoint(server_addr, 53));
      net::udp::socket c(co_await asio::this_coro::executor, net::udp::endpoint());
      for (char i = 0; i < 5; ++i)
        co_await c.async_send_to(asio::buffer(&i, 1), net::udp::endpoint(server_addr, 53), use_awaitable);
      for (int i = 0; i < 5; ++i) {
        char b = 0;
        net::udp::endpoint from;
        co_await srv.async_receive_from(asio::buffer(&b, 1), from, use_awaitable);
        order.push_back(b);
        EXPECT_EQ(from, c.local_endpoint());
      }
    }());
    EXPECT_TRUE(r.ok()) << r.describe();
    if (!std::is_sorted(order.begin(), order.end())) ++reordered_runs;
  }
  EXPECT_GT(reordered_runs, 10);
}
