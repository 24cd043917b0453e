// races_exploration: how fast each strategy finds four classic bugs.
//
//   races_exploration [runs=1000]
//   races_exploration --bench     (cost of race detection, build Release)
//
// For every bug and strategy it runs seeds 0..runs-1 (race detection off:
// this measures schedule exploration alone) and prints, as a Markdown table,
// the first failing seed's position (runs to first failure), how many of the
// runs failed, and the mean steps per run. docs/exploration.md holds the
// numbers and the defaults chosen from them.
#include <simloop/simloop.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace {

struct counter {
  int value = 0;
  int finished = 0;
};

asio::awaitable<void> increment(std::shared_ptr<counter> c) {
  co_await simloop::yield();
  int current = c->value;
  co_await simloop::yield();
  c->value = current + 1;
  ++c->finished;
}

// The seeds' Counter: a lost update among n tasks.
asio::awaitable<void> lost_update(int tasks) {
  auto ex = co_await asio::this_coro::executor;
  auto c = std::make_shared<counter>();
  for (int i = 0; i < tasks; ++i) asio::co_spawn(ex, increment(c), asio::detached);
  while (c->finished < tasks) co_await simloop::sleep_for(1ms);
  SIMLOOP_ASSERT(c->value == tasks);
}

struct cache {
  bool filled = false;
  int fetches = 0;
  int finished = 0;
};

asio::awaitable<void> lookup(std::shared_ptr<cache> c) {
  co_await simloop::yield();
  co_await simloop::yield();
  if (!c->filled) {
    co_await simloop::yield();  // the fetch
    ++c->fetches;
    c->filled = true;
  }
  ++c->finished;
}

// Check-then-act: two lookups must fetch once.
asio::awaitable<void> check_then_act() {
  auto ex = co_await asio::this_coro::executor;
  auto c = std::make_shared<cache>();
  for (int i = 0; i < 2; ++i) asio::co_spawn(ex, lookup(c), asio::detached);
  while (c->finished < 2) co_await simloop::sleep_for(1ms);
  SIMLOOP_ASSERT(c->fetches == 1);
}

struct ordering {
  int x = 0;
  bool b_saw = false, c_saw = false;
  int finished = 0;
};

asio::awaitable<void> padding(int n) {
  for (int i = 0; i < n; ++i) co_await simloop::yield();
}

// Fails only for A1 < B < C < A2: three ordering constraints (depth 3).
// A's window between A1 and A2 is one step; B and C look once, at
// different offsets, so FIFO's lockstep never lines them up.
asio::awaitable<void> task_a(std::shared_ptr<ordering> s) {
  co_await padding(10);
  s->x = 1;  // A1
  co_await simloop::yield();
  s->x = 2;  // A2
  ++s->finished;
}
asio::awaitable<void> task_b(std::shared_ptr<ordering> s) {
  co_await padding(14);
  if (s->x == 1) s->b_saw = true;  // B
  ++s->finished;
}
asio::awaitable<void> task_c(std::shared_ptr<ordering> s) {
  co_await padding(18);
  if (s->b_saw && s->x == 1) s->c_saw = true;  // C, after B, before A2
  ++s->finished;
}
asio::awaitable<void> depth3_ordering() {
  auto ex = co_await asio::this_coro::executor;
  auto s = std::make_shared<ordering>();
  asio::co_spawn(ex, task_a(s), asio::detached);
  asio::co_spawn(ex, task_b(s), asio::detached);
  asio::co_spawn(ex, task_c(s), asio::detached);
  while (s->finished < 3) co_await simloop::sleep_for(1ms);
  SIMLOOP_ASSERT(!s->c_saw);
}

struct bug {
  std::string name;
  std::function<asio::awaitable<void>()> body;
};

struct config {
  std::string name;
  simloop::strategy strategy;
  int depth;
  std::uint64_t pct_steps;
};

struct result {
  std::uint64_t first = 0;  // 1-based run index of the first failure, 0: none
  std::uint64_t failures = 0;
  double mean_steps = 0;
};

result measure(const bug& b, const config& c, std::uint64_t runs) {
  result r;
  std::uint64_t steps = 0;
  for (std::uint64_t seed = 0; seed < runs; ++seed) {
    simloop::options o;
    o.seed = seed;
    o.strategy = c.strategy;
    o.pct_depth = c.depth;
    o.pct_steps = c.pct_steps;
    o.detect_races = false;
    o.record_trace = false;
    auto rep = simloop::run_one(o, b.body);
    steps += rep.steps;
    if (!rep.ok()) {
      ++r.failures;
      if (!r.first) r.first = seed + 1;
    }
  }
  r.mean_steps = static_cast<double>(steps) / static_cast<double>(runs);
  return r;
}

// ---- cost of race detection ------------------------------------------------

asio::awaitable<void> spin(int yields, std::shared_ptr<simloop::tracked<int>> shared) {
  for (int i = 0; i < yields; ++i) {
    co_await simloop::yield();
    if (shared) *shared = *shared + 1;  // one tracked read + write per step
  }
}

asio::awaitable<void> ping(simloop::queue<int>& q, int n) {
  for (int i = 0; i < n; ++i) co_await q.async_put(i, asio::use_awaitable);
}

asio::awaitable<void> bench_body(int tasks, int yields, bool tracked) {
  auto ex = co_await asio::this_coro::executor;
  auto shared = tracked ? std::make_shared<simloop::tracked<int>>(0, "shared") : nullptr;
  simloop::task_group g(ex);
  for (int i = 0; i < tasks; ++i) g.spawn(spin(yields, shared));
  co_await g.async_wait(asio::use_awaitable);
}

// Cross-lane traffic: a producer and a consumer through simloop::queue.
asio::awaitable<void> queue_body(int n) {
  auto ex = co_await asio::this_coro::executor;
  simloop::queue<int> q(ex, 4);
  asio::co_spawn(ex, ping(q, n), asio::detached);
  for (int i = 0; i < n; ++i) (void)co_await q.async_get(asio::use_awaitable);
}

void bench() {
  struct row {
    const char* name;
    std::function<asio::awaitable<void>()> body;
  };
  std::vector<row> rows = {
      {"16 tasks x 20,000 yields", [] { return bench_body(16, 20000, false); }},
      {"16 tasks x 20,000 yields + tracked access", [] { return bench_body(16, 20000, true); }},
      {"queue ping-pong, 100,000 items", [] { return queue_body(100000); }},
  };
  fmt::print("| body | steps | detect_races=false | detect_races=true | ratio |\n|---|---|---|---|---|\n");
  for (auto& r : rows) {
    // Best of 7, on and off interleaved: the machine is shared and noisy.
    double t[2] = {1e9, 1e9};
    std::uint64_t steps = 0;
    for (int rep = 0; rep < 7; ++rep) {
      for (int on = 0; on < 2; ++on) {
        simloop::options o;
        o.seed = 1;
        o.detect_races = on == 1;
        o.record_trace = false;
        auto start = std::chrono::steady_clock::now();  // timing the tool, not read inside a run
        auto rep_ = simloop::run_one(o, r.body);
        double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        t[on] = std::min(t[on], s);
        steps = rep_.steps;
      }
    }
    fmt::print("| {} | {} | {:.1f} ms | {:.1f} ms | {:.2f}x |\n", r.name, steps, t[0] * 1e3, t[1] * 1e3, t[1] / t[0]);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::string(argv[1]) == "--bench") {
    bench();
    return 0;
  }
  std::uint64_t runs = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1000;
  std::vector<bug> bugs = {
      {"lost update, 2 tasks", [] { return lost_update(2); }},
      {"lost update, 8 tasks", [] { return lost_update(8); }},
      {"check-then-act cache", [] { return check_then_act(); }},
      {"ordering bug, depth 3", [] { return depth3_ordering(); }},
  };
  std::vector<config> configs = {
      {"fifo", simloop::strategy::fifo, 1, 200},
      {"random", simloop::strategy::random, 1, 200},
      {"pct d=1", simloop::strategy::pct, 1, 200},
      {"pct d=2, k=20", simloop::strategy::pct, 2, 20},
      {"pct d=2, k=50", simloop::strategy::pct, 2, 50},
      {"pct d=2, k=200", simloop::strategy::pct, 2, 200},
      {"pct d=3, k=20", simloop::strategy::pct, 3, 20},
      {"pct d=3, k=50", simloop::strategy::pct, 3, 50},
      {"pct d=3, k=200", simloop::strategy::pct, 3, 200},
  };

  fmt::print("runs per cell: {} (seeds 0..{}); cell = runs to first failure / failing runs\n\n", runs, runs - 1);
  fmt::print("| strategy |");
  for (auto& b : bugs) fmt::print(" {} |", b.name);
  fmt::print("\n|---|");
  for (std::size_t i = 0; i < bugs.size(); ++i) fmt::print("---|");
  fmt::print("\n");
  std::vector<double> steps(bugs.size(), 0);
  for (auto& c : configs) {
    fmt::print("| {} |", c.name);
    for (std::size_t i = 0; i < bugs.size(); ++i) {
      result r = measure(bugs[i], c, runs);
      if (c.strategy == simloop::strategy::random) steps[i] = r.mean_steps;
      if (r.first) fmt::print(" {} / {} |", r.first, r.failures);
      else fmt::print(" never / 0 |");
    }
    fmt::print("\n");
    std::fflush(stdout);
  }
  fmt::print("\nmean steps per run (random):");
  for (std::size_t i = 0; i < bugs.size(); ++i) fmt::print(" {}: {:.0f};", bugs[i].name, steps[i]);
  fmt::print("\n");
}
