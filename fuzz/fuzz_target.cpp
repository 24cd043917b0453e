#include "fuzz_target.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>

namespace simloop::fuzz {

bool explain_mode = false;

namespace {
report& last() {
  static report r;
  return r;
}
}  // namespace

const report& last_report() { return last(); }

int run_input(const std::uint8_t* data, std::size_t size, const std::function<asio::awaitable<void>()>& make_body) {
  options opts;
  opts.strategy = strategy::random;
  opts.choice_bytes = std::span<const std::uint8_t>(data, size);
  opts.step_limit = 200'000;
  // The input is the schedule, and a finding must replay from it: a step
  // over its CPU budget is a property of the machine's minute, not of the
  // input (this VM reported 115-208 ms for a step of the pagination
  // scenario now and then, ~30,000 executions into a run, also on inputs
  // that then ran in 10 ms), so it is not measured here.
  opts.step_cpu_budget = std::chrono::nanoseconds{0};
  // A zero-length span means "use the seed": give it one zero byte instead,
  // so the empty input is the all-default (FIFO) schedule.
  static const std::uint8_t zero = 0;
  if (size == 0) opts.choice_bytes = std::span<const std::uint8_t>(&zero, 1);
  static std::uint64_t executions = 0;
  ++executions;
  simulation sim(opts);
  last() = sim.run(make_body());
  const report& r = last();
  if (r.ok()) return 0;
  std::string schedule = fmt::format("{}", fmt::join(r.choices, ","));
  std::fprintf(stderr,
               "%s\nsimloop: schedule of this input (%zu decisions): choices=[%s]\n"
               "simloop: found at execution #%llu of this process\n",
               r.describe().c_str(), r.choices.size(), schedule.c_str(), static_cast<unsigned long long>(executions));
  if (explain_mode) return 0;
  std::fflush(stderr);
  std::abort();
}

int run_input_twice(const std::uint8_t* data, std::size_t size,
                    const std::function<asio::awaitable<void>()>& make_body) {
  run_input(data, size, make_body);
  const std::uint64_t first = last().trace_hash;
  run_input(data, size, make_body);
  if (last().trace_hash != first) {
    std::fprintf(stderr, "simloop: the same input ran differently twice (trace hash %#llx vs %#llx)\n",
                 static_cast<unsigned long long>(first), static_cast<unsigned long long>(last().trace_hash));
    std::abort();
  }
  return 0;
}

}  // namespace simloop::fuzz
