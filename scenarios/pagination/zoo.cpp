#include "pages.hpp"

#include "../zoo/zoo.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/this_coro.hpp>

#include <set>

namespace scenarios::pagination {
namespace {

constexpr int rows = 20;

// While a reader pages through the table, a writer deletes two rows at
// seed-chosen moments. Every row that was never deleted must be read exactly
// once.
asio::awaitable<void> read_while_deleting(paging mode) {
  auto ex = co_await asio::this_coro::executor;
  table t(rows);
  std::set<int> deleted;
  bool writer_done = false;
  auto writer = [&]() -> asio::awaitable<void> {
    for (int i = 0; i < 2; ++i) {
      co_await simloop::sleep_for(std::chrono::milliseconds(simloop::random_below(40)));
      int id = 1 + static_cast<int>(simloop::random_below(rows));
      deleted.insert(id);
      co_await t.erase(id);
    }
    writer_done = true;
  };
  asio::co_spawn(ex, writer(), asio::detached);

  cursor c(t, 5, mode);
  std::multiset<int> seen;
  for (;;) {
    std::optional<row> r = co_await c.next();
    if (!r) break;
    seen.insert(r->id);
  }
  while (!writer_done) co_await simloop::sleep_for(std::chrono::milliseconds(5));
  for (int id = 1; id <= rows; ++id)
    if (!deleted.count(id)) SIMLOOP_ASSERT(seen.count(id) == 1);
}

const simloop::zoo::registrar correct{{
    .scenario = "pagination",
    .name = "correct",
    .make_body = [] { return read_while_deleting(paging::keyset); },
}};

const simloop::zoo::registrar offset_paging{{
    .scenario = "pagination",
    .name = "offset_paging",
    .mistake = "pages by OFFSET: a row deleted before the cursor shifts the next page and one row is skipped",
    .expected = simloop::finding_kind::assertion,
    .make_body = [] { return read_while_deleting(paging::offset); },
}};

}  // namespace
}  // namespace scenarios::pagination
