// simloop/condition.hpp: a condition variable over simloop::mutex
// (asyncio.Condition) for Asio code.
#pragma once

#include <simloop/detail/task_frame.hpp>  // before any coroutine: simloop's coroutine_traits

#include <simloop/detail/waiter.hpp>
#include <simloop/mutex.hpp>

#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cstddef>
#include <limits>
#include <type_traits>
#include <utility>

namespace simloop {

// Waits for a notification while holding a simloop::mutex, like
// asyncio.Condition:
//
//   simloop::mutex m(ex);
//   simloop::condition ready(m);
//   auto g = co_await m.scoped_lock();
//   co_await ready.wait_until([&] { return !items.empty(); });
//
// async_wait must be called with the mutex held: it releases the mutex,
// waits for notify_one/notify_all, and completes once it holds the mutex
// again. A cancelled wait also re-takes the mutex before it completes (with
// operation_aborted), so the caller's guard stays truthful. notify is a
// happens-before release, the wake-up an acquire (and the mutex adds its own).
class condition : private detail::waiter_owner {
 public:
  using executor_type = boost::asio::any_io_executor;

  explicit condition(simloop::mutex& m) : mutex_(m) {}
  ~condition() {
    abandon_all();
  }

  simloop::mutex& get_mutex() const noexcept { return mutex_; }
  executor_type get_executor() const noexcept { return mutex_.get_executor(); }

  template <class Token = boost::asio::default_completion_token_t<executor_type>>
  auto async_wait(Token&& token = boost::asio::default_completion_token_t<executor_type>()) {
    return boost::asio::async_initiate<Token, void(boost::system::error_code)>(initiate_wait{this}, token);
  }

  // Wakes up to n waiters, oldest first.
  void notify(std::size_t n = 1) {
    release_edge();
    for (; n > 0; --n) {
      detail::waiter_base* w = queued_.front();
      if (!w) break;
      grant(w);
    }
  }
  void notify_one() { notify(1); }
  void notify_all() { notify(std::numeric_limits<std::size_t>::max()); }

  // Waits until pred() holds (checked with the mutex held).
  template <class Predicate>
  boost::asio::awaitable<void> wait_until(Predicate pred) {
    while (!pred()) co_await async_wait(boost::asio::use_awaitable);
  }

 private:
  // After the notification (or its cancellation): re-take the mutex,
  // shielded from cancellation, then complete the user's handler.
  template <class Handler>
  struct relock {
    Handler handler;
    simloop::mutex* m;

    using executor_type = boost::asio::associated_executor_t<Handler, boost::asio::any_io_executor>;
    executor_type get_executor() const noexcept {
      return boost::asio::get_associated_executor(handler, m->get_executor());
    }
    using cancellation_slot_type = boost::asio::associated_cancellation_slot_t<Handler>;
    cancellation_slot_type get_cancellation_slot() const noexcept {
      return boost::asio::get_associated_cancellation_slot(handler);
    }

    void operator()(boost::system::error_code ec) {
      struct finish {
        Handler handler;
        boost::system::error_code ec;
        simloop::mutex* m;
        using executor_type = boost::asio::associated_executor_t<Handler, boost::asio::any_io_executor>;
        executor_type get_executor() const noexcept {
          return boost::asio::get_associated_executor(handler, m->get_executor());
        }
        void operator()(boost::system::error_code) { std::move(handler)(ec); }
      };
      simloop::mutex* mm = m;
      mm->async_lock(finish{std::move(handler), ec, mm});
    }
  };

  struct initiate_wait {
    condition* self;
    template <class Handler>
    void operator()(Handler&& h) const {
      using handler_type = std::decay_t<Handler>;
      using op = detail::waiter_impl<relock<handler_type>, void, detail::completion_form::ec>;
      auto* w = op::create(relock<handler_type>{std::forward<Handler>(h), &self->mutex_}, self->get_executor(),
                           *self);
      self->enqueue(w);
      self->mutex_.unlock();
    }
  };

  // A notified wait cancelled before it ran passes the notification on.
  bool give_back(detail::waiter_base*) override {
    if (detail::waiter_base* next = queued_.front()) grant(next);
    return true;
  }

  simloop::mutex& mutex_;
};

}  // namespace simloop
