// simloop-trace: read a simloop trace (SIMLOOP_TRACE=file.json).
//
//   simloop-trace [show] trace.json     a readable timeline: per task, with
//                                       virtual times, wake-ups and findings
//   simloop-trace diff a.json b.json    the first step where two runs diverge
//
// Exit status: 0 done (diff: identical), 1 diff: the traces differ,
// 2 bad input (missing file, not JSON, not a simloop trace) or usage.
#include "trace_file.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

namespace {

using simloop::tools::trace_file;

std::string vtime(std::uint64_t ns) {
  return fmt::format("+{}.{:06}s", ns / 1'000'000'000, (ns / 1'000) % 1'000'000);
}

std::string task_name(const trace_file& t, std::uint64_t lane) {
  auto it = t.tasks.find(lane);
  if (it != t.tasks.end()) return it->second.name;
  return lane == 0 ? "outside tasks" : fmt::format("task #{}", lane);
}

void show(const trace_file& t) {
  fmt::print("simloop trace {}: seed {}, strategy {}, {} steps, t={}, hash {}, {} finding(s)\n",
             t.name.empty() ? "(unnamed)" : t.name, t.seed, t.strategy, t.steps.size(),
             vtime(t.steps.empty() ? 0 : t.steps.back().t_ns), t.hash, t.findings.size());

  fmt::print("\ntasks\n");
  struct summary {
    std::uint64_t steps = 0, first = 0, last = 0, first_t = 0, last_t = 0;
  };
  std::map<std::uint64_t, summary> per;
  for (const auto& s : t.steps) {
    summary& m = per[s.lane];
    if (m.steps++ == 0) {
      m.first = s.number;
      m.first_t = s.t_ns;
    }
    m.last = s.number;
    m.last_t = s.t_ns;
  }
  std::map<std::uint64_t, bool> lanes;
  for (const auto& [lane, task] : t.tasks) lanes[lane] = true;
  for (const auto& [lane, m] : per) lanes[lane] = true;
  for (const auto& [lane, unused] : lanes) {
    auto it = t.tasks.find(lane);
    std::string origin;
    if (it != t.tasks.end() && it->second.parent != 0)
      origin = fmt::format("spawned by #{} at step {}", it->second.parent, it->second.spawn_step);
    else if (lane == 1)
      origin = "the test body";
    const summary& m = per[lane];
    fmt::print("  {:<20} {:<28} {:>6} steps", task_name(t, lane), origin, m.steps);
    if (m.steps) fmt::print("  steps {}..{}  t={}..{}", m.first, m.last, vtime(m.first_t), vtime(m.last_t));
    fmt::print("\n");
  }

  fmt::print("\ntimeline (indented by task)\n");
  std::size_t next_finding = 0, next_cancel = 0;
  std::uint64_t last_t = ~std::uint64_t{0};
  for (const auto& s : t.steps) {
    std::string when = s.t_ns == last_t ? std::string(10, ' ') : vtime(s.t_ns);
    last_t = s.t_ns;
    std::string indent(static_cast<std::size_t>(std::min<std::uint64_t>(s.lane, 12)) * 2, ' ');
    std::string cause;
    if (s.parent && s.parent <= t.steps.size()) {
      const auto& p = t.steps[s.parent - 1];
      cause = fmt::format("  <- step {} ({})", s.parent, task_name(t, p.lane));
    }
    fmt::print("  {:>10}  step {:>6}  {}{}{}{}\n", when, s.number, indent, task_name(t, s.lane),
               s.choice ? fmt::format(" [pick {}]", s.choice) : std::string(), cause);
    while (next_cancel < t.cancellations.size() && t.cancellations[next_cancel].step == s.number) {
      const auto& c = t.cancellations[next_cancel++];
      fmt::print("  {:>10}  ~~~ cancellation ({}) injected at point {} into {}\n", "", c.type, c.point,
                 task_name(t, c.lane));
    }
    while (next_finding < t.findings.size() && t.findings[next_finding].step == s.number) {
      fmt::print("  {:>10}  !!! {} finding\n", "", t.findings[next_finding].kind);
      ++next_finding;
    }
  }

  if (!t.findings.empty()) {
    fmt::print("\nfindings\n");
    for (const auto& f : t.findings) {
      fmt::print("  {} at step {}, t={}:\n", f.kind, f.step, vtime(f.t_ns));
      std::size_t pos = 0;
      while (pos < f.message.size()) {
        std::size_t end = f.message.find('\n', pos);
        if (end == std::string::npos) end = f.message.size();
        fmt::print("    {}\n", f.message.substr(pos, end - pos));
        pos = end + 1;
      }
    }
  }
}

std::string describe_step(const trace_file& t, std::size_t i) {
  if (i >= t.steps.size()) return fmt::format("had ended after {} steps", t.steps.size());
  const auto& s = t.steps[i];
  return fmt::format("{} ran at t={} (pick {}, submitted at step {})", task_name(t, s.lane), vtime(s.t_ns), s.choice,
                     s.parent);
}

int diff(const trace_file& a, const std::string& an, const trace_file& b, const std::string& bn) {
  std::size_t n = std::max(a.steps.size(), b.steps.size());
  for (std::size_t i = 0; i < n; ++i) {
    bool same = i < a.steps.size() && i < b.steps.size() && a.steps[i].lane == b.steps[i].lane &&
                a.steps[i].choice == b.steps[i].choice && a.steps[i].t_ns == b.steps[i].t_ns &&
                a.steps[i].parent == b.steps[i].parent;
    if (same) continue;
    fmt::print("first divergence at step {} (after {} identical steps)\n", i + 1, i);
    fmt::print("  {}: seed {}, {} steps: {}\n", an, a.seed, a.steps.size(), describe_step(a, i));
    fmt::print("  {}: seed {}, {} steps: {}\n", bn, b.seed, b.steps.size(), describe_step(b, i));
    return 1;
  }
  std::string fa, fb;
  for (const auto& f : a.findings) fa += (fa.empty() ? "" : ", ") + f.kind;
  for (const auto& f : b.findings) fb += (fb.empty() ? "" : ", ") + f.kind;
  bool same_findings = a.findings.size() == b.findings.size();
  for (std::size_t i = 0; same_findings && i < a.findings.size(); ++i)
    same_findings = a.findings[i].message == b.findings[i].message;
  if (!same_findings) {
    fmt::print("same {} steps; the findings differ\n  {}: {}\n  {}: {}\n", n, an, fa.empty() ? "none" : fa, bn,
               fb.empty() ? "none" : fb);
    return 1;
  }
  fmt::print("identical: {} steps, findings: {}\n", n, fa.empty() ? "none" : fa);
  return 0;
}

int usage() {
  std::fputs("simloop-trace: error: usage: simloop-trace [show] <trace.json> | simloop-trace diff <a.json> <b.json>\n",
             stderr);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  try {
    if (args.size() == 1 && args[0] != "diff" && args[0] != "show") {
      show(simloop::tools::load_trace(args[0]));
      return 0;
    }
    if (args.size() == 2 && args[0] == "show") {
      show(simloop::tools::load_trace(args[1]));
      return 0;
    }
    if (args.size() == 3 && args[0] == "diff") {
      auto a = simloop::tools::load_trace(args[1]);
      auto b = simloop::tools::load_trace(args[2]);
      return diff(a, args[1], b, args[2]);
    }
    return usage();
  } catch (const simloop::tools::trace_error& e) {
    std::fprintf(stderr, "simloop-trace: error: %s\n", e.what());
    return 2;
  }
}
