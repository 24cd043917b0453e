#include "pipeline.hpp"

#include "../zoo/zoo.hpp"

#include <algorithm>

namespace scenarios::producer_consumer {
namespace {

// Every item processed exactly once.
asio::awaitable<void> check(config cfg) {
  std::vector<int> processed = co_await run(cfg);
  std::sort(processed.begin(), processed.end());
  SIMLOOP_ASSERT(static_cast<int>(processed.size()) == cfg.items);
  for (int i = 0; i < static_cast<int>(processed.size()); ++i) SIMLOOP_ASSERT(processed[i] == i);
}

const simloop::zoo::registrar correct{{
    .scenario = "producer_consumer",
    .name = "correct",
    .make_body = [] { return check(config{}); },
}};

const simloop::zoo::registrar too_few_sentinels{{
    .scenario = "producer_consumer",
    .name = "too_few_sentinels",
    .mistake = "one sentinel fewer than workers: a worker waits forever",
    .expected = simloop::finding_kind::deadlock,
    .make_body = [] { return check(config{.sentinels = 2}); },
}};

}  // namespace
}  // namespace scenarios::producer_consumer
