// simloop/chrome_trace.hpp: a run as Chrome trace-event JSON (opens in Perfetto).
#pragma once

#include <simloop/finding.hpp>

#include <string>
#include <string_view>

namespace simloop {

// The run of `r` (recorded with options::record_trace) as a Chrome
// trace-event JSON document:
//  - one track (thread) per task lane, named "task #N", with its parent and
//    spawn step; lane 0 is "outside tasks";
//  - one complete event ("X") per step on its lane, args {step, t_ns, choice,
//    parent};
//  - a flow arrow ("s" -> "f") from the step that submitted a step to it
//    (a post, a timer armed, a wake-up);
//  - an instant event ("i") per finding, with its full message.
// The time axis is virtual time in microseconds; steps that ran at the same
// virtual instant are laid out 1 us apart (their exact time is in t_ns), so
// the axis is stretched by at most 1 us per step. otherData carries
// {"format": "simloop-trace/1", name, seed, strategy, steps, trace_hash}.
std::string chrome_trace_json(const report& r, std::string_view name = {});

// Writes chrome_trace_json(r, name) to path. Returns an error text, empty on
// success.
std::string write_chrome_trace(const report& r, const std::string& path, std::string_view name = {});

}  // namespace simloop
