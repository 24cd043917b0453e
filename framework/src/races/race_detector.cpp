#include <simloop/detail/race_detector.hpp>
#include <simloop/detail/time_text.hpp>

#include <simloop/annotations.hpp>
#include <simloop/detail/happens_before.hpp>
#include <simloop/detail/scheduler.hpp>
#include <simloop/detail/task_report.hpp>

#include <fmt/format.h>

namespace simloop::detail {

namespace {

// "task #3 increment (spawned by task #1 in step 1)": the task registry's
// label (id and coroutine name) and where it came from.
std::string race_task(const scheduler& s, std::uint32_t lane) {
  if (lane == 0) return "outside any task";
  if (lane > s.tasks().size()) return fmt::format("task #{}", lane);
  std::string label = task_label(s, lane);
  if (lane == s.body_lane()) return label + " (the body)";
  const task_record& t = s.tasks()[lane];
  return fmt::format("{} (spawned by task #{} in step {})", label, t.parent, t.spawn_step);
}


}  // namespace

race_detector::lane_entry& race_detector::variable::of(std::uint32_t lane) {
  for (auto& e : lanes)
    if (e.lane == lane) return e;
  lanes.push_back(lane_entry{});
  lanes.back().lane = lane;
  return lanes.back();
}

void race_detector::on_access(scheduler& s, happens_before_state& hb, const void* var, const char* label,
                              access_kind kind, access_site site) {
  hb.touch(s.step());
  variable& v = vars_[var];
  v.label = label;
  std::uint32_t lane = s.current_lane();
  std::uint64_t step = s.step();
  access a{step, site, s.now(), 0, 0};
  // `v.of` may grow v.lanes: take indices, not references, across calls.
  std::size_t me = &v.of(lane) - v.lanes.data();

  if (kind == access_kind::read) {
    a.from_lane = v.last_writer;
    a.from_step = v.last_write_step;
    v.lanes[me].read = a;
    v.lanes[me].has_read = true;
    return;
  }

  // A write. First: does it close a read-suspend-write span of this lane?
  lane_entry& e = v.lanes[me];
  if (e.has_read && e.read.step < step) {
    e.span_read = e.read;
    e.span_write = a;
    e.has_span = true;
    if (!v.reported) {
      // Another lane's latest write not ordered before the read can land
      // between the read and this write (it cannot be ordered after this
      // write: it already happened).
      for (const lane_entry& o : v.lanes) {
        if (o.lane == lane || !o.has_write) continue;
        if (hb.known_at(lane, e.span_read.step, o.lane) < o.write.step) {
          report(s, hb, v, lane, e.span_read, a, o.lane, o.write);
          v.reported = true;
          break;
        }
      }
    }
  }
  // The read fed this write; a later write needs a new read to form a span.
  v.lanes[me].has_read = false;

  // Second: can this write land inside another lane's earlier span? It
  // cannot be ordered before that span's read (the read already happened);
  // it is unordered unless it happens after the span's write.
  if (!v.reported) {
    for (const lane_entry& o : v.lanes) {
      if (o.lane == lane || !o.has_span) continue;
      if (hb.known_now(lane, o.lane) < o.span_write.step) {
        report(s, hb, v, o.lane, o.span_read, o.span_write, lane, a);
        v.reported = true;
        break;
      }
    }
  }
  v.lanes[me].write = a;
  v.lanes[me].has_write = true;
  v.last_writer = lane;
  v.last_write_step = step;
}

void race_detector::report(scheduler& s, const happens_before_state& hb, const variable& v, std::uint32_t span_lane, const access& r,
                           const access& w, std::uint32_t other_lane, const access& m) {
  std::string name = v.label ? fmt::format("'{}'", v.label) : std::string("(unlabelled tracked value)");
  // The read saw the other task's write: the check of a check-then-act was
  // made on a value that task had not published by any happens-before edge.
  bool saw_other = r.from_lane == other_lane && r.from_step == m.step && m.step < r.step;
  std::string headline =
      saw_other
          ? fmt::format("race on tracked {}: task #{} read task #{}'s unordered write, suspended, then wrote "
                        "(check-then-act)",
                        name, span_lane, other_lane)
          : fmt::format("race on tracked {}: task #{} read it, suspended, then wrote it; task #{}'s write can "
                        "land in between (lost update)",
                        name, span_lane, other_lane);
  std::string body;
  body += fmt::format("  variable     {}\n", v.label ? v.label : "(unlabelled)");
  body += fmt::format("  {}\n", race_task(s, span_lane));
  body += fmt::format("    read at      {}   (step {}, t={})\n", describe_site(r.site), r.step, format_time(r.time));
  // The task's steps between the read and the write: each began after a
  // suspension.
  std::uint64_t resumed = 0, first = 0;
  for (std::uint64_t st = r.step + 1; st <= w.step; ++st) {
    if (hb.lane_of_step(st) != span_lane) continue;
    if (!first) first = st;
    ++resumed;
  }
  if (first)
    body += fmt::format("    suspended    after step {}: resumed in step {}{}\n", r.step, first,
                        resumed > 1 ? fmt::format(", then suspended {} more time(s) before the write", resumed - 1)
                                    : std::string());
  else
    body += fmt::format("    suspended    after step {}: resumed inside step {}\n", r.step, w.step);
  body += fmt::format("    wrote at     {}   (step {}, t={})\n", describe_site(w.site), w.step, format_time(w.time));
  body += fmt::format("  {}\n", race_task(s, other_lane));
  body += fmt::format("    wrote at     {}   (step {}, t={})\n", describe_site(m.site), m.step, format_time(m.time));
  body += fmt::format(
      "  why:         no happens-before edge orders task #{}'s write before task #{}'s read or after its write\n"
      "               (no mutex, join, message or post between them): a schedule exists where it lands in between\n",
      other_lane, span_lane);
  s.add_finding(finding_kind::race, headline, body);
}

void record_access(const void* var, const char* label, access_kind kind, access_site site) noexcept {
  scheduler* s = current_scheduler();
  if (!s || !s->in_step()) return;
  try {
    happens_before_state* hb = s->start_happens_before();
    if (!hb) return;
    hb->detector().on_access(*s, *hb, var, label, kind, site);
  } catch (...) {
    // Out of memory while recording: the access goes unrecorded.
  }
}

void forget_variable(const void* var) noexcept {
  scheduler* s = current_scheduler();
  if (!s) return;
  if (happens_before_state* hb = s->happens_before()) hb->detector().forget(var);
}

}  // namespace simloop::detail

namespace simloop {

void happens_before(const void* addr) noexcept {
  detail::scheduler* s = detail::current_scheduler();
  if (!s || !s->in_step()) return;
  if (detail::happens_before_state* hb = s->happens_before()) {
    try {
      hb->release(addr, s->current_lane(), s->step());
    } catch (...) {
    }
  }
}

void happens_after(const void* addr) noexcept {
  detail::scheduler* s = detail::current_scheduler();
  if (!s || !s->in_step()) return;
  if (detail::happens_before_state* hb = s->happens_before()) {
    try {
      hb->acquire(addr, s->current_lane(), s->step());
    } catch (...) {
    }
  }
}

void happens_forget(const void* addr) noexcept {
  detail::scheduler* s = detail::current_scheduler();
  if (!s) return;
  if (detail::happens_before_state* hb = s->happens_before()) hb->forget(addr);
}

}  // namespace simloop
