// A run that ends while tasks wait inside simloop's primitives (an event, a
// mutex, a queue, a task group): the teardown destroys those waits and with
// them the tasks' frames. Each coroutine here holds a `frame_guard` whose
// destructor counts: a frame that is never destroyed leaks (and would show
// under LeakSanitizer), and the count says so in every build.
#include "support.hpp"

#include <gtest/gtest.h>

#include <memory>

namespace {

using namespace std::chrono_literals;
using simloop_test::contains;

struct frame_guard {
  int* destroyed;
  ~frame_guard() { ++*destroyed; }
};

// Waits on an event that lives in its own frame: nothing else refers to the
// wait, so only the teardown can end it.
asio::awaitable<void> waits_on_own_event(int* destroyed) {
  frame_guard g{destroyed};
  simloop::event never(co_await asio::this_coro::executor);
  co_await never.async_wait(asio::use_awaitable);
}

TEST(Teardown, TaskParkedOnAnEventInItsOwnFrameIsDestroyed) {
  int destroyed = 0;
  simloop::report r = simloop_test::run_with(simloop_test::fifo(), [&] { return waits_on_own_event(&destroyed); });
  ASSERT_EQ(r.findings.size(), 1u) << r.describe();
  EXPECT_EQ(r.findings[0].kind, simloop::finding_kind::deadlock);
  // The report is made before the teardown: it still names the wait.
  EXPECT_TRUE(contains(r.findings[0].message, "waits_on_own_event")) << r.describe();
  EXPECT_EQ(destroyed, 1);
}

// The body holds a mutex and waits on an event of its frame; two children
// queue on the mutex, one waits on a queue get, one on a task group of its
// own. Every one of them is parked in a primitive when the run deadlocks.
asio::awaitable<void> locker(simloop::mutex& m, int* destroyed) {
  frame_guard g{destroyed};
  co_await m.async_lock(asio::use_awaitable);
  m.unlock();
}
asio::awaitable<void> getter(simloop::queue<int>& q, int* destroyed) {
  frame_guard g{destroyed};
  (void)co_await q.async_get(asio::use_awaitable);
}
asio::awaitable<void> group_waiter(int* destroyed) {
  frame_guard g{destroyed};
  auto ex = co_await asio::this_coro::executor;
  simloop::task_group group(ex);
  group.spawn(waits_on_own_event(destroyed));
  co_await group.async_wait(asio::use_awaitable);
}
asio::awaitable<void> parks_everyone(int* destroyed) {
  frame_guard g{destroyed};
  auto ex = co_await asio::this_coro::executor;
  simloop::mutex m(ex);
  simloop::queue<int> q(ex, 4);
  simloop::event never(ex);
  co_await m.async_lock(asio::use_awaitable);
  asio::co_spawn(ex, locker(m, destroyed), asio::detached);
  asio::co_spawn(ex, locker(m, destroyed), asio::detached);
  asio::co_spawn(ex, getter(q, destroyed), asio::detached);
  asio::co_spawn(ex, group_waiter(destroyed), asio::detached);
  co_await never.async_wait(asio::use_awaitable);
}

TEST(Teardown, EveryTaskParkedInAPrimitiveIsDestroyedWhateverTheSchedule) {
  for (std::uint64_t seed = 0; seed < 200; ++seed) {
    for (auto s : {simloop::strategy::random, simloop::strategy::pct}) {
      int destroyed = 0;
      simloop::report r = simloop_test::run_with(simloop_test::seeded(seed, s), [&] { return parks_everyone(&destroyed); });
      ASSERT_FALSE(r.ok());
      EXPECT_EQ(r.findings[0].kind, simloop::finding_kind::deadlock) << r.describe();
      // The body, two lockers, the getter, the group waiter and its child.
      EXPECT_EQ(destroyed, 6) << "seed " << seed << "\n" << r.describe();
    }
  }
}

// A run stopped by its time limit (not a deadlock) while three tasks wait on
// an event of the body's frame.
asio::awaitable<void> ticks_while_others_wait(int* destroyed) {
  frame_guard g{destroyed};
  auto ex = co_await asio::this_coro::executor;
  simloop::event never(ex);
  for (int i = 0; i < 3; ++i) asio::co_spawn(ex, [&never, destroyed]() -> asio::awaitable<void> {
      frame_guard inner{destroyed};
      co_await never.async_wait(asio::use_awaitable);
    }, asio::detached);
  for (;;) co_await simloop::sleep_for(1s);
}

TEST(Teardown, RunStoppedByItsTimeLimitDestroysParkedTasks) {
  int destroyed = 0;
  simloop::options o = simloop_test::fifo();
  o.time_limit = 10s;
  simloop::report r = simloop_test::run_with(o, [&] { return ticks_while_others_wait(&destroyed); });
  ASSERT_EQ(r.findings.size(), 1u) << r.describe();
  EXPECT_EQ(r.findings[0].kind, simloop::finding_kind::time_limit);
  EXPECT_EQ(destroyed, 4);
}

// A primitive made outside the run, before the simulation (so destroyed
// after it) or after it (destroyed before it): the tasks parked on it are
// destroyed at the end of the run either way, and the primitive can be used
// and destroyed afterwards.
TEST(Teardown, PrimitiveOutsideTheRunOnEitherSideOfTheSimulation) {
  int destroyed = 0;
  {
    std::unique_ptr<simloop::event> before;
    simloop::simulation sim(simloop_test::fifo());
    before = std::make_unique<simloop::event>(sim.get_executor());
    simloop::event after(sim.get_executor());
    simloop::event* b = before.get();
    simloop::report r = sim.run([](simloop::event* b, simloop::event* a, int* destroyed) -> asio::awaitable<void> {
      auto ex = co_await asio::this_coro::executor;
      asio::co_spawn(ex, [a, destroyed]() -> asio::awaitable<void> {
          frame_guard g{destroyed};
          co_await a->async_wait(asio::use_awaitable);
        }, asio::detached);
      frame_guard g{destroyed};
      co_await b->async_wait(asio::use_awaitable);
    }(b, &after, &destroyed));
    EXPECT_EQ(r.findings.size(), 1u) << r.describe();
    EXPECT_EQ(destroyed, 2);
    after.set();
    before->set();
    EXPECT_TRUE(after.is_set());
    // `after` is destroyed here, before the simulation; `before` after it.
  }
  EXPECT_EQ(destroyed, 2);
}

// An outer primitive destroyed while the teardown destroys another's waiter:
// the body waits on an event of its frame that a child waits on too; ending
// the body's wait destroys the event, which abandons the child's wait to the
// ready set, which the teardown then destroys as well.
TEST(Teardown, PrimitiveDestroyedByTheTeardownAbandonsItsOtherWaiters) {
  int destroyed = 0;
  simloop::report r = simloop_test::run_with(simloop_test::fifo(), [&] {
    return [](int* destroyed) -> asio::awaitable<void> {
      frame_guard g{destroyed};
      auto ex = co_await asio::this_coro::executor;
      simloop::event shared(ex);
      for (int i = 0; i < 2; ++i)
        asio::co_spawn(ex, [&shared, destroyed]() -> asio::awaitable<void> {
            frame_guard inner{destroyed};
            co_await shared.async_wait(asio::use_awaitable);
          }, asio::detached);
      co_await shared.async_wait(asio::use_awaitable);
    }(&destroyed);
  });
  EXPECT_EQ(r.findings.size(), 1u) << r.describe();
  EXPECT_EQ(destroyed, 3);
}

}  // namespace
