// simloop/detail/step_budget.hpp: is one step using too much CPU time?
#pragma once

#include <cstdint>
#include <ctime>

namespace simloop::detail {

// Reading the thread's CPU clock is a system call (~0.4 us), too slow for
// every step; even a coarse monotonic clock (vDSO, ~10 ns, a few ms
// resolution) read twice per step doubles the cost of a small one. So the
// coarse clock is read once per step, at its start, and that reading also
// ends the previous step: a step is measured from its start to the next
// step's start (or to close(), when something else happens in between). The
// CPU clock is read once per coarse tick, and at a step's end only when the
// step's wall time already exceeds the budget (CPU time never exceeds wall
// time). The CPU time reported is measured from a mark at most one coarse
// tick before the step began. The mark is the thread's, not the
// simulation's: runs in a row (explore) share it, so a short run pays no
// system call at all.
class step_budget {
 public:
  explicit step_budget(std::int64_t budget_ns) noexcept : budget_(budget_ns) {}

  bool enabled() const noexcept { return budget_ > 0; }

  // Reads the clock: the open step (if any) ends now. Its CPU nanoseconds
  // if over budget, else 0.
  std::int64_t close() noexcept {
    last_ = coarse_now();
    if (!open_) return 0;
    open_ = false;
    return measure(last_);
  }
  // A step starts at the reading of the last close(): a step between two
  // others costs one clock read.
  void open() noexcept {
    if (last_ != tick_) mark(last_);
    start_ = last_;
    open_ = true;
  }
  // Measure the rest of the open step from now, with a fresh CPU mark
  // (simloop's own work inside a step, such as formatting a finding).
  void restart() noexcept {
    start_ = coarse_now();
    mark(start_);
  }
  std::int64_t budget() const noexcept { return budget_; }

 private:
  static std::int64_t read(clockid_t id) noexcept {
    timespec ts{};
    clock_gettime(id, &ts);
    return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
  }
  static std::int64_t coarse_now() noexcept { return read(CLOCK_MONOTONIC_COARSE); }
  static std::int64_t cpu_now() noexcept { return read(CLOCK_THREAD_CPUTIME_ID); }

  void mark(std::int64_t coarse) noexcept {
    tick_ = coarse;
    cpu_mark_ = cpu_now();
  }
  // The open step, ended at coarse time c.
  std::int64_t measure(std::int64_t c) noexcept {
    if (c - start_ < budget_) return 0;
    std::int64_t cpu = cpu_now() - cpu_mark_;
    return cpu >= budget_ ? cpu : 0;
  }

  std::int64_t budget_;
  static inline thread_local std::int64_t tick_ = -1;
  static inline thread_local std::int64_t cpu_mark_ = 0;
  std::int64_t start_ = 0;
  std::int64_t last_ = 0;
  bool open_ = false;
};

}  // namespace simloop::detail
