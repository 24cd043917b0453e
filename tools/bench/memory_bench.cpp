// Memory of many concurrently suspended tasks: range(0) coroutines are
// co_spawned (detached) from the body, each suspends on a simloop::timer
// (Suspended_Timer) or on one shared simloop::event (Suspended_Event); once
// all are suspended the body measures, then lets them finish.
//
//   build/tools/bench/memory_bench --benchmark_filter='Suspended_Timer/1000000'
//
// Counters:
//   heap_per_task  heap bytes in use per suspended task (mallinfo2: arena
//                  plus mmapped blocks, while all are suspended, minus before
//                  the first spawn)
//   peak_rss_MiB   the process's peak resident set so far (getrusage): run one
//                  benchmark per process (a --benchmark_filter) for its own peak
// Items per second = tasks spawned, suspended and finished per real second.
// Its own binary, so that no other benchmark's allocations are in the peak.
#include "suspended_tasks.hpp"

#include <simloop/simloop.hpp>

#include <benchmark/benchmark.h>

#include <malloc.h>
#include <sys/resource.h>

#include <cstddef>
#include <cstdint>

namespace {

using namespace std::chrono_literals;

std::size_t heap_in_use() {
  struct mallinfo2 m = mallinfo2();
  return m.uordblks + m.hblkhd;
}

double peak_rss_mib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

using simloop_bench::countdown;
using simloop_bench::wait_on;

void suspended(benchmark::State& state, wait_on what) {
  const std::int64_t tasks = state.range(0);
  double per_task = 0;
  for (auto _ : state) {
    // Every detector at its default but the CPU budget per step: waking a
    // million waiters of one event is one long step by design.
    simloop::simulation sim({.strategy = simloop::strategy::fifo,
                             .record_trace = false,
                             .step_cpu_budget = std::chrono::nanoseconds(0)});
    auto r = sim.run([&]() -> asio::awaitable<void> {
      auto ex = co_await asio::this_coro::executor;
      simloop::event done(ex), go(ex);
      countdown c{tasks, &done};
      const std::size_t before = heap_in_use();
      simloop_bench::spawn_suspended(ex, what, tasks, &c, &go);
      const std::size_t during = heap_in_use();
      per_task = static_cast<double>(during - before) / static_cast<double>(tasks);
      go.set();
      co_await done.async_wait(asio::use_awaitable);
    }());
    if (!r.ok()) state.SkipWithError(r.describe().c_str());
  }
  state.counters["heap_per_task"] = per_task;
  state.counters["peak_rss_MiB"] = peak_rss_mib();
  state.SetItemsProcessed(state.iterations() * tasks);
}

void Suspended_Timer(benchmark::State& s) { suspended(s, wait_on::timer); }
void Suspended_Event(benchmark::State& s) { suspended(s, wait_on::event); }

}  // namespace

BENCHMARK(Suspended_Timer)->Arg(10'000)->Arg(1'000'000)->Unit(benchmark::kMillisecond)->Iterations(1);
BENCHMARK(Suspended_Event)->Arg(10'000)->Arg(1'000'000)->Unit(benchmark::kMillisecond)->Iterations(1);

BENCHMARK_MAIN();
