#include "audit.hpp"

#include "../zoo/zoo.hpp"

namespace scenarios::fire_and_forget {
namespace {

enum class mistake { none, detached, handler_drops_error, not_drained };

// Handles three requests, each leaving an audit write behind it.
asio::awaitable<void> serve(mistake m) {
  auto ex = co_await asio::this_coro::executor;
  auto store = std::make_shared<std::vector<std::string>>();
  background tasks(ex);
  for (int i = 0; i < 3; ++i) {
    co_await simloop::sleep_for(std::chrono::milliseconds(2));
    std::string record = "request " + std::to_string(i);
    if (m == mistake::detached)
      asio::co_spawn(ex, write_audit(record, store), asio::detached);
    else if (m == mistake::handler_drops_error)
      // "Just make sure it runs": a handler that takes the exception_ptr
      // and throws it away.
      asio::co_spawn(ex, write_audit(record, store), [](std::exception_ptr) {});
    else
      tasks.spawn(write_audit(record, store));
  }
  if (m == mistake::none) co_await tasks.drain();
  // "They will be done by then": the detached writes are given time, but
  // nothing ever looks at how they ended.
  if (m == mistake::detached || m == mistake::handler_drops_error)
    co_await simloop::sleep_for(std::chrono::milliseconds(50));
  if (m == mistake::none) SIMLOOP_ASSERT(static_cast<int>(store->size()) + tasks.failures() == 3);
}

const simloop::zoo::registrar correct{{
    .scenario = "fire_and_forget",
    .name = "correct",
    .make_body = [] { return serve(mistake::none); },
}};

const simloop::zoo::registrar detached{{
    .scenario = "fire_and_forget",
    .name = "detached",
    .mistake = "the write is co_spawned with asio::detached: its failure is dropped silently",
    .expected = simloop::finding_kind::exception,
    .make_body = [] { return serve(mistake::detached); },
}};

const simloop::zoo::registrar handler_drops_error{{
    .scenario = "fire_and_forget",
    .name = "handler_drops_error",
    .mistake = "the write's completion handler takes the exception_ptr and ignores it",
    .expected = simloop::finding_kind::exception,
    .make_body = [] { return serve(mistake::handler_drops_error); },
}};

const simloop::zoo::registrar not_drained{{
    .scenario = "fire_and_forget",
    .name = "not_drained",
    .mistake = "tasks are kept but shutdown does not wait for them: writes are cut off",
    .expected = simloop::finding_kind::leaked_task,
    .make_body = [] { return serve(mistake::not_drained); },
}};

}  // namespace
}  // namespace scenarios::fire_and_forget
