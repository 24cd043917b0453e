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
#include <boost/asio/experimental/awaitable_operators.hpp>
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

// What the cancellation_ignored detector needs from one timeout: which task
// awaits the operation, whether it completed, whether the deadline has
// requested its cancellation (then it is listed in the scheduler until the
// operation completes).
struct cancel_watch {
  scheduler* sched = nullptr;  // null on a real io_context: nothing watched
  clock::duration after{};
  const char* by = "simloop::timeout";
  std::uint32_t op_lane = 0;
  std::uint32_t caller_lane = 0;
  bool op_done = false;
  bool requested = false;
  std::exception_ptr error;  // op failed: rethrown, not a timeout

  cancel_watch() = default;
  cancel_watch(const cancel_watch&) = delete;
  cancel_watch& operator=(const cancel_watch&) = delete;
  ~cancel_watch() { done(); }
  void done() noexcept {
    op_done = true;
    if (requested) {
      requested = false;
      sched->cancel_done(this);
    }
  }
  void deadline_won() {
    if (!sched || op_done) return;
    requested = true;
    sched->cancel_requested(
        scheduler::cancel_request{this, op_lane, caller_lane, sched->step(), sched->now(), by, after});
  }
};

// The operand of `||`: never fails. Asio's `||` is wait_for_one_success: an
// operand that throws does not win, so a failing op would wait out the whole
// timeout. The exception is kept in w->error and rethrown by race_deadline
// at once, as asyncio.wait_for does.
template <class T>
using op_result = std::conditional_t<std::is_void_v<T>, void, std::optional<T>>;

template <class T>
boost::asio::awaitable<op_result<T>> watched_op(boost::asio::awaitable<T> op, cancel_watch* w) {
  if (w->sched) w->op_lane = w->sched->current_lane();
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

template <class T, class Deadline>
boost::asio::awaitable<T> race_deadline(boost::asio::awaitable<T> op, Deadline& deadline, cancel_watch& w) {
  using namespace boost::asio::experimental::awaitable_operators;
  auto a = watched_op(std::move(op), &w);
  auto b = watched_deadline(deadline, &w);
  auto both = std::move(a) || std::move(b);
  auto result = co_await std::move(both);
  // The deadline won: whatever the cancelled op ended with (usually
  // operation_aborted) is its acknowledgment; the caller sees timed_out.
  if (result.index() == 1) throw boost::system::system_error(error::timed_out);
  if (w.error) std::rethrow_exception(w.error);
  if constexpr (!std::is_void_v<T>) co_return std::move(*std::get<0>(std::move(result)));
}

}  // namespace detail

// Like asyncio.wait_for: runs op; if d passes first, op is cancelled
// (through its cancellation slot: Asio's `||` emits cancellation_type::all,
// which includes terminal) and awaited until it has completed, then
// boost::system::system_error(simloop::error::timed_out) is thrown. If op
// completes first the timer is cancelled and op's result (or exception) is
// returned.
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
