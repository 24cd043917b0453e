// Simulated network throughput and memory: 10,000 connections x 100 echoed
// messages in one simulation; memory per idle connection.
#include "echo_load.hpp"

#include <simloop/net.hpp>
#include <simloop/simloop.hpp>

#include <benchmark/benchmark.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <malloc.h>

#include <array>
#include <memory>
#include <vector>

namespace net = simloop::net;
using boost::asio::use_awaitable;

namespace {

const auto server_addr = asio::ip::make_address("10.0.0.2");
constexpr std::size_t message_size = simloop_bench::echo_message_size;
using simloop_bench::accept_loop;
using simloop_bench::echo_session;

// The body ends only when every session saw its client close: no task leaks.
asio::awaitable<void> wait_until(const int* ended, int n) {
  while (*ended < n) co_await simloop::sleep_for(std::chrono::milliseconds(10));
}

asio::awaitable<void> client(simloop::executor ex, int messages, std::uint64_t* done) {
  net::tcp::socket s(ex);
  co_await s.async_connect(net::tcp::endpoint(server_addr, 7), use_awaitable);
  std::array<char, message_size> buf{};
  for (int i = 0; i < messages; ++i) {
    co_await asio::async_write(s, asio::buffer(buf), use_awaitable);
    co_await asio::async_read(s, asio::buffer(buf), use_awaitable);
    *done += 2;  // a request and its reply
  }
}

void run_echo(benchmark::State& state, bool partial_reads) {
  const int connections = static_cast<int>(state.range(0));
  const int messages = static_cast<int>(state.range(1));
  std::uint64_t total = 0, steps = 0;
  for (auto _ : state) {
    simloop::simulation sim({.seed = 1, .record_trace = false});
    auto& netw = sim.network();
    net::link_options l;
    l.partial_reads = partial_reads;
    netw.set_default_link(l);
    auto& server = netw.add_host("server", server_addr);
    auto& cl = netw.add_host("client", asio::ip::make_address("10.0.0.1"));
    std::uint64_t done = 0;
    int ended = 0;
    auto r = sim.run([&]() -> asio::awaitable<void> {
      auto acc = std::make_shared<net::tcp::acceptor>(server.get_executor(), net::tcp::endpoint(server_addr, 7));
      asio::co_spawn(server.get_executor(), accept_loop(acc, connections, &ended), asio::detached);
      for (int i = 0; i < connections; ++i)
        asio::co_spawn(cl.get_executor(), client(cl.get_executor(), messages, &done), asio::detached);
      co_await wait_until(&ended, connections);
      acc->close();
    }());
    if (done != std::uint64_t(2) * connections * messages) state.SkipWithError("not every message was echoed");
    if (!r.ok()) state.SkipWithError(r.describe().c_str());
    total += done;
    steps += r.steps;
  }
  state.counters["msgs_per_s"] = benchmark::Counter(static_cast<double>(total), benchmark::Counter::kIsRate);
  state.counters["steps_per_s"] = benchmark::Counter(static_cast<double>(steps), benchmark::Counter::kIsRate);
}

void BM_EchoConnections(benchmark::State& state) { run_echo(state, true); }
void BM_EchoConnectionsWholeReads(benchmark::State& state) { run_echo(state, false); }

// Heap bytes per established, idle connection (both ends, no pending
// operation): the network's own cost. And with the server's echo coroutine
// parked in a read (what a real idle connection costs in a test).
void measure_idle(benchmark::State& state, bool with_sessions) {
  const int connections = static_cast<int>(state.range(0));
  double per = 0;
  for (auto _ : state) {
    simloop::simulation sim({.seed = 1, .record_trace = false});
    auto& netw = sim.network();
    auto& server = netw.add_host("server", server_addr);
    auto& cl = netw.add_host("client", asio::ip::make_address("10.0.0.1"));
    std::size_t before = 0, after = 0;
    int ended = 0;
    auto r = sim.run([&]() -> asio::awaitable<void> {
      net::tcp::acceptor acc(server.get_executor(), net::tcp::endpoint(server_addr, 7));
      std::vector<net::tcp::socket> clients, servers;
      clients.reserve(connections);
      servers.reserve(connections);
      // Warm the op pool so recycled op memory is not counted.
      co_await simloop::sleep_for(std::chrono::milliseconds(1));
      before = mallinfo2().uordblks;
      for (int i = 0; i < connections; ++i) {
        clients.emplace_back(cl.get_executor());
        co_await clients.back().async_connect(net::tcp::endpoint(server_addr, 7), use_awaitable);
        auto s = co_await acc.async_accept(use_awaitable);
        if (with_sessions) asio::co_spawn(server.get_executor(), echo_session(std::move(s), &ended), asio::detached);
        else servers.push_back(std::move(s));
      }
      co_await simloop::sleep_for(std::chrono::milliseconds(10));
      after = mallinfo2().uordblks;
      clients.clear();  // the sessions see EOF and end
      if (with_sessions) co_await wait_until(&ended, connections);
    }());
    if (!r.ok()) state.SkipWithError(r.describe().c_str());
    per = static_cast<double>(after - before) / connections;
  }
  state.counters["bytes_per_idle_conn"] = per;
}

void BM_IdleConnectionMemory(benchmark::State& state) { measure_idle(state, false); }
void BM_IdleConnectionMemoryWithSession(benchmark::State& state) { measure_idle(state, true); }

}  // namespace

BENCHMARK(BM_EchoConnections)->Args({10'000, 100})->Args({5'000, 100})->Args({2'500, 100})->Args({1'000, 100})->Args({100, 10'000})->Unit(benchmark::kMillisecond)->Iterations(1);
BENCHMARK(BM_EchoConnectionsWholeReads)->Args({10'000, 100})->Args({100, 10'000})->Unit(benchmark::kMillisecond)->Iterations(1);
BENCHMARK(BM_IdleConnectionMemory)->Arg(10'000)->Unit(benchmark::kMillisecond)->Iterations(1);
BENCHMARK(BM_IdleConnectionMemoryWithSession)->Arg(10'000)->Unit(benchmark::kMillisecond)->Iterations(1);

BENCHMARK_MAIN();
