// simloop::mutex, semaphore, event, condition on a simulation and a real io_context.
#include "harness.hpp"

#include <deque>
#include <memory>
#include <vector>

using namespace races_test;

namespace {

struct lock_state {
  explicit lock_state(executor ex) : m(ex) {}
  simloop::mutex m;
  int value = 0;
  int inside = 0;
  int max_inside = 0;
  int done = 0;
  std::vector<int> order;
};

asio::awaitable<void> locked_increment(std::shared_ptr<lock_state> s, int id, executor ex) {
  co_await pass(ex);
  s->order.push_back(id);  // request order
  auto g = co_await s->m.scoped_lock();
  s->order.push_back(100 + id);  // acquisition order
  ++s->inside;
  s->max_inside = std::max(s->max_inside, s->inside);
  int v = s->value;
  co_await pass(ex);
  s->value = v + 1;
  --s->inside;
  ++s->done;
}

asio::awaitable<void> mutex_exclusion_and_fifo(executor ex) {
  auto s = std::make_shared<lock_state>(ex);
  for (int i = 0; i < 5; ++i) asio::co_spawn(ex, locked_increment(s, i, ex), asio::detached);
  while (s->done < 5) co_await pass(ex);
  RACES_CHECK(s->value == 5);
  RACES_CHECK(s->max_inside == 1);
  RACES_CHECK(!s->m.is_locked());
  // FIFO: tasks acquire in the order their requests were queued.
  std::vector<int> requests, grants;
  for (int x : s->order) (x >= 100 ? grants : requests).push_back(x % 100);
  RACES_CHECK(requests == grants);
}

asio::awaitable<void> try_lock_does_not_barge(executor ex) {
  simloop::mutex m(ex);
  RACES_CHECK(m.try_lock());
  RACES_CHECK(!m.try_lock());
  bool got = false;
  m.async_lock([&](boost::system::error_code ec) { got = !ec; });
  m.unlock();  // handed to the waiter: still locked
  RACES_CHECK(m.is_locked());
  RACES_CHECK(!m.try_lock());
  while (!got) co_await pass(ex);
  m.unlock();
  RACES_CHECK(!m.is_locked());
}

// A waiting lock is cancelled: it ends with operation_aborted and never holds the lock.
asio::awaitable<void> cancel_waiting_lock(executor ex) {
  simloop::mutex m(ex);
  co_await m.async_lock(asio::use_awaitable);
  asio::cancellation_signal sig;
  boost::system::error_code got = asio::error::would_block;
  m.async_lock(asio::bind_cancellation_slot(sig.slot(), [&](boost::system::error_code ec) { got = ec; }));
  co_await pass(ex);
  sig.emit(asio::cancellation_type::terminal);
  while (got == asio::error::would_block) co_await pass(ex);
  RACES_CHECK(got == asio::error::operation_aborted);
  m.unlock();
  RACES_CHECK(!m.is_locked());
}

// The lock is handed to a waiter and the waiter is cancelled before its
// completion ran (the `lock() || timeout` photo finish): the lock passes on.
asio::awaitable<void> cancel_after_grant(executor ex) {
  simloop::mutex m(ex);
  co_await m.async_lock(asio::use_awaitable);
  asio::cancellation_signal sig;
  boost::system::error_code b = asio::error::would_block, c = asio::error::would_block;
  m.async_lock(asio::bind_cancellation_slot(sig.slot(), [&](boost::system::error_code ec) { b = ec; }));
  m.async_lock([&](boost::system::error_code ec) { c = ec; });
  m.unlock();                                    // granted to b, completion queued
  sig.emit(asio::cancellation_type::terminal);   // ... then b is cancelled
  while (b == asio::error::would_block || c == asio::error::would_block) co_await pass(ex);
  RACES_CHECK(b == asio::error::operation_aborted);
  RACES_CHECK(!c);
  RACES_CHECK(m.is_locked());  // held by c
  m.unlock();
  RACES_CHECK(!m.is_locked());
}

asio::awaitable<void> semaphore_limits_and_is_fair(executor ex) {
  simloop::semaphore sem(ex, 2);
  RACES_CHECK(sem.try_acquire());
  RACES_CHECK(sem.try_acquire());
  RACES_CHECK(!sem.try_acquire());
  std::vector<int> order;
  for (int i = 0; i < 3; ++i)
    sem.async_acquire([&order, i](boost::system::error_code ec) {
      if (!ec) order.push_back(i);
    });
  // One permit at a time: each goes to the oldest waiter.
  for (std::size_t i = 0; i < 3; ++i) {
    sem.release();
    RACES_CHECK(!sem.try_acquire());  // the permit went to a waiter, no barging
    while (order.size() < i + 1) co_await pass(ex);
    RACES_CHECK(order.back() == static_cast<int>(i));
  }
  RACES_CHECK(sem.available() == 0);
  sem.release(2);
  RACES_CHECK(sem.available() == 2);
}

asio::awaitable<void> semaphore_cancel_keeps_permits(executor ex) {
  simloop::semaphore sem(ex, 0);
  asio::cancellation_signal s1, s2;
  boost::system::error_code a = asio::error::would_block, b = asio::error::would_block;
  sem.async_acquire(asio::bind_cancellation_slot(s1.slot(), [&](boost::system::error_code ec) { a = ec; }));
  sem.async_acquire(asio::bind_cancellation_slot(s2.slot(), [&](boost::system::error_code ec) { b = ec; }));
  s2.emit(asio::cancellation_type::terminal);  // waiting: just leaves
  sem.release();                               // to a
  s1.emit(asio::cancellation_type::terminal);  // a cancelled after the grant: permit back
  while (a == asio::error::would_block || b == asio::error::would_block) co_await pass(ex);
  RACES_CHECK(a == asio::error::operation_aborted);
  RACES_CHECK(b == asio::error::operation_aborted);
  RACES_CHECK(sem.available() == 1);
}

asio::awaitable<void> event_wakes_all(executor ex) {
  simloop::event ev(ex);
  int woken = 0;
  for (int i = 0; i < 3; ++i)
    ev.async_wait([&](boost::system::error_code ec) {
      if (!ec) ++woken;
    });
  asio::cancellation_signal sig;
  boost::system::error_code cancelled = asio::error::would_block;
  ev.async_wait(asio::bind_cancellation_slot(sig.slot(), [&](boost::system::error_code ec) { cancelled = ec; }));
  sig.emit(asio::cancellation_type::terminal);
  co_await pass(ex);
  RACES_CHECK(woken == 0);
  ev.set();
  RACES_CHECK(woken == 0);  // posted, never inline
  while (woken < 3 || cancelled == asio::error::would_block) co_await pass(ex);
  RACES_CHECK(cancelled == asio::error::operation_aborted);
  co_await ev.async_wait(asio::use_awaitable);  // already set: completes
  ev.clear();
  RACES_CHECK(!ev.is_set());
}

struct cond_state {
  explicit cond_state(executor ex) : m(ex), cv(m) {}
  simloop::mutex m;
  simloop::condition cv;
  std::deque<int> items;
  int consumed = 0;
};

asio::awaitable<void> consumer(std::shared_ptr<cond_state> s) {
  for (;;) {
    auto g = co_await s->m.scoped_lock();
    co_await s->cv.wait_until([&] { return !s->items.empty(); });
    RACES_CHECK(s->m.is_locked());
    int v = s->items.front();
    s->items.pop_front();
    if (v < 0) co_return;
    ++s->consumed;
  }
}

asio::awaitable<void> condition_producer_consumer(executor ex) {
  auto s = std::make_shared<cond_state>(ex);
  bool c1 = false, c2 = false;
  asio::co_spawn(ex, consumer(s), [&](std::exception_ptr) { c1 = true; });
  asio::co_spawn(ex, consumer(s), [&](std::exception_ptr) { c2 = true; });
  for (int i = 0; i < 6; ++i) {
    co_await pass(ex);
    auto g = co_await s->m.scoped_lock();
    s->items.push_back(i);
    s->cv.notify_one();
  }
  {
    auto g = co_await s->m.scoped_lock();
    s->items.push_back(-1);
    s->items.push_back(-1);
    s->cv.notify_all();
  }
  while (!c1 || !c2) co_await pass(ex);
  RACES_CHECK(s->consumed == 6);
}

// A cancelled condition wait still re-takes the mutex before it completes.
asio::awaitable<void> condition_cancel_relocks(executor ex) {
  simloop::mutex m(ex);
  simloop::condition cv(m);
  co_await m.async_lock(asio::use_awaitable);
  asio::cancellation_signal sig;
  boost::system::error_code got = asio::error::would_block;
  cv.async_wait(asio::bind_cancellation_slot(sig.slot(), [&](boost::system::error_code ec) { got = ec; }));
  RACES_CHECK(!m.is_locked());  // released while waiting
  co_await m.async_lock(asio::use_awaitable);  // someone else takes it
  sig.emit(asio::cancellation_type::terminal);
  for (int i = 0; i < 5; ++i) co_await pass(ex);
  RACES_CHECK(got == asio::error::would_block);  // waits for the mutex
  m.unlock();
  while (got == asio::error::would_block) co_await pass(ex);
  RACES_CHECK(got == asio::error::operation_aborted);
  RACES_CHECK(m.is_locked());  // the waiter holds it again
  m.unlock();
}

// Completion tokens: deferred works too.
asio::awaitable<void> deferred_token(executor ex) {
  simloop::mutex m(ex);
  auto op = m.async_lock(asio::deferred);
  co_await std::move(op)(asio::use_awaitable);
  RACES_CHECK(m.is_locked());
  m.unlock();
}

}  // namespace

TEST(Mutex, ExclusionAndFifoOrder) { on_both(mutex_exclusion_and_fifo); }
TEST(Mutex, TryLockDoesNotBarge) { on_both(try_lock_does_not_barge); }
TEST(Mutex, CancelWaitingLock) { on_both(cancel_waiting_lock); }
TEST(Mutex, CancelAfterGrantPassesTheLockOn) { on_both(cancel_after_grant); }
TEST(Mutex, DeferredToken) { on_both(deferred_token); }
TEST(Semaphore, LimitsAndIsFair) { on_both(semaphore_limits_and_is_fair); }
TEST(Semaphore, CancelledAcquireKeepsNoPermit) { on_both(semaphore_cancel_keeps_permits); }
TEST(Event, SetWakesAllWaitersAndCancelWorks) { on_both(event_wakes_all); }
TEST(Condition, ProducerConsumer) { on_both(condition_producer_consumer); }
TEST(Condition, CancelledWaitRetakesTheMutex) { on_both(condition_cancel_relocks); }
