// simloop/task_group.hpp: structured concurrency (asyncio.TaskGroup) for Asio.
#pragma once

#include <simloop/detail/task_frame.hpp>  // before any coroutine: simloop's coroutine_traits

#include <simloop/detail/waiter.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/execution_context.hpp>
#include <boost/system/system_error.hpp>

#include <cstddef>
#include <exception>
#include <list>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

namespace simloop {

// What a task group's wait throws when children failed: every child's
// exception, in the order they happened (asyncio's ExceptionGroup).
class task_group_error : public std::runtime_error {
 public:
  explicit task_group_error(std::vector<std::exception_ptr> errors);
  const std::vector<std::exception_ptr>& exceptions() const noexcept { return errors_; }

 private:
  std::vector<std::exception_ptr> errors_;
};

namespace detail {

// Shared by the group object and its children's completion handlers (a
// child may finish after the group object is gone).
class task_group_state : public waiter_owner, public std::enable_shared_from_this<task_group_state> {
 public:
  explicit task_group_state(const boost::asio::any_io_executor& ex) : ex_(ex) {}
  ~task_group_state() { abandon_all(); }

  boost::asio::any_io_executor ex_;
  std::list<boost::asio::cancellation_signal> signals_;  // stable addresses
  std::vector<bool> running_flags_;
  std::vector<std::uint32_t> lanes_;  // each child's task (0: not on a simulation)
  std::size_t running_ = 0;
  bool cancelling_ = false;
  bool joiner_cancelled_ = false;
  std::vector<std::exception_ptr> errors_;

  void child_done(std::size_t index, std::exception_ptr e);
  void cancel_children();
  void complete_joiners();
  bool cancel_queued(waiter_base*) override;
  bool give_back(waiter_base*) override { return false; }
  std::exception_ptr outcome() const;
};

// The lane of the newest task of the thread's running simulation (0: none):
// a child's, right after co_spawn started it.
std::uint32_t newest_task_lane() noexcept;

struct task_group_void_done {
  std::shared_ptr<task_group_state> state;
  std::size_t index;
  void operator()(std::exception_ptr e) { state->child_done(index, e); }
};
template <class T>
struct task_group_value_done {
  std::shared_ptr<task_group_state> state;
  std::size_t index;
  void operator()(std::exception_ptr e, T) { state->child_done(index, e); }
};

}  // namespace detail

// Children spawned into the group run concurrently; async_wait completes
// when all of them have finished. The first child that fails (an exception
// other than operation_aborted caused by the group's own cancellation)
// cancels its siblings (terminal cancellation through their slots); the
// wait then completes with a task_group_error holding every child exception,
// in order. If the waiting task is itself cancelled, the children are
// cancelled and still awaited (nothing outlives the wait), and the wait ends
// with system_error(operation_aborted) (or the children's errors).
//
//   simloop::task_group g(ex);
//   g.spawn(fetch(a));  g.spawn(fetch(b));
//   co_await g.async_wait(asio::use_awaitable);   // throws task_group_error
//
// Always await the group. Destroying it with children still running cancels
// them and lets them finish on their own. Each child's end is a
// happens-before release, the completed wait an acquire (join edges).
class task_group {
 public:
  using executor_type = boost::asio::any_io_executor;

  explicit task_group(const executor_type& ex) : state_(std::make_shared<detail::task_group_state>(ex)) {}
  template <class ExecutionContext>
    requires std::is_convertible_v<ExecutionContext&, boost::asio::execution_context&>
  explicit task_group(ExecutionContext& ctx) : task_group(executor_type(ctx.get_executor())) {}
  task_group(const task_group&) = delete;
  task_group& operator=(const task_group&) = delete;
  ~task_group() {
    if (state_->running_ > 0) state_->cancel_children();
  }

  executor_type get_executor() const noexcept { return state_->ex_; }

  // Starts a child (co_spawn on the group's executor). A child's result, if
  // any, is dropped: store it from inside the child. Findings name the
  // caller's line as the child's spawn site.
  template <class T>
  void spawn(boost::asio::awaitable<T> child, detail::source_site site = detail::source_site::current()) {
    std::size_t index = state_->signals_.size();
    auto& sig = state_->signals_.emplace_back();
    state_->running_flags_.push_back(true);
    state_->lanes_.push_back(0);
    ++state_->running_;
    if (state_->cancelling_) sig.emit(boost::asio::cancellation_type::terminal);
    const std::uint32_t before = detail::newest_task_lane();
    if constexpr (std::is_void_v<T>) {
      detail::co_spawn_at(state_->ex_, std::move(child),
                          boost::asio::bind_cancellation_slot(sig.slot(), detail::task_group_void_done{state_, index}),
                          site);
    } else {
      detail::co_spawn_at(state_->ex_, std::move(child),
                          boost::asio::bind_cancellation_slot(sig.slot(), detail::task_group_value_done<T>{state_, index}),
                          site);
    }
    // co_spawn starts the child's task at once (it registers with the
    // simulation before its first suspension).
    if (const std::uint32_t after = detail::newest_task_lane(); after > before) state_->lanes_[index] = after;
  }

  // Completes with (exception_ptr): null if every child succeeded.
  template <class Token = boost::asio::default_completion_token_t<executor_type>>
  auto async_wait(Token&& token = boost::asio::default_completion_token_t<executor_type>()) {
    return boost::asio::async_initiate<Token, void(std::exception_ptr)>(initiate_wait{state_.get()}, token);
  }

  // Cancels every running child (terminal); async_wait still waits for them.
  void cancel() { state_->cancel_children(); }

  std::size_t running() const noexcept { return state_->running_; }
  std::size_t size() const noexcept { return state_->signals_.size(); }

 private:
  struct initiate_wait {
    detail::task_group_state* state;
    template <class Handler>
    void operator()(Handler&& h) const {
      using op = detail::waiter_impl<std::decay_t<Handler>, std::exception_ptr, detail::completion_form::value>;
      auto* w = op::create(std::forward<Handler>(h), state->ex_, *state);
      if (state->running_ == 0) {
        w->value.emplace(state->outcome());
        state->grant(w, false);
      } else {
        state->enqueue(w);
      }
    }
  };

  std::shared_ptr<detail::task_group_state> state_;
};

}  // namespace simloop
