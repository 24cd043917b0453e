// Per-host clock skew: each host's simloop::clock has its own offset and
// drift; its tasks' sleeps and timers run on it.
#include <simloop/net.hpp>
#include <simloop/simloop.hpp>
#include <simloop/queue.hpp>
#include <simloop/task_group.hpp>

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

using namespace std::chrono_literals;
namespace net = simloop::net;
using boost::asio::use_awaitable;

namespace {

simloop::clock::duration since_epoch() { return simloop::clock::now().time_since_epoch(); }

// Runs body on host h's executor and waits for it.
asio::awaitable<void> on_host(net::host& h, asio::awaitable<void> body) {
  simloop::task_group g(h.get_executor());
  g.spawn(std::move(body));
  auto all = g.async_wait(use_awaitable);
  co_await std::move(all);
}

}  // namespace

TEST(ClockSkew, NowReadsTheClockOfTheTasksHost) {
  simloop::simulation sim({.strategy = simloop::strategy::fifo});
  simloop::clock::duration ahead_now{}, plain_now{}, body_now{}, ahead_after{};
  simloop::report r = sim.run([&]() -> asio::awaitable<void> {
    auto& netw = sim.network();
    auto& ahead = netw.add_host("ahead", asio::ip::make_address("10.0.0.1"));
    auto& plain = netw.add_host("plain", asio::ip::make_address("10.0.0.2"));
    netw.skew_clock(ahead, {.offset = 5s});
    auto read_ahead = [&]() -> asio::awaitable<void> {
      ahead_now = since_epoch();
      co_await simloop::sleep_for(1s);
      ahead_after = since_epoch();
    };
    auto read_plain = [&]() -> asio::awaitable<void> {
      plain_now = since_epoch();
      co_return;
    };
    auto first = on_host(ahead, read_ahead());
    co_await std::move(first);
    auto second = on_host(plain, read_plain());
    co_await std::move(second);
    body_now = since_epoch();
  }());
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(ahead_now, 5s);
  EXPECT_EQ(ahead_after, 6s);  // an offset does not change durations
  EXPECT_EQ(plain_now, 1s);
  EXPECT_EQ(body_now, 1s);  // the body belongs to no host: the simulation's clock
  EXPECT_EQ(sim.now().time_since_epoch(), 1s);
  EXPECT_EQ(sim.network().clock_of(*sim.network().find_host("ahead")).offset, 5s);
  ASSERT_FALSE(sim.network().events().empty());
  EXPECT_NE(sim.network().events()[0].find("clock of ahead: offset +5.000000000s, drift +0 ppm"), std::string::npos)
      << sim.network().events()[0];
}

TEST(ClockSkew, DriftStretchesOrShrinksTheHostsDurations) {
  for (auto [ppm, local, global] : {std::tuple{100'000, 1100ms, 1000ms}, std::tuple{-500'000, 1000ms, 2000ms}}) {
    simloop::simulation sim({.strategy = simloop::strategy::fifo});
    simloop::clock::duration host_elapsed{};
    simloop::report r = sim.run([&, ppm = ppm, local = local]() -> asio::awaitable<void> {
      auto& h = sim.network().add_host("h", asio::ip::make_address("10.0.0.1"));
      sim.network().skew_clock(h, {.drift_ppm = ppm});
      auto nap = [&]() -> asio::awaitable<void> {
        auto start = since_epoch();
        co_await simloop::sleep_for(local);
        host_elapsed = since_epoch() - start;
      };
      auto run_nap = on_host(h, nap());
      co_await std::move(run_nap);
    }());
    ASSERT_TRUE(r.ok()) << r.describe();
    EXPECT_EQ(host_elapsed, local) << ppm;                  // the host saw its own duration pass
    EXPECT_EQ(sim.now().time_since_epoch(), global) << ppm;  // in simulation time
  }
}

TEST(ClockSkew, ExpiryIsOnTheHostsClock) {
  simloop::simulation sim({.strategy = simloop::strategy::fifo});
  simloop::clock::time_point expiry;
  simloop::report r = sim.run([&]() -> asio::awaitable<void> {
    auto& h = sim.network().add_host("h", asio::ip::make_address("10.0.0.1"));
    sim.network().skew_clock(h, {.offset = 10s});
    auto wait = [&]() -> asio::awaitable<void> {
      simloop::timer t(co_await asio::this_coro::executor);
      t.expires_at(simloop::clock::now() + 2s);
      expiry = t.expiry();
      co_await t.async_wait(use_awaitable);
    };
    auto run_wait = on_host(h, wait());
    co_await std::move(run_wait);
  }());
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(expiry.time_since_epoch(), 12s);        // the host's time
  EXPECT_EQ(sim.now().time_since_epoch(), 2s);      // when its clock read 12s
}

TEST(ClockSkew, BadDriftIsRejected) {
  simloop::simulation sim;
  auto& h = sim.network().add_host("h", asio::ip::make_address("10.0.0.1"));
  EXPECT_THROW(sim.network().skew_clock(h, {.drift_ppm = -1'000'000}), std::invalid_argument);
  EXPECT_THROW(sim.network().set_faults({.max_clock_drift_ppm = 1'000'000}), std::invalid_argument);
}

namespace {

// A lease: the server grants it to the client for 10s of its own time, then
// hands it to someone else. The client must stop using it before that.
// Mutant (Absolute): the server sends the expiry as a time on its clock and
// the client compares it with its own clock: wrong whenever the clocks
// differ. Fixed: the server sends the duration; the client counts it on its
// own clock from when it asked, less a margin for drift.
template <bool Absolute>
asio::awaitable<void> lease_program() {
  auto* sim = simloop::simulation::current();
  auto& netw = sim->network();
  netw.set_faults({.max_clock_offset = 5s, .max_clock_drift_ppm = 1000});
  auto& server = netw.add_host("lock-server", asio::ip::make_address("10.0.0.1"));
  auto& client = netw.add_host("client", asio::ip::make_address("10.0.0.2"));
  auto ex = co_await asio::this_coro::executor;
  simloop::queue<std::int64_t> grants(ex);
  int holder = 0;
  bool overlap = false;  // the client used the lease while another held it

  auto serve = [&]() -> asio::awaitable<void> {
    holder = 1;
    std::int64_t grant = Absolute ? (since_epoch() + 10s).count() : std::chrono::nanoseconds(10s).count();
    auto put = grants.async_put(grant, use_awaitable);
    co_await std::move(put);
    co_await simloop::sleep_for(10s);
    holder = 2;  // the lease now belongs to another client
    co_await simloop::sleep_for(10s);
    holder = 0;
  };
  auto use = [&]() -> asio::awaitable<void> {
    auto asked = since_epoch();
    auto get = grants.async_get(use_awaitable);
    std::int64_t grant = co_await std::move(get);
    auto until = Absolute ? std::chrono::nanoseconds(grant) : asked + std::chrono::nanoseconds(grant) - 1s;
    while (since_epoch() < until) {
      if (holder != 1) overlap = true;
      co_await simloop::sleep_for(100ms);
    }
  };
  simloop::task_group on_server(server.get_executor()), on_client(client.get_executor());
  on_server.spawn(serve());
  on_client.spawn(use());
  auto server_done = on_server.async_wait(use_awaitable);
  co_await std::move(server_done);
  auto client_done = on_client.async_wait(use_awaitable);
  co_await std::move(client_done);
  // Checked once both have ended (a run stopped while the body waits on a
  // task group would leave that wait behind: README, known limits).
  SIMLOOP_ASSERT(!overlap);  // nobody else held the lease while the client used it
}

}  // namespace

TEST(ClockSkew, LeaseExpiryComparedAcrossHostsIsCaught) {
  for (auto s : {simloop::strategy::random, simloop::strategy::pct}) {
    simloop::report r = simloop::explore({.runs = 1000, .strategy = s, .use_environment = false},
                                         [] { return lease_program<true>(); });
    ASSERT_FALSE(r.ok()) << simloop::to_string(s);
    EXPECT_NE(r.findings[0].message.find("SIMLOOP_ASSERT(!overlap)"), std::string::npos) << r.describe();
    EXPECT_LT(r.runs, 20u);
  }
}

TEST(ClockSkew, LeaseCountedOnTheClientsClockIsSilent) {
  for (auto s : {simloop::strategy::random, simloop::strategy::pct}) {
    simloop::report r = simloop::explore({.runs = 1000, .strategy = s, .use_environment = false},
                                         [] { return lease_program<false>(); });
    EXPECT_TRUE(r.ok()) << r.describe();
    EXPECT_EQ(r.runs, 1000u);
  }
}

TEST(ClockSkew, RandomSkewIsNoneUnderFifoAndReplays) {
  // fifo takes choice 0: no skew, so even the mutant passes.
  simloop::report fifo = simloop::run_one({.strategy = simloop::strategy::fifo}, [] { return lease_program<true>(); });
  EXPECT_TRUE(fifo.ok()) << fifo.describe();
  simloop::report found = simloop::explore({.runs = 1000, .strategy = simloop::strategy::random, .use_environment = false},
                                           [] { return lease_program<true>(); });
  ASSERT_FALSE(found.ok());
  simloop::report again = simloop::run_one({.strategy = simloop::strategy::replay, .choices = found.choices},
                                           [] { return lease_program<true>(); });
  EXPECT_EQ(again.trace_hash, found.trace_hash);
  EXPECT_EQ(again.steps, found.steps);
}
