// simloop/event.hpp: an event flag (asyncio.Event) for Asio code.
#pragma once

#include <simloop/detail/task_frame.hpp>  // before any coroutine: simloop's coroutine_traits

#include <simloop/detail/waiter.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/execution_context.hpp>

#include <type_traits>

namespace simloop {

// A flag tasks can wait for. set() wakes every waiter (each completion
// posted to its own executor) and later waits complete at once until
// clear(). Executor-agnostic, single-threaded, waits cancellable through the
// handler's slot. set is a happens-before release, a completed wait an
// acquire.
class event : private detail::waiter_owner {
 public:
  using executor_type = boost::asio::any_io_executor;

  explicit event(const executor_type& ex) : ex_(ex) {}
  template <class ExecutionContext>
    requires std::is_convertible_v<ExecutionContext&, boost::asio::execution_context&>
  explicit event(ExecutionContext& ctx) : event(executor_type(ctx.get_executor())) {}
  ~event() {
    abandon_all();
  }

  executor_type get_executor() const noexcept { return ex_; }

  void set() {
    release_edge();
    set_ = true;
    while (detail::waiter_base* w = queued_.front()) grant(w);
  }
  void clear() noexcept { set_ = false; }
  bool is_set() const noexcept { return set_; }

  // Completes with (error_code) once the event is set.
  template <class Token = boost::asio::default_completion_token_t<executor_type>>
  auto async_wait(Token&& token = boost::asio::default_completion_token_t<executor_type>()) {
    return boost::asio::async_initiate<Token, void(boost::system::error_code)>(initiate_wait{this}, token);
  }

 private:
  struct initiate_wait {
    event* self;
    template <class Handler>
    void operator()(Handler&& h) const {
      using op = detail::waiter_impl<std::decay_t<Handler>, void, detail::completion_form::ec>;
      auto* w = op::create(std::forward<Handler>(h), self->ex_, *self);
      if (self->set_) self->grant(w, false);
      else self->enqueue(w);
    }
  };

  executor_type ex_;
  bool set_ = false;
};

}  // namespace simloop
