#include <simloop/detail/environment.hpp>

#include <fmt/format.h>

#include <cerrno>
#include <cstdlib>
#include <stdexcept>

namespace simloop::detail {

namespace {

std::optional<std::string> get(const char* name) {
  const char* v = std::getenv(name);
  if (!v) return std::nullopt;
  return std::string(v);
}

[[noreturn]] void malformed(const char* variable, const std::string& value, const char* form) {
  throw std::invalid_argument(fmt::format("{}='{}' is malformed: expected {}", variable, value, form));
}

}  // namespace

std::uint64_t parse_u64(const char* variable, const std::string& value) {
  const char* form = "a non-negative integer, decimal or 0x-prefixed hex (e.g. 42 or 0x2a)";
  if (value.empty() || value[0] == '-' || value[0] == '+' || value[0] == ' ') malformed(variable, value, form);
  int base = 10;
  std::size_t start = 0;
  if (value.size() > 2 && value[0] == '0' && (value[1] == 'x' || value[1] == 'X')) {
    base = 16;
    start = 2;
  }
  errno = 0;
  char* end = nullptr;
  unsigned long long v = std::strtoull(value.c_str() + start, &end, base);
  if (errno != 0 || end == value.c_str() + start || *end != '\0') malformed(variable, value, form);
  return v;
}

simloop::strategy parse_strategy(const char* variable, const std::string& value) {
  if (value == "fifo") return strategy::fifo;
  if (value == "random") return strategy::random;
  if (value == "pct") return strategy::pct;
  malformed(variable, value, "one of fifo, random, pct");
}

environment read_environment() {
  environment env;
  if (auto v = get("SIMLOOP_SEED")) env.seed = parse_u64("SIMLOOP_SEED", *v);
  if (auto v = get("SIMLOOP_RUNS")) {
    env.runs = parse_u64("SIMLOOP_RUNS", *v);
    if (*env.runs == 0) malformed("SIMLOOP_RUNS", *v, "a positive integer");
  }
  if (auto v = get("SIMLOOP_STRATEGY")) env.strategy = parse_strategy("SIMLOOP_STRATEGY", *v);
  if (auto v = get("SIMLOOP_SHARD")) {
    const char* form = "i/n with 0 <= i < n (e.g. 0/4)";
    auto slash = v->find('/');
    if (slash == std::string::npos) malformed("SIMLOOP_SHARD", *v, form);
    std::uint64_t i = 0, n = 0;
    try {
      i = parse_u64("SIMLOOP_SHARD", v->substr(0, slash));
      n = parse_u64("SIMLOOP_SHARD", v->substr(slash + 1));
    } catch (const std::invalid_argument&) {
      malformed("SIMLOOP_SHARD", *v, form);
    }
    if (n == 0 || i >= n || n > 0xffffffffULL) malformed("SIMLOOP_SHARD", *v, form);
    env.shard_index = static_cast<std::uint32_t>(i);
    env.shard_count = static_cast<std::uint32_t>(n);
  }
  if (auto v = get("SIMLOOP_TRACE")) env.trace_path = *v;
  if (auto v = get("SIMLOOP_REGRESSIONS")) env.regressions_dir = *v;
  if (auto v = get("SIMLOOP_QUIET")) env.quiet = *v != "0";
  if (auto v = get("SIMLOOP_PROGRESS_MS")) env.progress_ms = parse_u64("SIMLOOP_PROGRESS_MS", *v);
  if (auto v = get("SIMLOOP_CHECK_DETERMINISM")) env.check_determinism = *v != "0";
  if (auto v = get("SIMLOOP_CANCEL_AT")) env.cancel_at = parse_u64("SIMLOOP_CANCEL_AT", *v);
  if (auto v = get("SIMLOOP_JOBS")) {
    std::uint64_t n = parse_u64("SIMLOOP_JOBS", *v);
    if (n == 0 || n > 1024) malformed("SIMLOOP_JOBS", *v, "a number of worker processes from 1 to 1024");
    env.jobs = static_cast<unsigned>(n);
  }
  return env;
}

}  // namespace simloop::detail
