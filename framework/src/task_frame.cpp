#include <simloop/detail/task_frame.hpp>

#include <simloop/detail/scheduler.hpp>
#include <simloop/detail/spawn_site.hpp>
#include <simloop/simulation.hpp>

#include <algorithm>
#include <cstddef>
#include <new>
#include <utility>

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
  source_site site = std::exchange(pending_spawn_site(), source_site{});
  executor* e = ex.target<executor>();
  if (!e) return;
  if (site && !is_library_file(site.file)) {
    spawn_call_ = site;
    return;
  }
  if (site) {
    // Library code spawning for the user runs inside one of the spawning
    // task's co_awaits (co_await (a || b), co_await gather(...)): that
    // co_await is the line to show. A spawning task that has no co_await of
    // the user's (gather run as an operand of ||) was itself spawned from
    // the user's line.
    spawn_inside_ = site;
    const scheduler& s = e->context().scheduler();
    const std::uint32_t parent = s.current_lane();
    if (parent != 0 && parent <= s.tasks().size() && s.tasks()[parent].alive) {
      const auto* spawner = static_cast<const task_frame*>(s.tasks()[parent].frame);
      spawn_call_ = spawner->user_wait().at ? spawner->user_wait().at : spawner->spawn_call();
      if (spawn_call_) return;
    }
  }
  if (e->context().get_options().capture_spawn_sites) {
    void* frames[max_spawn_frames];
    const int n = capture_return_addresses(frames, max_spawn_frames);
    if (n <= 0) return;
    // noexcept: without memory the site is reported unknown, as when off.
    spawn_frames_.reset(new (std::nothrow) void*[static_cast<std::size_t>(n)]);
    if (!spawn_frames_) return;
    std::copy(frames, frames + n, spawn_frames_.get());
    spawn_frame_count_ = n;
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
  // The completion handler ran inside the frame's last step (co_spawn
  // dispatches it), so by now it has kept the exception or dropped it.
  if (ended_with_) check_exception_kept();
  if (sched_) sched_->on_task_end(lane_);
}

}  // namespace simloop::detail
