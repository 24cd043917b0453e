// simloop/detail/step_budget.hpp: is one step using too much CPU time?
#pragma once

#include <cstdint>
#include <ctime>

namespace simloop::detail {

// Reading the thread's CPU clock is a system call (~0.4 us), too slow for
// every step. A coarse monotonic clock (vDSO, ~10 ns, a few ms resolution)
// gates it: the CPU clock is read once per coarse tick at a step's start, and
// at a step's end only when the step's wall time already exceeds the budget
// (CPU time never exceeds wall time). The CPU time reported is then measured
// from a mark at most one coarse tick before the step began.
class step_budget {
 public:
  explicit step_budget(std::int64_t budget_ns) noexcept : budget_(budget_ns) {}

  bool enabled() const noexcept { return budget_ > 0; }

  void start() noexcept {
    std::int64_t c = coarse_now();
    if (c != tick_) {
      tick_ = c;
      cpu_mark_ = cpu_now();
    }
    start_ = c;
  }
  // Measure the rest of the step from now, with a fresh CPU mark.
  void restart() noexcept {
    tick_ = start_ = coarse_now();
    cpu_mark_ = cpu_now();
  }
  // CPU nanoseconds the step used if over budget, else 0.
  std::int64_t finish() noexcept {
    std::int64_t c = coarse_now();
    if (c - start_ < budget_) return 0;
    std::int64_t cpu = cpu_now() - cpu_mark_;
    return cpu >= budget_ ? cpu : 0;
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

  std::int64_t budget_;
  std::int64_t tick_ = -1;
  std::int64_t cpu_mark_ = 0;
  std::int64_t start_ = 0;
};

}  // namespace simloop::detail
