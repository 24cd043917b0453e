// Deadlock: producer/consumer over a channel with fewer sentinels than
// workers. One worker waits forever for work, the body waits forever for it.
#include "detector_test_util.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/channel.hpp>

using namespace std::chrono_literals;
using detector_test::contains;
using detector_test::site;

namespace {

using channel = asio::experimental::channel<void(boost::system::error_code, int)>;

int receive_line = 0;
int done_line = 0;
int spawn_line = 0;

asio::awaitable<void> consumer(channel& work, channel& done) {
  for (;;) {
    int item = co_await work.async_receive(asio::use_awaitable); receive_line = __LINE__;
    if (item < 0) break;
    co_await simloop::yield();
  }
  co_await done.async_send({}, 0, asio::use_awaitable);
}

asio::awaitable<void> pipeline(int workers, int sentinels) {
  auto ex = co_await asio::this_coro::executor;
  channel work(ex, 2), done(ex, static_cast<std::size_t>(workers));
  for (int i = 0; i < workers; ++i) {
    asio::co_spawn(ex, consumer(work, done), asio::detached); spawn_line = __LINE__;
  }
  for (int i = 0; i < 6; ++i) co_await work.async_send({}, i, asio::use_awaitable);
  for (int i = 0; i < sentinels; ++i) co_await work.async_send({}, -1, asio::use_awaitable);
  for (int i = 0; i < workers; ++i) {
    co_await done.async_receive(asio::use_awaitable); done_line = __LINE__;
  }
}

}  // namespace

TEST(Deadlock, FewerSentinelsThanWorkersHangs) {
  simloop::simulation sim({.seed = 7});
  simloop::report r = sim.run(pipeline(3, 2));
  std::string m = detector_test::only_finding(r, simloop::finding_kind::deadlock);
  EXPECT_TRUE(contains(m, "simloop: deadlock: the body cannot finish, nothing is ready and no timer is armed (seed 0x7, step "));
  EXPECT_TRUE(contains(m, "  task #1 pipeline        spawned at  simloop::simulation::run (the test body)\n"
                          "                          waiting on  channel.async_receive on channel A at " +
                              site("deadlock_test.cpp", done_line) + "\n"));
  // Exactly one worker is left, waiting for work that never comes.
  EXPECT_TRUE(contains(m, "  task #3 consumer        spawned at  " + site("deadlock_test.cpp", spawn_line) + "\n"
                          "                          waiting on  channel.async_receive on channel B at " +
                              site("deadlock_test.cpp", receive_line) + "\n"));
  // The wait-for relation: each waits on a channel nobody will send to.
  EXPECT_TRUE(contains(m, "  wait-for:   task #1 waits to receive on channel A and no live task is suspended sending "
                          "to it: what it waits for could only come from a task that has finished (a missing close or "
                          "sentinel?)\n"));
  EXPECT_TRUE(contains(m, "  wait-for:   task #3 waits to receive on channel B and no live task"));
  EXPECT_TRUE(contains(m, "  pending:    0 ready step(s), 0 timer wait(s), 2 live task(s)\n"));
  EXPECT_TRUE(contains(m, "  replay: SIMLOOP_SEED=0x7 SIMLOOP_STRATEGY=random "));
}

TEST(Deadlock, WorkersOnOneChannelAreGrouped) {
  simloop::simulation sim({.seed = 7});
  simloop::report r = sim.run(pipeline(3, 1));
  std::string m = detector_test::only_finding(r, simloop::finding_kind::deadlock);
  EXPECT_TRUE(contains(m, "  wait-for:   tasks #3, #4 wait to receive on channel B and no live task is suspended "
                          "sending to it: what they wait for"))
      << "(the two workers left may be any two of #2..#4)";
}

TEST(Deadlock, EverySeedFindsIt) {
  simloop::explore_options eo{.runs = 50, .strategy = simloop::strategy::random};
  eo.use_environment = false;
  for (std::uint64_t seed = 0; seed < 50; ++seed) {
    simloop::simulation sim({.seed = seed, .strategy = seed % 2 ? simloop::strategy::pct : simloop::strategy::random});
    simloop::report r = sim.run(pipeline(3, 2));
    EXPECT_TRUE(r.has(simloop::finding_kind::deadlock)) << r.describe();
    EXPECT_EQ(r.findings.size(), 1u) << r.describe();
  }
}

TEST(Deadlock, OneSentinelPerWorkerIsSilent) {
  detector_test::expect_silent([] { return pipeline(3, 3); });
}

TEST(Deadlock, CanBeSwitchedOff) {
  simloop::simulation sim({.seed = 7, .detect_deadlock = false});
  simloop::report r = sim.run(pipeline(3, 2));
  EXPECT_TRUE(r.ok()) << r.describe();
}

namespace {

// The same bug with a polling body: it never finishes while its own timer
// keeps firing, so the run ends at the time limit, with the same listing.
asio::awaitable<void> polling_pipeline() {
  auto ex = co_await asio::this_coro::executor;
  channel work(ex, 2);
  auto finished = std::make_shared<int>(0);
  for (int i = 0; i < 2; ++i) {
    asio::co_spawn(
        ex,
        [&work, finished]() -> asio::awaitable<void> {
          for (;;) {
            int item = co_await work.async_receive(asio::use_awaitable);
            if (item < 0) break;
          }
          ++*finished;
        },
        asio::detached);
  }
  co_await work.async_send({}, -1, asio::use_awaitable);
  while (*finished < 2) co_await simloop::sleep_for(1s);
}

}  // namespace

TEST(Deadlock, PollingBodyEndsAtTimeLimitWithTheListing) {
  simloop::simulation sim({.seed = 3, .time_limit = std::chrono::minutes(1)});
  simloop::report r = sim.run(polling_pipeline());
  std::string m = detector_test::only_finding(r, simloop::finding_kind::time_limit);
  EXPECT_TRUE(contains(m, "simloop: time limit of +60.000s reached before the body finished"));
  // (The column width depends on the lambda's line, which GCC and Clang
  // place differently: its first or its last.)
  EXPECT_TRUE(contains(m, "  task #1 polling_pipeline "));
  EXPECT_TRUE(contains(m, "  spawned at  simloop::simulation::run (the test body)\n"));
  EXPECT_TRUE(contains(m, "  waiting on  timer.async_wait in sleep_for() at tests/detectors/deadlock_test.cpp:"));
  EXPECT_TRUE(contains(m, "(due t=+61.000s)\n"));
  EXPECT_TRUE(contains(m, "  task #3 lambda at deadlock_test.cpp:"));
  EXPECT_TRUE(contains(m, "waiting on  channel.async_receive on channel A at tests/detectors/deadlock_test.cpp:"));
}
