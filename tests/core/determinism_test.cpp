// Determinism is the product: same seed => same schedule, byte for byte,
// within a process and across processes; different seeds explore different
// interleavings; fifo ignores the seed; a recorded choice list replays a run.
#include "support.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/channel.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using simloop_test::run_with;
using simloop_test::seeded;

namespace {

// Three tasks, three yields each: 9!/(3!^3) = 1680 possible interleavings.
asio::awaitable<void> three_tasks(std::shared_ptr<std::vector<int>> log) {
  auto ex = co_await asio::this_coro::executor;
  auto done = std::make_shared<int>(0);
  for (int id = 1; id <= 3; ++id) {
    asio::co_spawn(
        ex,
        [log, done, id]() -> asio::awaitable<void> {
          for (int i = 0; i < 3; ++i) {
            co_await simloop::yield();
            log->push_back(id);
          }
          ++*done;
        },
        asio::detached);
  }
  while (*done < 3) co_await simloop::sleep_for(1ms);
}

// Everything a schedule is made of: tasks, yields, same-instant timers, a
// channel, and data choices drawn through the scheduler.
asio::awaitable<void> busy_world() {
  auto ex = co_await asio::this_coro::executor;
  auto ch = std::make_shared<asio::experimental::channel<void(boost::system::error_code, int)>>(ex, 2);
  auto total = std::make_shared<int>(0);
  for (int id = 0; id < 3; ++id) {
    asio::co_spawn(
        ex,
        [ch, id]() -> asio::awaitable<void> {
          auto& sched = simloop::simulation::current()->scheduler();
          for (int i = 0; i < 4; ++i) {
            auto jitter = std::chrono::milliseconds(sched.decide(3));
            co_await simloop::sleep_for(10ms + jitter);
            co_await ch->async_send(boost::system::error_code{}, id * 10 + i, asio::use_awaitable);
          }
        },
        asio::detached);
  }
  for (int i = 0; i < 12; ++i) {
    int v = co_await ch->async_receive(asio::use_awaitable);
    *total += v;
    co_await simloop::yield();
  }
  SIMLOOP_ASSERT(*total == (0 + 1 + 2 + 3) * 3 + (0 + 10 + 20) * 4);
}

simloop::report run_busy(simloop::options o) { return run_with(o, busy_world); }

simloop::report run_three(simloop::options o, std::shared_ptr<std::vector<int>> log = nullptr) {
  if (!log) log = std::make_shared<std::vector<int>>();
  return run_with(o, [&] { return three_tasks(log); });
}

bool same_trace(const simloop::report& a, const simloop::report& b) {
  if (a.trace.size() != b.trace.size() || a.time_changes.size() != b.time_changes.size()) return false;
  for (std::size_t i = 0; i < a.trace.size(); ++i)
    if (a.trace[i].lane != b.trace[i].lane || a.trace[i].choice != b.trace[i].choice) return false;
  for (std::size_t i = 0; i < a.time_changes.size(); ++i)
    if (a.time_changes[i].step != b.time_changes[i].step || a.time_changes[i].time != b.time_changes[i].time)
      return false;
  return true;
}

constexpr simloop::strategy explored[] = {simloop::strategy::random, simloop::strategy::pct};

// ---- within a process ------------------------------------------------------------

TEST(Determinism, SameSeedSameRunWithinAProcess) {
  for (auto s : explored) {
    for (std::uint64_t seed = 0; seed < 50; ++seed) {
      auto a = run_busy(seeded(seed, s));
      auto b = run_busy(seeded(seed, s));
      EXPECT_TRUE(a.ok()) << a.describe();
      EXPECT_EQ(a.trace_hash, b.trace_hash) << to_string(s) << " seed " << seed;
      EXPECT_EQ(a.steps, b.steps);
      EXPECT_EQ(a.virtual_elapsed, b.virtual_elapsed);
      EXPECT_EQ(a.choices, b.choices);
      EXPECT_TRUE(same_trace(a, b)) << to_string(s) << " seed " << seed;
    }
  }
}

TEST(Determinism, DifferentSeedsGiveManyInterleavings) {
  std::set<std::vector<int>> interleavings;
  std::set<std::uint64_t> hashes;
  for (std::uint64_t seed = 0; seed < 200; ++seed) {
    auto log = std::make_shared<std::vector<int>>();
    auto r = run_three(seeded(seed), log);
    EXPECT_TRUE(r.ok()) << r.describe();
    EXPECT_EQ(log->size(), 9u);
    interleavings.insert(*log);
    hashes.insert(r.trace_hash);
  }
  // Out of 1680 possible interleavings, a uniform walk over 200 seeds
  // repeats few of them.
  EXPECT_GE(interleavings.size(), 150u);
  EXPECT_GE(hashes.size(), interleavings.size());
}

TEST(Determinism, PctExploresInterleavingsToo) {
  std::set<std::vector<int>> interleavings;
  for (std::uint64_t seed = 0; seed < 200; ++seed) {
    auto log = std::make_shared<std::vector<int>>();
    auto r = run_three(seeded(seed, simloop::strategy::pct), log);
    EXPECT_TRUE(r.ok()) << r.describe();
    interleavings.insert(*log);
  }
  EXPECT_GE(interleavings.size(), 10u);
}

TEST(Determinism, PctRunsTheStepsOfOneLaneOldestFirst) {
  // PCT orders lanes by priority; inside a lane, the oldest ready step runs
  // first. Handlers posted by one task share its lane, so they run in posting
  // order under every seed, interleaved with the other task's.
  for (std::uint64_t seed = 0; seed < 100; ++seed) {
    std::vector<int> mine, theirs;
    auto r = run_with(seeded(seed, simloop::strategy::pct), [&]() -> asio::awaitable<void> {
      auto ex = co_await asio::this_coro::executor;
      asio::co_spawn(
          ex,
          [&]() -> asio::awaitable<void> {
            auto own = co_await asio::this_coro::executor;
            for (int i = 0; i < 6; ++i) asio::post(own, [&theirs, i] { theirs.push_back(i); });
            co_return;
          },
          asio::detached);
      for (int i = 0; i < 6; ++i) asio::post(ex, [&mine, i] { mine.push_back(i); });
      co_await simloop::sleep_for(1s);
    });
    EXPECT_TRUE(r.ok()) << r.describe();
    EXPECT_EQ(mine, (std::vector<int>{0, 1, 2, 3, 4, 5})) << "seed " << seed;
    EXPECT_EQ(theirs, (std::vector<int>{0, 1, 2, 3, 4, 5})) << "seed " << seed;
  }
}

TEST(Determinism, FifoIgnoresTheSeed) {
  auto first_log = std::make_shared<std::vector<int>>();
  auto first = run_three(seeded(0, simloop::strategy::fifo), first_log);
  // FIFO is round robin here: each task's yield goes behind the others'.
  EXPECT_EQ(*first_log, (std::vector<int>{1, 2, 3, 1, 2, 3, 1, 2, 3}));
  for (auto c : first.trace) EXPECT_EQ(c.choice, 0u);
  for (std::uint64_t seed : {1ull, 2ull, 0x2aull, 0xffffffffffffffffull}) {
    auto log = std::make_shared<std::vector<int>>();
    auto r = run_three(seeded(seed, simloop::strategy::fifo), log);
    EXPECT_EQ(*log, *first_log);
    EXPECT_EQ(r.trace_hash, first.trace_hash) << "seed " << seed;
    EXPECT_TRUE(same_trace(r, first));
    auto busy = run_busy(seeded(seed, simloop::strategy::fifo));
    EXPECT_EQ(busy.trace_hash, run_busy(seeded(0, simloop::strategy::fifo)).trace_hash);
  }
}

// ---- replay -----------------------------------------------------------------------------

TEST(Determinism, ReplayFromChoicesReproducesTheRun) {
  for (auto s : explored) {
    for (std::uint64_t seed = 0; seed < 50; ++seed) {
      auto original = run_busy(seeded(seed, s));
      simloop::options o;
      o.strategy = simloop::strategy::replay;
      o.choices = original.choices;
      auto again = run_busy(o);
      EXPECT_EQ(again.trace_hash, original.trace_hash) << to_string(s) << " seed " << seed;
      EXPECT_EQ(again.steps, original.steps) << to_string(s) << " seed " << seed;
      EXPECT_EQ(again.virtual_elapsed, original.virtual_elapsed);
      EXPECT_EQ(again.choices, original.choices);
      EXPECT_TRUE(same_trace(again, original)) << to_string(s) << " seed " << seed;
    }
  }
}

TEST(Determinism, ReplayOfAFailingRunFailsTheSameWay) {
  // The lost update of three tasks: find a failing seed, replay it.
  auto lost_update = []() -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    auto value = std::make_shared<int>(0), finished = std::make_shared<int>(0);
    for (int i = 0; i < 3; ++i)
      asio::co_spawn(
          ex,
          [value, finished]() -> asio::awaitable<void> {
            co_await simloop::yield();
            int seen = *value;
            co_await simloop::yield();
            *value = seen + 1;
            ++*finished;
          },
          asio::detached);
    while (*finished < 3) co_await simloop::sleep_for(1ms);
    SIMLOOP_ASSERT(*value == 3);
  };
  int replayed = 0;
  for (auto s : explored) {
    for (std::uint64_t seed = 0; seed < 40; ++seed) {
      auto original = run_with(seeded(seed, s), lost_update);
      if (original.ok()) continue;
      simloop::options o;
      o.strategy = simloop::strategy::replay;
      o.choices = original.choices;
      auto again = run_with(o, lost_update);
      ASSERT_EQ(again.findings.size(), 1u) << to_string(s) << " seed " << seed;
      EXPECT_EQ(again.findings[0].kind, simloop::finding_kind::assertion);
      EXPECT_EQ(again.trace_hash, original.trace_hash) << to_string(s) << " seed " << seed;
      EXPECT_EQ(again.steps, original.steps);
      ++replayed;
    }
  }
  EXPECT_GT(replayed, 5);
}

TEST(Determinism, ReplayPastTheEndOfTheListTakesTheDefaultPick) {
  // An empty list is FIFO: every decision is 0.
  simloop::options o;
  o.strategy = simloop::strategy::replay;
  auto fifo = run_three(seeded(0, simloop::strategy::fifo));
  // The same steps in the same order. (A replay also draws the delay
  // decisions a random or pct run drew, all 0 here; fifo draws none, and
  // decisions are part of the hash.)
  auto replayed = run_three(o);
  ASSERT_EQ(replayed.trace.size(), fifo.trace.size());
  for (std::size_t i = 0; i < fifo.trace.size(); ++i) {
    EXPECT_EQ(replayed.trace[i].lane, fifo.trace[i].lane) << "step " << i + 1;
    EXPECT_EQ(replayed.trace[i].choice, 0u) << "step " << i + 1;
  }
  EXPECT_EQ(replayed.virtual_elapsed, fifo.virtual_elapsed);
  // Without delay injection nothing else is drawn: the very same run.
  o.delay_one_in = 0;
  EXPECT_EQ(run_three(o).trace_hash, fifo.trace_hash);
}

// ---- across processes ----------------------------------------------------------------------

std::string hash_lines() {
  std::ostringstream out;
  for (auto s : explored)
    for (std::uint64_t seed = 0; seed < 10; ++seed) {
      auto r = run_busy(seeded(seed, s));
      out << "trace_hash " << to_string(s) << " seed=" << seed << " steps=" << r.steps << " hash=" << std::hex
          << r.trace_hash << std::dec << "\n";
    }
  return out.str();
}

// Runs only as the child of SameSeedSameHashAcrossProcesses.
TEST(Determinism, ChildProcessPrintsHashes) {
  if (!std::getenv("SIMLOOP_TEST_PRINT_HASHES")) GTEST_SKIP() << "helper of SameSeedSameHashAcrossProcesses";
  // A different heap layout from the parent's: addresses must not matter.
  std::vector<std::unique_ptr<char[]>> ballast;
  for (int i = 1; i < 200; ++i) ballast.emplace_back(new char[static_cast<std::size_t>(i) * 97]);
  std::printf("BEGIN HASHES\n%sEND HASHES\n", hash_lines().c_str());
  std::fflush(stdout);
}

TEST(Determinism, SameSeedSameHashAcrossProcesses) {
  std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
  std::string command = "SIMLOOP_TEST_PRINT_HASHES=1 '" + self +
                        "' --gtest_filter=Determinism.ChildProcessPrintsHashes --gtest_color=no 2>&1";
  FILE* child = ::popen(command.c_str(), "r");
  ASSERT_NE(child, nullptr);
  std::string output;
  char buffer[4096];
  while (std::size_t n = std::fread(buffer, 1, sizeof buffer, child)) output.append(buffer, n);
  int status = ::pclose(child);
  ASSERT_EQ(status, 0) << output;
  auto begin = output.find("BEGIN HASHES\n"), end = output.find("END HASHES");
  ASSERT_NE(begin, std::string::npos) << output;
  ASSERT_NE(end, std::string::npos) << output;
  std::string theirs = output.substr(begin + 13, end - begin - 13);
  std::string ours = hash_lines();
  EXPECT_EQ(theirs, ours);
  EXPECT_NE(ours.find("pct seed=9"), std::string::npos);
}

// ---- simloop's entry frame for detached tasks ----------------------------------

// Detached tasks that yield, sleep, race on a tracked value, throw, spawn
// detached children and leak: every schedule-relevant thing a task does.
asio::awaitable<void> detached_world() {
  auto ex = co_await asio::this_coro::executor;
  auto value = std::make_shared<simloop::tracked<int>>(0, "counter");
  auto finished = std::make_shared<int>(0);
  for (int id = 0; id < 4; ++id) {
    asio::co_spawn(
        ex,
        [value, finished, id]() -> asio::awaitable<void> {
          co_await simloop::yield();
          int current = value->read();
          co_await simloop::sleep_for(std::chrono::milliseconds(id % 2));
          value->write(current + 1);
          if (id == 1) {
            auto inner = co_await asio::this_coro::executor;
            asio::co_spawn(
                inner, []() -> asio::awaitable<void> { co_await simloop::yield(); }, asio::detached);
          }
          ++*finished;
          if (id == 2) throw std::runtime_error("task 2 fails");
        },
        asio::detached);
  }
  // Never finishes: a leaked task.
  asio::co_spawn(
      ex, []() -> asio::awaitable<void> { co_await simloop::sleep_for(1h); }, asio::detached);
  while (*finished < 4) co_await simloop::sleep_for(1ms);
}

std::vector<std::string> finding_messages(const simloop::report& r) {
  std::vector<std::string> out;
  for (const auto& f : r.findings) out.push_back(f.message);
  return out;
}

// co_spawn(ex, f, detached) on a simulation takes simloop's smaller entry
// frame (detail/detached_entry.hpp); Asio's co_spawn_entry_point must give
// the same runs: schedule, trace hash, findings (with their task names,
// spawn and wait sites) and virtual time.
TEST(Determinism, DetachedEntryFrameRunsLikeAsios) {
  struct restore {
    ~restore() { simloop::detail::use_detached_entry() = true; }
  } guard;
  std::size_t with_findings = 0;
  for (auto s : explored) {
    for (std::uint64_t seed = 0; seed < 30; ++seed) {
      for (auto body : {+detached_world, +busy_world}) {
        simloop::detail::use_detached_entry() = true;
        auto ours = run_with(seeded(seed, s), body);
        simloop::detail::use_detached_entry() = false;
        auto asios = run_with(seeded(seed, s), body);
        EXPECT_EQ(ours.trace_hash, asios.trace_hash) << to_string(s) << " seed " << seed;
        EXPECT_EQ(ours.steps, asios.steps);
        EXPECT_EQ(ours.virtual_elapsed, asios.virtual_elapsed);
        EXPECT_EQ(ours.choices, asios.choices);
        EXPECT_TRUE(same_trace(ours, asios)) << to_string(s) << " seed " << seed;
        EXPECT_EQ(finding_messages(ours), finding_messages(asios)) << to_string(s) << " seed " << seed;
        if (!ours.findings.empty()) ++with_findings;
      }
    }
  }
  EXPECT_GT(with_findings, 0u);
}

}  // namespace
