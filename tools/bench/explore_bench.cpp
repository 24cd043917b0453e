// explore() with worker processes (explore_options::jobs): real time to
// explore a fixed number of passing runs with 1, 2, ... jobs.
//
//   build/release/tools/bench/explore_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
//
// Items per second = runs per real second (UseRealTime: the workers' CPU
// time is not the benchmark process's). cpu_us_per_run counts the CPU time
// of this process and of its reaped workers (getrusage): on a machine shared
// with other work, where real time says little, it shows what the workers
// cost on top of the runs themselves (forking, copy-on-write, messages).
#include <simloop/detail/worker_pool.hpp>
#include <simloop/simloop.hpp>

#include <benchmark/benchmark.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include <sys/resource.h>

namespace {

// The small run of core_bench's Runs_Small: 2 tasks, 4 steps.
asio::awaitable<void> two_tasks() {
  auto ex = co_await asio::this_coro::executor;
  asio::co_spawn(ex, []() -> asio::awaitable<void> { co_await simloop::yield(); }(), asio::detached);
  co_await simloop::yield();
}

// A larger run: 16 tasks yielding 16 times each (about 300 steps).
asio::awaitable<void> sixteen_tasks() {
  auto ex = co_await asio::this_coro::executor;
  for (int t = 0; t < 16; ++t)
    asio::co_spawn(
        ex,
        []() -> asio::awaitable<void> {
          for (int i = 0; i < 16; ++i) co_await simloop::yield();
        }(),
        asio::detached);
  co_await simloop::sleep_for(std::chrono::seconds(1));
}

// CPU time of this process and of its children that were waited for.
double cpu_seconds() {
  double total = 0;
  for (int who : {RUSAGE_SELF, RUSAGE_CHILDREN}) {
    rusage u{};
    ::getrusage(who, &u);
    total += static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
             static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
  }
  return total;
}

// Arguments: jobs, runs.
void explore_runs(benchmark::State& state, asio::awaitable<void> (*body)()) {
  const auto jobs = static_cast<unsigned>(state.range(0));
  const auto runs = static_cast<std::uint64_t>(state.range(1));
  if (jobs > 1 && !simloop::detail::can_fork_workers()) {
    state.SkipWithError("this process has more than one thread: explore() would run serially");
    return;
  }
  double cpu_before = cpu_seconds();
  for (auto _ : state) {
    simloop::explore_options eo;
    eo.runs = runs;
    eo.jobs = jobs;
    eo.strategy = simloop::strategy::random;
    eo.use_environment = false;
    simloop::report r = simloop::explore(eo, body);
    if (!r.ok() || r.runs != runs) state.SkipWithError("an exploration failed");
  }
  auto all_runs = static_cast<double>(state.iterations() * runs);
  state.SetItemsProcessed(static_cast<std::int64_t>(all_runs));
  state.counters["cpu_us_per_run"] = (cpu_seconds() - cpu_before) * 1e6 / all_runs;
}

void Explore_Small(benchmark::State& s) { explore_runs(s, two_tasks); }
void Explore_SixteenTasks(benchmark::State& s) { explore_runs(s, sixteen_tasks); }

}  // namespace

BENCHMARK(Explore_Small)->ArgsProduct({{1, 2}, {10'000}})->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(Explore_SixteenTasks)->ArgsProduct({{1, 2}, {2'000}})->UseRealTime()->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
