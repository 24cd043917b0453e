// simloop/detail/race_detector.hpp: the predictive atomicity-violation
// detector behind tracked<T>.
#pragma once

#include <simloop/detail/access_log.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace simloop::detail {

class scheduler;
class happens_before_state;

// For each tracked variable and each lane that touched it, the detector keeps
// the lane's latest read, latest write and latest read-suspend-write span (a
// read and the lane's next write in a LATER step: the task suspended in
// between). Latest is enough: a lane's earlier accesses happen before its
// later ones, so if the latest one is ordered, all are.
//
// A race is a span (r, w) of lane L and a write m of another lane with
// neither m -> r nor w -> m by happens-before: some schedule puts m between
// r and w, and L's write overwrites it with a value computed from the stale
// read. Both orders of discovery are checked: at w against the other lanes'
// latest writes, and at m against the other lanes' latest spans. So the bug
// is predicted from any schedule, including those where m did not actually
// land in between. Two accesses in one step are atomic (cooperative
// scheduling) and never form a span. One finding per variable.
class race_detector {
 public:
  void on_access(scheduler& s, happens_before_state& hb, const void* var, const char* label, access_kind kind,
                 access_site site);
  void forget(const void* var) { vars_.erase(var); }

 private:
  struct access {
    std::uint64_t step = 0;
    access_site site;
    std::chrono::nanoseconds time{0};
    // For a read: the write it saw (lane, step; step 0 = the initial value).
    std::uint32_t from_lane = 0;
    std::uint64_t from_step = 0;
  };
  struct lane_entry {
    std::uint32_t lane = 0;
    bool has_read = false, has_write = false, has_span = false;
    access read, write, span_read, span_write;
  };
  struct variable {
    const char* label = nullptr;
    bool reported = false;
    std::uint32_t last_writer = 0;
    std::uint64_t last_write_step = 0;
    std::vector<lane_entry> lanes;
    lane_entry& of(std::uint32_t lane);
  };
  void report(scheduler& s, const happens_before_state& hb, const variable& v, std::uint32_t span_lane, const access& r, const access& w,
              std::uint32_t other_lane, const access& m);

  // Looked up by address, never iterated.
  std::unordered_map<const void*, variable> vars_;
};

// "races/lost_update_test.cpp:41" for a site (symbolising a return address
// on first use, cached).
std::string describe_site(const access_site& site);

}  // namespace simloop::detail
