// tools/trace/trace_file.hpp: a simloop Chrome trace read back.
#pragma once

#include "json.hpp"

#include <cstdint>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace simloop::tools {

// Bad input: a file that cannot be read, is not JSON, or is not a simloop
// trace. The message is one line.
struct trace_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct trace_file {
  struct task {
    std::string name;
    std::uint64_t parent = 0, spawn_step = 0;
  };
  struct step {
    std::uint64_t number = 0, lane = 0, t_ns = 0, choice = 0, parent = 0;
  };
  struct finding {
    std::string kind, message;
    std::uint64_t step = 0, t_ns = 0;
  };
  std::string name, seed, strategy, hash;
  std::uint64_t steps_total = 0;
  std::map<std::uint64_t, task> tasks;  // by lane
  std::vector<step> steps;              // in step order
  std::vector<finding> findings;
  struct cancellation {
    std::uint64_t step = 0, t_ns = 0, point = 0, lane = 0;
    std::string type;  // "all", "terminal", ...
  };
  std::vector<cancellation> cancellations;  // injected, in order
};

namespace detail {

inline const json::value& member(const json::value& v, std::string_view key, std::string_view where) {
  const json::value* m = v.find(key);
  if (!m) throw trace_error("not a simloop trace: " + std::string(where) + " has no \"" + std::string(key) + "\"");
  return *m;
}
inline std::uint64_t u64(const json::value& v, std::string_view key, std::string_view where) {
  std::uint64_t out = 0;
  if (!member(v, key, where).as_u64(out))
    throw trace_error("not a simloop trace: " + std::string(where) + " \"" + std::string(key) +
                      "\" is not a non-negative integer");
  return out;
}
inline std::string str(const json::value& v, std::string_view key, std::string_view where) {
  const json::value& m = member(v, key, where);
  if (!m.is_string())
    throw trace_error("not a simloop trace: " + std::string(where) + " \"" + std::string(key) + "\" is not a string");
  return m.text;
}

}  // namespace detail

inline trace_file parse_trace(const json::value& doc) {
  using detail::member;
  using detail::str;
  using detail::u64;
  if (!doc.is_object()) throw trace_error("not a simloop trace: the document is not a JSON object");
  const json::value& other = member(doc, "otherData", "the document");
  if (!other.is_object()) throw trace_error("not a simloop trace: \"otherData\" is not an object");
  const json::value* format = other.find("format");
  if (!format || !format->is_string() || format->text != "simloop-trace/1")
    throw trace_error("not a simloop trace: otherData.format is not \"simloop-trace/1\"");
  trace_file t;
  t.name = str(other, "name", "otherData");
  t.seed = str(other, "seed", "otherData");
  t.strategy = str(other, "strategy", "otherData");
  t.hash = str(other, "trace_hash", "otherData");
  t.steps_total = u64(other, "steps", "otherData");
  const json::value& events = member(doc, "traceEvents", "the document");
  if (!events.is_array()) throw trace_error("not a simloop trace: \"traceEvents\" is not an array");
  std::size_t index = 0;
  for (const json::value& e : events.items) {
    std::string where = "traceEvents[" + std::to_string(index++) + "]";
    if (!e.is_object()) throw trace_error("not a simloop trace: " + where + " is not an object");
    std::string ph = str(e, "ph", where);
    if (ph == "M") {
      if (str(e, "name", where) != "thread_name") continue;
      const json::value& args = member(e, "args", where);
      trace_file::task task;
      task.name = str(args, "name", where + ".args");
      if (args.find("parent")) task.parent = u64(args, "parent", where + ".args");
      if (args.find("spawn_step")) task.spawn_step = u64(args, "spawn_step", where + ".args");
      t.tasks[u64(e, "tid", where)] = task;
    } else if (ph == "X") {
      const json::value& args = member(e, "args", where);
      trace_file::step s;
      s.number = u64(args, "step", where + ".args");
      s.t_ns = u64(args, "t_ns", where + ".args");
      s.choice = u64(args, "choice", where + ".args");
      s.parent = u64(args, "parent", where + ".args");
      s.lane = u64(e, "tid", where);
      if (!member(e, "ts", where).is_number() || !member(e, "dur", where).is_number())
        throw trace_error("not a simloop trace: " + where + " has a non-numeric ts or dur");
      if (s.number != t.steps.size() + 1)
        throw trace_error("not a simloop trace: " + where + " is step " + std::to_string(s.number) + ", expected " +
                          std::to_string(t.steps.size() + 1));
      t.steps.push_back(s);
    } else if (ph == "i" && e.find("cat") && e.find("cat")->text == "cancellation") {
      const json::value& args = member(e, "args", where);
      trace_file::cancellation c;
      c.step = u64(args, "step", where + ".args");
      c.t_ns = u64(args, "t_ns", where + ".args");
      c.point = u64(args, "point", where + ".args");
      c.type = str(args, "type", where + ".args");
      c.lane = u64(e, "tid", where);
      t.cancellations.push_back(c);
    } else if (ph == "i") {
      const json::value& args = member(e, "args", where);
      trace_file::finding f;
      f.kind = str(args, "kind", where + ".args");
      f.message = str(args, "message", where + ".args");
      f.step = u64(args, "step", where + ".args");
      f.t_ns = u64(args, "t_ns", where + ".args");
      t.findings.push_back(f);
    } else if (ph == "s" || ph == "f") {
      (void)u64(e, "id", where);
    }
  }
  return t;
}

inline trace_file load_trace(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw trace_error(path + ": cannot open the file");
  std::ostringstream text;
  text << in.rdbuf();
  try {
    return parse_trace(json::parse(text.str()));
  } catch (const json::parse_error& e) {
    throw trace_error(path + ": " + e.what());
  } catch (const trace_error& e) {
    throw trace_error(path + ": " + e.what());
  }
}

}  // namespace simloop::tools
