#include <simloop/detail/task_frame.hpp>

#include <simloop/simulation.hpp>

namespace simloop::detail {

template struct entry_executor_access<&entry_frame_base::u_>;

any_executor& task_frame::thread_executor() noexcept {
  auto member = entry_executor_member(entry_executor_tag{});
  return (static_cast<entry_frame_base&>(*this).*member).executor_;
}

void task_frame::on_start() noexcept {
  executor* ex = thread_executor().target<executor>();
  if (!ex) return;
  sched_ = &ex->context().scheduler();
  lane_ = sched_->on_task_start(this);
  sched_->set_task_host(lane_, ex->host());
  *ex = ex->with_lane(lane_);
}

task_frame::~task_frame() {
  if (sched_) sched_->on_task_end(lane_);
}

}  // namespace simloop::detail
