#include <simloop/detail/happens_before.hpp>

#include <simloop/detail/race_detector.hpp>

#include <algorithm>

namespace simloop::detail {

happens_before_state::happens_before_state() { step_lane_.push_back(0); }

happens_before_state::~happens_before_state() { delete detector_; }

race_detector& happens_before_state::detector() {
  if (!detector_) detector_ = new race_detector();
  return *detector_;
}

const happens_before_state::clock* happens_before_state::clock_at(std::uint32_t l, std::uint64_t step) const {
  if (l >= lanes_.size()) return nullptr;
  const auto& h = lanes_[l].history;
  auto it = std::upper_bound(h.begin(), h.end(), step,
                             [](std::uint64_t s, const snapshot& snap) { return s < snap.step; });
  if (it == h.begin()) return nullptr;
  return &std::prev(it)->value;
}

std::uint64_t happens_before_state::known_at(std::uint32_t l, std::uint64_t step, std::uint32_t of) const {
  if (of == l) return step;
  const clock* c = clock_at(l, step);
  if (!c || of >= c->size()) return 0;
  return (*c)[of];
}

void happens_before_state::join(std::uint32_t l, std::uint64_t step, const clock* other, std::uint32_t other_lane,
                                std::uint64_t other_step) {
  lane_clock& lc = lane(l);
  clock& now = lc.now;
  bool changed = false;
  std::size_t need = std::max<std::size_t>(other ? other->size() : 0, other_lane + 1);
  if (now.size() < need) now.resize(need, 0);
  if (other) {
    for (std::size_t i = 0; i < other->size(); ++i) {
      if (i == l) continue;
      if ((*other)[i] > now[i]) {
        now[i] = (*other)[i];
        changed = true;
      }
    }
  }
  if (other_lane != l && other_step > now[other_lane]) {
    now[other_lane] = other_step;
    changed = true;
  }
  if (!changed) return;
  if (!lc.history.empty() && lc.history.back().step == step)
    lc.history.back().value = now;
  else
    lc.history.push_back(snapshot{step, now});
}

void happens_before_state::on_step(std::uint64_t step, std::uint32_t l, std::uint64_t parent_step) {
  inline_.clear();
  if (step_lane_.size() <= step) step_lane_.resize(step + 1, 0);
  step_lane_[step] = l;
  lane_clock& lc = lane(l);
  if (lc.now.size() <= l) lc.now.resize(l + 1, 0);
  lc.now[l] = step;
  if (parent_step == 0 || parent_step >= step) return;
  std::uint32_t pl = step_lane_[parent_step];
  if (pl == l) return;  // program order: already in this lane's clock
  join(l, step, clock_at(pl, parent_step), pl, parent_step);
}

void happens_before_state::materialise(std::uint64_t step) {
  // Frames below may be untouched too: join from the bottom-most untouched.
  std::size_t i = inline_.size();
  while (i > 0 && !inline_[i - 1].touched) --i;
  for (; i < inline_.size(); ++i) {
    inline_frame& f = inline_[i];
    lane(std::max(f.outer, f.inner));
    lane_clock& t = lanes_[f.inner];
    if (t.now.size() <= f.inner) t.now.resize(f.inner + 1, 0);
    t.now[f.inner] = step;
    clock c = lanes_[f.outer].now;  // a copy: no aliasing while t grows
    join(f.inner, step, &c, f.outer, step);
    f.touched = true;
  }
}

void happens_before_state::inline_leave(std::uint64_t step) {
  if (inline_.empty()) return;
  inline_frame f = inline_.back();
  inline_.pop_back();
  if (!f.touched) return;
  // The inline code ran before the rest of the step: the outer lane knows it.
  clock c = lanes_[f.inner].now;
  join(f.outer, step, &c, f.inner, step);
  if (!inline_.empty()) inline_.back().touched = true;
}

void happens_before_state::release(const void* key, std::uint32_t l, std::uint64_t step) {
  touch(step);
  lane_clock& lc = lane(l);
  if (lc.now.size() <= l) lc.now.resize(l + 1, 0);
  lc.now[l] = step;
  clock& c = sync_[key];
  if (c.size() < lc.now.size()) c.resize(lc.now.size(), 0);
  for (std::size_t i = 0; i < lc.now.size(); ++i) c[i] = std::max(c[i], lc.now[i]);
}

void happens_before_state::acquire(const void* key, std::uint32_t l, std::uint64_t step) {
  touch(step);
  auto it = sync_.find(key);
  if (it == sync_.end()) return;
  // A copy: join may resize the lane's clock, and the key's clock must not
  // alias it.
  clock c = it->second;
  join(l, step, &c, l, 0);
}

}  // namespace simloop::detail
