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
//
// Cost per step: O(entries that became ready since the last step + log of
// the lanes with ready entries). The strategy keeps its own index of the ready
// set: per lane, its ready entries oldest first, and a max-heap of those lanes
// by (priority, age of their oldest entry). New entries are always at the end
// of the ready set (push_back), so each take indexes just the entries past the
// size it left; anything else removing entries (a simulated host crash,
// scheduler::destroy_if) shows in ready_set::removed() and the index is
// rebuilt. The pick, and the index recorded as the choice, are those of a
// scan of the whole set for the oldest entry of the highest-priority lane.
class pct_strategy {
 public:
  pct_strategy(choice_source& src, int depth, std::uint64_t steps) : src_(src) {
    depth_ = static_cast<std::uint64_t>(depth);
    for (int i = 1; i < depth; ++i)
      change_points_.push_back(1 + src.choose(steps));
    std::sort(change_points_.begin(), change_points_.end());
  }

  void on_new_lane(std::uint32_t lane) {
    if (lanes_.size() <= lane) lanes_.resize(lane + 1);
    // Above every change-point priority (< depth); the top bit keeps that
    // true whatever the draw.
    lanes_[lane].priority = (std::uint64_t{1} << 62) | src_.choose(std::uint64_t{1} << 62);
  }

  operation* take(ready_set& ready, choice_source&, std::uint32_t& choice) {
    ++step_;
    if (ready.size() == 1 && indexed_ == 0 && ready.removed() == removed_) {
      // One entry, which became ready since the last take: the index is
      // empty and the pick is forced. Only its lane's priority may change.
      operation* op = ready[0];
      lane_state& l = lane_of(op->lane_);
      while (next_change_ < change_points_.size() && change_points_[next_change_] == step_)
        l.priority = depth_ - ++next_change_;
      choice = 0;
      ready.pop_front();
      removed_ = ready.removed();
      return op;
    }
    index(ready);
    std::uint32_t lane = heap_.front();
    while (next_change_ < change_points_.size() && change_points_[next_change_] == step_) {
      ++next_change_;
      lanes_[lane].priority = depth_ - next_change_;
      sift_down(0);
      lane = heap_.front();
    }
    lane_state& l = lanes_[lane];
    const std::uint32_t n = l.head;
    operation* op = nodes_[n].op;
    l.head = nodes_[n].next;
    if (l.head == none) l.tail = none;
    nodes_[n].next = free_;
    free_ = n;
    if (l.head == none) pop_heap_top();
    else sift_down(0);  // the lane's key only grew older-than: it can only sink
    const std::size_t at = ready.index_of(op);
    choice = static_cast<std::uint32_t>(at);
    // take_swap, as the replay strategy does: replaying report::choices must
    // see the ready set in the same order after every pick.
    ready.take_swap(at);
    indexed_ = ready.size();
    removed_ = ready.removed();
    return op;
  }

 private:
  static constexpr std::uint32_t none = 0xffffffffu;
  struct node {
    operation* op;
    std::uint64_t age;  // order of entry into the ready set
    std::uint32_t next;
  };
  struct lane_state {
    std::uint64_t priority = 0;
    std::uint32_t head = none;  // oldest ready entry (a node index)
    std::uint32_t tail = none;
    std::uint32_t heap_at = none;
  };

  lane_state& lane_of(std::uint32_t lane) {
    if (lanes_.size() <= lane) on_new_lane(lane);
    return lanes_[lane];
  }

  // Indexes the entries that became ready since the last take; or, when
  // something else removed entries, all of them again. Ages follow positions,
  // as after destroy_if, which re-queues the survivors in order.
  void index(const ready_set& ready) {
    std::size_t from = indexed_;
    if (ready.removed() != removed_) {
      for (std::uint32_t l : heap_) lanes_[l].head = lanes_[l].tail = lanes_[l].heap_at = none;
      heap_.clear();
      nodes_.clear();
      free_ = none;
      from = 0;
      removed_ = ready.removed();
    }
    for (std::size_t i = from; i < ready.size(); ++i) add(ready[i]);
    indexed_ = ready.size();
  }

  void add(operation* op) {
    lane_state& l = lane_of(op->lane_);
    std::uint32_t n;
    if (free_ != none) {
      n = free_;
      free_ = nodes_[n].next;
      nodes_[n] = node{op, next_age_++, none};
    } else {
      n = static_cast<std::uint32_t>(nodes_.size());
      nodes_.push_back(node{op, next_age_++, none});
    }
    if (l.tail != none) {
      nodes_[l.tail].next = n;
      l.tail = n;
      return;
    }
    l.head = l.tail = n;
    l.heap_at = static_cast<std::uint32_t>(heap_.size());
    heap_.push_back(op->lane_);
    sift_up(heap_.size() - 1);
  }

  // a runs before b: higher priority, or the same priority and an older
  // oldest entry.
  bool before(std::uint32_t a, std::uint32_t b) const noexcept {
    const lane_state& x = lanes_[a];
    const lane_state& y = lanes_[b];
    if (x.priority != y.priority) return x.priority > y.priority;
    return nodes_[x.head].age < nodes_[y.head].age;
  }
  void place(std::size_t i, std::uint32_t lane) noexcept {
    heap_[i] = lane;
    lanes_[lane].heap_at = static_cast<std::uint32_t>(i);
  }
  void sift_up(std::size_t i) noexcept {
    const std::uint32_t lane = heap_[i];
    while (i > 0) {
      const std::size_t parent = (i - 1) / 2;
      if (!before(lane, heap_[parent])) break;
      place(i, heap_[parent]);
      i = parent;
    }
    place(i, lane);
  }
  void sift_down(std::size_t i) noexcept {
    const std::uint32_t lane = heap_[i];
    const std::size_t n = heap_.size();
    for (;;) {
      std::size_t c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && before(heap_[c + 1], heap_[c])) ++c;
      if (!before(heap_[c], lane)) break;
      place(i, heap_[c]);
      i = c;
    }
    place(i, lane);
  }
  void pop_heap_top() noexcept {
    lanes_[heap_.front()].heap_at = none;
    const std::uint32_t last = heap_.back();
    heap_.pop_back();
    if (heap_.empty()) return;
    place(0, last);
    sift_down(0);
  }

  choice_source& src_;
  std::uint64_t depth_;
  std::uint64_t step_ = 0;
  std::vector<std::uint64_t> change_points_;
  std::size_t next_change_ = 0;
  std::vector<lane_state> lanes_;
  std::vector<std::uint32_t> heap_;  // lanes with ready entries
  std::vector<node> nodes_;          // ready entries by lane; free ones linked from free_
  std::uint32_t free_ = none;
  std::uint64_t next_age_ = 0;
  std::size_t indexed_ = 0;  // ready-set entries [0, indexed_) are indexed
  std::uint64_t removed_ = 0;
};

}  // namespace simloop::detail
