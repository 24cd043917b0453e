// What the detectors cost: the core loads with every detector on (the
// defaults), with every detector off, and with each one alone.
//
//   build/release/tools/bench/detectors_bench
//   build/release/tools/bench/detectors_bench --benchmark_filter=Small
//
// Items per second = runs, steps, spawned tasks, timer completions or hooked
// calls per real second.
#include <simloop/simloop.hpp>

#include <benchmark/benchmark.h>

#include "virtual_hour.hpp"

#include <poll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <string_view>

namespace {

using namespace std::chrono_literals;

// ---- detector configurations ------------------------------------------------

simloop::options all_off() {
  simloop::options o;
  o.record_trace = false;
  o.detect_races = false;
  o.detect_deadlock = false;
  o.detect_leaked_tasks = false;
  o.detect_never_awaited = false;
  o.detect_unobserved_exceptions = false;
  o.detect_blocking_calls = false;
  o.detect_cancellation_ignored = false;
  o.detect_dangling_references = false;
  o.step_cpu_budget = std::chrono::nanoseconds(0);
  o.capture_spawn_sites = false;
  return o;
}

simloop::options all_on() {
  simloop::options o;
  o.record_trace = false;
  return o;
}

// Every detector off but one (range(0) indexes this list).
constexpr std::array<std::string_view, 9> detector_names = {
    "races", "deadlock", "leaked_tasks", "never_awaited", "unobserved_exceptions", "blocking_calls",
    "step_cpu_budget", "cancellation_ignored", "dangling_references"};

simloop::options only(std::int64_t detector) {
  simloop::options o = all_off();
  switch (detector) {
    case 0: o.detect_races = true; break;
    case 1: o.detect_deadlock = true; break;
    case 2: o.detect_leaked_tasks = true; break;
    case 3: o.detect_never_awaited = true; break;
    case 4: o.detect_unobserved_exceptions = true; break;
    case 5: o.detect_blocking_calls = true; break;
    case 6: o.step_cpu_budget = simloop::options{}.step_cpu_budget; break;
    case 7: o.detect_cancellation_ignored = true; break;
    case 8: o.detect_dangling_references = true; break;
  }
  return o;
}

// ---- full small runs: construct, a 2-task 4-step body, report ---------------

asio::awaitable<void> two_tasks() {
  auto ex = co_await asio::this_coro::executor;
  asio::co_spawn(ex, []() -> asio::awaitable<void> { co_await simloop::yield(); }(), asio::detached);
  co_await simloop::yield();
}

void small_runs(benchmark::State& state, simloop::options o) {
  o.strategy = simloop::strategy::random;
  for (auto _ : state) {
    simloop::simulation sim(o);
    auto r = sim.run(two_tasks());
    ++o.seed;
    if (!r.ok()) state.SkipWithError("run failed");
    benchmark::DoNotOptimize(r.trace_hash);
  }
  state.SetItemsProcessed(state.iterations());
}
void Small_AllOn(benchmark::State& s) { small_runs(s, all_on()); }
void Small_AllOff(benchmark::State& s) { small_runs(s, all_off()); }
void Small_Only(benchmark::State& s) {
  s.SetLabel(std::string(detector_names[static_cast<std::size_t>(s.range(0))]));
  small_runs(s, only(s.range(0)));
}
BENCHMARK(Small_AllOn);
BENCHMARK(Small_AllOff);
BENCHMARK(Small_Only)->DenseRange(0, detector_names.size() - 1);

// ---- spawning: one run spawns 1,000 tasks that each yield once ---------------

void spawns(benchmark::State& state, simloop::options o) {
  constexpr int tasks = 1000;
  o.strategy = simloop::strategy::fifo;
  for (auto _ : state) {
    simloop::simulation sim(o);
    auto r = sim.run([]() -> asio::awaitable<void> {
      auto ex = co_await asio::this_coro::executor;
      simloop::task_group g(ex);
      for (int i = 0; i < tasks; ++i) g.spawn([]() -> asio::awaitable<void> { co_await simloop::yield(); }());
      co_await g.async_wait(asio::use_awaitable);
    }());
    if (!r.ok()) state.SkipWithError("run failed");
  }
  state.SetItemsProcessed(state.iterations() * tasks);
}
void Spawn_AllOn(benchmark::State& s) { spawns(s, all_on()); }
void Spawn_AllOff(benchmark::State& s) { spawns(s, all_off()); }
BENCHMARK(Spawn_AllOn)->Unit(benchmark::kMillisecond);
BENCHMARK(Spawn_AllOff)->Unit(benchmark::kMillisecond);

// ---- coroutine calls with parameters: what dangling_references checks --------
// Each call's frame is made with its parameters' addresses checked against
// the step's stack; b is a local of the body's frame (on the heap): no record.

asio::awaitable<int> add(int a, const int& b) { co_return a + b; }

void calls(benchmark::State& state, simloop::options o) {
  constexpr int n = 100'000;
  o.strategy = simloop::strategy::fifo;
  for (auto _ : state) {
    simloop::simulation sim(o);
    int sum = 0;
    auto r = sim.run([](int* out) -> asio::awaitable<void> {
      const int b = 1;
      for (int i = 0; i < n; ++i) *out += co_await add(i, b);
    }(&sum));
    if (!r.ok()) state.SkipWithError("run failed");
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(state.iterations() * n);
}
void Calls_AllOn(benchmark::State& s) { calls(s, all_on()); }
void Calls_DanglingOff(benchmark::State& s) {
  simloop::options o = all_on();
  o.detect_dangling_references = false;
  calls(s, o);
}
BENCHMARK(Calls_AllOn)->Unit(benchmark::kMillisecond);
BENCHMARK(Calls_DanglingOff)->Unit(benchmark::kMillisecond);

// ---- handler steps: chains of self-reposting handlers, fifo -----------------

struct chain {
  simloop::simulation::executor_type ex;
  std::int64_t* left;
  void operator()() {
    if (--*left > 0) asio::post(ex, chain{ex, left});
  }
};

void steps(benchmark::State& state, simloop::options o) {
  const auto chains = state.range(0);
  constexpr std::int64_t total = 1'000'000;
  o.strategy = simloop::strategy::fifo;
  for (auto _ : state) {
    simloop::simulation sim(o);
    std::int64_t left = total;
    for (std::int64_t c = 0; c < chains; ++c) asio::post(sim.get_executor(), chain{sim.get_executor(), &left});
    auto r = sim.run([]() -> asio::awaitable<void> { co_return; }());
    benchmark::DoNotOptimize(r.steps);
  }
  state.SetItemsProcessed(state.iterations() * total);
}
void Steps_AllOn(benchmark::State& s) { steps(s, all_on()); }
void Steps_AllOff(benchmark::State& s) { steps(s, all_off()); }
void Steps_Only(benchmark::State& s) {
  s.SetLabel(std::string(detector_names[static_cast<std::size_t>(s.range(1))]));
  steps(s, only(s.range(1)));
}
BENCHMARK(Steps_AllOn)->Arg(1)->Arg(64)->Unit(benchmark::kMillisecond);
BENCHMARK(Steps_AllOff)->Arg(1)->Arg(64)->Unit(benchmark::kMillisecond);
BENCHMARK(Steps_Only)->ArgsProduct({{1}, benchmark::CreateDenseRange(0, detector_names.size() - 1, 1)})->Unit(benchmark::kMillisecond);

// ---- virtual time: N tasks each sleeping an hour in 10 s steps --------------

void Timers_AllOn(benchmark::State& s) { simloop_bench::virtual_hour(s, all_on()); }
void Timers_AllOff(benchmark::State& s) { simloop_bench::virtual_hour(s, all_off()); }
BENCHMARK(Timers_AllOn)->Arg(100)->Arg(1000)->Unit(benchmark::kMillisecond);
BENCHMARK(Timers_AllOff)->Arg(100)->Arg(1000)->Unit(benchmark::kMillisecond);

// ---- blocking-call hooks outside any step -------------------------------------
// poll(nullptr, 0, 0) returns at once: through simloop's interposed poll (one
// thread-local read, then the real poll) and as a raw system call.

void Hook_PollThroughHook(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(::poll(nullptr, 0, 0));
  state.SetItemsProcessed(state.iterations());
}
void Hook_PollRawSyscall(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(::syscall(SYS_poll, nullptr, 0, 0));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(Hook_PollThroughHook);
BENCHMARK(Hook_PollRawSyscall);

}  // namespace

BENCHMARK_MAIN();
