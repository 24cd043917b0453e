// simloop/finding.hpp: what a run found, and the report that carries it.
#pragma once

#include <simloop/options.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace simloop {

enum class finding_kind {
  assertion,             // SIMLOOP_ASSERT failed
  exception,             // an exception escaped the body, a handler or a task
  deadlock,              // the body cannot finish: nothing ready, no timer
  leaked_task,           // a task still alive after the body finished
  never_awaited,         // an awaitable created and destroyed unawaited
  blocking_call,         // a blocking call made inside a simulated step
  race,                  // predicted atomicity violation on tracked<T>
  cancellation_ignored,  // cancelled operation that did not complete
  time_limit,            // virtual time ran past options::time_limit
  step_limit,            // more steps than options::step_limit
  nondeterminism,        // SIMLOOP_CHECK_DETERMINISM: one seed ran differently twice
  dangling_reference,    // a coroutine kept a reference into a finished step's stack
};

std::string_view to_string(finding_kind) noexcept;

struct finding {
  finding_kind kind;
  // Complete, labelled text: kind, virtual time, step, tasks with their spawn
  // and wait sites, and the replay line.
  std::string message;
  // Where the run was when the finding was recorded.
  std::uint64_t step = 0;
  std::chrono::nanoseconds time{0};
};

// One step of a run as the trace keeps it: 8 bytes, so that recording can
// stay on. Virtual time is kept apart, one entry per clock advance.
struct trace_step {
  std::uint32_t lane;    // task lane that ran (0 = not inside any task)
  std::uint32_t choice;  // index picked among the ready steps
};
struct trace_time {
  std::uint64_t step;       // the first step that ran at this time
  std::chrono::nanoseconds time;
};

// One injected cancellation (options::cancel_one_in / cancel_at_point).
struct trace_cancel {
  std::uint64_t step;    // the step at whose end it was injected
  std::uint64_t point;   // which injectable point of the run (from 1)
  std::uint32_t lane;    // the task awaiting the cancelled operation
  std::uint32_t type;    // the asio::cancellation_type bits emitted
};

// A task of a run (report::tasks[lane - 1]), for trace export.
struct trace_task {
  std::uint32_t parent;     // lane that spawned it (0: outside every task)
  std::uint64_t spawn_step; // step during which it was spawned
  bool body = false;        // the test body (simulation::run's own task)
};

struct report {
  std::vector<finding> findings;
  std::uint64_t seed = 0;
  std::uint64_t steps = 0;
  std::chrono::nanoseconds virtual_elapsed{0};
  std::uint64_t trace_hash = 0;

  simloop::strategy strategy = strategy::random;
  // Every decision the run took (schedule picks and data choices) in order;
  // options{.strategy = strategy::replay, .choices = choices} replays it.
  // Empty under strategy::fifo: each of its decisions is the default pick 0,
  // which replay takes past the end of its list, so an empty list replays it.
  std::vector<std::uint32_t> choices;
  std::vector<trace_step> trace;        // when options::record_trace
  std::vector<trace_time> time_changes; // when options::record_trace
  // When options::record_trace: for each step, the step that submitted it
  // (0: submitted before the first step), and every task of the run.
  std::vector<std::uint64_t> trace_parents;
  std::vector<trace_task> tasks;
  // Every injected cancellation, in order (kept whether or not
  // options::record_trace; each is in trace_hash too).
  std::vector<trace_cancel> cancellations;
  // Injectable points the run passed (counted when cancellation injection
  // or options::count_cancel_points is on; 0 otherwise).
  std::uint64_t cancel_points = 0;
  // options::cancel_at_point of the run: part of its replay command.
  std::uint64_t cancel_at_point = 0;
  // explore(): how many runs were made, including this one.
  std::uint64_t runs = 1;
  // explore(): where this run came from when it was not a fresh seed, e.g.
  // "regression entry tests/x.simloop-regressions:3".
  std::string note;

  bool ok() const { return findings.empty(); }
  bool has(finding_kind k) const;
  // "SIMLOOP_SEED=0x2a SIMLOOP_STRATEGY=pct ./binary --gtest_filter=S.N",
  // with SIMLOOP_CANCEL_AT=i when cancel_at_point is set.
  std::string replay_command() const;
  // Every finding's message, separated by blank lines.
  std::string describe() const;
};

// The program and test names that replay lines print. simloop reads the
// program name from the process; the gtest glue sets the filter.
void set_replay_target(std::string program, std::string gtest_filter);
std::string replay_command(std::uint64_t seed, simloop::strategy, std::uint64_t cancel_at_point = 0);

}  // namespace simloop
