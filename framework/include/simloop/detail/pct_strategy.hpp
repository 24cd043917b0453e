// simloop/detail/pct_strategy.hpp: probabilistic concurrency testing.
#pragma once

#include <simloop/detail/choice_source.hpp>
#include <simloop/detail/ready_set.hpp>

#include <algorithm>
#include <cstdint>
#include <vector>

namespace simloop::detail {

// PCT (Burckhardt, Kothari, Musuvathi, Nagarakatte; ASPLOS 2010). Every task
// lane gets a random priority when it is created; each step runs the oldest
// ready step of the highest-priority lane; at d - 1 change points, drawn
// uniformly from [1, k], the lane about to run drops below every initial
// priority (the i-th change point gives priority d - i). For a program with n
// lanes and k steps, every bug of depth d is found by one run with
// probability at least 1 / (n * k^(d-1)).
//
// k is options::pct_steps, a fixed estimate: it is never learned from earlier
// runs, so a seed replays on its own. If runs are much shorter than k, most
// change points fall after the end and PCT degrades to random priorities
// (depth 1); if much longer, the change points crowd the start.
class pct_strategy {
 public:
  pct_strategy(choice_source& src, int depth, std::uint64_t steps) : src_(src) {
    depth_ = static_cast<std::uint64_t>(depth);
    for (int i = 1; i < depth; ++i)
      change_points_.push_back(1 + src.choose(steps));
    std::sort(change_points_.begin(), change_points_.end());
  }

  void on_new_lane(std::uint32_t lane) {
    if (priority_.size() <= lane) priority_.resize(lane + 1, 0);
    // Above every change-point priority (< depth); the top bit keeps that
    // true whatever the draw.
    priority_[lane] = (std::uint64_t{1} << 62) | src_.choose(std::uint64_t{1} << 62);
  }

  operation* take(ready_set& ready, choice_source&, std::uint32_t& choice) {
    ++step_;
    std::size_t best = highest(ready);
    while (next_change_ < change_points_.size() && change_points_[next_change_] == step_) {
      ++next_change_;
      priority_of(ready[best]->lane_) = depth_ - next_change_;
      best = highest(ready);
    }
    choice = static_cast<std::uint32_t>(best);
    // take_swap, as the replay strategy does: replaying report::choices must
    // see the ready set in the same order after every pick. "Oldest" comes
    // from the ages the ready set stamps, not from positions in it.
    return ready.take_swap(best);
  }

 private:
  std::uint64_t& priority_of(std::uint32_t lane) {
    if (priority_.size() <= lane) on_new_lane(lane);
    return priority_[lane];
  }
  // The oldest entry of the highest-priority lane.
  std::size_t highest(const ready_set& ready) {
    std::size_t best = 0;
    std::uint64_t best_priority = priority_of(ready[0]->lane_);
    for (std::size_t i = 1; i < ready.size(); ++i) {
      std::uint64_t p = priority_of(ready[i]->lane_);
      if (p > best_priority || (p == best_priority && ready_set::older(ready[i], ready[best]))) {
        best = i;
        best_priority = p;
      }
    }
    return best;
  }

  choice_source& src_;
  std::uint64_t depth_;
  std::uint64_t step_ = 0;
  std::vector<std::uint64_t> change_points_;
  std::size_t next_change_ = 0;
  std::vector<std::uint64_t> priority_;
};

}  // namespace simloop::detail
