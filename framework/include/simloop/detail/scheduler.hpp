// simloop/detail/scheduler.hpp: the engine of one simulation.
#pragma once

#include <simloop/detail/choice_source.hpp>
#include <simloop/detail/op_pool.hpp>
#include <simloop/detail/operation.hpp>
#include <simloop/detail/ready_set.hpp>
#include <simloop/detail/run_record.hpp>
#include <simloop/detail/stack_reference.hpp>
#include <simloop/detail/step_budget.hpp>
#include <simloop/detail/task_registry.hpp>
#include <simloop/detail/timer_lookahead.hpp>
#include <simloop/detail/timer_queue.hpp>
#include <simloop/finding.hpp>
#include <simloop/options.hpp>

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <exception>
#include <memory>
#include <new>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace simloop {
class simulation;
}

namespace simloop::detail {

class scheduler;
class happens_before_state;
class waiter_owner;

// The scheduler whose run() is on this thread's stack, if any.
scheduler* current_scheduler() noexcept;

// Makes a scheduler the thread's current one for a scope. run() is one such
// scope; the simulation's teardown is another: destructors of the frames it
// destroys may read simloop::clock, which must not throw there.
class current_scope {
 public:
  explicit current_scope(scheduler& s) noexcept;
  ~current_scope();
  current_scope(const current_scope&) = delete;
  current_scope& operator=(const current_scope&) = delete;

 private:
  scheduler* previous_;
};

// A posted function object.
template <class F>
struct executor_op final : operation {
  template <class G>
  executor_op(G&& g) : operation(&do_complete), f_(std::forward<G>(g)) {}

  static void do_complete(operation* base, bool invoke) {
    auto* self = static_cast<executor_op*>(base);
    op_pool* pool = self->pool_;
    F f(std::move(self->f_));
    self->~executor_op();
    pool->deallocate(self, sizeof(executor_op));
    if (invoke) std::move(f)();
  }

  F f_;
};

// Thrown through user code when a run must end now (SIMLOOP_ASSERT failed,
// limits reached): the finding is recorded before it is thrown. Not derived
// from std::exception, so `catch (const std::exception&)` lets it pass.
struct run_aborted {};
bool is_run_aborted(std::exception_ptr) noexcept;

class scheduler {
 public:
  scheduler(simulation& owner, const options& opts);
  scheduler(const scheduler&) = delete;
  scheduler& operator=(const scheduler&) = delete;
  ~scheduler();

  simulation& owner() const noexcept { return owner_; }
  const options& opts() const noexcept { return options_; }

  // ---- the hot path -------------------------------------------------------

  // Run f now if inline execution is allowed and a step of this scheduler is
  // running (dispatch), else queue it (post).
  template <class F>
  void execute(F&& f, bool may_block, std::uint32_t lane) {
    using func = std::decay_t<F>;
    if (lane_crashed(lane)) [[unlikely]] {
      // Work for a task whose host crashed: destroyed, never run. Destroying
      // it may unwind the task's coroutines through this executor (more of
      // the same, destroyed the same way).
      [[maybe_unused]] func dropped(std::forward<F>(f));
      return;
    }
    if (may_block && in_step_) {
      func tmp(std::forward<F>(f));
      if (lane == 0 || lane == current_lane_) {
        std::move(tmp)();
        return;
      }
      // Inline into another task (co_spawn's first dispatch, a completion
      // dispatched to its awaiter): that code belongs to `lane` until it
      // returns, for the task attribution of accesses and lane-0 posts.
      inline_lane switched(*this, lane);
      std::move(tmp)();
      return;
    }
    using op_type = executor_op<func>;
    void* mem = pool_.allocate(sizeof(op_type));
    operation* op;
    try {
      op = ::new (mem) op_type(std::forward<F>(f));
    } catch (...) {
      pool_.deallocate(mem, sizeof(op_type));
      throw;
    }
    enqueue(op, lane);
  }

  // Queue an op; lane 0 means "the task whose step is submitting it".
  void enqueue(operation* op, std::uint32_t lane) {
    op->pool_ = &pool_;
    op->lane_ = lane ? lane : current_lane_;
    op->parent_step_ = step_;
    ready_.push_back(op);
  }

  bool in_step() const noexcept { return in_step_; }
  std::uint32_t current_lane() const noexcept { return current_lane_; }
  std::uint64_t step() const noexcept { return step_; }
  op_pool& pool() noexcept { return pool_; }

  // ---- virtual time -------------------------------------------------------

  std::chrono::nanoseconds now() const noexcept { return now_; }

  // ---- per-host clocks (the simulated network's clock skew) -------------

  // A host's clock reads offset + t + t * drift_ppm / 1e6 at simulation
  // time t (drift_ppm > -1'000'000).
  struct host_clock {
    std::chrono::nanoseconds offset{0};
    std::int32_t drift_ppm = 0;
  };
  void set_host_clock(std::uint32_t host, host_clock c);
  host_clock clock_of(std::uint32_t host) const noexcept {
    return host < host_clocks_.size() ? host_clocks_[host] : host_clock{};
  }
  // The time as the clock of the task on `lane` (its host's clock; lane 0
  // and tasks of no host: the simulation's) reads it now.
  std::chrono::nanoseconds local_now(std::uint32_t lane) const noexcept {
    if (host_clocks_.empty()) [[likely]]
      return now_;
    return local_now_slow(lane);
  }
  std::chrono::nanoseconds local_now() const noexcept { return local_now(current_lane_); }

  // Arm a wait at op->deadline, a time on the clock of the task arming it
  // (converted to simulation time when its host's clock is skewed); a
  // deadline not in the future completes at once (through the ready set,
  // never inline).
  void arm(wait_op* op, timer_state& owner, std::uint32_t lane);
  // A wait made ready by virtual time (wait_op::fired) ran or was
  // destroyed: its completion calls this.
  void fired_wait_done() noexcept { --fired_ready_; }
  // Completes one pending wait with operation_aborted.
  void cancel_wait(wait_op* op);
  std::size_t cancel_all(timer_state& t, std::size_t max);
  // A timer object goes away: its pending waits complete with
  // operation_aborted, as in Asio.
  void forget(timer_state& t) noexcept;

  // The kind of wait (by completion function) whose chain a hook follows
  // ahead of time (detail/timer_lookahead.hpp); one kind, the network's.
  void set_timer_lookahead(operation::complete_fn kind, timer_lookahead::hook h) noexcept {
    lookahead_.set_hook(kind, h);
  }
  const timer_lookahead& lookahead() const noexcept { return lookahead_; }

  // ---- decisions ----------------------------------------------------------

  // A recorded data choice in [0, n): latency, fault, jitter. Under fifo it is
  // always 0 (the default), under replay it comes from the list.
  std::uint64_t decide(std::uint64_t n);

  // ---- tasks --------------------------------------------------------------

  std::uint32_t on_task_start(void* frame);
  void on_task_end(std::uint32_t lane) noexcept;
  void set_task_host(std::uint32_t lane, std::uint32_t host) noexcept { tasks_.set_host(lane, host); }
  // A host crashed (net::network::crash): its tasks still alive once
  // everything the crash could reach is destroyed never run again.
  void mark_host_crashed(std::uint32_t host) noexcept {
    if (tasks_.mark_crashed(host)) has_crashed_tasks_ = true;
  }
  // Work for this lane is destroyed, never run (execute, and the step loop
  // for ops queued directly). One flag test while no host has crashed;
  // lane 0 (no task) never is.
  bool lane_crashed(std::uint32_t lane) const noexcept { return has_crashed_tasks_ && tasks_[lane].crashed; }

  // Destroys, without running them, every queued op and pending timer wait
  // for which pred(ctx, op) is true; the order of the rest is kept. Returns
  // how many were destroyed (simulated host crash).
  std::size_t destroy_if(bool (*pred)(void* ctx, const operation* op), void* ctx);
  // Teardown also destroys operations parked in I/O objects (the simulated
  // network's pending reads, accepts, ...): hook(ctx) destroys them and
  // returns how many it destroyed. One hook; null to remove.
  void set_teardown_hook(std::size_t (*hook)(void* ctx), void* ctx) noexcept {
    teardown_hook_ = hook;
    teardown_ctx_ = ctx;
  }
  // Primitives with queued waiters (detail/waiter.hpp): noted on their first
  // wait in this simulation, forgotten when destroyed; the teardown destroys
  // the waiters still queued (src/waiters.cpp).
  void note_parked(waiter_owner& o) noexcept;
  void forget_parked(waiter_owner& o) noexcept;
  // Destroys, unrun, every waiter queued in a noted primitive whose task's
  // lane satisfies pred(ctx, lane) (simulated host crash); how many.
  std::size_t discard_parked_if(bool (*pred)(void* ctx, std::uint32_t lane), void* ctx) noexcept;
  const task_registry& tasks() const noexcept { return tasks_; }
  std::uint32_t body_lane() const noexcept { return body_lane_; }
  const timer_queue& timers() const noexcept { return timers_; }
  std::size_t ready_count() const noexcept { return ready_.size(); }
  // The body ended with an exception (its finding is the one that matters).
  bool body_failed() const noexcept { return body_failed_; }

  // ---- happens-before (null when options::detect_races is off) ----------

  happens_before_state* happens_before() noexcept { return hb_.get(); }
  // Race detection starts at the first access to a tracked<T> in a step
  // (record_access): until then no clock is kept. That loses nothing: a
  // happens-before path between two accesses runs forward in time from the
  // first of them, so no edge made before the first access can order two
  // accesses. A run without tracked<T> pays nothing for race detection.
  // Null when detect_races is off or outside a step.
  happens_before_state* start_happens_before();

  // ---- cancellation_ignored (src/cancellation_watch.cpp) -----------------

  // A cancellation emitted on a pending operation (simloop::timeout's loser):
  // cleared by cancel_done(key) when the operation completes. Still listed
  // when nothing is ready: a cancellation_ignored finding.
  struct cancel_request {
    const void* key;
    std::uint32_t lane;         // the task awaiting the cancelled operation
    std::uint32_t caller_lane;  // the task that called timeout()
    std::uint64_t step;
    std::chrono::nanoseconds time;
    const char* by;      // "timeout(1.000s)"-style origin, static text
    std::chrono::nanoseconds after;  // the timeout's duration
    std::uint64_t injected_point = 0;  // non-zero: cancellation injection fired the deadline
    std::uint32_t injected_type = 0;   // asio::cancellation_type bits it emitted
    // Not an operation under a deadline but a task cancelled through its
    // slot (injection into tasks, its task_group): answered when it ends.
    bool task = false;
  };
  void cancel_requested(const cancel_request& r) { cancels_.push_back(r); }
  // A task was cancelled through its slot (by injection, `by` "injection",
  // with its point and type; by a simloop::task_group, terminal): until it
  // ends, cancellation_ignored watches it (detectors/cancellation_watch.cpp).
  void watch_task_cancellation(std::uint32_t lane, const char* by, std::uint64_t point, std::uint32_t type);
  void cancel_done(const void* key) noexcept {
    for (std::size_t i = 0; i < cancels_.size(); ++i)
      if (cancels_[i].key == key) {
        cancels_.erase(cancels_.begin() + static_cast<std::ptrdiff_t>(i));
        return;
      }
  }
  const std::vector<cancel_request>& cancel_requests() const noexcept { return cancels_; }

  // ---- cancellation injection (src/cancel_injection.cpp) ----------------

  // One simloop::timeout / with_deadline whose operation may be cancelled by
  // injection. Registered (by the timeout, on its stack) only while
  // injecting() and unregistered before it goes away.
  struct cancel_point {
    // The task awaiting the operation; 0 until the operation's coroutine
    // first ran. A co_spawned coroutine cancelled before that terminates the
    // process (ASIO-FACTS), so nothing is injected before.
    std::uint32_t op_lane = 0;
    // The operation completed or the deadline fired: no more points.
    bool settled = false;
    // The deadline timer's pending wait is what an injection fires.
    timer_state* deadline = nullptr;
    // Set when injected: the asio::cancellation_type bits the `||` emits
    // instead of `all`, and which point of the run it was.
    std::uint32_t injected_type = 0;
    std::uint64_t injected_point = 0;
  };
  // Whether timeouts must register: injection (cancel_one_in,
  // cancel_at_point) or point counting is on, and options::cancel_targets
  // has cancel_timeouts. Fixed for the run.
  bool injecting() const noexcept { return inject_ && (options_.cancel_targets & cancel_timeouts) != 0; }
  // Whether spawned tasks with a bound cancellation slot are targets
  // (cancel_tasks).
  bool injecting_into_tasks() const noexcept { return inject_ && (options_.cancel_targets & cancel_tasks) != 0; }
  // The co_spawn being initiated on this thread binds its handler to the
  // cancellation signal `signal` (an asio::cancellation_signal): the task it
  // starts next (on_task_start) becomes a target. Null clears it.
  void expect_task_signal(void* signal) noexcept { expected_signal_ = signal; }
  void add_cancel_point(cancel_point* p) { cancel_points_.push_back(p); }
  void remove_cancel_point(cancel_point* p) noexcept {
    for (std::size_t i = 0; i < cancel_points_.size(); ++i)
      if (cancel_points_[i] == p) {
        cancel_points_.erase(cancel_points_.begin() + static_cast<std::ptrdiff_t>(i));
        return;
      }
  }

  // ---- dangling references (detail/stack_reference.hpp) --------------------

  void add_stack_reference(const stack_reference& r) { stack_refs_.push_back(r); }
  void drop_stack_reference(const frame_info* frame) noexcept {
    for (std::size_t i = stack_refs_.size(); i-- > 0;)
      if (stack_refs_[i].frame == frame) stack_refs_.erase(stack_refs_.begin() + static_cast<std::ptrdiff_t>(i));
  }
  // The frames made during the step that just ended and still alive with a
  // reference into its stack, a record per such parameter; the scheduler
  // keeps none of them (the frames outlive the step, their records must not).
  std::vector<stack_reference> take_stack_references() noexcept { return std::exchange(stack_refs_, {}); }

  // ---- findings -----------------------------------------------------------

  // Records a finding. headline: one line without the "simloop: " prefix and
  // the position; body: labelled lines, each ending in '\n'. The position
  // (seed, step, virtual time) and the replay line are added here.
  void add_finding(finding_kind kind, std::string_view headline, std::string_view body = {});
  // Appends labelled lines to the last finding, before its replay line.
  void amend_last_finding(std::string_view lines);
  std::size_t finding_count() const noexcept { return findings_.size(); }
  // Ends the run after the current step.
  void request_stop() noexcept { stop_ = true; }
  bool stopping() const noexcept { return stop_; }
  bool tearing_down() const noexcept { return tearing_down_; }
  std::string position() const;

  // ---- running ------------------------------------------------------------

  report run(boost::asio::awaitable<void> body);

  // Lifetime token for I/O objects that may outlive the simulation. Made on
  // first use: a run without timers allocates none.
  std::weak_ptr<scheduler*> alive_token() const {
    if (!alive_ && !destroyed_) alive_ = std::make_shared<scheduler*>(const_cast<scheduler*>(this));
    return alive_;
  }

 private:
  template <class Strategy>
  void loop(Strategy& strategy);
  struct inline_lane {
    inline_lane(scheduler& s, std::uint32_t lane) : s_(s), prev_(s.current_lane_) { s.enter_lane(lane); }
    ~inline_lane() { s_.leave_lane(prev_); }
    scheduler& s_;
    std::uint32_t prev_;
  };
  void enter_lane(std::uint32_t lane);
  void leave_lane(std::uint32_t prev) noexcept;
  bool advance_time();
  // At a step where delay injection may jump: whether it does now.
  bool delay_due() {
    if (delay_left_ == 0) draw_delay_gap();
    return --delay_left_ == 0 && delay_inject_;
  }
  void draw_delay_gap();
  // The step just measured used cpu_ns of CPU time over the budget (0: not over).
  void report_if_slow(std::int64_t cpu_ns);
  // options::timer_jitter resolution: a late timer fires k/jitter_steps of
  // the jitter after its deadline, k in [0, jitter_steps].
  static constexpr std::int64_t jitter_steps = 1000;
  // End of a step with injection on: every registered operation whose task
  // ran in the step (step_lane, or inline: touched_lanes_) and is still
  // pending has just suspended: an injectable point.
  void visit_cancel_points(std::uint32_t step_lane);
  void inject_cancel(cancel_point& p);
  // A task spawned with a bound cancellation slot (options::cancel_targets
  // cancel_tasks): an injection emits on `signal` while it still holds the
  // handler co_spawn installed (`handler`) and the task is alive.
  struct task_cancel_point {
    std::uint32_t lane;
    void* signal;   // asio::cancellation_signal*
    void* handler;  // the cancellation handler installed in it at the spawn
  };
  void register_task_point(std::uint32_t lane) noexcept;
  // One injectable point passed: counts it and decides whether to inject.
  bool should_inject_here();
  bool ran_in_step(std::uint32_t lane, std::uint32_t step_lane) const noexcept;
  void visit_task_points(std::uint32_t step_lane);
  void inject_into_task(const task_cancel_point& p);
  // The cancellation type of an injection: a recorded decision among
  // options::cancel_types.
  std::uint32_t pick_cancel_type();
  // cancellation_grace: the earliest request + grace still unanswered, or
  // max() when none.
  std::chrono::nanoseconds earliest_grace_end() const noexcept;
  void destroy_everything() noexcept;
  // Destroys every waiter still queued in a noted primitive; how many.
  std::size_t discard_parked_waiters() noexcept;
  waiter_owner* parked_ = nullptr;  // noted primitives, newest first

 public:
  // Destroys every queued op and pending wait (simulation teardown).
  void destroy_remaining() noexcept { destroy_everything(); }

 private:
  std::string pending_summary() const;
  // A step about to run: into the hash, the choices (the pick among n ready
  // steps; RecordChoice is false under fifo, whose every pick is 0, so
  // report::choices stays empty) and the trace with the step's causal parent.
  // In scheduler.cpp, next to how the records grow.
  template <bool RecordChoice>
  void record_step(std::uint32_t lane, std::uint32_t choice, std::size_t n, std::uint64_t parent);

  simulation& owner_;
  options options_;
  op_pool pool_;
  ready_set ready_;
  timer_queue timers_;
  timer_lookahead lookahead_;
  choice_source source_;
  task_registry tasks_;
  bool has_crashed_tasks_ = false;  // some task's host crashed under it (execute, loop)
  void (*new_lane_hook_)(void*, std::uint32_t) = nullptr;
  void* new_lane_ctx_ = nullptr;
  std::size_t (*teardown_hook_)(void*) = nullptr;
  void* teardown_ctx_ = nullptr;

  std::chrono::nanoseconds local_now_slow(std::uint32_t lane) const noexcept;
  // Simulation time at which the clock of `lane`'s host first reads `local`.
  std::chrono::nanoseconds to_simulation_time(std::chrono::nanoseconds local, std::uint32_t lane) const noexcept;
  std::vector<host_clock> host_clocks_;  // by host id; empty while no clock is skewed

  std::vector<stack_reference> stack_refs_;  // of the running step
  std::vector<cancel_request> cancels_;
  bool inject_ = false;
  std::vector<cancel_point*> cancel_points_;
  std::vector<task_cancel_point> task_points_;
  void* expected_signal_ = nullptr;
  bool injection_step_ = false;  // this step emits an injected cancellation
  std::vector<std::uint32_t> touched_lanes_;
  std::uint64_t points_passed_ = 0;
  std::vector<trace_cancel> cancellations_;
  std::chrono::nanoseconds now_{0};
  std::uint64_t step_ = 0;
  std::uint32_t current_lane_ = 0;
  bool in_step_ = false;
  bool stop_ = false;
  bool running_ = false;
  bool ran_ = false;
  bool tearing_down_ = false;
  bool body_done_ = false;
  // Waits made ready by virtual time that have not run yet (counted only
  // while delay injection is possible: count_fired_).
  std::size_t fired_ready_ = 0;
  bool count_fired_ = false;
  // Delay injection: eligible steps left in the current gap, and whether
  // the gap ends with an injection (delay_due).
  std::uint64_t delay_left_ = 0;
  bool delay_inject_ = false;
  bool spawning_body_ = false;
  std::uint32_t body_lane_ = 0;  // the body's task (1 unless tasks were spawned before run)
  bool body_failed_ = false;
  step_budget budget_;

  std::uint64_t hash_ = 0xcbf29ce484222325ULL;
  run_record<std::uint32_t> choices_;
  run_record<trace_step> trace_;
  std::vector<trace_time> time_changes_;
  run_record<std::uint64_t> trace_parents_;
  std::vector<finding> findings_;

  mutable std::shared_ptr<scheduler*> alive_;
  bool destroyed_ = false;  // in ~scheduler: tokens handed out now are expired
  // Vector clocks over lanes (src/races/): one call per step when on.
  struct hb_deleter {
    void operator()(happens_before_state*) const noexcept;
  };
  std::unique_ptr<happens_before_state, hb_deleter> hb_;
  // Lanes entered inline in the current step (outer, inner) while race
  // detection has not started: handed to the clocks when it starts.
  std::vector<std::pair<std::uint32_t, std::uint32_t>> inline_lanes_;
};

}  // namespace simloop::detail
