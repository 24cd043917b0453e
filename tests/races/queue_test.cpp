// simloop::queue, task_group, gather, as_completed on a simulation and a real io_context.
#include "harness.hpp"

#include <algorithm>
#include <memory>
#include <set>
#include <vector>

using namespace races_test;
using namespace std::chrono_literals;

namespace {

asio::awaitable<void> queue_fifo_bounded(executor ex) {
  simloop::queue<int> q(ex, 2);
  co_await q.async_put(1, asio::use_awaitable);
  RACES_CHECK(q.try_put(2));
  RACES_CHECK(q.full());
  RACES_CHECK(!q.try_put(3));
  bool put3 = false;
  q.async_put(3, [&](boost::system::error_code ec) { put3 = !ec; });
  co_await pass(ex);
  RACES_CHECK(!put3);  // blocked: full
  int a = co_await q.async_get(asio::use_awaitable);
  RACES_CHECK(a == 1);
  while (!put3) co_await pass(ex);  // the get made room
  auto b = q.try_get();
  RACES_CHECK(b && *b == 2);
  int c = co_await q.async_get(asio::use_awaitable);
  RACES_CHECK(c == 3);
  RACES_CHECK(!q.try_get());
}

asio::awaitable<void> queue_join(executor ex) {
  simloop::queue<int> q(ex);
  bool joined = false;
  co_await q.async_join(asio::use_awaitable);  // nothing unfinished
  q.try_put(1);
  q.try_put(2);
  q.async_join([&](boost::system::error_code ec) { joined = !ec; });
  (void)q.try_get();
  q.task_done();
  co_await pass(ex);
  RACES_CHECK(!joined);
  (void)q.try_get();
  q.task_done();
  while (!joined) co_await pass(ex);
  bool threw = false;
  try {
    q.task_done();
  } catch (const std::logic_error&) {
    threw = true;
  }
  RACES_CHECK(threw);
}

// A get cancelled after an item was handed to it puts the item back.
asio::awaitable<void> queue_get_cancelled_after_grant(executor ex) {
  simloop::queue<int> q(ex);
  asio::cancellation_signal sig;
  boost::system::error_code ec1 = asio::error::would_block;
  int seen = -1;
  q.async_get(asio::bind_cancellation_slot(sig.slot(), [&](boost::system::error_code ec, int v) {
    ec1 = ec;
    seen = v;
  }));
  q.try_put(7);                                // handed to the waiting getter
  sig.emit(asio::cancellation_type::terminal);  // before its completion ran
  while (ec1 == asio::error::would_block) co_await pass(ex);
  RACES_CHECK(ec1 == asio::error::operation_aborted);
  RACES_CHECK(q.size() == 1);
  int v = co_await q.async_get(asio::use_awaitable);
  RACES_CHECK(v == 7);
  (void)seen;
}

// A put cancelled after its item was admitted takes it back out.
asio::awaitable<void> queue_put_cancelled(executor ex) {
  simloop::queue<int> q(ex, 1);
  q.try_put(1);
  asio::cancellation_signal waiting, granted;
  boost::system::error_code e1 = asio::error::would_block, e2 = asio::error::would_block;
  q.async_put(2, asio::bind_cancellation_slot(waiting.slot(), [&](boost::system::error_code ec) { e1 = ec; }));
  q.async_put(3, asio::bind_cancellation_slot(granted.slot(), [&](boost::system::error_code ec) { e2 = ec; }));
  waiting.emit(asio::cancellation_type::terminal);  // 2 never enters
  (void)q.try_get();                                 // room: 3 is admitted
  granted.emit(asio::cancellation_type::terminal);  // ... and taken back out
  while (e1 == asio::error::would_block || e2 == asio::error::would_block) co_await pass(ex);
  RACES_CHECK(e1 == asio::error::operation_aborted);
  RACES_CHECK(e2 == asio::error::operation_aborted);
  RACES_CHECK(q.empty());
  RACES_CHECK(q.unfinished() == 1);  // only item 1 was ever put
}

asio::awaitable<void> failing(executor ex, int after) {
  for (int i = 0; i < after; ++i) co_await pass(ex);
  throw std::runtime_error("child failed");
}
asio::awaitable<void> wait_forever(executor ex, std::shared_ptr<int> cancelled) {
  simloop::event never(ex);
  try {
    co_await never.async_wait(asio::use_awaitable);
  } catch (const boost::system::system_error& e) {
    if (e.code() == asio::error::operation_aborted) ++*cancelled;
    throw;
  }
}
asio::awaitable<int> value_after(executor ex, int v, int passes) {
  for (int i = 0; i < passes; ++i) co_await pass(ex);
  co_return v;
}

asio::awaitable<void> group_first_failure_cancels_siblings(executor ex) {
  auto cancelled = std::make_shared<int>(0);
  simloop::task_group g(ex);
  g.spawn(wait_forever(ex, cancelled));
  g.spawn(failing(ex, 2));
  g.spawn(wait_forever(ex, cancelled));
  std::string what;
  std::size_t n = 0;
  try {
    co_await g.async_wait(asio::use_awaitable);
  } catch (const simloop::task_group_error& e) {
    what = e.what();
    n = e.exceptions().size();
  }
  RACES_CHECK(n == 1);  // the siblings' operation_aborted are not failures
  RACES_CHECK(what.find("child failed") != std::string::npos);
  RACES_CHECK(*cancelled == 2);
  RACES_CHECK(g.running() == 0);
}

asio::awaitable<void> group_success_and_aggregation(executor ex) {
  simloop::task_group ok(ex);
  ok.spawn(value_after(ex, 1, 2));
  ok.spawn(pass(ex));
  co_await ok.async_wait(asio::use_awaitable);
  RACES_CHECK(ok.running() == 0);
  simloop::task_group two(ex);
  two.spawn(failing(ex, 0));
  two.spawn(failing(ex, 0));
  std::size_t n = 0;
  try {
    co_await two.async_wait(asio::use_awaitable);
  } catch (const simloop::task_group_error& e) {
    n = e.exceptions().size();
  }
  RACES_CHECK(n >= 1);
}

// The task awaiting the group is cancelled: children are cancelled and awaited.
asio::awaitable<void> group_waiter_cancelled(executor ex) {
  auto cancelled = std::make_shared<int>(0);
  simloop::task_group g(ex);
  g.spawn(wait_forever(ex, cancelled));
  g.spawn(wait_forever(ex, cancelled));
  asio::cancellation_signal sig;
  bool done = false;
  std::exception_ptr result;
  g.async_wait(asio::bind_cancellation_slot(sig.slot(), [&](std::exception_ptr e) {
    done = true;
    result = e;
  }));
  co_await pass(ex);
  sig.emit(asio::cancellation_type::terminal);
  while (!done) co_await pass(ex);
  RACES_CHECK(*cancelled == 2);
  RACES_CHECK(g.running() == 0);
  RACES_CHECK(result != nullptr);
}

asio::awaitable<void> gather_in_order(executor ex) {
  auto [a, b, c] = co_await simloop::gather(value_after(ex, 1, 3), pass(ex), value_after(ex, 3, 0));
  RACES_CHECK(a == 1 && c == 3);
  (void)b;
  std::vector<asio::awaitable<int>> many;
  for (int i = 0; i < 5; ++i) many.push_back(value_after(ex, i, 5 - i));
  std::vector<int> r = co_await simloop::gather(std::move(many));
  RACES_CHECK((r == std::vector<int>{0, 1, 2, 3, 4}));
  auto [x, y] = co_await simloop::gather(simloop::return_exceptions, value_after(ex, 5, 1), failing(ex, 1));
  RACES_CHECK(x.index() == 0 && std::get<0>(x) == 5);
  RACES_CHECK(y.index() == 1);
  bool threw = false;
  try {
    co_await simloop::gather(value_after(ex, 5, 1), failing(ex, 1));
  } catch (const std::runtime_error& e) {
    threw = std::string(e.what()) == "child failed";
  }
  RACES_CHECK(threw);
}

asio::awaitable<void> as_completed_order(executor ex) {
  std::vector<asio::awaitable<int>> aws;
  aws.push_back(value_after(ex, 30, 30));
  aws.push_back(value_after(ex, 0, 0));
  aws.push_back(value_after(ex, 10, 10));
  simloop::as_completed<int> ac(ex, std::move(aws));
  std::multiset<int> got;
  while (ac.remaining() > 0) got.insert(co_await ac.next());
  RACES_CHECK((got == std::multiset<int>{0, 10, 30}));
}

}  // namespace

TEST(Queue, FifoAndBounded) { on_both(queue_fifo_bounded); }
TEST(Queue, TaskDoneAndJoin) { on_both(queue_join); }
TEST(Queue, GetCancelledAfterGrantPutsTheItemBack) { on_both(queue_get_cancelled_after_grant); }
TEST(Queue, PutCancelledLeavesNothingBehind) { on_both(queue_put_cancelled); }
TEST(TaskGroup, FirstFailureCancelsSiblings) { on_both(group_first_failure_cancels_siblings); }
TEST(TaskGroup, SuccessAndAggregation) { on_both(group_success_and_aggregation); }
TEST(TaskGroup, CancelledWaiterCancelsAndAwaitsChildren) { on_both(group_waiter_cancelled); }
TEST(Gather, ResultsInOrderAndReturnExceptions) { on_both(gather_in_order); }
TEST(AsCompleted, AllResults) { on_both(as_completed_order); }

namespace {

// No lost or duplicated items when gets and puts are cancelled at random
// points (simloop::timeout races each against a deadline).
asio::awaitable<void> producer(std::shared_ptr<simloop::queue<int>> q, int from, int n, std::shared_ptr<int> put_ok) {
  for (int i = from; i < from + n;) {
    try {
      co_await simloop::timeout(1ms, q->async_put(i, asio::use_awaitable));
      ++*put_ok;
      ++i;
    } catch (const boost::system::system_error&) {
      // timed out: the item is not in the queue; retry it
    }
  }
}
asio::awaitable<void> consumer(std::shared_ptr<simloop::queue<int>> q, std::shared_ptr<std::vector<int>> got,
                               int total) {
  while (static_cast<int>(got->size()) < total) {
    try {
      int v = co_await simloop::timeout(1ms, q->async_get(asio::use_awaitable));
      got->push_back(v);
    } catch (const boost::system::system_error&) {
    }
    co_await simloop::sleep_for(std::chrono::microseconds(700));
  }
}
asio::awaitable<void> no_lost_items() {
  auto ex = co_await asio::this_coro::executor;
  auto q = std::make_shared<simloop::queue<int>>(ex, 2);
  auto got = std::make_shared<std::vector<int>>();
  auto put_ok = std::make_shared<int>(0);
  simloop::task_group g(ex);
  g.spawn(producer(q, 0, 10, put_ok));
  g.spawn(producer(q, 100, 10, put_ok));
  g.spawn(consumer(q, got, 20));
  co_await g.async_wait(asio::use_awaitable);
  std::vector<int> sorted = *got;
  std::sort(sorted.begin(), sorted.end());
  std::vector<int> want;
  for (int i = 0; i < 10; ++i) want.push_back(i);
  for (int i = 100; i < 110; ++i) want.push_back(i);
  SIMLOOP_ASSERT(sorted == want);
  SIMLOOP_ASSERT(*put_ok == 20);
  SIMLOOP_ASSERT(q->empty());
}

}  // namespace

TEST(Queue, NoLostOrDuplicatedItemsUnderCancellation) {
  for (std::uint64_t seed = 0; seed < 600; ++seed) {
    simloop::options o;
    o.seed = seed;
    o.strategy = seed % 2 ? simloop::strategy::pct : simloop::strategy::random;
    simloop::simulation sim(o);
    auto r = sim.run(no_lost_items());
    ASSERT_TRUE(r.ok()) << r.describe();
  }
}
