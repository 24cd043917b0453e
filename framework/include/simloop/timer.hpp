// simloop/timer.hpp: a waitable timer on virtual time.
#pragma once

#include <simloop/clock.hpp>
#include <simloop/detail/io_executor_slot.hpp>
#include <simloop/detail/timer_executor.hpp>
#include <simloop/simulation.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/cancellation_type.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/wait_traits.hpp>

#include <cstddef>
#include <memory>
#include <stdexcept>
#include <type_traits>

namespace simloop {

namespace detail {

[[noreturn]] void throw_timer_simulation_gone();

// A wait with its handler. When it completes, the op itself is the ready
// entry; running it clears the handler's cancellation slot and invokes the
// handler, directly when the handler's executor is this simulation's, or by
// posting it to whatever executor the handler is bound to (a strand, say).
// That executor defaults to the timer's (io_ex_), as for any Asio I/O object:
// without the default, get_associated_executor would answer system_executor
// and the handler would run on a hidden thread.
// The timer's executor is kept only when the handler's associated executor
// depends on it (detail/io_executor_slot.hpp).
template <class Handler, class IoExecutor>
struct wait_op_impl final : wait_op {
  template <class H>
  wait_op_impl(H&& h, const IoExecutor& io_ex) : wait_op(&do_complete), handler_(std::forward<H>(h)), io_ex_(io_ex) {}

  static void do_complete(operation* base, bool invoke) {
    auto* self = static_cast<wait_op_impl*>(base);
    if (self->fired) [[unlikely]]
      note_fired_wait_done();
    op_pool* pool = self->pool_;
    auto slot = boost::asio::get_associated_cancellation_slot(self->handler_);
    if (slot.is_connected()) slot.clear();
    Handler handler(std::move(self->handler_));
    io_executor_slot<Handler, IoExecutor> io_ex(std::move(self->io_ex_));
    const boost::system::error_code ec = self->error();
    const bool direct = self->direct;
    self->~wait_op_impl();
    pool->deallocate(self, sizeof(wait_op_impl));
    if (!invoke) return;
    if (direct) {
      std::move(handler)(ec);
    } else {
      auto ex = io_ex.associated(handler);
      boost::asio::post(ex, [h = std::move(handler), ec]() mutable { std::move(h)(ec); });
    }
  }

  Handler handler_;
  [[no_unique_address]] io_executor_slot<Handler, IoExecutor> io_ex_;
};

struct wait_cancellation {
  scheduler* sched;
  wait_op* op;
  void operator()(boost::asio::cancellation_type_t type) const {
    using ct = boost::asio::cancellation_type;
    if ((type & (ct::terminal | ct::partial | ct::total)) != ct::none && op->owner)
      sched->cancel_wait(op);
  }
};

}  // namespace detail

// The steady_timer interface on virtual time:
//
//   simloop::timer t(co_await asio::this_coro::executor, 5s);
//   co_await t.async_wait(asio::use_awaitable);
//
// Constructible from any executor that wraps a simulation's (its own,
// any_io_executor, a strand); std::invalid_argument otherwise. Completions are
// always posted, never run inside async_wait; cancel() and re-arming complete
// pending waits with operation_aborted; per-operation cancellation works
// through the handler's associated cancellation slot (terminal, partial and
// total all cancel). Using a timer after its simulation was destroyed throws
// std::logic_error.
template <class Executor = boost::asio::any_io_executor>
class basic_timer {
 public:
  using executor_type = Executor;
  using clock_type = simloop::clock;
  using duration = clock::duration;
  using time_point = clock::time_point;
  using traits_type = boost::asio::wait_traits<clock>;

  template <class OtherExecutor>
  struct rebind_executor {
    using other = basic_timer<OtherExecutor>;
  };

  explicit basic_timer(const executor_type& ex) : ex_(ex) { attach(); }
  basic_timer(const executor_type& ex, const time_point& t) : ex_(ex) {
    attach();
    state_.expiry = t.time_since_epoch();
  }
  basic_timer(const executor_type& ex, const duration& d) : ex_(ex) {
    attach();
    state_.expiry = ex_.sched().local_now() + d;
  }
  template <class ExecutionContext>
    requires std::is_convertible_v<ExecutionContext&, boost::asio::execution_context&>
  explicit basic_timer(ExecutionContext& ctx) : basic_timer(ctx.get_executor()) {}
  template <class ExecutionContext>
    requires std::is_convertible_v<ExecutionContext&, boost::asio::execution_context&>
  basic_timer(ExecutionContext& ctx, const duration& d) : basic_timer(ctx.get_executor(), d) {}
  template <class ExecutionContext>
    requires std::is_convertible_v<ExecutionContext&, boost::asio::execution_context&>
  basic_timer(ExecutionContext& ctx, const time_point& t) : basic_timer(ctx.get_executor(), t) {}

  basic_timer(basic_timer&& other) noexcept : ex_(std::move(other.ex_)) { take(other); }
  basic_timer& operator=(basic_timer&& other) noexcept {
    if (this != &other) {
      release();
      ex_ = std::move(other.ex_);
      take(other);
    }
    return *this;
  }
  // From a timer on another executor type (what use_awaitable.as_default_on
  // and other executor adapters do, as with asio::basic_waitable_timer).
  template <class OtherExecutor>
    requires(!std::is_same_v<OtherExecutor, Executor> && std::is_convertible_v<OtherExecutor, Executor>)
  basic_timer(basic_timer<OtherExecutor>&& other) : ex_(Executor(other.get_executor())) {
    take(other);
  }
  template <class OtherExecutor>
    requires(!std::is_same_v<OtherExecutor, Executor> && std::is_convertible_v<OtherExecutor, Executor>)
  basic_timer& operator=(basic_timer<OtherExecutor>&& other) noexcept {
    return *this = basic_timer(std::move(other));
  }

  basic_timer(const basic_timer&) = delete;
  basic_timer& operator=(const basic_timer&) = delete;

  ~basic_timer() { release(); }

  executor_type get_executor() noexcept { return ex_.get(); }

  time_point expiry() const { return time_point(state_.expiry); }

  // Sets the expiry; pending waits complete with operation_aborted. Returns
  // how many were cancelled.
  std::size_t expires_at(const time_point& t) {
    std::size_t n = live().cancel_all(state_, static_cast<std::size_t>(-1));
    state_.expiry = t.time_since_epoch();
    return n;
  }
  std::size_t expires_after(const duration& d) {
    std::size_t n = live().cancel_all(state_, static_cast<std::size_t>(-1));
    state_.expiry = ex_.sched().local_now() + d;
    return n;
  }

  std::size_t cancel() { return live().cancel_all(state_, static_cast<std::size_t>(-1)); }
  std::size_t cancel_one() { return live().cancel_all(state_, 1); }

  template <class WaitToken = boost::asio::default_completion_token_t<executor_type>>
  auto async_wait(WaitToken&& token = boost::asio::default_completion_token_t<executor_type>()) {
    return boost::asio::async_initiate<WaitToken, void(boost::system::error_code)>(initiate_async_wait(this),
                                                                                   token);
  }

 private:
  class initiate_async_wait {
   public:
    using executor_type = Executor;
    explicit initiate_async_wait(basic_timer* self) : self_(self) {}
    executor_type get_executor() const noexcept { return self_->get_executor(); }

    template <class WaitHandler>
    void operator()(WaitHandler&& handler) const {
      // Forward, never move: use_promise keeps using an lvalue handler.
      self_->start_wait(std::forward<WaitHandler>(handler));
    }

   private:
    basic_timer* self_;
  };

  template <class WaitHandler>
  void start_wait(WaitHandler&& handler) {
    using handler_type = std::decay_t<WaitHandler>;
    using op_type = detail::wait_op_impl<handler_type, Executor>;
    detail::scheduler& s = live();
    const Executor io_ex = ex_.get();
    void* mem = s.pool().allocate(sizeof(op_type));
    op_type* op;
    try {
      op = ::new (mem) op_type(std::forward<WaitHandler>(handler), io_ex);
    } catch (...) {
      s.pool().deallocate(mem, sizeof(op_type));
      throw;
    }
    op->pool_ = &s.pool();
    std::uint32_t lane = 0;
    auto assoc = boost::asio::get_associated_executor(op->handler_, io_ex);
    // Adapters derived from these (use_awaitable_t::executor_with_default, ...)
    // are the same executor: complete them directly too.
    using assoc_type = decltype(assoc);
    if constexpr (std::is_base_of_v<simloop::executor, assoc_type>) {
      lane = assoc.lane();
    } else if constexpr (std::is_base_of_v<boost::asio::any_io_executor, assoc_type>) {
      if (const auto* e = assoc.template target<simloop::executor>()) lane = e->lane();
      else op->direct = false;
    } else {
      op->direct = false;
    }
    op->deadline = state_.expiry;
    auto slot = boost::asio::get_associated_cancellation_slot(op->handler_);
    if (slot.is_connected()) slot.template emplace<detail::wait_cancellation>(detail::wait_cancellation{&s, op});
    s.arm(op, state_, lane);
  }

  void attach() { alive_ = ex_.sched().alive_token(); }
  detail::scheduler& live() const {
    if (alive_.expired()) detail::throw_timer_simulation_gone();
    return ex_.sched();
  }
  // The rest of a move: the pending waits follow their timer_state.
  template <class OtherExecutor>
  void take(basic_timer<OtherExecutor>& other) noexcept {
    alive_ = std::move(other.alive_);
    state_ = other.state_;
    other.state_ = {};
    state_.adopt();
  }
  void release() noexcept {
    if (!alive_.expired()) ex_.sched().forget(state_);
    state_ = {};
  }

  template <class>
  friend class basic_timer;

 public:
  // simloop-internal: the scheduler-visible part (its pending waits), for
  // cancellation injection, which fires a timeout's deadline early.
  detail::timer_state& detail_state() noexcept { return state_; }

 private:

  // The executor and the scheduler (16 bytes for a simulation's own
  // executor behind any_io_executor: detail/timer_executor.hpp).
  detail::timer_executor<Executor> ex_;
  std::weak_ptr<detail::scheduler*> alive_;
  detail::timer_state state_;
};

using timer = basic_timer<>;

}  // namespace simloop
