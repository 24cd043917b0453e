#include <simloop/finding.hpp>

#include <fmt/format.h>

#include <fstream>
#include <mutex>
#include <string>

namespace simloop {

std::string_view to_string(finding_kind k) noexcept {
  switch (k) {
    case finding_kind::assertion: return "assertion";
    case finding_kind::exception: return "exception";
    case finding_kind::deadlock: return "deadlock";
    case finding_kind::leaked_task: return "leaked_task";
    case finding_kind::never_awaited: return "never_awaited";
    case finding_kind::blocking_call: return "blocking_call";
    case finding_kind::race: return "race";
    case finding_kind::cancellation_ignored: return "cancellation_ignored";
    case finding_kind::time_limit: return "time_limit";
    case finding_kind::step_limit: return "step_limit";
    case finding_kind::nondeterminism: return "nondeterminism";
    case finding_kind::dangling_reference: return "dangling_reference";
  }
  return "unknown";
}

namespace {

struct replay_target {
  std::mutex mutex;
  std::string program;
  std::string filter;
};

replay_target& target() {
  static replay_target t;
  return t;
}

// argv[0] as the process was started; reading it does not affect any
// schedule.
std::string program_name() {
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  std::string arg0;
  std::getline(in, arg0, '\0');
  if (arg0.empty()) return "./test";
  if (arg0.find('/') == std::string::npos) return "./" + arg0;
  return arg0;
}

}  // namespace

void set_replay_target(std::string program, std::string gtest_filter) {
  auto& t = target();
  std::lock_guard lock(t.mutex);
  t.program = std::move(program);
  t.filter = std::move(gtest_filter);
}

std::string replay_command(std::uint64_t seed, simloop::strategy s, std::uint64_t cancel_at_point) {
  auto& t = target();
  std::lock_guard lock(t.mutex);
  if (t.program.empty()) t.program = program_name();
  std::string line = fmt::format("SIMLOOP_SEED={:#x} SIMLOOP_STRATEGY={} ", seed, to_string(s));
  if (cancel_at_point) line += fmt::format("SIMLOOP_CANCEL_AT={} ", cancel_at_point);
  line += t.program;
  if (!t.filter.empty()) line += fmt::format(" --gtest_filter={}", t.filter);
  return line;
}

bool report::has(finding_kind k) const {
  for (const auto& f : findings)
    if (f.kind == k) return true;
  return false;
}

std::string report::replay_command() const { return simloop::replay_command(seed, strategy, cancel_at_point); }

std::string report::describe() const {
  std::string out;
  for (const auto& f : findings) {
    if (!out.empty()) out += '\n';
    out += f.message;
  }
  return out;
}

}  // namespace simloop
