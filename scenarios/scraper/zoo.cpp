#include "scraper.hpp"

#include "../zoo/zoo.hpp"

#include <simloop/gather.hpp>
#include <simloop/task_group.hpp>

namespace scenarios::scraper {
namespace {

const auto site_addr = asio::ip::make_address("10.0.0.80");

asio::awaitable<void> accept_loop(net::tcp::acceptor& acc, simloop::task_group& conns,
                                  const std::map<std::string, std::string>& pages) {
  for (;;) {
    net::tcp::socket s(acc.get_executor());
    boost::system::error_code ec;
    co_await acc.async_accept(s, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;  // closed
    conns.spawn(serve_connection(std::move(s), pages));
  }
}

// Eight pages of 200..1999 bytes from one site over three connections;
// every page must come back whole and in order.
asio::awaitable<void> scrape(framing read) {
  auto& netw = simloop::simulation::current()->network();
  auto& site = netw.add_host("site", site_addr);
  auto& crawler = netw.add_host("crawler", asio::ip::make_address("10.0.0.1"));
  std::map<std::string, std::string> pages;
  for (int i = 0; i < 8; ++i)
    pages["/page/" + std::to_string(i)] = std::string(200 + simloop::random_below(1800), static_cast<char>('a' + i));

  net::tcp::acceptor acc(site.get_executor(), net::tcp::endpoint(site_addr, 80));
  simloop::task_group server(site.get_executor());
  server.spawn(accept_loop(acc, server, pages));

  simloop::semaphore limit(crawler.get_executor(), 3);
  scraper_options o;
  o.read = read;
  std::vector<asio::awaitable<std::string>> requests;
  for (int i = 0; i < 8; ++i)
    requests.push_back(fetch(limit, crawler.get_executor(), net::tcp::endpoint(site_addr, 80),
                             "/page/" + std::to_string(i), o));
  std::vector<std::string> got = co_await simloop::gather(std::move(requests));
  for (int i = 0; i < 8; ++i) SIMLOOP_ASSERT(got[i] == pages["/page/" + std::to_string(i)]);
  acc.close();
  co_await server.async_wait(asio::use_awaitable);
}

const simloop::zoo::registrar correct{{
    .scenario = "scraper",
    .name = "correct",
    .make_body = [] { return scrape(framing::exact); },
    .runs = 300,
}};

const simloop::zoo::registrar one_read{{
    .scenario = "scraper",
    .name = "one_read_per_reply",
    .mistake = "takes one read_some as the whole reply: a page split in transit comes back truncated",
    .expected = simloop::finding_kind::assertion,
    .make_body = [] { return scrape(framing::one_read); },
    .runs = 300,
}};

}  // namespace
}  // namespace scenarios::scraper
