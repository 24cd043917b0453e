// scenarios/scraper/scraper.hpp
//
// A scraper over the simulated network: many pages fetched from one site
// with at most N connections at a time, a timeout per request, and a retry
// when a connection is reset. The protocol is line-based: "GET /path\n",
// answered by "<length>\n<body>". TCP is a byte stream: a reply may arrive in
// any number of pieces, so the client reads exactly <length> bytes; reading
// "one read_some = one reply" works on loopback and breaks on a real network
// (simloop's partial reads show it within a few seeds).
#pragma once

#include <simloop/net.hpp>
#include <simloop/semaphore.hpp>
#include <simloop/timeout.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/system/system_error.hpp>

#include <chrono>
#include <istream>
#include <map>
#include <string>
#include <vector>

namespace scenarios::scraper {

namespace asio = boost::asio;
namespace net = simloop::net;
using namespace std::chrono_literals;

// Serves one connection: requests until the client closes.
inline asio::awaitable<void> serve_connection(net::tcp::socket s, const std::map<std::string, std::string>& pages) {
  asio::streambuf in;
  for (;;) {
    boost::system::error_code ec;
    std::size_t n = co_await asio::async_read_until(s, in, '\n', asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;  // eof or reset: the client is gone
    std::string line(asio::buffers_begin(in.data()), asio::buffers_begin(in.data()) + n - 1);
    in.consume(n);
    auto it = pages.find(line.substr(4));
    std::string body = it == pages.end() ? "not found" : it->second;
    std::string reply = std::to_string(body.size()) + "\n" + body;
    co_await asio::async_write(s, asio::buffer(reply), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
  }
}

enum class framing { exact, one_read };

// One request on a fresh connection.
inline asio::awaitable<std::string> fetch_once(asio::any_io_executor ex, net::tcp::endpoint site, std::string path,
                                               framing f) {
  net::tcp::socket s(ex);
  co_await s.async_connect(site, asio::use_awaitable);
  std::string request = "GET " + path + "\n";
  co_await asio::async_write(s, asio::buffer(request), asio::use_awaitable);
  asio::streambuf in;
  std::size_t n = co_await asio::async_read_until(s, in, '\n', asio::use_awaitable);
  std::size_t length = std::stoul(std::string(asio::buffers_begin(in.data()), asio::buffers_begin(in.data()) + n - 1));
  in.consume(n);
  if (f == framing::exact) {
    if (in.size() < length) co_await asio::async_read(s, in, asio::transfer_exactly(length - in.size()), asio::use_awaitable);
  } else if (in.size() == 0) {
    // The mistake: whatever the next read returns is taken as the whole body.
    std::size_t got = co_await s.async_read_some(in.prepare(length), asio::use_awaitable);
    in.commit(got);
  }
  std::string body(asio::buffers_begin(in.data()), asio::buffers_begin(in.data()) + std::min(in.size(), length));
  co_return body;
}

struct scraper_options {
  std::size_t connections = 3;
  std::chrono::milliseconds request_timeout = 500ms;
  int attempts = 3;
  framing read = framing::exact;
};

// Fetches one page: a timeout per attempt, a retry after a reset or a
// timeout. The connection limit is held for the whole attempt.
inline asio::awaitable<std::string> fetch(simloop::semaphore& limit, asio::any_io_executor ex, net::tcp::endpoint site,
                                          std::string path, scraper_options o) {
  for (int attempt = 1;; ++attempt) {
    co_await limit.async_acquire(asio::use_awaitable);
    struct release {
      simloop::semaphore& l;
      ~release() { l.release(); }
    } r{limit};
    try {
      co_return co_await simloop::timeout(o.request_timeout, fetch_once(ex, site, path, o.read));
    } catch (const boost::system::system_error& e) {
      bool transient = e.code() == simloop::error::timed_out || e.code() == asio::error::connection_reset ||
                       e.code() == asio::error::eof;
      if (!transient || attempt == o.attempts) throw;
    }
  }
}

}  // namespace scenarios::scraper
