// simloop/detail/progress.hpp: the progress line of a long exploration.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>

namespace simloop::detail {

// Prints "simloop: Suite.Name 300/1000 runs (30%), 0 failures, 41,210 runs/s,
// ETA 0.0s" to stderr: rewritten in place on a terminal (every 200 ms), one
// line per period otherwise (5 s). It reads the wall clock and writes to
// stderr only; nothing it does reaches a simulated run, so schedules are the
// same with progress on or off.
class progress_meter {
 public:
  // period_ms overrides the period (0: a line after every run).
  progress_meter(std::string name, std::uint64_t total, bool enabled, std::optional<std::uint64_t> period_ms,
                 std::FILE* out = stderr);
  progress_meter(const progress_meter&) = delete;
  progress_meter& operator=(const progress_meter&) = delete;
  ~progress_meter();

  void update(std::uint64_t done, std::uint64_t failures) {
    if (!enabled_) return;
    auto now = std::chrono::steady_clock::now();
    if (now < next_) return;
    print(done, failures, now, false);
  }
  // The final state; prints only if a line was printed before.
  void finish(std::uint64_t done, std::uint64_t failures);

  // The text of one line (exposed for tests).
  static std::string format_line(const std::string& name, std::uint64_t done, std::uint64_t total,
                                 std::uint64_t failures, double seconds);

 private:
  void print(std::uint64_t done, std::uint64_t failures, std::chrono::steady_clock::time_point now, bool last);

  std::string name_;
  std::uint64_t total_;
  bool enabled_;
  bool interactive_;
  bool printed_ = false;
  bool finished_ = false;
  std::FILE* out_;
  std::chrono::steady_clock::duration period_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point next_;
};

}  // namespace simloop::detail
