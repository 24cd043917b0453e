#include "service.hpp"

#include "../zoo/zoo.hpp"

#include <simloop/random.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

namespace scenarios::graceful_shutdown {
namespace {

// Jobs arrive for a while; the stop signal comes at a seed-chosen moment;
// every job received must be flushed by the time run() returns.
asio::awaitable<void> check(bool await_workers, bool swallow_cancel = false) {
  auto ex = co_await asio::this_coro::executor;
  auto l = std::make_shared<ledger>();
  simloop::queue<int> jobs(ex, 8);
  simloop::event stop(ex);
  auto producer = [&]() -> asio::awaitable<void> {
    for (int i = 0; i < 10; ++i) {
      co_await simloop::sleep_for(std::chrono::milliseconds(1 + simloop::random_below(3)));
      co_await jobs.async_put(i, asio::use_awaitable);
    }
  };
  auto signal = [&]() -> asio::awaitable<void> {
    co_await simloop::sleep_for(std::chrono::milliseconds(10 + simloop::random_below(30)));
    stop.set();
  };
  simloop::task_group outside(ex);
  outside.spawn(producer());
  outside.spawn(signal());
  co_await run(jobs, stop, 3, l, await_workers, swallow_cancel);
  SIMLOOP_ASSERT(l->flushed == l->received);
  // The service is down: whatever still feeds it stops too. (The producer
  // may be blocked on a full queue that nobody drains any more; its put is
  // cancellation-safe, so cancelling it loses nothing received.)
  outside.cancel();
  co_await outside.async_wait(asio::use_awaitable);
}

const simloop::zoo::registrar correct{{
    .scenario = "graceful_shutdown",
    .name = "correct",
    .make_body = [] { return check(true); },
}};

const simloop::zoo::registrar not_awaited{{
    .scenario = "graceful_shutdown",
    .name = "cancel_without_await",
    .mistake = "shutdown cancels the workers and returns: their final flushes are cut off",
    .expected = simloop::finding_kind::assertion,
    .make_body = [] { return check(false); },
}};

const simloop::zoo::registrar swallowed{{
    .scenario = "graceful_shutdown",
    .name = "cancel_swallowed",
    .mistake = "the workers catch every error, operation_aborted included, reset their cancellation state and "
               "go back to the queue: the shutdown waits for them forever",
    .expected = simloop::finding_kind::cancellation_ignored,
    .make_body = [] { return check(true, true); },
}};

}  // namespace
}  // namespace scenarios::graceful_shutdown
