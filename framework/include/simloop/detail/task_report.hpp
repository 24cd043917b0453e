// simloop/detail/task_report.hpp: the detectors' side of the scheduler.
#pragma once

#include <cstdint>
#include <exception>
#include <string>
#include <typeinfo>

namespace simloop::detail {

class scheduler;
class task_frame;
class frame_info;

// One task as findings print it, e.g.
//   "  task #3 heartbeat_forever   spawned at  tests/leak.cpp:41\n"
//   "                              waiting on  timer.async_wait at tests/leak.cpp:12\n"
// label_width: the column where "spawned at" starts (0: just wide enough).
// with_wait: add the "waiting on" line (not for the task that is running).
std::string describe_task(const scheduler&, std::uint32_t lane, std::size_t label_width = 0, bool with_wait = true);
// The first live task after lane `after`, spawned during spawn_step, whose
// coroutine is defined where frame f's is (the task f is the root of, when
// spawned then; tasks from one site pair with frames in spawn order). 0: none.
std::uint32_t task_rooted_at(const scheduler&, const frame_info& f, std::uint64_t spawn_step, std::uint32_t after);
// "task #3 heartbeat_forever" (name resolved from the task's coroutine).
std::string task_label(const scheduler&, std::uint32_t lane);
// Every live task, blocked on something, with the wait-for relations simloop
// can see. Used by the deadlock and time-limit findings.
std::string describe_blocked_tasks(const scheduler&);
// After the body finished and nothing is ready: a leaked_task finding per
// live task and per timer wait that no live task owns.
void report_leaked_tasks(scheduler&);
// Nothing is ready and scheduler::cancel_requests() is not empty: a
// cancellation_ignored finding per request that can no longer be answered
// in time (a cancelled task without a grace: only once no timer is left);
// true when one was reported and the run must stop.
bool report_ignored_cancellations(scheduler&);
// "timer.async_wait", "channel.async_receive", ... from an operation's type.
std::string describe_operation(const std::type_info*);
// asio::cancellation_type bits as words: "terminal|partial", "all".
std::string cancellation_type_text(std::uint32_t type);
// "std::runtime_error: what()".
std::string exception_summary(std::exception_ptr);
// An exception ended a task whose completion handler is stateless: from now
// until the handler has run, std::rethrow_exception of it is noted
// (detectors/exception_watch.cpp).
void watch_exception() noexcept;
// The step just ended and left frames with references into its stack
// (scheduler::take_stack_references): a dangling_reference finding for
// them, and the run stops.
void report_dangling_references(scheduler&);
// "the lambda coroutine defined at x.cpp:12", "fetch(), defined at x.cpp:30",
// "the operation timer.async_wait(use_awaitable)".
std::string coroutine_description(const frame_info&);
// A step used more CPU time than options::step_cpu_budget.
void report_slow_step(scheduler&, std::int64_t cpu_ns);
// Defined next to the libc hooks: calling it from the scheduler links the
// hooks' object file into every program that uses simloop (a static
// library's unreferenced object would be left out and hook nothing).
void link_blocking_hooks() noexcept;

}  // namespace simloop::detail
