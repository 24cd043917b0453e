// scenarios/graceful_shutdown/service.hpp
//
// Graceful shutdown on a signal (asyncio: cancel every task, then `await
// asyncio.gather(*tasks, return_exceptions=True)`): each worker batches jobs
// and, when cancelled, flushes what it holds before it ends. Cancelling
// without awaiting returns while the flushes are still running: the process
// would exit with them cut off.
#pragma once

#include <simloop/event.hpp>
#include <simloop/queue.hpp>
#include <simloop/sleep.hpp>
#include <simloop/task_group.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>

#include <memory>
#include <vector>

namespace scenarios::graceful_shutdown {

namespace asio = boost::asio;
using namespace std::chrono_literals;

struct ledger {
  int received = 0;
  int flushed = 0;
};

inline asio::awaitable<void> flush(std::vector<int>& batch, std::shared_ptr<ledger> l) {
  if (batch.empty()) co_return;
  co_await simloop::sleep_for(2ms);  // the write to durable storage
  l->flushed += static_cast<int>(batch.size());
  batch.clear();
}

inline asio::awaitable<void> worker(simloop::queue<int>& jobs, std::shared_ptr<ledger> l) {
  std::vector<int> batch;
  try {
    for (;;) {
      batch.push_back(co_await jobs.async_get(asio::use_awaitable));
      ++l->received;
      if (batch.size() == 4) co_await flush(batch, l);
    }
  } catch (const boost::system::system_error& e) {
    if (e.code() != asio::error::operation_aborted) throw;
  }
  // Cancelled: the flush must still run, so the coroutine's cancellation
  // state is reset first (otherwise the next co_await throws at once).
  co_await asio::this_coro::reset_cancellation_state();
  co_await flush(batch, l);
}

// The mistake of a worker that treats every error as transient (asyncio:
// `except Exception:` around the loop body, which caught CancelledError
// before Python 3.8): it resets its cancellation state and goes back to its
// queue, so the shutdown's cancellation never ends it.
inline asio::awaitable<void> worker_swallowing_cancel(simloop::queue<int>& jobs, std::shared_ptr<ledger> l) {
  std::vector<int> batch;
  for (;;) {
    bool failed = false;
    try {
      batch.push_back(co_await jobs.async_get(asio::use_awaitable));
      ++l->received;
      if (batch.size() == 4) co_await flush(batch, l);
    } catch (const boost::system::system_error&) {
      failed = true;  // "transient": try again
    }
    if (failed) co_await asio::this_coro::reset_cancellation_state();
  }
}

// Runs `workers` workers until `stop` is set, then shuts down. With
// await_workers false, the mistake: cancel and return. With swallow_cancel,
// the workers are worker_swallowing_cancel.
inline asio::awaitable<void> run(simloop::queue<int>& jobs, simloop::event& stop, int workers,
                                 std::shared_ptr<ledger> l, bool await_workers = true, bool swallow_cancel = false) {
  auto ex = co_await asio::this_coro::executor;
  auto group = std::make_shared<simloop::task_group>(ex);
  for (int i = 0; i < workers; ++i)
    group->spawn(swallow_cancel ? worker_swallowing_cancel(jobs, l) : worker(jobs, l));
  co_await stop.async_wait(asio::use_awaitable);
  group->cancel();
  if (await_workers) co_await group->async_wait(asio::use_awaitable);
}

}  // namespace scenarios::graceful_shutdown
