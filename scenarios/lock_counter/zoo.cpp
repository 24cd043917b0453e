#include "counter.hpp"

#include "../zoo/zoo.hpp"

#include <simloop/gather.hpp>

namespace scenarios::lock_counter {
namespace {

asio::awaitable<void> increments(int tasks, bool use_lock) {
  auto ex = co_await asio::this_coro::executor;
  counter c(ex, use_lock);
  std::vector<asio::awaitable<void>> work;
  for (int i = 0; i < tasks; ++i) work.push_back(c.increment());
  co_await simloop::gather(std::move(work));
  SIMLOOP_ASSERT(c.value() == tasks);
}

const simloop::zoo::registrar correct{{
    .scenario = "lock_counter",
    .name = "correct",
    .make_body = [] { return increments(4, true); },
}};

const simloop::zoo::registrar no_lock{{
    .scenario = "lock_counter",
    .name = "no_lock",
    .mistake = "the read-modify-write is not under the lock: increments are lost",
    .expected = simloop::finding_kind::race,
    .make_body = [] { return increments(4, false); },
}};

}  // namespace
}  // namespace scenarios::lock_counter
