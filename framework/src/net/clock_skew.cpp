// Per-host clock skew: each host's simloop::clock reads its own time. The
// scheduler keeps the host clocks (they convert the deadlines a host's tasks
// arm); the network sets and draws them.
#include <simloop/detail/scheduler.hpp>
#include <simloop/net/network.hpp>

#include <fmt/format.h>

#include <cstdint>
#include <stdexcept>

namespace simloop::net {

namespace {

// Choice k of a recorded decision as a signed value: 0, 1, -1, 2, -2, ...
// (choice 0, what fifo and shrunk inputs take, is no skew).
std::int64_t zigzag(std::uint64_t k) {
  auto half = static_cast<std::int64_t>((k + 1) / 2);
  return k % 2 ? half : -half;
}

// "offset -1.250000s, drift +100 ppm"
std::string describe(clock_skew s) {
  std::int64_t ns = s.offset.count();
  std::uint64_t mag = ns < 0 ? 0 - static_cast<std::uint64_t>(ns) : static_cast<std::uint64_t>(ns);
  return fmt::format("offset {}{}.{:09}s, drift {:+} ppm", ns < 0 ? "-" : "+", mag / 1'000'000'000,
                     mag % 1'000'000'000, s.drift_ppm);
}

}  // namespace

void network::skew_clock(const host& h, clock_skew skew) {
  if (skew.drift_ppm <= -1'000'000)
    throw std::invalid_argument(
        fmt::format("simloop::net: clock drift of host '{}' must be > -1,000,000 ppm (got {})", h.name(), skew.drift_ppm));
  sim_.scheduler().set_host_clock(h.id(), simloop::detail::scheduler::host_clock{skew.offset, skew.drift_ppm});
  log(fmt::format("clock of {}: {}", h.name(), describe(skew)));
}

clock_skew network::clock_of(const host& h) const noexcept {
  auto c = sim_.scheduler().clock_of(h.id());
  return clock_skew{c.offset, c.drift_ppm};
}

void network::set_faults(const fault_options& f) {
  if (f.max_clock_drift_ppm >= 1'000'000)
    throw std::invalid_argument(
        fmt::format("simloop::net::fault_options::max_clock_drift_ppm must be < 1,000,000 (got {})", f.max_clock_drift_ppm));
  if (f.max_clock_offset.count() < 0)
    throw std::invalid_argument("simloop::net::fault_options::max_clock_offset must not be negative");
  faults_ = f;
  for (const host& h : hosts_) draw_clock_skew(h);
}

void network::draw_clock_skew(const host& h) {
  auto max_us = static_cast<std::uint64_t>(faults_.max_clock_offset.count() / 1000);
  std::uint64_t max_ppm = faults_.max_clock_drift_ppm;
  if (max_us == 0 && max_ppm == 0) return;
  auto& s = sim_.scheduler();
  clock_skew skew;
  if (max_us) skew.offset = std::chrono::microseconds(zigzag(s.decide(2 * max_us + 1)));
  if (max_ppm) skew.drift_ppm = static_cast<std::int32_t>(zigzag(s.decide(2 * max_ppm + 1)));
  skew_clock(h, skew);
}

}  // namespace simloop::net
