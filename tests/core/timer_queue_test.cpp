// The timer heap against a model (an ordered set): pops in (deadline, arming
// order), removes anywhere, dead entries never read (their waits are freed
// at once, which ASan checks), renumbering keeps the order.
#include <simloop/detail/prng.hpp>
#include <simloop/detail/timer_queue.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <utility>
#include <vector>

namespace {

using simloop::detail::prng;
using simloop::detail::timer_queue;
using simloop::detail::wait_op;

void never_run(simloop::detail::operation*, bool) {}

// The queue and, beside it, what it must hold: key -> wait.
struct checked_queue {
  timer_queue q;
  std::map<std::pair<std::int64_t, std::uint64_t>, std::unique_ptr<wait_op>> model;

  wait_op* push(std::int64_t deadline) {
    auto op = std::make_unique<wait_op>(&never_run);
    op->deadline = std::chrono::nanoseconds(deadline);
    q.push(op.get());
    wait_op* raw = op.get();
    model.emplace(std::pair{deadline, raw->seq}, std::move(op));
    return raw;
  }
  // Pops and checks it is the model's first; the wait is freed.
  void pop() {
    ASSERT_FALSE(model.empty());
    wait_op* op = q.pop();
    auto first = model.begin();
    ASSERT_EQ(op, first->second.get());
    model.erase(first);
  }
  // Removes the n-th pending wait in key order, and frees it at once.
  void remove_nth(std::size_t n) {
    auto it = model.begin();
    std::advance(it, static_cast<std::ptrdiff_t>(n));
    q.remove(it->second.get());
    model.erase(it);
  }
  void check() const {
    ASSERT_EQ(q.size(), model.size());
    ASSERT_EQ(q.empty(), model.empty());
    if (model.empty()) return;
    EXPECT_EQ(q.top(), model.begin()->second.get());
    EXPECT_EQ(q.earliest().count(), model.begin()->first.first);
    std::set<const wait_op*> live;
    for (const auto& [key, op] : model) live.insert(op.get());
    std::set<const wait_op*> seen;
    q.for_each([&](wait_op* op) {
      EXPECT_TRUE(live.count(op)) << "for_each visited a wait that is not pending";
      EXPECT_TRUE(seen.insert(op).second) << "for_each visited a wait twice";
    });
    EXPECT_EQ(seen.size(), live.size());
    std::size_t live_positions = 0;
    for (std::size_t i = 0; i < q.positions(); ++i) {
      if (!q.live_at(i)) continue;
      ++live_positions;
      const wait_op* op = q.at(i);
      ASSERT_TRUE(live.count(op)) << "position " << i << " is live but its wait is not pending";
      EXPECT_EQ(q.deadline_at(i), op->deadline);
      if (i > 0) {
        EXPECT_LE(q.deadline_at((i - 1) / timer_queue::arity), q.deadline_at(i)) << "heap order broken at " << i;
      }
    }
    EXPECT_EQ(live_positions, live.size());
  }
};

TEST(TimerQueue, MatchesAnOrderedSetUnderRandomPushPopAndRemove) {
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    SCOPED_TRACE(seed);
    prng rng(seed);
    checked_queue c;
    // Few distinct deadlines, so that ties (broken by arming order) abound.
    const std::uint64_t spread = seed % 2 ? 8 : 100'000;
    // Some runs below zero: deadlines order as signed numbers.
    std::int64_t now = seed % 3 == 0 ? -50'000 : 0;
    for (int i = 0; i < 4000; ++i) {
      std::uint64_t what = rng.below(10);
      if (what < 4 || c.model.empty()) {
        c.push(now + static_cast<std::int64_t>(rng.below(spread)));
      } else if (what < 7) {
        now = c.model.begin()->first.first;
        c.pop();
      } else {
        // Mostly away from the top (the dead entries stay), sometimes the top.
        c.remove_nth(what == 7 ? 0 : rng.below(c.model.size()));
      }
      // Now and then the arming order is renumbered, as before it wraps.
      if (i % 1013 == 500) c.q.renumber();
      if (i % 97 == 0) c.check();
    }
    c.check();
    while (!c.model.empty()) c.pop();
    c.check();
  }
}

TEST(TimerQueue, ManyRemovalsRebuildTheHeapAndKeepTheOrder) {
  checked_queue c;
  for (int i = 0; i < 1000; ++i) c.push(1000 - i % 37);
  // Remove 900 of them, never the top: the dead entries stay until they
  // outnumber the live, then the heap is rebuilt without them. So the heap
  // never holds much more than twice the pending waits.
  while (c.model.size() > 100) {
    c.remove_nth(1 + c.model.size() / 3);
    ASSERT_LE(c.q.positions(), 2 * c.q.size() + 64);
  }
  EXPECT_LT(c.q.positions(), 300u);
  c.check();
  while (!c.model.empty()) c.pop();
  EXPECT_TRUE(c.q.empty());
  EXPECT_EQ(c.q.positions(), 0u);
}

TEST(TimerQueue, AHeapBeyondTheCachesPopsInOrder) {
  // 20,000 pending waits, as at 10,000 connections (pops request lines ahead).
  prng rng(7);
  checked_queue c;
  for (int i = 0; i < 20000; ++i) c.push(static_cast<std::int64_t>(rng.below(1'000'000)));
  for (int i = 0; i < 3000; ++i) c.remove_nth(rng.below(c.model.size()));
  c.check();
  for (int i = 0; i < 10000; ++i) {
    c.pop();
    c.push(c.model.begin()->first.first + static_cast<std::int64_t>(rng.below(1'000'000)));
  }
  c.check();
  while (!c.model.empty()) c.pop();
  EXPECT_TRUE(c.q.empty());
}

TEST(TimerQueue, RemovingTheTopPromotesTheNextLiveWait) {
  checked_queue c;
  c.push(10);
  c.push(20);
  c.push(30);
  c.remove_nth(1);  // 20 becomes dead, not the top
  EXPECT_EQ(c.q.positions(), 3u);
  EXPECT_EQ(c.q.size(), 2u);
  c.remove_nth(0);  // 10: the top leaves, and 20's dead entry with it
  EXPECT_EQ(c.q.positions(), 1u);
  EXPECT_EQ(c.q.earliest().count(), 30);
  c.check();
  c.remove_nth(0);
  EXPECT_TRUE(c.q.empty());
  EXPECT_EQ(c.q.size(), 0u);
}

TEST(TimerQueue, PushAfterTheDeadLeftStillOrdersByArming) {
  checked_queue c;
  wait_op* a = c.push(5);
  c.push(5);
  c.remove_nth(1);
  wait_op* d = c.push(5);  // same deadline, armed later than the dead one
  EXPECT_GT(d->seq, a->seq);
  c.check();
  c.pop();
  c.pop();
  EXPECT_TRUE(c.q.empty());
}

}  // namespace
