#include "client.hpp"

#include "../zoo/zoo.hpp"

#include <simloop/gather.hpp>

namespace scenarios::bounded_fetch {
namespace {

constexpr std::size_t limit = 3;

asio::awaitable<void> fetch_all(bool early_release) {
  auto ex = co_await asio::this_coro::executor;
  service svc;
  client c(ex, svc, limit);
  std::vector<asio::awaitable<std::string>> requests;
  for (int i = 0; i < 10; ++i) {
    std::string url = "/item/" + std::to_string(i);
    requests.push_back(early_release ? c.fetch_permit_released_early(url) : c.fetch(url));
  }
  std::vector<std::string> bodies = co_await simloop::gather(std::move(requests));
  SIMLOOP_ASSERT(bodies.size() == 10 && bodies[7] == "body of /item/7");
  SIMLOOP_ASSERT(svc.max_in_flight <= static_cast<int>(limit));
}

const simloop::zoo::registrar correct{{
    .scenario = "bounded_fetch",
    .name = "correct",
    .make_body = [] { return fetch_all(false); },
}};

const simloop::zoo::registrar early_release{{
    .scenario = "bounded_fetch",
    .name = "permit_released_early",
    .mistake = "the permit is released once the request is started, not when it is done",
    .expected = simloop::finding_kind::assertion,
    .make_body = [] { return fetch_all(true); },
}};

}  // namespace
}  // namespace scenarios::bounded_fetch
