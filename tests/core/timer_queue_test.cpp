// The timer queue against a model (an ordered map): pops in (deadline,
// arming order), removes anywhere, cleared lanes never read (their waits are
// freed at once, which ASan checks), for_each and peek_earliest in leaving
// order, and what the queue keeps besides the live waits stays bounded.
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
    // for_each: every live wait once, in the order they will leave.
    std::vector<const wait_op*> expected, seen;
    for (const auto& [key, op] : model) expected.push_back(op.get());
    q.for_each([&](wait_op* op) { seen.push_back(op); });
    EXPECT_EQ(seen, expected);
    // Every deadline with a live wait has a bucket; each of the others
    // holds a cleared lane.
    std::set<std::int64_t> deadlines;
    for (const auto& [key, op] : model) deadlines.insert(key.first);
    EXPECT_GE(q.buckets(), deadlines.size());
    EXPECT_LE(q.buckets(), deadlines.size() + q.cleared());
    // peek_earliest: the first waits of the earliest deadline, in order.
    wait_op* next[5];
    const std::size_t m = q.peek_earliest(next, 5);
    std::size_t want = 0;
    for (auto it = model.begin(); it != model.end() && want < 5 && it->first.first == model.begin()->first.first; ++it)
      ASSERT_EQ(next[want++], it->second.get()) << "peek_earliest's wait " << want;
    EXPECT_EQ(m, want);
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
      if (i % 97 == 0) c.check();
    }
    c.check();
    while (!c.model.empty()) c.pop();
    c.check();
  }
}

TEST(TimerQueue, ManyRemovalsCompactTheBucketsAndKeepTheOrder) {
  checked_queue c;
  for (int i = 0; i < 1000; ++i) c.push(1000 - i % 37);
  // Remove 900 of them, never the first: the cleared lanes stay until they
  // are as many as the live waits, then every bucket is compacted. So the
  // queue never holds much more than the pending waits.
  while (c.model.size() > 100) {
    c.remove_nth(1 + c.model.size() / 3);
    ASSERT_LE(c.q.cleared(), c.q.size() + 64);
  }
  EXPECT_LT(c.q.cleared(), 100u);
  c.check();
  while (!c.model.empty()) c.pop();
  EXPECT_TRUE(c.q.empty());
  EXPECT_EQ(c.q.buckets(), 0u);
  EXPECT_EQ(c.q.cleared(), 0u);
}

TEST(TimerQueue, CompactionFreesTheChunksItEmptied) {
  // One wait at 1 (the top), 140 at 2 (twenty chunks); removing from the
  // middle of 2's bucket until a rebuild compacts it, then arming more.
  checked_queue c;
  c.push(1);
  for (int i = 0; i < 140; ++i) c.push(2);
  while (c.q.cleared() < 64 || c.q.cleared() < c.q.size()) {
    const std::size_t before = c.q.cleared();
    c.remove_nth(2 + (c.model.size() - 2) / 2);
    if (c.q.cleared() < before) break;  // compacted
  }
  EXPECT_EQ(c.q.cleared(), 0u);
  c.check();
  for (int i = 0; i < 30; ++i) c.push(2);
  c.check();
  while (!c.model.empty()) c.pop();
  EXPECT_EQ(c.q.buckets(), 0u);
}

TEST(TimerQueue, ClearingLanesBehindTheTopsFrontKeepsTheQueueBounded) {
  // The earliest deadline's first wait stays; a wait at the same deadline is
  // armed and removed again and again behind it.
  checked_queue c;
  c.push(1);
  c.push(50);
  for (int i = 0; i < 1000; ++i) {
    c.push(1);
    c.remove_nth(1);
    ASSERT_LE(c.q.cleared(), c.q.size() + 64);
  }
  c.check();
  c.pop();
  c.pop();
  EXPECT_TRUE(c.q.empty());
}

TEST(TimerQueue, EmptiedBucketsBelowTheTopAreDropped) {
  // 1,000 deadlines with one wait each; removing all but the first leaves
  // empty buckets, which never outnumber the others by much.
  checked_queue c;
  for (int i = 0; i < 1000; ++i) c.push(i);
  while (c.model.size() > 1) {
    c.remove_nth(c.model.size() - 1);
    ASSERT_LE(c.q.buckets(), 2 * c.q.size() + 64);
  }
  EXPECT_LT(c.q.buckets(), 100u);
  c.check();
  c.pop();
  EXPECT_EQ(c.q.buckets(), 0u);
}

TEST(TimerQueue, ManyPendingWaitsPopInOrder) {
  // 20,000 pending waits on 20,000 deadlines (the heap requests lines ahead),
  // then as many on 1,900 (a network's microsecond latencies).
  for (std::uint64_t spread : {1'000'000'000ULL, 1'900ULL}) {
    SCOPED_TRACE(spread);
    prng rng(7);
    checked_queue c;
    for (int i = 0; i < 20000; ++i) c.push(static_cast<std::int64_t>(rng.below(spread)));
    for (int i = 0; i < 3000; ++i) c.remove_nth(rng.below(c.model.size()));
    c.check();
    for (int i = 0; i < 10000; ++i) {
      c.pop();
      c.push(c.model.begin()->first.first + 1 + static_cast<std::int64_t>(rng.below(spread)));
    }
    c.check();
    while (!c.model.empty()) c.pop();
    EXPECT_TRUE(c.q.empty());
    EXPECT_EQ(c.q.buckets(), 0u);
  }
}

TEST(TimerQueue, WaitsOfOneDeadlineShareABucketInArmingOrder) {
  checked_queue c;
  std::vector<wait_op*> at5;
  for (int i = 0; i < 100; ++i) {
    at5.push_back(c.push(5));
    c.push(7);
  }
  EXPECT_EQ(c.q.buckets(), 2u);
  wait_op* next[16];
  ASSERT_EQ(c.q.peek_earliest(next, 16), 16u);
  for (std::size_t i = 0; i < 16; ++i) EXPECT_EQ(next[i], at5[i]);
  c.remove_nth(3);   // a lane inside the first chunk
  c.remove_nth(40);  // and in a later one
  c.check();
  // Armed while the bucket is being popped: it leaves after the others.
  for (int i = 0; i < 50; ++i) c.pop();
  wait_op* late = c.push(5);
  c.check();
  while (c.model.begin()->second.get() != late) c.pop();
  EXPECT_EQ(c.q.top(), late);
  c.pop();
  EXPECT_EQ(c.q.buckets(), 1u);
  EXPECT_EQ(c.q.earliest().count(), 7);
  c.check();
}

TEST(TimerQueue, RemovingTheTopPromotesTheNextLiveWait) {
  checked_queue c;
  c.push(10);
  c.push(20);
  c.push(30);
  c.remove_nth(1);  // 20's bucket becomes empty; it is not the top
  EXPECT_EQ(c.q.buckets(), 3u);
  EXPECT_EQ(c.q.size(), 2u);
  c.remove_nth(0);  // 10: the top leaves, and 20's empty bucket with it
  EXPECT_EQ(c.q.buckets(), 1u);
  EXPECT_EQ(c.q.earliest().count(), 30);
  c.check();
  c.remove_nth(0);
  EXPECT_TRUE(c.q.empty());
  EXPECT_EQ(c.q.size(), 0u);
  EXPECT_EQ(c.q.buckets(), 0u);
}

TEST(TimerQueue, PushAfterTheClearedStillOrdersByArming) {
  checked_queue c;
  wait_op* a = c.push(5);
  c.push(5);
  c.remove_nth(1);
  wait_op* d = c.push(5);  // same deadline, armed later than the removed one
  EXPECT_GT(d->seq, a->seq);
  c.check();
  c.pop();
  c.pop();
  EXPECT_TRUE(c.q.empty());
}

TEST(TimerQueue, AnEmptiedBucketComesBackWhenItsDeadlineIsArmedAgain) {
  checked_queue c;
  c.push(1);
  c.push(9);
  c.remove_nth(1);  // 9's bucket is empty, below the top
  wait_op* again = c.push(9);
  c.check();
  c.pop();
  EXPECT_EQ(c.q.top(), again);
  EXPECT_EQ(c.q.buckets(), 1u);
  c.pop();
  EXPECT_TRUE(c.q.empty());
}

}  // namespace
