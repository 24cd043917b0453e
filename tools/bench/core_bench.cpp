// Core benchmarks, all in one binary so that simloop and io_context are
// compared in the same process on the same load.
//
//   build/release/tools/bench/core_bench --benchmark_filter=Steps
//
// Items per second = handlers (steps) or timer completions or runs per real
// second.
#include <simloop/simloop.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/io_context.hpp>

#include <benchmark/benchmark.h>

#include "virtual_hour.hpp"

#include <memory>

namespace {

using namespace std::chrono_literals;

// A handler that reposts itself until `left` steps have run in all; the last
// one calls done (if any).
template <class Executor>
struct chain {
  Executor ex;
  std::int64_t* left;
  simloop::event* done = nullptr;
  void operator()() {
    if (--*left > 0) asio::post(ex, chain{ex, left, done});
    else if (*left == 0 && done) done->set();
  }
};

template <class Executor>
void start_chains(Executor ex, int chains, std::int64_t* left, simloop::event* done = nullptr) {
  for (int c = 0; c < chains; ++c) asio::post(ex, chain<Executor>{ex, left, done});
}

constexpr std::int64_t steps_per_iteration = 1'000'000;

// --- io_context ---------------------------------------------------------
void io_context_steps(benchmark::State& state, int hint, bool any) {
  const int chains = static_cast<int>(state.range(0));
  for (auto _ : state) {
    std::unique_ptr<asio::io_context> io = hint ? std::make_unique<asio::io_context>(hint) : std::make_unique<asio::io_context>();
    std::int64_t left = steps_per_iteration;
    if (any)
      start_chains(asio::any_io_executor(io->get_executor()), chains, &left);
    else
      start_chains(io->get_executor(), chains, &left);
    io->run();
  }
  state.SetItemsProcessed(state.iterations() * steps_per_iteration);
}
void Steps_IoContext(benchmark::State& s) { io_context_steps(s, 0, false); }
void Steps_IoContext1(benchmark::State& s) { io_context_steps(s, 1, false); }
void Steps_IoContext_AnyExecutor(benchmark::State& s) { io_context_steps(s, 0, true); }
void Steps_IoContext1_AnyExecutor(benchmark::State& s) { io_context_steps(s, 1, true); }

// --- simloop --------------------------------------------------------------
// The chains run inside the body's run: the body posts them and waits on an
// event that the last handler sets, so (almost) every step is a chain step.
void sim_steps(benchmark::State& state, simloop::strategy strategy, bool any, bool trace, bool races = true) {
  const int chains = static_cast<int>(state.range(0));
  for (auto _ : state) {
    simloop::simulation sim({.seed = 1, .strategy = strategy, .record_trace = trace, .detect_races = races});
    std::int64_t left = steps_per_iteration;
    auto r = sim.run([&]() -> asio::awaitable<void> {
      simloop::event done(sim.get_executor());
      if (any)
        start_chains(asio::any_io_executor(sim.get_executor()), chains, &left, &done);
      else
        start_chains(sim.get_executor(), chains, &left, &done);
      co_await done.async_wait(asio::use_awaitable);
    }());
    if (!r.ok()) state.SkipWithError("run failed");
  }
  state.SetItemsProcessed(state.iterations() * steps_per_iteration);
}
void Steps_SimFifo(benchmark::State& s) { sim_steps(s, simloop::strategy::fifo, false, false); }
void Steps_SimFifo_RacesOff(benchmark::State& s) { sim_steps(s, simloop::strategy::fifo, false, false, false); }
void Steps_SimRandom(benchmark::State& s) { sim_steps(s, simloop::strategy::random, false, false); }
void Steps_SimPct(benchmark::State& s) { sim_steps(s, simloop::strategy::pct, false, false); }
void Steps_SimFifo_AnyExecutor(benchmark::State& s) { sim_steps(s, simloop::strategy::fifo, true, false); }
void Steps_SimFifo_TraceOn(benchmark::State& s) { sim_steps(s, simloop::strategy::fifo, false, true); }
void Steps_SimRandom_TraceOn(benchmark::State& s) { sim_steps(s, simloop::strategy::random, false, true); }

BENCHMARK(Steps_IoContext)->Arg(1)->Arg(64)->Unit(benchmark::kMillisecond);
BENCHMARK(Steps_IoContext1)->Arg(1)->Arg(64)->Unit(benchmark::kMillisecond);
BENCHMARK(Steps_SimFifo)->Arg(1)->Arg(64)->Unit(benchmark::kMillisecond);
BENCHMARK(Steps_SimRandom)->Arg(1)->Arg(64)->Unit(benchmark::kMillisecond);
BENCHMARK(Steps_SimFifo_RacesOff)->Arg(1)->Arg(64)->Unit(benchmark::kMillisecond);
BENCHMARK(Steps_SimPct)->Arg(1)->Arg(64)->Unit(benchmark::kMillisecond);
BENCHMARK(Steps_IoContext_AnyExecutor)->Arg(1)->Unit(benchmark::kMillisecond);
BENCHMARK(Steps_IoContext1_AnyExecutor)->Arg(1)->Unit(benchmark::kMillisecond);
BENCHMARK(Steps_SimFifo_AnyExecutor)->Arg(1)->Unit(benchmark::kMillisecond);
BENCHMARK(Steps_SimFifo_TraceOn)->Arg(1)->Arg(64)->Unit(benchmark::kMillisecond);
BENCHMARK(Steps_SimRandom_TraceOn)->Arg(64)->Unit(benchmark::kMillisecond);

// --- co_await post() with 16 coroutines -----------------------------------
asio::awaitable<void> poster(std::int64_t n) {
  auto ex = co_await asio::this_coro::executor;
  for (std::int64_t i = 0; i < n; ++i) co_await asio::post(ex, asio::use_awaitable);
}
constexpr int coroutines = 16;
constexpr std::int64_t posts_each = 20'000;

void Coroutines_IoContext1(benchmark::State& state) {
  for (auto _ : state) {
    asio::io_context io(1);
    for (int i = 0; i < coroutines; ++i) asio::co_spawn(io, poster(posts_each), asio::detached);
    io.run();
  }
  state.SetItemsProcessed(state.iterations() * coroutines * posts_each);
}
void Coroutines_SimFifo(benchmark::State& state) {
  for (auto _ : state) {
    simloop::simulation sim({.strategy = simloop::strategy::fifo, .record_trace = false});
    auto r = sim.run([]() -> asio::awaitable<void> {
      auto ex = co_await asio::this_coro::executor;
      simloop::task_group g(ex);
      for (int i = 0; i < coroutines; ++i) g.spawn(poster(posts_each));
      co_await g.async_wait(asio::use_awaitable);
    }());
    if (!r.ok()) state.SkipWithError("run failed");
  }
  state.SetItemsProcessed(state.iterations() * coroutines * posts_each);
}
BENCHMARK(Coroutines_IoContext1)->Unit(benchmark::kMillisecond);
BENCHMARK(Coroutines_SimFifo)->Unit(benchmark::kMillisecond);

// --- full small runs: construct, run a 2-task 4-step body, report ----------
asio::awaitable<void> two_tasks() {
  auto ex = co_await asio::this_coro::executor;
  asio::co_spawn(ex, []() -> asio::awaitable<void> { co_await simloop::yield(); }(), asio::detached);
  co_await simloop::yield();
}
void Runs_Small(benchmark::State& state) {
  std::uint64_t seed = 0;
  for (auto _ : state) {
    simloop::simulation sim({.seed = seed++, .strategy = simloop::strategy::random, .record_trace = false});
    auto r = sim.run(two_tasks());
    benchmark::DoNotOptimize(r.trace_hash);
  }
  state.SetItemsProcessed(state.iterations());
}
// The same with every detector off: what the detectors cost a small run
// (tools/bench/detectors_bench measures each detector on its own).
void Runs_SmallDetectorsOff(benchmark::State& state) {
  std::uint64_t seed = 0;
  for (auto _ : state) {
    simloop::simulation sim({.seed = seed++,
                             .strategy = simloop::strategy::random,
                             .record_trace = false,
                             .detect_races = false,
                             .detect_deadlock = false,
                             .detect_leaked_tasks = false,
                             .detect_never_awaited = false,
                             .detect_unobserved_exceptions = false,
                             .detect_blocking_calls = false,
                             .step_cpu_budget = std::chrono::nanoseconds(0),
                             .capture_spawn_sites = false});
    auto r = sim.run(two_tasks());
    benchmark::DoNotOptimize(r.trace_hash);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(Runs_SmallDetectorsOff);
// Races off only.
void Runs_SmallRacesOff(benchmark::State& state) {
  std::uint64_t seed = 0;
  for (auto _ : state) {
    simloop::simulation sim({.seed = seed++, .strategy = simloop::strategy::random, .record_trace = false,
                             .detect_races = false});
    auto r = sim.run(two_tasks());
    benchmark::DoNotOptimize(r.trace_hash);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(Runs_SmallRacesOff);
void Runs_SmallConstructOnly(benchmark::State& state) {
  for (auto _ : state) {
    simloop::simulation sim({.record_trace = false});
    benchmark::DoNotOptimize(&sim);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(Runs_Small);
BENCHMARK(Runs_SmallConstructOnly);

// --- virtual time: N tasks each sleeping an hour in 10 s steps --------------
void Timers_VirtualHour(benchmark::State& s) { simloop_bench::virtual_hour(s, {}); }
void Timers_VirtualHour_RacesOff(benchmark::State& s) { simloop_bench::virtual_hour(s, {.detect_races = false}); }
BENCHMARK(Timers_VirtualHour)->Arg(100)->Arg(1000)->Arg(10000)->Unit(benchmark::kMillisecond);
BENCHMARK(Timers_VirtualHour_RacesOff)->Arg(100)->Arg(1000)->Arg(10000)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
