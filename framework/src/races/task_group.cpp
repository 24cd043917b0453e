#include <simloop/task_group.hpp>

#include <simloop/detail/scheduler.hpp>

#include <boost/asio/error.hpp>

#include <fmt/format.h>

namespace simloop {

namespace {

std::string summarise(const std::vector<std::exception_ptr>& errors) {
  std::string first = "unknown exception";
  if (!errors.empty()) {
    try {
      std::rethrow_exception(errors.front());
    } catch (const std::exception& e) {
      first = e.what();
    } catch (...) {
    }
  }
  return fmt::format("simloop::task_group: {} child task(s) failed; first: {}", errors.size(), first);
}

bool is_aborted(std::exception_ptr e) {
  try {
    std::rethrow_exception(e);
  } catch (const boost::system::system_error& se) {
    return se.code() == boost::asio::error::operation_aborted;
  } catch (...) {
    return false;
  }
}

}  // namespace

task_group_error::task_group_error(std::vector<std::exception_ptr> errors)
    : std::runtime_error(summarise(errors)), errors_(std::move(errors)) {}

namespace detail {

void task_group_state::child_done(std::size_t index, std::exception_ptr e) {
  release_edge();
  if (index < running_flags_.size() && running_flags_[index]) {
    running_flags_[index] = false;
    --running_;
  }
  if (e && !(cancelling_ && is_aborted(e))) {
    errors_.push_back(e);
    if (!cancelling_) cancel_children();
  }
  if (running_ == 0) complete_joiners();
}

void task_group_state::cancel_children() {
  cancelling_ = true;
  // Keep this state alive: a child's cancellation may complete it inline.
  auto self = shared_from_this();
  std::size_t i = 0;
  scheduler* sched = current_scheduler();
  for (auto& sig : signals_) {
    if (i < running_flags_.size() && running_flags_[i]) {
      sig.emit(boost::asio::cancellation_type::terminal);
      // The child must end now: cancellation_ignored watches it until then.
      if (sched && i < lanes_.size() && lanes_[i])
        sched->watch_task_cancellation(lanes_[i], "its simloop::task_group", 0,
                                       static_cast<std::uint32_t>(boost::asio::cancellation_type::terminal));
    }
    ++i;
  }
}

std::uint32_t newest_task_lane() noexcept {
  const scheduler* s = current_scheduler();
  return s ? static_cast<std::uint32_t>(s->tasks().size()) : 0;
}

std::exception_ptr task_group_state::outcome() const {
  if (!errors_.empty()) return std::make_exception_ptr(task_group_error(errors_));
  if (cancelling_ && joiner_cancelled_) return std::make_exception_ptr(
      boost::system::system_error(boost::asio::error::operation_aborted));
  return nullptr;
}

void task_group_state::complete_joiners() {
  while (waiter_base* w = queued_.front()) {
    static_cast<waiter<std::exception_ptr>*>(w)->value.emplace(outcome());
    grant(w);
  }
}

bool task_group_state::cancel_queued(waiter_base*) {
  // The waiting task is cancelled: cancel the children and keep waiting
  // for them, so that none outlives the wait.
  joiner_cancelled_ = true;
  cancel_children();
  return false;
}

}  // namespace detail
}  // namespace simloop
