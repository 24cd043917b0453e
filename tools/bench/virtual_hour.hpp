// tools/bench/virtual_hour.hpp: the timer-heavy load both benchmark binaries
// run: range(0) tasks, each sleeping one virtual hour in 10 s steps.
#pragma once

#include <simloop/simloop.hpp>

#include <benchmark/benchmark.h>

namespace simloop_bench {

inline void virtual_hour(benchmark::State& state, simloop::options o) {
  using namespace std::chrono_literals;
  const int tasks = static_cast<int>(state.range(0));
  o.strategy = simloop::strategy::fifo;
  o.record_trace = false;
  for (auto _ : state) {
    simloop::simulation sim(o);
    auto r = sim.run([tasks]() -> asio::awaitable<void> {
      auto ex = co_await asio::this_coro::executor;
      simloop::task_group g(ex);
      for (int i = 0; i < tasks; ++i)
        g.spawn([]() -> asio::awaitable<void> {
          for (int s = 0; s < 360; ++s) co_await simloop::sleep_for(10s);
        }());
      co_await g.async_wait(asio::use_awaitable);
    }());
    if (!r.ok() || r.virtual_elapsed != 1h) state.SkipWithError("run failed");
  }
  state.SetItemsProcessed(state.iterations() * tasks * 360);
}

}  // namespace simloop_bench
