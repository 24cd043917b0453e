// simloop/detail/happens_before.hpp: vector clocks over task lanes.
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

namespace simloop::detail {

class race_detector;

// Happens-before over the steps of one run. A lane's clock component is the
// number of its latest step known (step numbers grow across the whole run, so
// they serve as every lane's local counter): step a of lane A happens before
// a point of lane B iff B's clock has [A] >= a.
//
// Edges come from two places:
//  - the core: each step joins the clock of the step that submitted it
//    (operation::parent_step_: spawn, post/dispatch, completion, timer arm ->
//    fire), and a lane's steps are in program order;
//  - release/acquire on an address (simloop's primitives and the public
//    annotations happens_before/happens_after).
//
// Cost: a step whose parent is a step of the same lane only stamps its own
// component. Only cross-lane steps join (O(lanes)), and only those keep a
// snapshot (a lane's clock changes in other components only then), so the
// clock of any past step is found by binary search in its lane's history.
class happens_before_state {
 public:
  using clock = std::vector<std::uint64_t>;

  happens_before_state();
  ~happens_before_state();

  // The core calls this at the start of every step (when race detection is on).
  void on_step(std::uint64_t step, std::uint32_t lane, std::uint64_t parent_step);

  // Within a step, code of lane `outer` runs code of lane `inner` inline
  // (co_spawn's first dispatch, a completion dispatched to its awaiter's
  // executor) until inline_leave. The clocks are joined lazily, by touch(),
  // only if the inline code makes an access or a release/acquire: a
  // detached task's empty completion, dispatched to its spawner's executor,
  // must not become a join edge. Posts made inline need nothing here: the
  // op joins the step's lane when it runs.
  void inline_enter(std::uint32_t outer, std::uint32_t inner) { inline_.push_back({outer, inner, false}); }
  void inline_leave(std::uint64_t step);
  // Called before an access or a release/acquire in the current step.
  void touch(std::uint64_t step) {
    if (!inline_.empty() && !inline_.back().touched) materialise(step);
  }

  void release(const void* key, std::uint32_t lane, std::uint64_t step);
  void acquire(const void* key, std::uint32_t lane, std::uint64_t step);
  void forget(const void* key) { sync_.erase(key); }

  // Component `of` of the clock lane `lane` had at step `step`: the latest step
  // of lane `of` that happens before that point (0: none).
  std::uint64_t known_at(std::uint32_t lane, std::uint64_t step, std::uint32_t of) const;
  // The current clock of a lane, component `of`.
  std::uint64_t known_now(std::uint32_t lane, std::uint32_t of) const {
    if (lane >= lanes_.size()) return 0;
    const clock& c = lanes_[lane].now;
    return of < c.size() ? c[of] : 0;
  }
  std::uint32_t lane_of_step(std::uint64_t step) const {
    return step < step_lane_.size() ? step_lane_[step] : 0;
  }

  race_detector& detector();

 private:
  struct snapshot {
    std::uint64_t step;
    clock value;
  };
  struct lane_clock {
    clock now;
    std::vector<snapshot> history;
  };
  lane_clock& lane(std::uint32_t l) {
    if (l >= lanes_.size()) lanes_.resize(l + 1);
    return lanes_[l];
  }
  // Joins `other` (the clock of some past step, with its own lane's
  // component replaced by that step) into lane l at step `step`.
  void join(std::uint32_t l, std::uint64_t step, const clock* other, std::uint32_t other_lane,
            std::uint64_t other_step);
  const clock* clock_at(std::uint32_t lane, std::uint64_t step) const;

  void materialise(std::uint64_t step);
  struct inline_frame {
    std::uint32_t outer, inner;
    bool touched;
  };
  std::vector<inline_frame> inline_;

  std::vector<std::uint32_t> step_lane_;  // step -> lane
  std::vector<lane_clock> lanes_;
  // Released clocks by address. Looked up, never iterated: its order cannot
  // leak into a run.
  std::unordered_map<const void*, clock> sync_;
  race_detector* detector_ = nullptr;
};

}  // namespace simloop::detail
