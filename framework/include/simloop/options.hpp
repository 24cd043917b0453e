// simloop/options.hpp: how one simulated run is configured.
#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace simloop {

// Which ready step runs next.
enum class strategy {
  fifo,    // oldest ready step first: what a single-threaded io_context does
  random,  // uniform pick among the ready steps
  pct,     // probabilistic concurrency testing (random task priorities,
           // pct_depth - 1 priority change points)
  replay,  // the recorded choice list in options::choices
};

std::string_view to_string(strategy) noexcept;

// Bits of options::cancel_types: the cancellation types an injected
// cancellation may carry.
enum cancel_type_bits : unsigned {
  inject_all = 1,       // terminal | partial | total: what a deadline's `||` emits
  inject_terminal = 2,  // asio::cancellation_type::terminal only
  inject_partial = 4,   // partial only
  inject_total = 8,     // total only
};

// Bits of options::cancel_targets: what cancellation injection may cancel.
enum cancel_target_bits : unsigned {
  // The operation awaited under simloop::timeout / with_deadline: its
  // deadline fires early.
  cancel_timeouts = 1,
  // A task co_spawned with a completion handler bound to a cancellation slot
  // (simloop::task_group children; asio::bind_cancellation_slot(sig.slot(),
  // ...) of the user's): the slot's signal is emitted, as its owner would.
  cancel_tasks = 2,
};

// One run is fully determined by these fields: nothing else (no earlier run,
// no wall clock) changes what a run does.
struct options {
  // Seed of the run's one PRNG. SIMLOOP_SEED replays one seed in explore().
  std::uint64_t seed = 0;
  // Default random. SIMLOOP_STRATEGY overrides it in explore().
  simloop::strategy strategy = strategy::random;
  // Bug depth d for pct: d - 1 priority change points. Must be >= 1.
  int pct_depth = 3;
  // Virtual time after which the run ends with a time_limit finding.
  std::chrono::nanoseconds time_limit = std::chrono::hours(24);
  // Steps after which the run ends with a step_limit finding (livelock guard).
  std::uint64_t step_limit = 10'000'000;

  // Estimated number of steps of a run, k in PCT's 1/(n * k^(d-1)) bound:
  // change points are drawn uniformly in [1, pct_steps]. A fixed option, never
  // learned from earlier runs, so that every seed replays on its own.
  // Default 50: on unit-test-sized bodies (6-45 steps) it finds bugs 2-4x
  // more often than 200 and still reaches every step of a 50-step run
  // (docs/exploration.md has the measurements). Raise it to about
  // report::steps for long scenarios: past step pct_steps no priority changes,
  // and PCT without change points never preempts a task.
  std::uint64_t pct_steps = 50;
  // strategy::replay: the decisions to replay (report::choices of a run). A
  // decision beyond the end of the list takes the default pick, 0.
  std::vector<std::uint32_t> choices = {};
  // When non-empty, every decision of a random or pct run is read from these
  // bytes instead of the seeded PRNG (libFuzzer's input); once they are used
  // up every decision is 0, the default pick. Not owned: must outlive run().
  std::span<const std::uint8_t> choice_bytes = {};
  // Keep the per-step trace in the report (report::trace). The trace hash is
  // computed either way.
  bool record_trace = true;
  // Track happens-before (vector clocks over task lanes, one call per step)
  // and report races on simloop::tracked<T> (finding_kind::race). Default on;
  // off, a step costs nothing extra and tracked<T> is a plain value. No
  // environment variable.
  bool detect_races = true;

  // Delay injection (time fault): at about one in delay_one_in of the steps
  // where timers are armed, virtual time jumps to the next timer deadline
  // although steps are ready, firing the due timers into the ready set, as a
  // slow step or a descheduled thread would. Reaches bugs where a timer fires
  // "before" already-runnable work (a timeout beating an initialisation).
  // No jump while a wait that virtual time made ready has yet to run (waits
  // due at different deadlines never swap places, as in a real event loop).
  // The gap to the next jump is one recorded decision (replayed), drawn in
  // 1..2*delay_one_in-1 such steps; never injects under fifo (and replay
  // past the end of its list takes the default: none). 0 or 1: off.
  // Default 200: rare enough that a run of a few hundred steps is mostly
  // on time, frequent enough that an exploration of a thousand seeds jumps
  // ahead at most points. A test that asserts exact virtual times under
  // random or pct sets it to 0.
  std::uint32_t delay_one_in = 200;
  // The longest slow step delay injection models: it jumps only to a
  // deadline at most this far ahead. Default 100ms (what step_cpu_budget
  // and asyncio's slow_callback_duration call a slow step), so a test that
  // sleeps a second to let its tasks finish is not second-guessed, while a
  // 1ms timer racing runnable work is. Must not be negative.
  std::chrono::nanoseconds max_delay = std::chrono::milliseconds(100);

  // Cancellation injection (docs/cancellation.md): each time an operation
  // awaited under simloop::timeout / with_deadline suspends (an "injectable
  // point": the operation has started, has not completed, and its deadline
  // has not fired), with probability 1/cancel_one_in the deadline fires right
  // there: the `||` cancels the operation as a real deadline would (it
  // completes with operation_aborted, the caller sees timed_out). A recorded
  // decision (replayed; choice 0 = no injection), never drawn under fifo.
  // 0: off, nothing is watched and no decision is drawn. 1 is rejected (use
  // cancel_at_point). Default 0 (off).
  std::uint32_t cancel_one_in = 0;
  // Which cancellation types an injection may carry: a bit set of
  // cancel_type_bits; with more than one, the type is a recorded decision
  // too (choice 0 = the first allowed bit). Default inject_all, what a real
  // deadline emits. Types without terminal are filtered out by a coroutine's
  // default cancellation filter (asio::enable_terminal_cancellation): use
  // them to test operations that widen their filter. An operation may ignore
  // such a type: if it then succeeds, the timeout returns its result as if
  // the deadline had not fired, and cancellation_ignored does not watch it.
  unsigned cancel_types = inject_all;
  // What injection may cancel: a bit set of cancel_target_bits. Default both.
  // cancel_tasks: each time a task spawned with a bound cancellation slot
  // suspends (after its first step; spawns of library code on the user's
  // behalf, the operands of || and &&, gather's children and timeout's own
  // race, are not targets: their owners cancel them as a whole), an
  // injection emits the chosen type on the slot's signal in a step of that
  // task, as the signal's owner (a task group whose sibling failed, a
  // shutdown) would. Only spawns through simloop's co_spawn overloads (onto
  // any_io_executor, simloop::executor or the simulation) and
  // simloop::spawn are seen. A task cancelled this way (with terminal among
  // the type's bits) is watched by cancellation_ignored until it ends.
  unsigned cancel_targets = cancel_timeouts | cancel_tasks;
  // Non-zero: inject exactly at the cancel_at_point-th injectable point of the
  // run (counted from 1) and nowhere else; cancel_one_in is then ignored.
  // explore_options::cancel_each_point sets it per run; SIMLOOP_CANCEL_AT
  // replays such a run. Default 0 (none).
  std::uint64_t cancel_at_point = 0;
  // Count the injectable points of the run in report::cancel_points without
  // injecting (they are counted whenever injection is on, too). Draws no
  // decision: the schedule is that of a run without it. Default false.
  bool count_cancel_points = false;

  // Timer jitter (time fault): each wait armed on a simloop::timer (sleeps,
  // timeout deadlines; not the simulated network's own timers) for a future
  // deadline fires at a strategy-chosen instant in [deadline, deadline +
  // timer_jitter], in steps of timer_jitter / 1000, as a loaded machine's
  // timers fire late. A recorded decision per wait (replayed; choice 0 = on
  // time), never drawn under fifo. timer::expiry() still reports the
  // deadline asked for. Must not be negative. Default 0 (off).
  std::chrono::nanoseconds timer_jitter = std::chrono::nanoseconds(0);

  // ---- detectors: each is on by default and costs nothing when off ----
  // deadlock: the body cannot finish, nothing is ready and no timer is
  // armed. Off: such a run ends without a finding. Default true.
  bool detect_deadlock = true;
  // leaked_task: tasks (and timer waits of no live task) still pending when
  // the body has finished and nothing is ready. Default true.
  bool detect_leaked_tasks = true;
  // never_awaited: an asio::awaitable coroutine created and destroyed during
  // a step without ever being awaited or spawned. Default true. Compile
  // your tests with -Werror=unused-result as well: asio::awaitable is
  // [[nodiscard]], so a call whose awaitable is discarded outright
  // (`fetch();` for `co_await fetch();`) is then a compile error.
  bool detect_never_awaited = true;
  // dangling_reference: a coroutine made during a step with a reference
  // parameter into that step's stack (a capturing lambda coroutine called
  // on its temporary closure, a member coroutine of a temporary object, a
  // `const T&` bound to a temporary or to a plain function's local) is
  // still alive when the step ends: Asio runs it, or runs it again, after
  // the object is gone. The run stops there, before that undefined
  // behaviour. Default true.
  bool detect_dangling_references = true;
  // exception: a task ended with an exception nobody could observe: it was
  // spawned with asio::detached, or its completion handler is stateless (a
  // captureless lambda, a function pointer) and neither rethrew the
  // exception_ptr nor kept a copy of it. Handlers with captures are never
  // reported. Default true.
  bool detect_unobserved_exceptions = true;
  // blocking_call: a blocking libc call (sleep, poll/select with a timeout,
  // blocking connect/accept/recv/read, getaddrinfo, ...) made inside a
  // simulated step; the run stops after the first. Default true.
  bool detect_blocking_calls = true;
  // blocking_call (timing-based): a step that used more CPU time than this.
  // Zero turns the measurement off. Default 100ms, like asyncio's
  // slow_callback_duration.
  std::chrono::nanoseconds step_cpu_budget = std::chrono::milliseconds(100);
  // cancellation_ignored: an operation cancelled by simloop::timeout (or
  // with_deadline) that neither completed nor acknowledged the cancellation
  // before the world next went idle (nothing ready), or, when
  // cancellation_grace is non-zero, within that much virtual time after the
  // request. The run stops. Default true.
  bool detect_cancellation_ignored = true;
  // The virtual time a cancelled operation has to complete. 0 (the default):
  // until the world next goes idle. Non-zero: a cancellation still
  // unanswered when virtual time would pass request + grace is reported
  // (at t = request + grace); an operation that completes exactly then is
  // in time. Must not be negative.
  std::chrono::nanoseconds cancellation_grace = std::chrono::nanoseconds(0);
  // Findings name each task's spawn site. asio::co_spawn onto
  // any_io_executor, the simulation's executor or the simulation itself, and
  // simloop::spawn onto any executor, pass their caller's file:line for
  // free (a defaulted parameter, see detail/co_spawn_site.hpp). For spawns
  // through other co_spawn overloads, this captures return addresses inside
  // co_spawn (a few microseconds), symbolised only when a finding prints.
  // Default true.
  bool capture_spawn_sites = true;
};

// Throws std::invalid_argument naming the first invalid field.
void validate(const options&);

}  // namespace simloop
