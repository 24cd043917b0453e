// scenarios/fire_and_forget/audit.hpp
//
// Fire-and-forget background work (asyncio.create_task for an audit log
// write): the request handler must not wait for it, but somebody must keep
// the task, see its failure, and wait for it at shutdown. In asyncio a task
// whose reference is dropped may vanish; in Asio a detached task runs on, and
// its exception is silently dropped.
#pragma once

#include <simloop/random.hpp>
#include <simloop/sleep.hpp>
#include <simloop/task_group.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include <exception>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace scenarios::fire_and_forget {

namespace asio = boost::asio;

// The audit store: a write takes a few ms and one in four fails.
// The store is shared: a background write may outlive the handler that
// started it.
using audit_store = std::shared_ptr<std::vector<std::string>>;

inline asio::awaitable<void> write_audit(std::string record, audit_store store) {
  co_await simloop::sleep_for(std::chrono::milliseconds(1 + simloop::random_below(10)));
  if (simloop::random_below(4) == 0) throw std::runtime_error("audit store unavailable: " + record);
  store->push_back(std::move(record));
}

// Keeps every background task; its failures are counted, never lost, and
// drain() waits for all of them.
class background {
 public:
  explicit background(asio::any_io_executor ex) : ex_(ex) {}

  void spawn(asio::awaitable<void> task) {
    ++counts_->running;
    asio::co_spawn(ex_, std::move(task), [counts = counts_](std::exception_ptr e) {
      --counts->running;
      if (e) ++counts->failures;
    });
  }
  asio::awaitable<void> drain() {
    while (counts_->running > 0) co_await simloop::sleep_for(std::chrono::milliseconds(1));
  }
  int failures() const noexcept { return counts_->failures; }

 private:
  struct counts {
    int running = 0;
    int failures = 0;
  };
  asio::any_io_executor ex_;
  // Shared with the completion handlers: when shutdown does not drain (the
  // not_drained mutant), a task ends after this object, which lives in the
  // spawning coroutine's frame, is gone.
  std::shared_ptr<counts> counts_ = std::make_shared<counts>();
};

}  // namespace scenarios::fire_and_forget
