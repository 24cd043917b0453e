// simloop/detail/task_frame.hpp: how a plain asio::co_spawn becomes a task.
#pragma once

#include <simloop/detail/co_spawn_site.hpp>
#include <simloop/detail/frame_info.hpp>
#include <simloop/executor.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/detached.hpp>

#include <coroutine>
#include <cstdint>
#include <exception>
#include <memory>
#include <type_traits>
#include <typeinfo>

// Every asio::co_spawn runs its coroutine under one more coroutine, Asio's
// co_spawn_entry_point, whose frame is the bottom of the new "awaitable
// thread" and lives exactly as long as the task. simloop substitutes that
// frame's promise (a more specialised std::coroutine_traits, below) with
// task_frame, derived from Asio's own. Asio's code is unchanged; task_frame
// adds two things:
//  - when the frame first runs, a task is registered with the simulation and
//    the thread's executor gets the task's lane, so every handler the task
//    submits from then on is attributed to it;
//  - when the frame is destroyed, the task is over.
// It also keeps what the detectors report about the task (all of it words
// and pointers, formatted only when a finding is printed): the coroutine it
// runs, where it was spawned (co_spawn's call site, see
// detail/co_spawn_site.hpp, or else return addresses captured inside
// asio::co_spawn), what it waits on now (noted by
// every co_await in a user coroutine, see detail/user_frame.hpp), and
// whether its completion handler is asio::detached (so an exception that
// ends it would go unseen) or stateless (a captureless lambda or a function
// pointer: it can only keep the exception by rethrowing it or storing it in
// a global, which detectors/exception_watch.cpp checks).
// For executors that are not simloop's, task_frame does nothing at all.
//
// The specialisation must be visible wherever co_spawn is instantiated with
// any_io_executor for a simulation: include <simloop/simloop.hpp> (or any
// simloop header) in those translation units.

namespace simloop::detail {

using any_executor = boost::asio::any_io_executor;
using entry_point = boost::asio::detail::awaitable_thread_entry_point;
using entry_frame_base = boost::asio::detail::awaitable_frame<entry_point, any_executor>;

// The thread's executor lives in a private union of Asio's entry frame.
// Naming a private member in an explicit instantiation is allowed
// ([temp.spec.general]/6); this is the one access simloop needs.
struct entry_executor_tag {
  friend constexpr auto entry_executor_member(entry_executor_tag);
};
template <auto Member>
struct entry_executor_access {
  friend constexpr auto entry_executor_member(entry_executor_tag) { return Member; }
};

class task_frame;

// Asio's awaitable::await_suspend takes coroutine_handle<awaitable_frame<U,
// Executor>>; task_frame's handles are re-typed to its base, which sits at the
// same address.
// With a task, await_resume also sees an exception leaving the awaited
// coroutine (the task's own coroutine, for the entry frame).
template <class T>
struct retyped_awaitable {
  boost::asio::awaitable<T, any_executor> inner;
  task_frame* task = nullptr;

  bool await_ready() const noexcept { return inner.await_ready(); }
  template <class Promise>
  void await_suspend(std::coroutine_handle<Promise> h) {
    using base = boost::asio::detail::awaitable_frame<typename Promise::value_type, any_executor>;
    inner.await_suspend(std::coroutine_handle<base>::from_address(h.address()));
  }
  T await_resume();
};

class task_frame : public entry_frame_base {
 public:
  using value_type = entry_point;
  static constexpr int max_spawn_frames = 24;

  task_frame() = default;
  // co_spawn_entry_point(awaitable<T, E>*, E ex, F f, Handler handler): the
  // promise sees the parameters, hence the executor and the handler type.
  template <class A, class F, class Handler>
  task_frame(A*, any_executor& ex, F&, Handler&)
      : detached_(std::is_same_v<Handler, boost::asio::detail::detached_handler>),
        stateless_handler_(!detached_ && (std::is_empty_v<Handler> || std::is_pointer_v<Handler>)),
        handler_type_(&typeid(Handler)) {
    on_create(ex);
  }
  ~task_frame();

  auto initial_suspend() noexcept {
    struct starter {
      task_frame* self;
      bool await_ready() const noexcept { return false; }
      void await_suspend(std::coroutine_handle<>) const noexcept {}
      void await_resume() const noexcept { self->on_start(); }
    };
    return starter{this};
  }

  using entry_frame_base::await_transform;
  template <class T>
  retyped_awaitable<T> await_transform(boost::asio::awaitable<T, any_executor> a) {
    // The first awaited coroutine that is not an Asio operation is the
    // task's own (co_spawn_entry_point awaits dispatch(), then f()).
    if (sched_ && !root_) {
      if (const frame_info* i = info_of(a); i && !i->op) root_ = i->defined;
    }
    return retyped_awaitable<T>{static_cast<const entry_frame_base&>(*this).await_transform(std::move(a)), this};
  }

  // The simulation's teardown destroys a task's frame: the registry must not
  // treat that as the task finishing normally.
  std::uint32_t lane() const noexcept { return lane_; }
  scheduler* sched() const noexcept { return sched_; }
  bool is_task_frame() const noexcept { return magic_ == frame_magic; }

  // ---- what the detectors report ----
  // The coroutine the task runs (empty before it first ran).
  const source_site& root() const noexcept { return root_; }
  // The co_spawn call's site (detail/co_spawn_site.hpp), when known. When
  // library code spawned the task for the user (the operators || and &&,
  // simloop::gather), the spawning task's co_await that led there, and
  // spawn_inside() is the library's co_spawn call.
  const source_site& spawn_call() const noexcept { return spawn_call_; }
  const source_site& spawn_inside() const noexcept { return spawn_inside_; }
  // Return addresses inside co_spawn (when options::capture_spawn_sites and
  // the call site was not known: the fallback).
  void* const* spawn_frames() const noexcept { return spawn_frames_.get(); }
  int spawn_frame_count() const noexcept { return spawn_frame_count_; }
  bool detached() const noexcept { return detached_; }
  // The last co_await of a user coroutine, and the innermost co_await of
  // any coroutine, on this task: when the task is suspended, that is where.
  const wait_record& user_wait() const noexcept { return user_wait_; }
  const wait_record& inner_wait() const noexcept { return inner_wait_; }
  void note_wait(const frame_info& awaiting, const wait_record& r) noexcept {
    inner_wait_ = r;
    if (!is_library(awaiting)) user_wait_ = r;
  }
  // An exception left the task's coroutine.
  void on_exception(std::exception_ptr e) noexcept;

 private:
  any_executor& thread_executor() noexcept;
  void on_create(any_executor& ex) noexcept;
  void on_start() noexcept;
  // The handler has run (or the frame is torn down): did it keep the
  // exception? (detectors/exception_watch.cpp)
  void check_exception_kept() noexcept;

  // Read through entry-frame pointers that user frames find: tells a
  // task_frame from a plain Asio entry frame made where this header was not
  // included.
  std::uint64_t magic_ = frame_magic;
  scheduler* sched_ = nullptr;
  std::uint32_t lane_ = 0;
  bool detached_ = false;
  bool stateless_handler_ = false;
  int spawn_frame_count_ = 0;
  const std::type_info* handler_type_ = nullptr;
  // The exception that ended the task, held while a stateless handler runs.
  std::exception_ptr ended_with_;
  source_site root_;
  source_site spawn_call_;
  source_site spawn_inside_;
  wait_record user_wait_;
  wait_record inner_wait_;
  // Allocated only when captured: most tasks know their call site, and a
  // million suspended tasks must not carry 192 unused bytes each.
  std::unique_ptr<void*[]> spawn_frames_;
};

template <class T>
T retyped_awaitable<T>::await_resume() {
  try {
    return inner.await_resume();
  } catch (...) {
    if (task && task->sched()) task->on_exception(std::current_exception());
    throw;
  }
}

}  // namespace simloop::detail

namespace std {
template <class... Args>
struct coroutine_traits<
    boost::asio::awaitable<boost::asio::detail::awaitable_thread_entry_point, boost::asio::any_io_executor>,
    Args...> {
  using promise_type = simloop::detail::task_frame;
};
}  // namespace std

// Every other awaitable<T> coroutine gets simloop's notes too.
#include <simloop/detail/user_frame.hpp>
