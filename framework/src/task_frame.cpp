#include <simloop/detail/task_frame.hpp>

#include <simloop/detail/spawn_site.hpp>
#include <simloop/simulation.hpp>

namespace simloop::detail {

template struct entry_executor_access<&entry_frame_base::u_>;

source_site& pending_spawn_site() noexcept {
  thread_local source_site site;
  return site;
}

any_executor& task_frame::thread_executor() noexcept {
  auto member = entry_executor_member(entry_executor_tag{});
  return (static_cast<entry_frame_base&>(*this).*member).executor_;
}

// Runs inside asio::co_spawn, on the spawner's stack: the only moment the
// spawn site can be seen.
void task_frame::on_create(any_executor& ex) noexcept {
  executor* e = ex.target<executor>();
  source_site& pending = pending_spawn_site();
  if (!e) {
    pending = {};
    return;
  }
  if (pending) {
    spawn_call_ = pending;
    pending = {};
  } else if (e->context().get_options().capture_spawn_sites) {
    spawn_frame_count_ = capture_return_addresses(spawn_frames_, max_spawn_frames);
  }
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
