#include <simloop/detail/task_frame.hpp>

#include <simloop/detail/scheduler.hpp>
#include <simloop/detail/spawn_site.hpp>
#include <simloop/simulation.hpp>

#include <boost/asio/detached.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/prefer.hpp>

#include <algorithm>
#include <cstddef>
#include <new>
#include <utility>

namespace simloop::detail {

// Asio keeps what simloop reads of its frames private: the thread's
// executor (a private union of the entry frame), the flag
// detached_entry_point reads, and for the lookahead the frame chain (the
// entry frame's top of stack, each frame's caller). Naming a private member
// in an explicit instantiation is allowed ([temp.spec.general]/6):
// private_member<Tag, &T::m> defines member_of(Tag), which returns &T::m.
template <class Tag, auto Member>
struct private_member {
  friend constexpr auto member_of(Tag) { return Member; }
};

using frame_base = boost::asio::detail::awaitable_frame_base<any_executor>;

struct entry_executor_tag {
  friend constexpr auto member_of(entry_executor_tag);
};
struct context_switched_tag {
  friend constexpr auto member_of(context_switched_tag);
};
struct top_of_stack_tag {
  friend constexpr auto member_of(top_of_stack_tag);
};
struct caller_tag {
  friend constexpr auto member_of(caller_tag);
};
template struct private_member<entry_executor_tag, &entry_frame_base::u_>;
template struct private_member<context_switched_tag, &entry_frame_base::has_context_switched_>;
template struct private_member<top_of_stack_tag, &entry_frame_base::top_of_stack_>;
template struct private_member<caller_tag, &frame_base::caller_>;

const void* entry_top_of_stack(const entry_frame_base* entry) noexcept {
  return entry->*member_of(top_of_stack_tag{});
}

const void* frame_caller(const void* frame) noexcept {
  return static_cast<const frame_base*>(frame)->*member_of(caller_tag{});
}

bool& task_frame::context_switched() noexcept {
  return static_cast<entry_frame_base&>(*this).*member_of(context_switched_tag{});
}

struct frame_pool_drain {
  frame_pool_drain() = default;
  frame_pool_drain(const frame_pool_drain&) = delete;
  frame_pool_drain& operator=(const frame_pool_drain&) = delete;
  ~frame_pool_drain() { frame_pool::drain(); }
};

void frame_pool::register_drain() noexcept {
  // Its first use registers its destructor for this thread's exit.
  thread_local frame_pool_drain drain;
  static_cast<void>(drain);
  tl_cache.state = cache::registered;
}

void complete_detached(const executor& spawner, std::exception_ptr e) {
  const any_executor handler_ex =
      boost::asio::prefer(any_executor(spawner), boost::asio::execution::outstanding_work.tracked);
  boost::asio::dispatch(handler_ex, [handler = boost::asio::detail::detached_handler(boost::asio::detached),
                                     e]() mutable { std::move(handler)(e); });
}

bool& use_detached_entry() noexcept {
  static bool on = true;
  return on;
}

source_site& pending_spawn_site() noexcept {
  thread_local source_site site;
  return site;
}

any_executor& task_frame::thread_executor() noexcept {
  auto member = member_of(entry_executor_tag{});
  return (static_cast<entry_frame_base&>(*this).*member).executor_;
}

// Runs inside asio::co_spawn, on the spawner's stack: the only moment the
// spawn site can be seen.
void task_frame::on_create(const executor* e) noexcept {
  source_site site = std::exchange(pending_spawn_site(), source_site{});
  if (!e) return;
  if (site && !is_library_file(site.file)) {
    spawn_file_ = site.file;
    spawn_line_ = site.line;
    return;
  }
  if (site) {
    // Library code spawning for the user runs inside one of the spawning
    // task's co_awaits (co_await (a || b), co_await gather(...)): that
    // co_await is the line to show. A spawning task that has no co_await of
    // the user's (gather run as an operand of ||) was itself spawned from
    // the user's line.
    if (rare_notes* r = rare()) r->spawn_inside = site;
    const scheduler& s = e->context().scheduler();
    const std::uint32_t parent = s.current_lane();
    if (parent != 0 && parent <= s.tasks().size() && s.tasks()[parent].alive) {
      const auto* spawner = static_cast<const task_frame*>(s.tasks()[parent].frame);
      const source_site call = spawner->user_wait().at ? spawner->user_wait().at : spawner->spawn_call();
      spawn_file_ = call.file;
      spawn_line_ = call.line;
      if (spawn_file_) return;
    }
  }
  if (e->context().get_options().capture_spawn_sites) {
    void* frames[max_spawn_frames];
    const int n = capture_return_addresses(frames, max_spawn_frames);
    if (n <= 0) return;
    // noexcept: without memory the site is reported unknown, as when off.
    rare_notes* r = rare();
    if (!r) return;
    r->spawn_frames.reset(new (std::nothrow) void*[static_cast<std::size_t>(n) + 1]);
    if (!r->spawn_frames) return;
    std::copy(frames, frames + n, r->spawn_frames.get());
    r->spawn_frames[n] = nullptr;
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
  if (rare_ && rare_->ended_with) check_exception_kept();
  if (sched_) sched_->on_task_end(lane_);
}

}  // namespace simloop::detail
