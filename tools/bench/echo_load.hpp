// tools/bench/echo_load.hpp: the echo server of net_bench, which
// tests/net/lookahead_test.cpp also runs at a few thousand connections (one
// definition, so that the test exercises what the README reports).
#pragma once

#include <simloop/net.hpp>
#include <simloop/simloop.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <cstddef>
#include <memory>

namespace simloop_bench {

inline constexpr std::size_t echo_message_size = 32;

// Echoes messages of echo_message_size until the client closes; then counts
// itself in *ended.
inline asio::awaitable<void> echo_session(simloop::net::tcp::socket s, int* ended) {
  std::array<char, echo_message_size> buf;
  for (;;) {
    boost::system::error_code ec;
    co_await asio::async_read(s, asio::buffer(buf), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) break;
    co_await asio::async_write(s, asio::buffer(buf), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) break;
  }
  ++*ended;
}

// Accepts `connections` clients, each served by its own echo_session task.
inline asio::awaitable<void> accept_loop(std::shared_ptr<simloop::net::tcp::acceptor> acc, int connections,
                                         int* ended) {
  for (int i = 0; i < connections; ++i) {
    auto s = co_await acc->async_accept(asio::use_awaitable);
    asio::co_spawn(acc->get_executor(), echo_session(std::move(s), ended), asio::detached);
  }
}

}  // namespace simloop_bench
