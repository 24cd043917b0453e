#include <simloop/detail/scheduler.hpp>
#include <simloop/detail/time_text.hpp>

#include <simloop/detail/fifo_strategy.hpp>
#include <simloop/detail/happens_before.hpp>
#include <simloop/detail/pct_strategy.hpp>
#include <simloop/detail/random_strategy.hpp>
#include <simloop/detail/replay_strategy.hpp>
#include <simloop/detail/task_report.hpp>
#include <simloop/simulation.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detail/thread_context.hpp>
#include <boost/asio/detail/thread_info_base.hpp>
#include <boost/asio/error.hpp>

#include <fmt/format.h>

#include <cstdlib>
#include <cxxabi.h>
#include <exception>
#include <stdexcept>
#include <type_traits>
#include <typeinfo>

namespace simloop::detail {

namespace {

thread_local scheduler* tl_current = nullptr;

// Asio recycles coroutine frames and handler memory through the
// thread_info_base on top of its thread call stack, and allocates afresh
// when there is none (outside io_context::run). A run puts one there, as
// io_context::run does: every sleep_for, use_awaitable operation and
// co_spawn then reuses memory instead of calling malloc. The cache is the
// thread's, not the run's: the next run on the thread starts with the
// frames the last one freed (addresses never reach a schedule).
struct frame_recycler : boost::asio::detail::thread_context {
  static boost::asio::detail::thread_info_base& thread_cache() {
    thread_local boost::asio::detail::thread_info_base cache;
    return cache;
  }
  thread_call_stack::context on_stack{this, thread_cache()};
};

choice_source make_source(const options& o) {
  if (o.strategy == strategy::replay) return choice_source::from_list(o.choices);
  if (!o.choice_bytes.empty()) return choice_source::from_bytes(o.choice_bytes.data(), o.choice_bytes.size());
  return choice_source::from_seed(o.seed);
}

// "+1.250s" style virtual time.

// "std::runtime_error", not "St13runtime_error": findings are read by people.
std::string type_name(const std::type_info* type) {
  if (!type) return "unknown type";
  int status = 0;
  char* readable = abi::__cxa_demangle(type->name(), nullptr, nullptr, &status);
  std::string out = status == 0 && readable ? readable : type->name();
  std::free(readable);
  return out;
}

std::string describe_exception(std::exception_ptr e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    return fmt::format("{}: {}", type_name(&typeid(ex)), ex.what());
  } catch (...) {
    return fmt::format("an exception of type {} (not derived from std::exception)",
                       type_name(abi::__cxa_current_exception_type()));
  }
}

}  // namespace

bool is_run_aborted(std::exception_ptr e) noexcept {
  try {
    std::rethrow_exception(e);
  } catch (const run_aborted&) {
    return true;
  } catch (...) {
    return false;
  }
}

scheduler* current_scheduler() noexcept { return tl_current; }

void note_fired_wait_done() noexcept {
  if (tl_current) tl_current->fired_wait_done();
}

std::string format_time(std::chrono::nanoseconds t) {
  auto ns = t.count();
  return fmt::format("+{}.{:03}s", ns / 1'000'000'000, (ns / 1'000'000) % 1000);
}


current_scope::current_scope(scheduler& s) noexcept : previous_(tl_current) { tl_current = &s; }
current_scope::~current_scope() { tl_current = previous_; }

scheduler::scheduler(simulation& owner, const options& opts)
    : owner_(owner),
      options_(opts),
      source_(make_source(opts)),
      budget_(opts.step_cpu_budget.count()) {
  validate(options_);
  inject_ = options_.cancel_at_point != 0 || options_.count_cancel_points ||
            (options_.cancel_one_in > 1 && options_.strategy != strategy::fifo);
  count_fired_ = options_.delay_one_in > 1 && options_.strategy != strategy::fifo;
  link_blocking_hooks();
}

happens_before_state* scheduler::start_happens_before() {
  if (hb_ || !options_.detect_races || !in_step_) return hb_.get();
  hb_.reset(new happens_before_state());
  // This step, from its own lane (under any lanes entered inline), with no
  // parent edge: its parent step ran before any access.
  hb_->on_step(step_, inline_lanes_.empty() ? current_lane_ : inline_lanes_.front().first, 0);
  for (auto [outer, inner] : inline_lanes_) hb_->inline_enter(outer, inner);
  inline_lanes_.clear();
  return hb_.get();
}

void scheduler::enter_lane(std::uint32_t lane) {
  if (hb_)
    hb_->inline_enter(current_lane_, lane);
  else if (options_.detect_races)
    inline_lanes_.emplace_back(current_lane_, lane);
  if (inject_) touched_lanes_.push_back(lane);
  current_lane_ = lane;
}

void scheduler::leave_lane(std::uint32_t prev) noexcept {
  // The inline code ran before the rest of the step: its lane's knowledge
  // flows back to the lane that resumes.
  if (hb_) {
    try {
      hb_->inline_leave(step_);
    } catch (...) {
    }
  } else if (!inline_lanes_.empty()) {
    inline_lanes_.pop_back();
  }
  current_lane_ = prev;
}

void scheduler::hb_deleter::operator()(happens_before_state* p) const noexcept { delete p; }

scheduler::~scheduler() {
  destroyed_ = true;
  alive_.reset();
  destroy_everything();
  // Primitives that outlive the simulation forget it.
  while (parked_) forget_parked(*parked_);
}

void scheduler::set_host_clock(std::uint32_t host, host_clock c) {
  if (c.drift_ppm <= -1'000'000) throw std::invalid_argument("simloop: a host clock's drift must be > -1,000,000 ppm");
  if (host_clocks_.size() <= host) host_clocks_.resize(host + 1);
  host_clocks_[host] = c;
}

std::chrono::nanoseconds scheduler::local_now_slow(std::uint32_t lane) const noexcept {
  std::uint32_t host = lane != 0 && lane <= tasks_.size() ? tasks_[lane].host : 0;
  host_clock c = clock_of(host);
  __int128 t = now_.count();
  return std::chrono::nanoseconds(static_cast<std::int64_t>(c.offset.count() + t + t * c.drift_ppm / 1'000'000));
}

std::chrono::nanoseconds scheduler::to_simulation_time(std::chrono::nanoseconds local, std::uint32_t lane) const noexcept {
  std::uint32_t host = lane != 0 && lane <= tasks_.size() ? tasks_[lane].host : 0;
  host_clock c = clock_of(host);
  if (c.offset.count() == 0 && c.drift_ppm == 0) return local;
  // The least t with offset + t + t * drift / 1e6 >= local.
  __int128 num = (static_cast<__int128>(local.count()) - c.offset.count()) * 1'000'000;
  __int128 den = 1'000'000 + c.drift_ppm;
  __int128 t = num / den;
  if (t * den < num) ++t;
  while (c.offset.count() + t + t * c.drift_ppm / 1'000'000 < local.count()) ++t;
  return std::chrono::nanoseconds(static_cast<std::int64_t>(t));
}

void scheduler::arm(wait_op* op, timer_state& owner, std::uint32_t lane) {
  // The deadline was read on the arming task's clock; the network's own
  // waits (delivery, faults) are in simulation time.
  if (!host_clocks_.empty() && !op->internal) [[unlikely]]
    op->deadline = to_simulation_time(op->deadline, current_lane_);
  op->lane_ = lane ? lane : current_lane_;
  op->armed_lane = current_lane_;
  op->parent_step_ = step_;
  if (op->deadline <= now_) {
    // Asio posts the completion of a wait whose expiry has passed. It is
    // due now: delay injection waits for it as for any fired wait (a
    // sleep_for(0) resumes at the time it was called).
    op->aborted = false;
    op->owner = nullptr;
    if (count_fired_) {
      op->fired = true;
      ++fired_ready_;
    }
    ready_.push_back(op);
    return;
  }
  // Timer jitter (options::timer_jitter): late by a chosen 0..1000
  // thousandths of the jitter; choice 0 is on time.
  if (options_.timer_jitter.count() > 0 && !op->internal && options_.strategy != strategy::fifo) [[unlikely]]
    op->deadline += options_.timer_jitter * static_cast<std::int64_t>(decide(jitter_steps + 1)) / jitter_steps;
  owner.link(op);
  timers_.push(op);
}

void scheduler::cancel_wait(wait_op* op) {
  if (!op->owner) return;
  op->owner->unlink(op);
  timers_.remove(op);
  op->aborted = true;
  op->parent_step_ = step_;
  ready_.push_back(op);
}

std::size_t scheduler::cancel_all(timer_state& t, std::size_t max) {
  std::size_t n = 0;
  // Oldest waits first, as Asio's cancel_one does: the list is newest-first.
  while (t.head && n < max) {
    wait_op* oldest = t.head;
    while (oldest->next) oldest = oldest->next;
    cancel_wait(oldest);
    ++n;
  }
  return n;
}

void scheduler::forget(timer_state& t) noexcept {
  while (t.head) {
    wait_op* op = t.head;
    t.unlink(op);
    timers_.remove(op);
    op->aborted = true;
    if (tearing_down_) {
      op->destroy();
    } else {
      op->parent_step_ = step_;
      ready_.push_back(op);
    }
  }
}

void scheduler::draw_delay_gap() {
  // The gap to the next injection is one recorded decision, not one per
  // step: g in 1..2n-1 injects at the g-th eligible step from here (about
  // one in n on average); 0, the default pick (fifo, replay past the end),
  // lets 2n eligible steps pass without one and draws again.
  const std::uint64_t n = options_.delay_one_in;
  const std::uint64_t g = decide(2 * n);
  delay_inject_ = g != 0;
  delay_left_ = g != 0 ? g : 2 * n;
}

std::uint64_t scheduler::decide(std::uint64_t n) {
  if (n <= 1) return 0;
  std::uint64_t v = 0;
  if (options_.strategy != strategy::fifo) {
    v = source_.choose(n);
    choices_.push_back(static_cast<std::uint32_t>(v), budget_);
  }
  hash_ = (hash_ ^ (v + 0x51ed27ULL)) * 0x100000001b3ULL;
  return v;
}

std::uint32_t scheduler::on_task_start(void* frame) {
  std::uint32_t lane = tasks_.spawn(frame, current_lane_, step_);
  if (expected_signal_) [[unlikely]]
    register_task_point(lane);
  if (spawning_body_) {
    body_lane_ = lane;
    spawning_body_ = false;
  }
  if (new_lane_hook_) new_lane_hook_(new_lane_ctx_, lane);
  return lane;
}

void scheduler::on_task_end(std::uint32_t lane) noexcept {
  // A step that ends its task is measured now, while the finding can still
  // name the task; the rest of the step is measured on from here.
  if (in_step_ && budget_.enabled() && !tearing_down_) {
    try {
      report_if_slow(budget_.close());
    } catch (...) {
    }
    budget_.open();
  }
  tasks_.finish(lane, tearing_down_);
  // A task cancelled through its slot has answered by ending.
  if (!cancels_.empty())
    std::erase_if(cancels_, [lane](const cancel_request& r) { return r.task && r.lane == lane; });
}

std::size_t scheduler::destroy_if(bool (*pred)(void*, const operation*), void* ctx) {
  std::vector<operation*> doomed;
  for (std::size_t i = 0, n = ready_.size(); i < n; ++i) {
    operation* op = ready_.pop_front();
    if (pred(ctx, op)) doomed.push_back(op);
    else ready_.push_back(op);
  }
  std::vector<wait_op*> waits;
  timers_.for_each([&](wait_op* op) {
    if (pred(ctx, op)) waits.push_back(op);
  });
  for (wait_op* op : waits) {
    timers_.remove(op);
    if (op->owner) op->owner->unlink(op);
    doomed.push_back(op);
  }
  // Destroying a handler may post more work (Asio unwinds an awaitable
  // thread through its executor): the caller repeats until nothing matches.
  for (operation* op : doomed) op->destroy();
  return doomed.size();
}

std::string scheduler::position() const {
  return fmt::format("seed {:#x}, step {}, t={}", options_.seed, step_, format_time(now_));
}

void scheduler::add_finding(finding_kind kind, std::string_view headline, std::string_view body) {
  // A step still being measured ends before this finding's formatting.
  if (!in_step_ && budget_.enabled()) report_if_slow(budget_.close());
  std::string msg = fmt::format("simloop: {} ({})\n", headline, position());
  msg += body;
  if (options_.choice_bytes.empty())
    msg += fmt::format("  replay: {}\n", replay_command(options_.seed, options_.strategy, options_.cancel_at_point));
  else
    msg += "  replay: the input bytes are the schedule: run the fuzz target's _replay driver on the input file\n";
  findings_.push_back(finding{kind, std::move(msg), step_, now_});
  // Formatting (symbolising a backtrace) is simloop's time, not the step's.
  if (in_step_ && budget_.enabled()) budget_.restart();
}

void scheduler::amend_last_finding(std::string_view lines) {
  if (findings_.empty()) return;
  std::string& msg = findings_.back().message;
  std::size_t at = msg.rfind("  replay: ");
  msg.insert(at == std::string::npos ? msg.size() : at, lines);
}

std::string scheduler::pending_summary() const {
  std::string out;
  std::size_t alive = tasks_.alive();
  out += fmt::format("  pending:    {} ready step(s), {} timer wait(s), {} live task(s)\n", ready_.size(),
                     timers_.size(), alive);
  if (!timers_.empty())
    out += fmt::format("  next timer: t={}\n", format_time(timers_.earliest()));
  return out;
}

bool scheduler::advance_time() {
  std::chrono::nanoseconds next = timers_.earliest();
  // cancellation_grace: time must not pass a cancelled operation's grace
  // unnoticed. The finding is at the grace's end, when it became true.
  if (!cancels_.empty() && options_.cancellation_grace.count() > 0 && options_.detect_cancellation_ignored) {
    std::chrono::nanoseconds end = earliest_grace_end();
    if (end < next) {
      now_ = end;
      hash_ = (hash_ ^ static_cast<std::uint64_t>(now_.count())) * 0x100000001b3ULL;
      report_ignored_cancellations(*this);
      return false;
    }
  }
  if (next > options_.time_limit) {
    add_finding(finding_kind::time_limit,
                fmt::format("time limit of {} reached before the body finished", format_time(options_.time_limit)),
                describe_blocked_tasks(*this) + pending_summary());
    return false;
  }
  now_ = next;
  hash_ = (hash_ ^ static_cast<std::uint64_t>(now_.count())) * 0x100000001b3ULL;
  if (options_.record_trace) time_changes_.push_back(trace_time{step_ + 1, now_});
  // Every wait due now becomes ready together: which runs first is the
  // strategy's choice, not arming order.
  // With thousands of waits pending, each due wait and the timer it belongs
  // to are cache misses: a batch of them is requested together (prefetch)
  // before any is touched, so the misses overlap instead of queueing one
  // behind the other; then the lookahead follows their chains further
  // (detail/timer_lookahead.hpp). Same pops, same order.
  const std::size_t pending = timers_.size();
  while (!timers_.empty() && timers_.earliest() == now_) {
    constexpr std::size_t batch = 16;
    wait_op* due[batch];
    std::size_t k = 0;
    do {
      due[k] = timers_.pop();
      __builtin_prefetch(due[k], 1);
      __builtin_prefetch(reinterpret_cast<const char*>(due[k]) + 64, 1);
      ++k;
    } while (k < batch && !timers_.empty() && timers_.earliest() == now_);
    for (std::size_t i = 0; i < k; ++i) {
      // The timer, and the line after it: a network pipe's hot fields.
      __builtin_prefetch(due[i]->owner, 1);
      __builtin_prefetch(reinterpret_cast<const char*>(due[i]->owner) + 64, 1);
    }
    lookahead_.follow(due, k, pending, timers_);
    for (std::size_t i = 0; i < k; ++i) {
      wait_op* op = due[i];
      op->owner->unlink(op);
      op->aborted = false;
      if (count_fired_) {
        op->fired = true;
        ++fired_ready_;
      }
      ready_.push_back(op);
    }
  }
  return true;
}

template <bool RecordChoice>
inline void scheduler::record_step(std::uint32_t lane, std::uint32_t choice, std::size_t n, std::uint64_t parent) {
  std::uint64_t v = (std::uint64_t{lane} << 32) | choice;
  hash_ = (hash_ ^ v) * 0x100000001b3ULL;
  hash_ ^= hash_ >> 29;
  if (RecordChoice && n > 1) {
    choices_.push_back(choice, budget_);
  }
  if (options_.record_trace) {
    trace_.push_back(trace_step{lane, choice}, budget_);
    trace_parents_.push_back(parent, budget_);
  }
}

template <class Strategy>
void scheduler::loop(Strategy& strategy) {
  // Steps run below this frame: a coroutine made with a reference between
  // its own frame and here refers into the step's stack
  // (detail/stack_reference.hpp).
  struct stack_top_guard {
    const char* previous = step_stack_top;
    ~stack_top_guard() { step_stack_top = previous; }
  } stack_top;
  if (options_.detect_dangling_references) step_stack_top = static_cast<const char*>(__builtin_frame_address(0));
  while (!stop_) {
    if (ready_.empty()) {
      // The world is idle: a cancellation still unanswered was ignored.
      // With a grace, only when no timer can ever answer it (advance_time
      // checks the grace itself).
      if (!cancels_.empty() && options_.detect_cancellation_ignored &&
          (options_.cancellation_grace.count() == 0 || timers_.empty()) && report_ignored_cancellations(*this))
        break;
      if (body_done_) break;
      if (timers_.empty()) {
        if (options_.detect_deadlock)
          add_finding(finding_kind::deadlock,
                      "deadlock: the body cannot finish, nothing is ready and no timer is armed",
                      describe_blocked_tasks(*this) + pending_summary());
        break;
      }
      if (!advance_time()) break;
      continue;
    }
    // Delay injection (options::delay_one_in): now and then a step is slow
    // and the next timer deadline passes before the ready steps run. Never
    // while a wait that virtual time made ready is still to run: the jump
    // would put the waits due at a later deadline beside it and let them run
    // first, which no event loop does (its timer queue hands out expired
    // waits in deadline order).
    if (count_fired_ && fired_ready_ == 0 && !timers_.empty() && timers_.earliest() <= options_.time_limit &&
        timers_.earliest() - now_ <= options_.max_delay && delay_due()) {
      if (!advance_time()) break;
    }
    if (step_ >= options_.step_limit) {
      add_finding(finding_kind::step_limit,
                  fmt::format("step limit of {} reached before the body finished", options_.step_limit),
                  describe_blocked_tasks(*this) + pending_summary());
      break;
    }
    // One clock read ends the step before and starts this one.
    if (budget_.enabled()) {
      report_if_slow(budget_.close());
      budget_.open();
    }
    std::size_t n = ready_.size();
    std::uint32_t choice = 0;
    operation* op = strategy.take(ready_, source_, choice);
    ++step_;
    current_lane_ = op->lane_;
    const std::uint32_t step_lane = current_lane_;
    record_step<!std::is_same_v<Strategy, fifo_strategy>>(current_lane_, choice, n, op->parent_step_);
    if (hb_) hb_->on_step(step_, current_lane_, op->parent_step_);
    in_step_ = true;
    try {
      // An op queued directly (not through execute) for a task whose host
      // crashed is destroyed, not run.
      if (lane_crashed(current_lane_)) [[unlikely]]
        op->destroy();
      else
        op->complete();
    } catch (const run_aborted&) {
      stop_ = true;
    } catch (...) {
      in_step_ = false;
      add_finding(finding_kind::exception,
                  fmt::format("exception escaped a handler: {}", describe_exception(std::current_exception())),
                  fmt::format("  task:       #{}\n", current_lane_));
      stop_ = true;
    }
    in_step_ = false;
    // The step's stack is gone: a frame still holding a reference into it
    // is reported, and the run stops before that frame can run again.
    if (!stack_refs_.empty()) [[unlikely]]
      report_dangling_references(*this);
    if (inject_ && !stop_) [[unlikely]]
      visit_cancel_points(step_lane);
  }
  if (budget_.enabled()) report_if_slow(budget_.close());
  current_lane_ = 0;
}

void scheduler::report_if_slow(std::int64_t cpu_ns) {
  // A run being stopped (a blocking call, an assertion) has its finding.
  if (cpu_ns > 0 && !stop_) report_slow_step(*this, cpu_ns);
}

report scheduler::run(boost::asio::awaitable<void> body) {
  if (in_step_ || running_)
    throw std::logic_error("simloop::simulation::run called from inside one of its own steps");
  if (ran_)
    throw std::logic_error("simloop::simulation::run called twice: a simulation runs once; make a new one per run");
  ran_ = running_ = true;
  scheduler* previous = tl_current;
  tl_current = this;

  struct restore {
    scheduler* self;
    scheduler* previous;
    ~restore() {
      self->running_ = false;
      tl_current = previous;
    }
  } guard{this, previous};
  frame_recycler recycler;

  // The body's task starts inside co_spawn (Asio launches the entry frame
  // at once), so on_task_start learns its lane before co_spawn returns.
  // Tasks spawned onto the simulation before run() have lower lanes.
  spawning_body_ = true;
  boost::asio::co_spawn(owner_.get_executor(), std::move(body), [this](std::exception_ptr e) {
    body_done_ = true;
    body_failed_ = e != nullptr;
    if (e && !is_run_aborted(e))
      add_finding(finding_kind::exception,
                  fmt::format("exception escaped the test body: {}", describe_exception(e)),
                  fmt::format("  task:       #{} (the body)\n", body_lane_));
  });

  switch (options_.strategy) {
    case strategy::fifo: {
      fifo_strategy s;
      loop(s);
      break;
    }
    case strategy::random: {
      random_strategy s;
      loop(s);
      break;
    }
    case strategy::replay: {
      replay_strategy s;
      loop(s);
      break;
    }
    case strategy::pct: {
      pct_strategy s(source_, options_.pct_depth, options_.pct_steps);
      for (std::uint32_t lane = 0; lane <= tasks_.size(); ++lane) s.on_new_lane(lane);
      new_lane_ctx_ = &s;
      new_lane_hook_ = [](void* ctx, std::uint32_t lane) { static_cast<pct_strategy*>(ctx)->on_new_lane(lane); };
      loop(s);
      new_lane_hook_ = nullptr;
      new_lane_ctx_ = nullptr;
      break;
    }
  }

  // Idle after the body finished: whatever is still alive leaked.
  if (body_done_ && !body_failed_ && !stop_ && ready_.empty() && options_.detect_leaked_tasks)
    report_leaked_tasks(*this);

  report r;
  r.seed = options_.seed;
  r.strategy = options_.strategy;
  r.steps = step_;
  r.virtual_elapsed = now_;
  destroy_everything();
  r.findings = std::move(findings_);
  r.trace_hash = hash_;
  r.choices = choices_.take();
  r.trace = trace_.take();
  r.time_changes = std::move(time_changes_);
  r.trace_parents = trace_parents_.take();
  r.cancellations = std::move(cancellations_);
  r.cancel_points = points_passed_;
  r.cancel_at_point = options_.cancel_at_point;
  if (options_.record_trace) {
    r.tasks.reserve(tasks_.size());
    for (std::uint32_t lane = 1; lane <= tasks_.size(); ++lane)
      r.tasks.push_back(trace_task{tasks_[lane].parent, tasks_[lane].spawn_step, lane == body_lane_});
  }
  return r;
}

void scheduler::destroy_everything() noexcept {
  tearing_down_ = true;
  in_step_ = false;
  // Destroying a handler can destroy coroutine frames whose destructors
  // cancel timers or post more work (Asio's awaitable_thread posts its own
  // unwinding): repeat until nothing is left.
  for (;;) {
    while (!ready_.empty() || !timers_.empty()) {
      while (!ready_.empty()) ready_.pop_front()->destroy();
      while (!timers_.empty()) {
        wait_op* op = timers_.pop();
        if (op->owner) op->owner->unlink(op);
        op->destroy();
      }
    }
    if (discard_parked_waiters() > 0) continue;
    if (!teardown_hook_ || teardown_hook_(teardown_ctx_) == 0) break;
  }
  tearing_down_ = false;
}

}  // namespace simloop::detail
