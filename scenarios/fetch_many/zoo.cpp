#include "fetch.hpp"

#include "../zoo/zoo.hpp"

namespace scenarios::fetch_many {
namespace {

asio::awaitable<void> check(bool appending) {
  std::vector<int> ids{0, 1, 2, 3, 4, 5, 6, 7};
  std::vector<result> results;
  if (appending)
    results = co_await fetch_all_appending(ids);
  else
    results = co_await fetch_all(ids);
  SIMLOOP_ASSERT(results.size() == ids.size());
  for (std::size_t i = 0; i < ids.size(); ++i) {
    bool failed = std::holds_alternative<std::exception_ptr>(results[i]);
    SIMLOOP_ASSERT(failed == (ids[i] % 4 == 3));
    if (!failed) SIMLOOP_ASSERT(std::get<0>(results[i]) == "item " + std::to_string(ids[i]));
  }
}

const simloop::zoo::registrar correct{{
    .scenario = "fetch_many",
    .name = "correct",
    .make_body = [] { return check(false); },
}};

const simloop::zoo::registrar appending{{
    .scenario = "fetch_many",
    .name = "completion_order",
    .mistake = "results appended as requests finish: they come back in completion order",
    .expected = simloop::finding_kind::assertion,
    .make_body = [] { return check(true); },
}};

}  // namespace
}  // namespace scenarios::fetch_many
