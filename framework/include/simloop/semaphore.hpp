// simloop/semaphore.hpp: a counting semaphore (asyncio.Semaphore) for Asio code.
#pragma once

#include <simloop/detail/task_frame.hpp>  // before any coroutine: simloop's coroutine_traits

#include <simloop/detail/waiter.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/execution_context.hpp>

#include <cstddef>
#include <type_traits>

namespace simloop {

// A counting semaphore, FIFO fair: release() hands the permit to the oldest
// waiter, and try_acquire fails while anyone waits (no barging).
// Executor-agnostic and single-threaded like simloop::mutex; completions are
// posted; a cancelled acquire never keeps a permit (a permit granted to a
// wait that is cancelled before its completion runs goes to the next
// waiter). release is a happens-before release, a granted permit an acquire.
//
//   simloop::semaphore limit(ex, 3);
//   co_await limit.async_acquire(asio::use_awaitable);
//   ... at most 3 tasks here ...
//   limit.release();
class semaphore : private detail::waiter_owner {
 public:
  using executor_type = boost::asio::any_io_executor;

  semaphore(const executor_type& ex, std::size_t initial) : ex_(ex), permits_(initial) {}
  template <class ExecutionContext>
    requires std::is_convertible_v<ExecutionContext&, boost::asio::execution_context&>
  semaphore(ExecutionContext& ctx, std::size_t initial) : semaphore(executor_type(ctx.get_executor()), initial) {}
  ~semaphore() {
    abandon_all();
  }

  executor_type get_executor() const noexcept { return ex_; }

  // Completes with (error_code) once the caller holds a permit.
  template <class Token = boost::asio::default_completion_token_t<executor_type>>
  auto async_acquire(Token&& token = boost::asio::default_completion_token_t<executor_type>()) {
    return boost::asio::async_initiate<Token, void(boost::system::error_code)>(initiate_acquire{this}, token);
  }

  bool try_acquire() noexcept {
    if (permits_ == 0 || !queued_.empty()) return false;
    --permits_;
    acquire_edge();
    return true;
  }

  // Returns n permits; each goes to the oldest waiter, if any.
  void release(std::size_t n = 1) {
    release_edge();
    for (; n > 0; --n) put_back();
  }

  // Permits free right now (0 while anyone waits).
  std::size_t available() const noexcept { return permits_; }
  bool locked() const noexcept { return permits_ == 0; }

 private:
  struct initiate_acquire {
    semaphore* self;
    template <class Handler>
    void operator()(Handler&& h) const {
      using op = detail::waiter_impl<std::decay_t<Handler>, void, detail::completion_form::ec>;
      auto* w = op::create(std::forward<Handler>(h), self->ex_, *self);
      if (self->permits_ > 0 && self->queued_.empty()) {
        --self->permits_;
        self->grant(w, false);
      } else {
        self->enqueue(w);
      }
    }
  };

  void put_back() {
    if (detail::waiter_base* w = queued_.front()) grant(w);
    else ++permits_;
  }
  bool give_back(detail::waiter_base*) override {
    put_back();
    return true;
  }

  executor_type ex_;
  std::size_t permits_;
};

}  // namespace simloop
