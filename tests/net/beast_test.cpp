#include <simloop/net.hpp>
#include <simloop/simloop.hpp>
#include <simloop/task_group.hpp>

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

namespace net = simloop::net;
namespace http = boost::beast::http;
using boost::asio::use_awaitable;
using namespace std::chrono_literals;

namespace {

asio::awaitable<void> http_server(net::tcp::acceptor& acc) {
  for (;;) {
    auto s = co_await acc.async_accept(use_awaitable);
    boost::beast::flat_buffer buf;
    http::request<http::string_body> req;
    co_await http::async_read(s, buf, req, use_awaitable);
    http::response<http::string_body> res{http::status::ok, req.version()};
    res.set(http::field::content_type, "text/plain");
    res.body() = "hello " + std::string(req.target()) + " (" + req.body() + ")";
    res.prepare_payload();
    co_await http::async_write(s, res, use_awaitable);
    s.shutdown(net::tcp::socket::shutdown_send);
  }
}

}  // namespace

TEST(NetBeast, HttpRequestResponseOverSimulatedTcp) {
  auto r = simloop::explore({.runs = 200, .strategy = simloop::strategy::random}, []() -> asio::awaitable<void> {
    auto& netw = simloop::simulation::current()->network();
    auto& server = netw.add_host("www", asio::ip::make_address("10.0.0.80"));
    auto& client = netw.add_host("client", asio::ip::make_address("10.0.0.1"));
    auto acc = std::make_shared<net::tcp::acceptor>(server.get_executor(), net::tcp::endpoint({}, 80));
    // The server runs until its acceptor is closed (operation_aborted).
    simloop::task_group server_task(server.get_executor());
    auto serve = [](std::shared_ptr<net::tcp::acceptor> acc) -> asio::awaitable<void> {
      try {
        co_await http_server(*acc);
      } catch (const boost::system::system_error& e) {
        if (e.code() != asio::error::operation_aborted) throw;
      }
    };
    server_task.spawn(serve(acc));

    net::tcp::resolver res(client.get_executor());
    auto results = co_await res.async_resolve("www", "http", use_awaitable);
    net::tcp::socket s(client.get_executor());
    co_await s.async_connect(*results.begin(), use_awaitable);
    http::request<http::string_body> req{http::verb::post, "/index.html", 11};
    req.set(http::field::host, "www");
    req.body() = std::string(3000, 'b');
    req.prepare_payload();
    co_await http::async_write(s, req, use_awaitable);
    boost::beast::flat_buffer buf;
    http::response<http::string_body> resp;
    co_await http::async_read(s, buf, resp, use_awaitable);
    SIMLOOP_ASSERT(resp.result() == http::status::ok);
    SIMLOOP_ASSERT(resp.body() == "hello /index.html (" + std::string(3000, 'b') + ")");
    acc->close();
    co_await server_task.async_wait(use_awaitable);
  });
  EXPECT_TRUE(r.ok()) << r.describe();
}
