// simloop/mutex.hpp: an asynchronous mutex (asyncio.Lock) for Asio code.
#pragma once

#include <simloop/detail/task_frame.hpp>  // before any coroutine: simloop's coroutine_traits

#include <simloop/detail/waiter.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/execution_context.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <mutex>
#include <stdexcept>
#include <type_traits>
#include <utility>

namespace simloop {

// A mutex whose lock is an asynchronous operation, fair (FIFO: unlock hands
// the lock to the oldest waiter; try_lock never jumps the queue).
// Executor-agnostic: it works on a simulation and on a real io_context; like
// Asio's I/O objects it is not thread-safe (use it from one thread or strand).
//
//   simloop::mutex m(ex);
//   {
//     auto guard = co_await m.scoped_lock();     // or async_lock(token) + unlock()
//     int v = counter;  co_await simloop::yield();  counter = v + 1;
//   }
//
// Completions are posted to the handler's associated executor, never run
// inside async_lock or unlock (in a simulation every wake-up is a scheduling
// choice). A lock wait is cancellable through the handler's cancellation
// slot; if the cancellation arrives after the lock was handed over but before
// the completion ran, the lock is passed on and the wait ends with
// operation_aborted: a cancelled wait never keeps the lock. unlock is a
// happens-before release, a granted lock an acquire (race detector).
class mutex : private detail::waiter_owner {
 public:
  using executor_type = boost::asio::any_io_executor;

  explicit mutex(const executor_type& ex) : ex_(ex) {}
  template <class ExecutionContext>
    requires std::is_convertible_v<ExecutionContext&, boost::asio::execution_context&>
  explicit mutex(ExecutionContext& ctx) : mutex(executor_type(ctx.get_executor())) {}
  ~mutex() {
    abandon_all();
  }

  executor_type get_executor() const noexcept { return ex_; }

  // Completes with (error_code) once the caller holds the lock.
  template <class Token = boost::asio::default_completion_token_t<executor_type>>
  auto async_lock(Token&& token = boost::asio::default_completion_token_t<executor_type>()) {
    return boost::asio::async_initiate<Token, void(boost::system::error_code)>(initiate_lock{this}, token);
  }

  // Takes the lock if it is free and nobody waits.
  bool try_lock() noexcept {
    if (locked_ || !queued_.empty()) return false;
    locked_ = true;
    acquire_edge();
    return true;
  }

  // Releases the lock; the oldest waiter gets it. Throws std::logic_error if
  // the mutex is not locked.
  void unlock() {
    if (!locked_) throw std::logic_error("simloop::mutex::unlock: the mutex is not locked");
    release_edge();
    pass_on();
  }

  bool is_locked() const noexcept { return locked_; }

  // Unlocks on destruction (movable, like std::unique_lock with adopt_lock).
  class guard {
   public:
    guard() = default;
    guard(mutex& m, std::adopt_lock_t) noexcept : m_(&m) {}
    guard(guard&& o) noexcept : m_(std::exchange(o.m_, nullptr)) {}
    guard& operator=(guard&& o) noexcept {
      if (this != &o) {
        reset();
        m_ = std::exchange(o.m_, nullptr);
      }
      return *this;
    }
    ~guard() { reset(); }
    void reset() noexcept {
      if (m_) {
        try {
          std::exchange(m_, nullptr)->unlock();
        } catch (...) {
        }
      }
    }
    bool owns_lock() const noexcept { return m_ != nullptr; }

   private:
    mutex* m_ = nullptr;
  };

  // co_await m.scoped_lock(): the lock, released when the guard goes.
  boost::asio::awaitable<guard> scoped_lock() {
    co_await async_lock(boost::asio::use_awaitable);
    co_return guard(*this, std::adopt_lock);
  }

 private:
  struct initiate_lock {
    mutex* self;
    template <class Handler>
    void operator()(Handler&& h) const {
      using op = detail::waiter_impl<std::decay_t<Handler>, void, detail::completion_form::ec>;
      auto* w = op::create(std::forward<Handler>(h), self->ex_, *self);
      if (!self->locked_ && self->queued_.empty()) {
        self->locked_ = true;
        self->grant(w, false);
      } else {
        self->enqueue(w);
      }
    }
  };

  void pass_on() {
    if (detail::waiter_base* w = queued_.front()) {
      grant(w);  // stays locked: ownership moves to w
    } else {
      locked_ = false;
    }
  }
  bool give_back(detail::waiter_base*) override {
    pass_on();
    return true;
  }

  executor_type ex_;
  bool locked_ = false;
};

}  // namespace simloop
