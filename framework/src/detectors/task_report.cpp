// How findings describe tasks: name, spawn site, wait site, wait-for.
#include <simloop/detail/task_report.hpp>
#include <simloop/detail/time_text.hpp>

#include <simloop/net/network.hpp>
#include <simloop/simulation.hpp>

#include <simloop/detail/scheduler.hpp>
#include <simloop/detail/spawn_site.hpp>
#include <simloop/detail/task_frame.hpp>

#include <boost/asio/cancellation_type.hpp>
#include <boost/core/demangle.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <string_view>
#include <vector>

namespace simloop::detail {

namespace {


const task_frame* frame_of_task(const scheduler& s, std::uint32_t lane) {
  if (lane == 0 || lane > s.tasks().size()) return nullptr;
  const task_record& r = s.tasks()[lane];
  return r.alive ? static_cast<const task_frame*>(r.frame) : nullptr;
}

// "sleeper", or "lambda at tests/x.cpp:12" for a lambda's operator().
std::string coroutine_name(const source_site& site) {
  if (!site.function) return "(not started)";
  if (std::strcmp(site.function, "operator()") == 0) {
    // The file name alone: the spawn site next to it has the path.
    const char* base = std::strrchr(site.file, '/');
    return fmt::format("lambda at {}:{}", base ? base + 1 : site.file, site.line);
  }
  return site.function;
}

bool identifier_char(char c) { return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

// The last identifier of a qualified name before position end, skipping a
// trailing template argument list: "a::basic_timer<x, y>" -> "basic_timer".
std::string_view class_before(std::string_view s, std::size_t end) {
  std::size_t i = end;
  if (i > 0 && s[i - 1] == '>') {
    int depth = 0;
    while (i > 0) {
      char c = s[--i];
      if (c == '>') ++depth;
      if (c == '<' && --depth == 0) break;
    }
  }
  std::size_t stop = i;
  while (i > 0 && identifier_char(s[i - 1])) --i;
  return s.substr(i, stop - i);
}

}  // namespace

// "timer.async_wait", "channel.async_receive", "stream_socket.async_read_some",
// "parallel_group", ... from an initiation (or operation) type.
std::string describe_operation(const std::type_info* op) {
  if (!op) return {};
  std::string name = boost::core::demangle(op->name());
  std::string_view n(name);
  std::size_t at = n.rfind("::initiate_");
  if (at != std::string_view::npos) {
    std::size_t b = at + std::strlen("::initiate_");
    std::size_t e = b;
    while (e < n.size() && identifier_char(n[e])) ++e;
    std::string_view what = n.substr(b, e - b);
    std::string_view cls = class_before(n, at);
    if (cls.substr(0, 6) == "basic_") cls.remove_prefix(6);
    if (what.substr(0, 14) == "post_with_exec") return "post";
    if (what.substr(0, 18) == "dispatch_with_exec") return "dispatch";
    if (what.substr(0, 15) == "defer_with_exec") return "defer";
    if (what == "co_spawn") return "co_spawn (a spawned task's completion)";
    if (cls.empty() || cls == "detail") return std::string(what);
    return fmt::format("{}.{}", cls, what);
  }
  if (n.find("parallel_group") != std::string_view::npos) return "parallel_group (tasks it started)";
  if (n.find("co_spawn") != std::string_view::npos) return "co_spawn (a spawned task's completion)";
  if (name.size() > 80) name = name.substr(0, 77) + "...";
  return name;
}

std::string cancellation_type_text(std::uint32_t type) {
  using ct = boost::asio::cancellation_type;
  if (type == static_cast<std::uint32_t>(ct::all)) return "all";
  std::string out;
  for (auto [bit, word] : {std::pair<ct, const char*>{ct::terminal, "terminal"}, {ct::partial, "partial"},
                           {ct::total, "total"}})
    if (type & static_cast<std::uint32_t>(bit)) out += (out.empty() ? "" : "|") + std::string(word);
  return out.empty() ? "none" : out;
}

std::string task_label(const scheduler& s, std::uint32_t lane) {
  const task_frame* f = frame_of_task(s, lane);
  if (!f) return fmt::format("task #{}", lane);
  return fmt::format("task #{} {}", lane, coroutine_name(f->root()));
}

namespace {

// "operator||" (not "operator||<std::tuple<int>, int, ...>"), or for a
// lambda the header it is in: "simloop/gather.hpp".
std::string library_function(const source_site& site) {
  std::string_view fn(site.function ? site.function : "");
  fn = fn.substr(0, fn.find('<'));
  if (!fn.empty() && fn != "operator()") return std::string(fn);
  std::string_view file(site.file);
  std::size_t at = file.rfind("/include/");
  return std::string(at == std::string_view::npos ? file : file.substr(at + 9));
}

std::string spawn_site(const scheduler& s, std::uint32_t lane, const task_frame& f) {
  if (lane == s.body_lane()) return "simloop::simulation::run (the test body)";
  if (f.spawn_call()) {
    std::string site = short_site(f.spawn_call().file, f.spawn_call().line);
    if (f.spawn_inside()) site += fmt::format(" (inside {})", library_function(f.spawn_inside()));
    return site;
  }
  std::string site = user_frame_site(f.spawn_frames(), f.spawn_frame_count());
  if (site.empty()) {
    if (f.spawn_frame_count() == 0) return "(unknown: options::capture_spawn_sites is off)";
    return "(unknown: no debug information)";
  }
  return site;
}

// The timer wait a task is in, if any: the earliest pending wait on its lane.
const wait_op* pending_timer_of(const scheduler& s, std::uint32_t lane) {
  const wait_op* best = nullptr;
  s.timers().for_each([&](const wait_op* op) {
    if (op->lane_ == lane && (!best || op->deadline < best->deadline)) best = op;
  });
  return best;
}

// Names for the I/O objects blocked tasks wait on ("channel A"), in order of
// first appearance, so a listing shows which tasks share one.
struct object_names {
  std::vector<const void*> objects;
  std::string name(const void* object, const std::string& op) {
    if (!object) return {};
    auto it = std::find(objects.begin(), objects.end(), object);
    std::size_t i = static_cast<std::size_t>(it - objects.begin());
    if (it == objects.end()) objects.push_back(object);
    std::string kind = op.substr(0, op.find('.'));
    return fmt::format("{} {}", kind, i < 26 ? std::string(1, static_cast<char>('A' + i)) : std::to_string(i));
  }
};

std::string wait_site(const scheduler& s, std::uint32_t lane, const task_frame& f, object_names* names = nullptr) {
  const wait_record& user = f.user_wait();
  const wait_record& inner = f.inner_wait();
  std::string what = describe_operation(inner.op);
  // (A timer wait shows its due time instead.)
  if (names && inner.object && what.find('.') != std::string::npos && what.rfind("timer.", 0) != 0)
    what += fmt::format(" on {}", names->name(inner.object, what));
  if (what.empty() && inner.target) what = fmt::format("{}()", inner.target);
  // The user's own co_await awaited a coroutine that did the waiting.
  if (user.target && inner.at.file != user.at.file) {
    std::string via = fmt::format("{}()", user.target);
    what = what.empty() ? via : fmt::format("{} in {}", what, via);
  }
  if (what.empty()) what = "co_await";
  std::string out;
  if (user.at)
    out = fmt::format("{} at {}", what, short_site(user.at.file, user.at.line));
  else if (inner.at)
    out = fmt::format("{} at {}", what, short_site(inner.at.file, inner.at.line));
  else
    out = "(not suspended in a simloop-visible co_await)";
  if (const wait_op* t = pending_timer_of(s, lane)) out += fmt::format(" (due t={})", format_time(t->deadline));
  return out;
}

std::vector<std::uint32_t> live_children(const scheduler& s, std::uint32_t lane) {
  std::vector<std::uint32_t> out;
  for (std::uint32_t l = lane + 1; l <= s.tasks().size(); ++l)
    if (s.tasks()[l].alive && s.tasks()[l].parent == lane) out.push_back(l);
  return out;
}

// Waiting for tasks it started: co_spawn(.., use_awaitable), a parallel
// group, the awaitable operators || and &&.
bool awaits_children(const task_frame& f) {
  std::string op = describe_operation(f.inner_wait().op);
  if (op.find("co_spawn") != std::string::npos || op.find("parallel_group") != std::string::npos) return true;
  const char* target = f.user_wait().target;
  return target && (std::strcmp(target, "operator||") == 0 || std::strcmp(target, "operator&&") == 0);
}

std::size_t label_width_for(const scheduler& s) {
  std::size_t w = 24;
  for (std::uint32_t l = 1; l <= s.tasks().size(); ++l)
    if (s.tasks()[l].alive) w = std::max(w, task_label(s, l).size() + 2);
  return std::min<std::size_t>(w, 60);
}


std::string describe_task_with(const scheduler& s, std::uint32_t lane, std::size_t width, bool with_wait,
                               object_names* names) {
  const task_frame* f = frame_of_task(s, lane);
  std::string label = task_label(s, lane);
  if (width == 0) width = std::max<std::size_t>(24, label.size() + 2);
  if (!f) return fmt::format("  {:<{}}(finished)\n", label, width);
  std::string out = fmt::format("  {:<{}}spawned at  {}\n", label, width, spawn_site(s, lane, *f));
  if (s.tasks()[lane].crashed)
    out += fmt::format("  {:<{}}host        crashed while it waited (it never runs again)\n", "", width);
  if (with_wait) {
    out += fmt::format("  {:<{}}waiting on  {}\n", "", width, wait_site(s, lane, *f, names));
    // What the network says the task waits for ("waiting on read from
    // 10.0.0.2:80"): a read whose peer is gone never completes.
    if (s.owner().has_network())
      for (const auto& w : s.owner().network().pending_waits())
        if (w.lane == lane) out += fmt::format("  {:<{}}network     {}\n", "", width, w.what);
  }
  return out;
}

}  // namespace

std::uint32_t task_rooted_at(const scheduler& s, const frame_info& f, std::uint64_t spawn_step, std::uint32_t after) {
  const source_site d = f.defined();
  if (!d.function || f.is_operation()) return 0;
  for (std::uint32_t l = after + 1; l <= s.tasks().size(); ++l) {
    const task_frame* t = frame_of_task(s, l);
    if (!t || s.tasks()[l].spawn_step != spawn_step) continue;
    if (t->root() == d) return l;
  }
  return 0;
}

std::string describe_task(const scheduler& s, std::uint32_t lane, std::size_t width, bool with_wait) {
  return describe_task_with(s, lane, width, with_wait, nullptr);
}

std::string describe_blocked_tasks(const scheduler& s) {
  std::size_t width = label_width_for(s);
  std::string out;
  object_names names;
  struct blocked {
    std::uint32_t lane;
    std::string op;
    const void* object;
  };
  std::vector<blocked> waits;
  for (std::uint32_t l = 1; l <= s.tasks().size(); ++l) {
    const task_frame* f = frame_of_task(s, l);
    if (!f) continue;
    out += describe_task_with(s, l, width, true, &names);
    std::vector<std::uint32_t> kids = live_children(s, l);
    if (!kids.empty() && awaits_children(*f)) {
      std::string list;
      for (auto k : kids) list += fmt::format("{}{}", list.empty() ? "" : ", ", task_label(s, k));
      out += fmt::format("  {:<{}}waits for   {} (spawned by it, still running)\n", "", width, list);
    }
    waits.push_back(blocked{l, describe_operation(f->inner_wait().op), f->inner_wait().object});
  }
  // Receivers with no suspended sender: what they wait for can only come
  // from a task that has finished (or from outside every task).
  for (const blocked& w : waits) {
    // A task whose host crashed never runs again: what it waits for no
    // longer matters (its own lines say so).
    if (s.tasks()[w.lane].crashed) continue;
    std::size_t dot = w.op.find(".async_receive");
    if (dot == std::string::npos) continue;
    std::string send = w.op.substr(0, dot) + ".async_send";
    bool same_object_known = w.object != nullptr;
    bool sender = false, first = true;
    std::string receivers;
    int count = 0;
    for (const blocked& o : waits) {
      bool same = same_object_known ? o.object == w.object : true;
      if (!same) continue;
      if (o.op == send) sender = true;
      if (o.op == w.op) {
        if (o.lane < w.lane) first = false;
        receivers += fmt::format("{}#{}", receivers.empty() ? "" : ", ", o.lane);
        ++count;
      }
    }
    if (sender || !first) continue;
    std::string where = same_object_known ? names.name(w.object, w.op) : w.op.substr(0, dot);
    out += fmt::format(
        "  wait-for:   {} {} {} to receive on {} and no live task is suspended sending to it: what {} "
        "for could only come from a task that has finished (a missing close or sentinel?)\n",
        count == 1 ? "task" : "tasks", receivers, count == 1 ? "waits" : "wait", where, count == 1 ? "it waits" : "they wait");
  }
  return out;
}

void report_leaked_tasks(scheduler& s) {
  std::size_t width = label_width_for(s);
  bool any_task = false;
  for (std::uint32_t l = 1; l <= s.tasks().size(); ++l) {
    if (l == s.body_lane() || !frame_of_task(s, l)) continue;
    any_task = true;
    s.add_finding(finding_kind::leaked_task,
                  fmt::format("leaked task after the test body finished: {}", task_label(s, l)),
                  describe_task(s, l, width));
  }
  // Timer waits whose task is gone (callbacks, or a finished task's timer).
  std::vector<const wait_op*> orphans;
  s.timers().for_each([&](const wait_op* op) {
    if (!op->internal && !frame_of_task(s, op->lane_)) orphans.push_back(op);
  });
  std::sort(orphans.begin(), orphans.end(), [](const wait_op* a, const wait_op* b) { return a->seq < b->seq; });
  for (const wait_op* op : orphans) {
    std::string armed = op->armed_lane ? task_label(s, op->armed_lane) : "code outside any task";
    s.add_finding(finding_kind::leaked_task, "leaked timer wait after the test body finished: no live task owns it",
                  fmt::format("  timer wait:  due t={}\n  armed by:    {}{}\n", format_time(op->deadline), armed,
                              frame_of_task(s, op->armed_lane) ? "" : " (finished)"));
  }
  // Simulated sockets still open with no task left: something outside every
  // task keeps them (a shared_ptr, a global) and nothing will close them.
  // (With leaked tasks, their own sockets are open too: not repeated.)
  simulation& sim = s.owner();
  if (!any_task && sim.has_network()) {
    for (const std::string& what : sim.network().open_objects())
      s.add_finding(finding_kind::leaked_task,
                    "leaked I/O object after the test body finished: still open, and no live task owns it",
                    fmt::format("  object:      {}\n  fix:         close it (or let its owner go) before the body returns\n",
                                what));
  }
}

void report_slow_step(scheduler& s, std::int64_t cpu_ns) {
  s.add_finding(
      finding_kind::blocking_call,
      fmt::format("slow step: {} used {:.1f} ms of CPU time, over the budget of {:.1f} ms", task_label(s, s.current_lane()),
                  static_cast<double>(cpu_ns) / 1e6, static_cast<double>(s.opts().step_cpu_budget.count()) / 1e6),
      fmt::format("{}  note:       timing-based (options::step_cpu_budget); a loaded machine can cause it, the "
                  "seed may not reproduce it\n",
                  describe_task(s, s.current_lane(), 0, false)));
}

}  // namespace simloop::detail
