// The io_context reference for memory_bench: range(0) coroutines co_spawned
// (detached) on an io_context(1), each suspended on its own
// asio::steady_timer, measured once all are suspended. Plain Asio: this
// translation unit includes no simloop header (so no simloop frame notes),
// and it is its own binary so that its peak RSS is this load's.
//
//   build/tools/bench/memory_bench_asio
//
// Counters as in memory_bench: heap_per_task (mallinfo2 difference while all
// are suspended) and peak_rss_MiB (getrusage). Items per second = tasks
// spawned, suspended and destroyed with the io_context (they never finish).
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <benchmark/benchmark.h>

#include <malloc.h>
#include <sys/resource.h>

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace {

namespace asio = boost::asio;

std::size_t heap_in_use() {
  struct mallinfo2 m = mallinfo2();
  return m.uordblks + m.hblkhd;
}

asio::awaitable<void> sleeper(std::chrono::steady_clock::time_point until) {
  asio::steady_timer t(co_await asio::this_coro::executor, until);
  co_await t.async_wait(asio::use_awaitable);
}

void Suspended_IoContextTimer(benchmark::State& state) {
  const std::int64_t tasks = state.range(0);
  double per_task = 0;
  for (auto _ : state) {
    asio::io_context io(1);
    const std::size_t before = heap_in_use();
    // Far enough ahead that none fires: once measured, the io_context's
    // destructor destroys the pending waits and with them the coroutines.
    const auto until = std::chrono::steady_clock::now() + std::chrono::hours(1);
    for (std::int64_t i = 0; i < tasks; ++i) asio::co_spawn(io, sleeper(until), asio::detached);
    // Each coroutine runs up to its timer wait; the timers are still pending.
    while (io.poll_one() != 0) {
    }
    per_task = static_cast<double>(heap_in_use() - before) / static_cast<double>(tasks);
  }
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  state.counters["heap_per_task"] = per_task;
  state.counters["peak_rss_MiB"] = static_cast<double>(u.ru_maxrss) / 1024.0;
  state.SetItemsProcessed(state.iterations() * tasks);
}

}  // namespace

BENCHMARK(Suspended_IoContextTimer)->Arg(10'000)->Arg(1'000'000)->Unit(benchmark::kMillisecond)->Iterations(1);

BENCHMARK_MAIN();
