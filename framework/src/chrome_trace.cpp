#include <simloop/chrome_trace.hpp>
#include <simloop/detail/task_report.hpp>

#include <boost/asio/cancellation_type.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>

namespace simloop {

namespace {

void append_escaped(std::string& out, std::string_view s) {
  out += '"';
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20)
          out += fmt::format("\\u{:04x}", static_cast<unsigned>(static_cast<unsigned char>(c)));
        else
          out += c;
    }
  }
  out += '"';
}

// Trace timestamps are microseconds; ours are nanoseconds, printed exactly.
std::string micros(std::uint64_t ns) { return fmt::format("{}.{:03}", ns / 1000, ns % 1000); }

constexpr std::uint64_t step_slot_ns = 1000;

}  // namespace

std::string chrome_trace_json(const report& r, std::string_view name) {
  const std::size_t n = r.trace.size();
  // Virtual time of each step, from the clock advances.
  std::vector<std::uint64_t> vt(n, 0), pos(n, 0);
  {
    std::size_t tc = 0;
    std::uint64_t now = 0;
    for (std::size_t i = 0; i < n; ++i) {
      while (tc < r.time_changes.size() && r.time_changes[tc].step <= i + 1)
        now = static_cast<std::uint64_t>(r.time_changes[tc++].time.count());
      vt[i] = now;
      pos[i] = i == 0 ? now : std::max(now, pos[i - 1] + step_slot_ns);
    }
  }
  auto step_pos = [&](std::uint64_t step) -> std::uint64_t {
    if (step == 0 || n == 0) return 0;
    return pos[std::min<std::uint64_t>(step, n) - 1];
  };
  auto step_lane = [&](std::uint64_t step) -> std::uint32_t {
    if (step == 0 || n == 0) return 0;
    return r.trace[std::min<std::uint64_t>(step, n) - 1].lane;
  };

  std::string out;
  out.reserve(256 + n * 200);
  out += "{\"displayTimeUnit\":\"ns\",\"otherData\":{\"format\":\"simloop-trace/1\",\"name\":";
  append_escaped(out, name);
  out += fmt::format(
      ",\"seed\":\"{:#x}\",\"strategy\":\"{}\",\"steps\":{},\"virtual_elapsed_ns\":{},\"trace_hash\":\"{:#x}\","
      "\"findings\":{}}},\n\"traceEvents\":[\n",
      r.seed, to_string(r.strategy), r.steps, r.virtual_elapsed.count(), r.trace_hash, r.findings.size());
  out += fmt::format(
      "{{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":1,\"tid\":0,\"args\":{{\"name\":\"simloop seed {:#x} "
      "({})\"}}}}",
      r.seed, to_string(r.strategy));
  // Tracks: lane 0 only if some step ran there.
  bool lane0 = std::any_of(r.trace.begin(), r.trace.end(), [](const trace_step& s) { return s.lane == 0; });
  if (lane0)
    out += ",\n{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":1,\"tid\":0,\"args\":{\"name\":\"outside tasks\"}}";
  for (std::size_t i = 0; i < r.tasks.size(); ++i) {
    std::uint32_t lane = static_cast<std::uint32_t>(i + 1);
    out += fmt::format(
        ",\n{{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":1,\"tid\":{0},\"args\":{{\"name\":\"task #{0}{1}\","
        "\"parent\":{2},\"spawn_step\":{3}}}}}",
        lane, r.tasks[i].body ? " (body)" : "", r.tasks[i].parent, r.tasks[i].spawn_step);
    out += fmt::format(",\n{{\"ph\":\"M\",\"name\":\"thread_sort_index\",\"pid\":1,\"tid\":{0},\"args\":{{\"sort_index\":{0}}}}}",
                       lane);
  }
  for (std::size_t i = 0; i < n; ++i) {
    std::uint64_t step = i + 1;
    std::uint64_t parent = i < r.trace_parents.size() ? r.trace_parents[i] : 0;
    const trace_step& s = r.trace[i];
    out += fmt::format(
        ",\n{{\"ph\":\"X\",\"name\":\"step {}\",\"cat\":\"step\",\"pid\":1,\"tid\":{},\"ts\":{},\"dur\":{},"
        "\"args\":{{\"step\":{},\"t_ns\":{},\"choice\":{},\"parent\":{}}}}}",
        step, s.lane, micros(pos[i]), micros(step_slot_ns), step, vt[i], s.choice, parent);
    if (parent > 0 && parent < step) {
      out += fmt::format(
          ",\n{{\"ph\":\"s\",\"name\":\"wake\",\"cat\":\"wake\",\"id\":{},\"pid\":1,\"tid\":{},\"ts\":{}}}", step,
          step_lane(parent), micros(step_pos(parent)));
      out += fmt::format(
          ",\n{{\"ph\":\"f\",\"bp\":\"e\",\"name\":\"wake\",\"cat\":\"wake\",\"id\":{},\"pid\":1,\"tid\":{},"
          "\"ts\":{}}}",
          step, s.lane, micros(pos[i]));
    }
  }
  for (const finding& f : r.findings) {
    out += fmt::format(",\n{{\"ph\":\"i\",\"s\":\"t\",\"name\":\"{}\",\"cat\":\"finding\",\"pid\":1,\"tid\":{},\"ts\":{},"
                       "\"args\":{{\"kind\":\"{}\",\"step\":{},\"t_ns\":{},\"message\":",
                       to_string(f.kind), step_lane(f.step), micros(std::max<std::uint64_t>(
                           step_pos(f.step), static_cast<std::uint64_t>(f.time.count()))),
                       to_string(f.kind), f.step, f.time.count());
    append_escaped(out, f.message);
    out += "}}";
  }
  // Injected cancellations (options::cancel_one_in / cancel_at_point), on the
  // track of the task whose operation was cancelled, at the end of the step
  // that injected them.
  for (const trace_cancel& c : r.cancellations) {
    std::string type = detail::cancellation_type_text(c.type);
    out += fmt::format(
        ",\n{{\"ph\":\"i\",\"s\":\"t\",\"name\":\"injected cancellation ({})\",\"cat\":\"cancellation\",\"pid\":1,"
        "\"tid\":{},\"ts\":{},\"args\":{{\"kind\":\"cancellation\",\"step\":{},\"t_ns\":{},\"point\":{},\"type\":\"{}\","
        "\"message\":\"cancellation ({}) injected at point {} into task #{}\"}}}}",
        type, c.lane, micros(step_pos(c.step) + step_slot_ns), c.step,
        c.step == 0 || n == 0 ? 0 : vt[std::min<std::uint64_t>(c.step, n) - 1], c.point, type, type, c.point, c.lane);
  }
  out += "\n]}\n";
  return out;
}

std::string write_chrome_trace(const report& r, const std::string& path, std::string_view name) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  if (!file) return fmt::format("cannot open {}: {}", path, std::strerror(errno));
  file << chrome_trace_json(r, name);
  file.close();
  if (!file) return fmt::format("cannot write {}", path);
  return {};
}

}  // namespace simloop
