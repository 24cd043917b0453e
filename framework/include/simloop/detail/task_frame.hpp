// simloop/detail/task_frame.hpp: how a plain asio::co_spawn becomes a task.
#pragma once

#include <simloop/detail/co_spawn_site.hpp>
#include <simloop/detail/frame_info.hpp>
#include <simloop/detail/frame_pool.hpp>
#include <simloop/executor.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/detached.hpp>

#include <coroutine>
#include <cstdint>
#include <exception>
#include <memory>
#include <new>
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

class task_frame;

// For prefetching a task's frames before it resumes (detail/timer_lookahead.hpp,
// net/detail/io_op.hpp): the frame an entry frame's thread resumes (its top
// of stack, private in Asio), and the frame a frame returns to (its caller,
// protected). Plain reads, no effect.
const void* entry_top_of_stack(const entry_frame_base* entry) noexcept;
const void* frame_caller(const void* frame) noexcept;

// The last parameter of simloop's entry coroutine (detail/detached_entry.hpp):
// task_frame's constructor stores the promise's address in the frame's copy,
// so that the coroutine reaches its own promise.
struct entry_self {
  task_frame* frame = nullptr;
};

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
      : handler_type_(&typeid(Handler)),
        detached_(std::is_same_v<Handler, boost::asio::detail::detached_handler>),
        stateless_handler_(!detached_ && (std::is_empty_v<Handler> || std::is_pointer_v<Handler>)) {
    on_create(ex.target<executor>());
  }
  // detached_entry_point(executor spawner, F f, entry_self self)
  // (detail/detached_entry.hpp): a detached task on a simulation's executor.
  // The promise sees the frame's copy of `self` and tells it where it is.
  template <class F>
  task_frame(executor& spawner, F&, entry_self& self)
      : handler_type_(&typeid(boost::asio::detail::detached_handler)), detached_(true) {
    self.frame = this;
    on_create(&spawner);
  }
  ~task_frame();

  // The frame's memory (detail/frame_pool.hpp), not Asio's recycling allocator.
  static void* operator new(std::size_t n) { return frame_pool::allocate(n); }
  static void operator delete(void* p, std::size_t n) noexcept { frame_pool::deallocate(p, n); }

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
    if (sched_ && !root_file_) {
      if (const frame_info* i = info_of(a); i && !i->is_operation()) {
        const source_site d = i->defined();
        root_function_ = d.function;
        root_file_ = d.file;
        root_line_ = d.line;
      }
    }
    return retyped_awaitable<T>{static_cast<const entry_frame_base&>(*this).await_transform(std::move(a)), this};
  }

  // The awaitable thread's "has context switched" flag, which Asio's entry
  // frame keeps private (detached_entry_point reads and clears it).
  bool& context_switched() noexcept;

  // The simulation's teardown destroys a task's frame: the registry must not
  // treat that as the task finishing normally.
  std::uint32_t lane() const noexcept { return lane_; }
  scheduler* sched() const noexcept { return sched_; }
  bool is_task_frame() const noexcept { return magic_ == frame_magic32; }

  // ---- what the detectors report ----
  // The coroutine the task runs (empty before it first ran).
  source_site root() const noexcept { return source_site{root_function_, root_file_, root_line_}; }
  // The co_spawn call's site (detail/co_spawn_site.hpp), when known. When
  // library code spawned the task for the user (the operators || and &&,
  // simloop::gather), the spawning task's co_await that led there, and
  // spawn_inside() is the library's co_spawn call.
  source_site spawn_call() const noexcept { return source_site{nullptr, spawn_file_, spawn_line_}; }
  source_site spawn_inside() const noexcept { return rare_ ? rare_->spawn_inside : source_site{}; }
  // Return addresses inside co_spawn (when options::capture_spawn_sites and
  // the call site was not known: the fallback).
  void* const* spawn_frames() const noexcept { return rare_ ? rare_->spawn_frames.get() : nullptr; }
  int spawn_frame_count() const noexcept {
    int n = 0;
    if (void* const* f = spawn_frames())
      while (f[n]) ++n;
    return n;
  }
  bool detached() const noexcept { return detached_; }
  // The last co_await of a user coroutine, and the innermost co_await of
  // any coroutine, on this task: when the task is suspended, that is where.
  wait_record user_wait() const noexcept { return user_wait_.get(user_line_); }
  wait_record inner_wait() const noexcept { return inner_wait_.get(inner_line_); }
  void note_wait(const frame_info& awaiting, const wait_record& r) noexcept {
    inner_wait_.set(r, inner_line_);
    if (!is_library(awaiting)) user_wait_.set(r, user_line_);
  }
  // An exception left the task's coroutine.
  void on_exception(std::exception_ptr e) noexcept;

 private:
  any_executor& thread_executor() noexcept;
  // ex: the spawner's executor when it is a simulation's, else null.
  void on_create(const executor* ex) noexcept;
  void on_start() noexcept;
  // The handler has run (or the frame is torn down): did it keep the
  // exception? (detectors/exception_watch.cpp)
  void check_exception_kept() noexcept;

  // A wait_record in three words and a line kept apart (with the other
  // 32-bit fields, so that nothing is padding); the task keeps two.
  struct wait_note {
    const char* file = nullptr;
    const void* what = nullptr;  // the target's name, or the operation's type_info
    const void* object = nullptr;
    static constexpr std::uint32_t target_bit = 0x80000000;  // in the line: `what` is a target

    void set(const wait_record& r, std::uint32_t& line) noexcept {
      file = r.at.file;
      what = r.op ? static_cast<const void*>(r.op) : static_cast<const void*>(r.target);
      object = r.object;
      line = (r.at.line & ~target_bit) | (r.op || !r.target ? 0 : target_bit);
    }
    wait_record get(std::uint32_t line) const noexcept {
      wait_record r;
      r.at = source_site{nullptr, file, line & ~target_bit};
      if (line & target_bit) r.target = static_cast<const char*>(what);
      else r.op = static_cast<const std::type_info*>(what);
      r.object = object;
      return r;
    }
  };
  // Read through entry-frame pointers that user frames find: tells a
  // task_frame from a plain Asio entry frame made where this header was not
  // included.
  std::uint32_t magic_ = frame_magic32;
  std::uint32_t lane_ = 0;
  scheduler* sched_ = nullptr;
  const std::type_info* handler_type_ = nullptr;
  // The task's coroutine and the spawn call's site (its file:line is all
  // a finding prints): a million suspended tasks carry these, so they are
  // kept as words, not as source_site records.
  const char* root_function_ = nullptr;
  const char* root_file_ = nullptr;
  const char* spawn_file_ = nullptr;
  wait_note user_wait_;
  wait_note inner_wait_;
  // What few tasks need, allocated when first needed: a million suspended
  // tasks must not carry these unused.
  struct rare_notes {
    // The library function that spawned the task for the user (|| or gather).
    source_site spawn_inside;
    // The exception that ended the task, held while a stateless handler runs.
    std::exception_ptr ended_with;
    // Return addresses inside co_spawn, null-terminated (the fallback when
    // the call site is not known).
    std::unique_ptr<void*[]> spawn_frames;
  };
  // Null when out of memory: the note is then dropped, as when off.
  rare_notes* rare() noexcept {
    if (!rare_) rare_.reset(new (std::nothrow) rare_notes{});
    return rare_.get();
  }
  std::unique_ptr<rare_notes> rare_;
  std::uint32_t root_line_ = 0;
  std::uint32_t spawn_line_ = 0;
  std::uint32_t user_line_ = 0;
  std::uint32_t inner_line_ = 0;
  bool detached_ = false;
  bool stateless_handler_ = false;
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
// The entry point of detached tasks (uses both promise types).
#include <simloop/detail/detached_entry.hpp>
