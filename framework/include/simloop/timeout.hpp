// simloop/timeout.hpp: asyncio.wait_for and asyncio.timeout for Asio
// coroutines. docs/cancellation.md explains how they relate to Asio's
// `op || timer.async_wait()` idiom and what terminal/partial/total mean here.
#pragma once

#include <simloop/clock.hpp>
#include <simloop/detail/scheduler.hpp>
#include <simloop/error.hpp>
#include <simloop/simulation.hpp>
#include <simloop/timer.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_type.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/multiple_exceptions.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>

#include <chrono>
#include <exception>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <variant>

namespace simloop {

namespace detail {

// What the cancellation_ignored detector and cancellation injection need
// from one timeout: which task awaits the operation, whether it completed,
// whether the deadline has requested its cancellation (then it is listed in
// the scheduler until the operation completes), and, while injection is on,
// its registration as a source of injectable points.
struct cancel_watch {
  scheduler* sched = nullptr;  // null on a real io_context: nothing watched
  clock::duration after{};
  const char* by = "simloop::timeout";
  std::uint32_t caller_lane = 0;
  bool op_done = false;
  bool requested = false;
  bool registered = false;
  std::exception_ptr error;  // op failed: rethrown, not a timeout
  scheduler::cancel_point point;

  cancel_watch() = default;
  cancel_watch(const cancel_watch&) = delete;
  cancel_watch& operator=(const cancel_watch&) = delete;
  ~cancel_watch() { done(); }
  // Registers this timeout's suspension points for injection (when the run
  // injects or counts points). The timer must outlive the registration:
  // settle() ends it, and the timeout settles before its timer goes away.
  void watch_points(timer& deadline) {
    if (!sched->injecting()) return;
    point.deadline = &deadline.detail_state();
    sched->add_cancel_point(&point);
    registered = true;
  }
  void settle() noexcept {
    point.settled = true;
    if (registered) {
      registered = false;
      sched->remove_cancel_point(&point);
    }
  }
  void done() noexcept {
    op_done = true;
    settle();
    if (requested) {
      requested = false;
      sched->cancel_done(this);
    }
  }
  static bool terminal_bit(std::uint32_t type) noexcept {
    return (type & static_cast<std::uint32_t>(boost::asio::cancellation_type::terminal)) != 0;
  }
  void deadline_won() {
    if (!sched || op_done) return;
    settle();
    // An injected type without terminal is filtered out by a coroutine's
    // default cancellation filter: the operation may legitimately ignore it.
    if (point.injected_type != 0 && !terminal_bit(point.injected_type)) return;
    requested = true;
    sched->cancel_requested(scheduler::cancel_request{this, point.op_lane, caller_lane, sched->step(), sched->now(),
                                                      by, after, point.injected_point, point.injected_type});
  }
};

// The operand of the race: never fails. Asio's `||` is wait_for_one_success:
// an operand that throws does not win, so a failing op would wait out the
// whole timeout. The exception is kept in w->error and rethrown by
// race_deadline at once, as asyncio.wait_for does.
template <class T>
using op_result = std::conditional_t<std::is_void_v<T>, void, std::optional<T>>;

template <class T>
boost::asio::awaitable<op_result<T>> watched_op(boost::asio::awaitable<T> op, cancel_watch* w) {
  // From here on the operation's coroutine has started: injection may
  // cancel it (never before: ASIO-FACTS).
  if (w->sched) w->point.op_lane = w->sched->current_lane();
  std::exception_ptr failed;
  if constexpr (std::is_void_v<T>) {
    try {
      co_await std::move(op);
    } catch (...) {
      failed = std::current_exception();
    }
    w->error = failed;
    w->done();
  } else {
    std::optional<T> value;
    try {
      value.emplace(co_await std::move(op));
    } catch (...) {
      failed = std::current_exception();
    }
    w->error = failed;
    w->done();
    co_return value;
  }
}

template <class Deadline>
boost::asio::awaitable<void> watched_deadline(Deadline& deadline, cancel_watch* w) {
  co_await deadline.async_wait(boost::asio::use_awaitable);
  w->deadline_won();
}

// wait_for_one_success (what `||` uses), except that the type emitted on the
// loser is the injected one when cancellation injection fired the deadline.
struct deadline_race_condition {
  const scheduler::cancel_point* point;
  template <class... Args>
  boost::asio::cancellation_type_t operator()(const std::exception_ptr& e, Args&&...) const noexcept {
    if (e) return boost::asio::cancellation_type::none;
    if (point->injected_type != 0) return static_cast<boost::asio::cancellation_type_t>(point->injected_type);
    return boost::asio::cancellation_type::all;
  }
};

// `watched_op(op) || watched_deadline(deadline)`, spelled out as Asio's
// operator|| is (two co_spawns into a parallel group, same steps) so that the
// condition can emit an injected cancellation type.
template <class T, class Deadline>
boost::asio::awaitable<T> race_deadline(boost::asio::awaitable<T> op, Deadline& deadline, cancel_watch& w) {
  namespace ax = boost::asio::experimental;
  auto ex = co_await boost::asio::this_coro::executor;
  auto a = boost::asio::co_spawn(ex, watched_op(std::move(op), &w), boost::asio::deferred);
  auto b = boost::asio::co_spawn(ex, watched_deadline(deadline, &w), boost::asio::deferred);
  auto group = ax::make_parallel_group(std::move(a), std::move(b));
  auto race = std::move(group).async_wait(deadline_race_condition{&w.point}, boost::asio::deferred);
  if constexpr (std::is_void_v<T>) {
    auto [order, op_ex, deadline_ex] = co_await std::move(race);
    // As operator||: the first to finish without an exception won.
    bool deadline_won = order[0] == 1 ? !deadline_ex : (op_ex && !deadline_ex);
    if (op_ex && deadline_ex) throw boost::asio::multiple_exceptions(order[0] == 0 ? op_ex : deadline_ex);
    // The deadline won and the op ended early: whatever it ended with
    // (usually operation_aborted) acknowledges the cancellation; the caller
    // sees timed_out. An op that still succeeded (its completion was on its
    // way when the cancellation came, or it ignored a type without terminal)
    // did its work: its result stands, as asyncio.wait_for returns it.
    if (deadline_won && w.error) throw boost::system::system_error(error::timed_out);
    if (w.error) std::rethrow_exception(w.error);
  } else {
    auto [order, op_ex, value, deadline_ex] = co_await std::move(race);
    bool deadline_won = order[0] == 1 ? !deadline_ex : (op_ex && !deadline_ex);
    if (op_ex && deadline_ex) throw boost::asio::multiple_exceptions(order[0] == 0 ? op_ex : deadline_ex);
    if (deadline_won && w.error) throw boost::system::system_error(error::timed_out);
    if (w.error) std::rethrow_exception(w.error);
    co_return std::move(*value);
  }
}

}  // namespace detail

// Like asyncio.wait_for: runs op; if d passes first, op is cancelled
// (through its cancellation slot: Asio's `||` emits cancellation_type::all,
// which includes terminal) and awaited until it has completed, then
// boost::system::system_error(simloop::error::timed_out) is thrown. If op
// completes first the timer is cancelled and op's result (or exception) is
// returned. So is the result of an op that completed successfully although
// the deadline had fired (its completion was already on its way, as a timer
// that expired but whose handler had not run yet): timed_out means the op
// did not do its work.
//
// It is Asio's `op || timer.async_wait()` idiom with the timer's side turned
// into an error. On a simulation it waits in virtual time (simloop::timer); on
// any other executor, in real time (asio::steady_timer), so the same code runs
// in production.
//
// On a simulation, an op that does not complete (or acknowledge) the
// cancellation before nothing else is ready is a cancellation_ignored
// finding (options::detect_cancellation_ignored): the `||` would otherwise
// wait for it forever, or until its own slow completion.
template <class T>
boost::asio::awaitable<T> timeout(clock::duration d, boost::asio::awaitable<T> op) {
  auto ex = co_await boost::asio::this_coro::executor;
  detail::cancel_watch w;
  w.after = d;
  if (simulation* sim = find_simulation(ex)) {
    w.sched = &sim->scheduler();
    w.caller_lane = w.sched->current_lane();
    timer deadline(ex, d);
    w.watch_points(deadline);
    co_return co_await detail::race_deadline(std::move(op), deadline, w);
  } else {
    boost::asio::steady_timer deadline(ex, std::chrono::duration_cast<std::chrono::steady_clock::duration>(d));
    co_return co_await detail::race_deadline(std::move(op), deadline, w);
  }
}

// Like asyncio.timeout(when): a scoped deadline given as an absolute time
// point. Code that runs several awaits under one deadline passes the same
// time point to each:
//
//   auto until = simloop::clock::now() + 5s;   // or steady_clock on io_context
//   auto conn = co_await with_deadline(until, connect(...));
//   co_await with_deadline(until, handshake(conn));  // what is left of the 5s
//
// Same cancellation and error (simloop::error::timed_out) as timeout(). A
// simloop::clock time point needs a simulation executor (virtual time); a
// std::chrono::steady_clock time point needs a real one (std::logic_error
// otherwise: the two clocks cannot be mixed). A deadline already passed
// still starts op and cancels it at once, as asyncio does.
template <class T, class Clock, class Duration>
boost::asio::awaitable<T> with_deadline(std::chrono::time_point<Clock, Duration> when, boost::asio::awaitable<T> op) {
  auto ex = co_await boost::asio::this_coro::executor;
  detail::cancel_watch w;
  w.by = "simloop::with_deadline";
  simulation* sim = find_simulation(ex);
  if constexpr (std::is_same_v<Clock, clock>) {
    if (!sim) throw std::logic_error("simloop::with_deadline: a simloop::clock deadline needs a simulation executor");
    w.sched = &sim->scheduler();
    w.caller_lane = w.sched->current_lane();
    w.after = std::chrono::duration_cast<clock::duration>(when.time_since_epoch()) - sim->scheduler().now();
    timer deadline(ex);
    deadline.expires_at(std::chrono::time_point_cast<clock::duration>(when));
    w.watch_points(deadline);
    co_return co_await detail::race_deadline(std::move(op), deadline, w);
  } else {
    static_assert(std::is_same_v<Clock, std::chrono::steady_clock>,
                  "simloop::with_deadline takes a simloop::clock or std::chrono::steady_clock time point");
    if (sim) throw std::logic_error("simloop::with_deadline: a steady_clock deadline on a simulation: use simloop::clock");
    boost::asio::steady_timer deadline(ex);
    deadline.expires_at(std::chrono::time_point_cast<std::chrono::steady_clock::duration>(when));
    co_return co_await detail::race_deadline(std::move(op), deadline, w);
  }
}

}  // namespace simloop
