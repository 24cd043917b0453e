#include <simloop/net.hpp>
#include <simloop/simloop.hpp>

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/channel.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <string>
#include <vector>

using namespace std::chrono_literals;
namespace net = simloop::net;
using boost::asio::use_awaitable;

namespace {

const auto server_addr = asio::ip::make_address("10.0.0.2");
const auto client_addr = asio::ip::make_address("10.0.0.1");

asio::awaitable<void> echo_session(net::tcp::socket s) {
  std::array<char, 4> buf;
  for (;;) {
    boost::system::error_code ec;
    co_await asio::async_read(s, asio::buffer(buf), asio::redirect_error(use_awaitable, ec));
    if (ec) co_return;
    co_await asio::async_write(s, asio::buffer(buf), asio::redirect_error(use_awaitable, ec));
    if (ec) co_return;
  }
}

// The echo service of a host; re-created by restart().
asio::awaitable<void> echo_service(int* boots) {
  ++*boots;
  auto ex = co_await asio::this_coro::executor;
  net::tcp::acceptor acc(ex, net::tcp::endpoint(server_addr, 7));
  for (;;) {
    auto s = co_await acc.async_accept(use_awaitable);
    asio::co_spawn(ex, echo_session(std::move(s)), asio::detached);
  }
}

// The echo service runs for as long as its host is up, like a deployed
// server: a test ends by powering the host off, which destroys the service's
// tasks (otherwise they are leaked tasks when the body returns).
void power_off(net::network& netw, net::host& server) {
  if (server.up()) netw.crash(server);
}

asio::awaitable<std::string> ping(net::tcp::socket& s, std::string msg) {
  co_await asio::async_write(s, asio::buffer(msg), use_awaitable);
  std::string reply(msg.size(), 0);
  co_await asio::async_read(s, asio::buffer(reply), use_awaitable);
  co_return reply;
}

}  // namespace

TEST(NetFaults, PartitionTakesTheClientsTimeoutPathAndHealDelivers) {
  auto r = simloop::explore({.runs = 200, .strategy = simloop::strategy::random}, []() -> asio::awaitable<void> {
    auto& netw = simloop::simulation::current()->network();
    auto& server = netw.add_host("server", server_addr);
    auto& client = netw.add_host("client", client_addr);
    int boots = 0;
    asio::co_spawn(server.get_executor(), echo_service(&boots), asio::detached);
    net::tcp::socket s(client.get_executor());
    co_await s.async_connect(net::tcp::endpoint(server_addr, 7), use_awaitable);
    std::string a = co_await ping(s, "ping");
    SIMLOOP_ASSERT(a == "ping");
    netw.partition(server, client);
    bool timed_out = false;
    try {
      co_await simloop::timeout(1s, ping(s, "lost"));
    } catch (const boost::system::system_error& e) {
      timed_out = e.code() == simloop::error::timed_out;
    }
    SIMLOOP_ASSERT(timed_out);
    // Held, not lost, not reset: after heal the echo of "lost" arrives.
    netw.heal();
    std::string late(4, 0);
    co_await asio::async_read(s, asio::buffer(late), use_awaitable);
    SIMLOOP_ASSERT(late == "lost");
    SIMLOOP_ASSERT(netw.events().size() == 3);
    power_off(netw, server);
  });
  EXPECT_TRUE(r.ok()) << r.describe();
}

TEST(NetFaults, OneWayPartitionHoldsOnlyOneDirection) {
  simloop::simulation sim({.seed = 9});
  auto& netw = sim.network();
  auto& server = netw.add_host("server", server_addr);
  auto& client = netw.add_host("client", client_addr);
  std::size_t server_got = 0;
  auto r = sim.run([&]() -> asio::awaitable<void> {
    net::tcp::acceptor acc(server.get_executor(), net::tcp::endpoint(server_addr, 7));
    net::tcp::socket c(client.get_executor());
    co_await c.async_connect(net::tcp::endpoint(server_addr, 7), use_awaitable);
    auto s = co_await acc.async_accept(use_awaitable);
    netw.partition_oneway(client, server);
    co_await asio::async_write(c, asio::buffer("abcd", 4), use_awaitable);
    co_await asio::async_write(s, asio::buffer("wxyz", 4), use_awaitable);
    std::array<char, 4> buf;
    co_await asio::async_read(c, asio::buffer(buf), use_awaitable);  // server -> client flows
    co_await simloop::sleep_for(5s);
    server_got = s.available();
    netw.heal();
    co_await asio::async_read(s, asio::buffer(buf), use_awaitable);
  }());
  EXPECT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(server_got, 0u);
}

TEST(NetFaults, CrashAndRestartRecoverWithReconnectingClient) {
  auto r = simloop::explore({.runs = 200, .strategy = simloop::strategy::random}, []() -> asio::awaitable<void> {
    auto& netw = simloop::simulation::current()->network();
    auto& server = netw.add_host("server", server_addr);
    auto& client = netw.add_host("client", client_addr);
    auto boots = std::make_shared<int>(0);
    asio::co_spawn(server.get_executor(), echo_service(boots.get()), asio::detached);
    auto ex = client.get_executor();

    // A client that reconnects (with backoff) whenever its connection fails.
    int replies = 0, failures = 0;
    auto client_loop = [&]() -> asio::awaitable<void> {
      while (replies < 6) {
        net::tcp::socket s(ex);
        boost::system::error_code ec;
        co_await s.async_connect(net::tcp::endpoint(server_addr, 7), asio::redirect_error(use_awaitable, ec));
        if (ec) {
          ++failures;
          co_await simloop::sleep_for(100ms);
          continue;
        }
        try {
          while (replies < 6) {
            std::string got = co_await ping(s, "ping");
            SIMLOOP_ASSERT(got == "ping");
            ++replies;
            co_await simloop::sleep_for(200ms);
          }
        } catch (const boost::system::system_error&) {
          ++failures;
        }
      }
    };
    auto done = asio::co_spawn(ex, client_loop(), asio::deferred);
    asio::co_spawn(
        simloop::simulation::current()->get_executor(),
        [&]() -> asio::awaitable<void> {
          co_await simloop::sleep_for(500ms);
          netw.crash(server);
          co_await simloop::sleep_for(1s);
          netw.restart(server, [boots] { return echo_service(boots.get()); });
        },
        asio::detached);
    co_await std::move(done)(use_awaitable);
    SIMLOOP_ASSERT(replies == 6);
    SIMLOOP_ASSERT(failures >= 1);
    SIMLOOP_ASSERT(*boots == 2);
    SIMLOOP_ASSERT(!server.up() || netw.events().size() == 2);
    power_off(netw, server);
  });
  EXPECT_TRUE(r.ok()) << r.describe();
}

TEST(NetFaults, CrashDestroysTheHostsTasks) {
  simloop::simulation sim({.seed = 4});
  auto& server = sim.network().add_host("server", server_addr);
  int boots = 0;
  bool destroyed = false;
  auto r = sim.run([&]() -> asio::awaitable<void> {
    struct guard {
      bool* flag;
      ~guard() { *flag = true; }
    };
    asio::co_spawn(server.get_executor(), echo_service(&boots), asio::detached);
    asio::co_spawn(
        server.get_executor(),
        [&]() -> asio::awaitable<void> {
          guard g{&destroyed};
          co_await simloop::sleep_for(1h);
        },
        asio::detached);
    co_await simloop::sleep_for(1s);
    auto before = simloop::simulation::current()->scheduler().tasks().alive();
    sim.network().crash(server);
    co_await simloop::yield();
    EXPECT_TRUE(destroyed);
    EXPECT_EQ(simloop::simulation::current()->scheduler().tasks().alive(), before - 2);
    // Its listener is gone: refused... no, the host is down: unreachable.
    net::tcp::socket s(co_await asio::this_coro::executor);
    boost::system::error_code ec;
    co_await s.async_connect(net::tcp::endpoint(server_addr, 7), asio::redirect_error(use_awaitable, ec));
    EXPECT_EQ(ec, asio::error::host_unreachable);
  }());
  EXPECT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(boots, 1);
}

// A host task parked in a channel that its host's own tasks own: crash()
// destroys the owner, the channel's destruction posts the waiter's
// completion (operation_aborted), and crash() destroys that too: the
// waiter never runs again. (A channel that outlives the host's tasks is a
// known limit: README.)
TEST(NetFaults, CrashDestroysTaskParkedInItsHostsChannel) {
  simloop::simulation sim({.seed = 4});
  auto& server = sim.network().add_host("server", server_addr);
  bool waiter_destroyed = false, waiter_resumed = false;
  using channel = asio::experimental::channel<void(boost::system::error_code, int)>;
  auto r = sim.run([&]() -> asio::awaitable<void> {
    struct guard {
      bool* flag;
      ~guard() { *flag = true; }
    };
    auto waiter = [&](channel& ch) -> asio::awaitable<void> {
      guard g{&waiter_destroyed};
      boost::system::error_code ec;
      co_await ch.async_receive(asio::redirect_error(use_awaitable, ec));
      waiter_resumed = true;
    };
    auto owner = [&]() -> asio::awaitable<void> {
      channel ch(co_await asio::this_coro::executor);
      asio::co_spawn(server.get_executor(), waiter(ch), asio::detached);
      co_await simloop::sleep_for(1h);
    };
    asio::co_spawn(server.get_executor(), owner(), asio::detached);
    co_await simloop::sleep_for(1s);
    auto before = simloop::simulation::current()->scheduler().tasks().alive();
    sim.network().crash(server);
    co_await simloop::sleep_for(1s);
    EXPECT_TRUE(waiter_destroyed);
    EXPECT_EQ(simloop::simulation::current()->scheduler().tasks().alive(), before - 2);
  }());
  EXPECT_TRUE(r.ok()) << r.describe();
  EXPECT_FALSE(waiter_resumed);
}

// A host task parked in a channel that outlives the host (the body's): the
// crash cannot reach it there, but it never runs again. A value sent later
// is taken by its receive (the message is lost with the host) and the
// completion is destroyed instead of run: the task's frames go then. A
// second such task goes when the channel is destroyed with the body. The
// host, restarted, runs new tasks as before.
TEST(NetFaults, CrashedHostsTaskParkedInTheBodysChannelNeverRunsAgain) {
  simloop::simulation sim({.seed = 4});
  auto& server = sim.network().add_host("server", server_addr);
  int destroyed = 0, resumed = 0, received_after_restart = 0;
  using channel = asio::experimental::channel<void(boost::system::error_code, int)>;
  auto r = sim.run([&]() -> asio::awaitable<void> {
    struct guard {
      int* count;
      ~guard() { ++*count; }
    };
    auto waiter = [&](channel& ch, int* got) -> asio::awaitable<void> {
      guard g{&destroyed};
      boost::system::error_code ec;
      int v = co_await ch.async_receive(asio::redirect_error(use_awaitable, ec));
      if (!ec) *got += v;
      ++resumed;
    };
    channel ch(co_await asio::this_coro::executor), kept(co_await asio::this_coro::executor);
    asio::co_spawn(server.get_executor(), waiter(ch, &received_after_restart), asio::detached);
    asio::co_spawn(server.get_executor(), waiter(kept, &received_after_restart), asio::detached);
    co_await simloop::sleep_for(1s);
    auto& sched = simloop::simulation::current()->scheduler();
    const auto before = sched.tasks().alive();
    sim.network().crash(server);
    // Out of reach: both are still parked, alive.
    EXPECT_EQ(sched.tasks().alive(), before);
    EXPECT_EQ(destroyed, 0);
    // The send completes (a receiver took the value); the receiver's
    // completion is destroyed, and with it the task.
    boost::system::error_code ec;
    co_await ch.async_send(boost::system::error_code{}, 7, asio::redirect_error(use_awaitable, ec));
    EXPECT_FALSE(ec);
    co_await simloop::sleep_for(1s);
    EXPECT_EQ(destroyed, 1);
    EXPECT_EQ(sched.tasks().alive(), before - 1);
    // Restarted, the host's new tasks run.
    sim.network().restart(server, [&]() -> asio::awaitable<void> { co_return; });
    asio::co_spawn(server.get_executor(), waiter(ch, &received_after_restart), asio::detached);
    co_await simloop::sleep_for(1s);
    co_await ch.async_send(boost::system::error_code{}, 5, asio::redirect_error(use_awaitable, ec));
    co_await simloop::sleep_for(1s);
    EXPECT_EQ(received_after_restart, 5);
    EXPECT_EQ(resumed, 1);
    EXPECT_EQ(destroyed, 2);
  }());
  // `kept` went with the body's frame: its waiter's completion (aborted)
  // was destroyed too. No task outlived the run, nothing else ran.
  EXPECT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(resumed, 1);
  EXPECT_EQ(destroyed, 3);
  EXPECT_EQ(sim.scheduler().tasks().alive(), 0u);
}

// The same for a completion queued directly, not through an executor: a
// task of the crashed host reading a socket it made on another host's
// executor (so the crash leaves the socket alone) is destroyed when the
// bytes arrive, instead of resumed.
TEST(NetFaults, CrashedHostsTaskReadingAnotherHostsSocketNeverRunsAgain) {
  simloop::simulation sim({.seed = 4});
  auto& server = sim.network().add_host("server", server_addr);
  auto& client = sim.network().add_host("client", client_addr);
  auto& third = sim.network().add_host("third", asio::ip::make_address("10.0.0.3"));
  bool destroyed = false, resumed = false;
  auto r = sim.run([&]() -> asio::awaitable<void> {
    struct guard {
      bool* flag;
      ~guard() { *flag = true; }
    };
    net::tcp::acceptor acc(server.get_executor(), net::tcp::endpoint(server_addr, 80));
    auto reader = [&]() -> asio::awaitable<void> {
      guard g{&destroyed};
      net::tcp::socket s(third.get_executor());
      co_await s.async_connect(net::tcp::endpoint(server_addr, 80), use_awaitable);
      std::array<char, 4> buf;
      co_await asio::async_read(s, asio::buffer(buf), use_awaitable);
      resumed = true;
    };
    asio::co_spawn(client.get_executor(), reader(), asio::detached);
    auto peer = co_await acc.async_accept(use_awaitable);
    co_await simloop::sleep_for(1s);
    sim.network().crash(client);
    EXPECT_FALSE(destroyed);  // out of the crash's reach: third's socket
    co_await asio::async_write(peer, asio::buffer("ping", 4), use_awaitable);
    co_await simloop::sleep_for(1s);
    EXPECT_TRUE(destroyed);
  }());
  EXPECT_TRUE(r.ok()) << r.describe();
  EXPECT_FALSE(resumed);
}

// A deadlock report names such a task with its crashed host, beside the
// body that waits for it.
TEST(NetFaults, DeadlockReportSaysAParkedTasksHostCrashed) {
  simloop::simulation sim({.seed = 4});
  auto& server = sim.network().add_host("server", server_addr);
  using channel = asio::experimental::channel<void(boost::system::error_code, int)>;
  auto r = sim.run([&]() -> asio::awaitable<void> {
    channel requests(co_await asio::this_coro::executor), replies(co_await asio::this_coro::executor);
    auto worker = [&]() -> asio::awaitable<void> {
      int v = co_await requests.async_receive(use_awaitable);
      co_await replies.async_send(boost::system::error_code{}, v + 1, use_awaitable);
    };
    asio::co_spawn(server.get_executor(), worker(), asio::detached);
    co_await simloop::sleep_for(1s);
    sim.network().crash(server);
    co_await replies.async_receive(use_awaitable);  // the worker will never answer
  }());
  ASSERT_TRUE(r.has(simloop::finding_kind::deadlock)) << r.describe();
  const std::string& m = r.findings[0].message;
  EXPECT_NE(m.find("host        crashed while it waited (it never runs again)"), std::string::npos) << m;
  // Said of the worker only, not of the body.
  EXPECT_EQ(m.find("crashed while it waited"), m.rfind("crashed while it waited")) << m;
  EXPECT_LT(m.find("task #2 "), m.find("crashed while it waited")) << m;
  EXPECT_LT(m.find("crashed while it waited"), m.find("channel.async_receive on channel B")) << m;
  // The wait-for analysis is about the body, not the crashed worker.
  EXPECT_NE(m.find("wait-for:   task #1 waits to receive on channel A"), std::string::npos) << m;
  EXPECT_EQ(m.find("wait-for:   task #2"), std::string::npos) << m;
}

// A host's tasks parked in simloop primitives that outlive them (the body's
// mutex and event): crash() destroys them too. The mutex then goes to the
// next live waiter, not to a dead task queued first, and setting the event
// resumes nothing on the crashed host.
TEST(NetFaults, CrashDestroysTheHostsTasksParkedInTheBodysPrimitives) {
  simloop::simulation sim({.seed = 4});
  auto& server = sim.network().add_host("server", server_addr);
  auto& client = sim.network().add_host("client", client_addr);
  int destroyed = 0;
  bool server_resumed = false;
  std::vector<std::string> lock_order;
  auto r = sim.run([&]() -> asio::awaitable<void> {
    struct guard {
      int* count;
      ~guard() { ++*count; }
    };
    auto ex = co_await asio::this_coro::executor;
    simloop::mutex m(ex);
    simloop::event ev(ex);
    co_await m.async_lock(use_awaitable);
    auto locker = [&](std::string who) -> asio::awaitable<void> {
      guard g{&destroyed};
      co_await m.async_lock(use_awaitable);
      lock_order.push_back(who);
      m.unlock();
    };
    asio::co_spawn(server.get_executor(), locker("server"), asio::detached);
    asio::co_spawn(server.get_executor(), [&]() -> asio::awaitable<void> {
        guard g{&destroyed};
        co_await ev.async_wait(use_awaitable);
        server_resumed = true;
      }, asio::detached);
    co_await simloop::sleep_for(1s);
    asio::co_spawn(client.get_executor(), locker("client"), asio::detached);
    co_await simloop::sleep_for(1s);
    auto before = simloop::simulation::current()->scheduler().tasks().alive();
    sim.network().crash(server);
    EXPECT_EQ(destroyed, 2);
    EXPECT_EQ(simloop::simulation::current()->scheduler().tasks().alive(), before - 2);
    m.unlock();
    ev.set();
    co_await simloop::sleep_for(1s);
  }());
  EXPECT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(lock_order, (std::vector<std::string>{"client"}));
  EXPECT_FALSE(server_resumed);
  EXPECT_EQ(destroyed, 3);
}

// A run stopped in the middle of heavy traffic (its step limit): the
// teardown destroys every pending read, write, accept, delivery and the
// coroutines behind them, at every stage of the exchange (the sanitizer
// build checks that nothing is used after it is freed, or leaked).
TEST(NetFaults, RunStoppedMidTrafficTearsDown) {
  for (std::uint64_t limit : {20u, 200u, 1'000u, 2'500u}) {
    for (std::uint64_t seed = 0; seed < 4; ++seed) {
      simloop::simulation sim({.seed = seed, .step_limit = limit});
      auto& server = sim.network().add_host("server", server_addr);
      auto& client = sim.network().add_host("client", client_addr);
      int boots = 0, replies = 0;
      auto r = sim.run([&]() -> asio::awaitable<void> {
        asio::co_spawn(server.get_executor(), echo_service(&boots), asio::detached);
        co_await simloop::sleep_for(1ms);
        simloop::task_group g(client.get_executor());
        // (Parameters, not captures: the lambda is gone once spawn returns.)
        for (int c = 0; c < 40; ++c)
          g.spawn([](int* replies) -> asio::awaitable<void> {
            net::tcp::socket s(co_await asio::this_coro::executor);
            co_await s.async_connect(net::tcp::endpoint(server_addr, 7), use_awaitable);
            for (int i = 0; i < 20; ++i)
              if (co_await ping(s, "ping") == "ping") ++*replies;
          }(&replies));
        co_await g.async_wait(use_awaitable);
        power_off(sim.network(), server);
      }());
      ASSERT_EQ(r.findings.size(), 1u) << r.describe();
      EXPECT_EQ(r.findings[0].kind, simloop::finding_kind::step_limit) << r.describe();
      EXPECT_LT(replies, 40 * 20);
    }
  }
}

TEST(NetFaults, ResetConnectionFailsPendingRead) {
  simloop::simulation sim({.seed = 2});
  auto& server = sim.network().add_host("server", server_addr);
  auto& client = sim.network().add_host("client", client_addr);
  boost::system::error_code got;
  auto r = sim.run([&]() -> asio::awaitable<void> {
    net::tcp::acceptor acc(server.get_executor(), net::tcp::endpoint(server_addr, 7));
    net::tcp::socket c(client.get_executor());
    co_await c.async_connect(net::tcp::endpoint(server_addr, 7), use_awaitable);
    auto s = co_await acc.async_accept(use_awaitable);
    asio::co_spawn(
        co_await asio::this_coro::executor,
        [&]() -> asio::awaitable<void> {
          co_await simloop::sleep_for(1s);
          sim.network().reset_connections(server, client);
        },
        asio::detached);
    std::array<char, 4> buf;
    co_await c.async_read_some(asio::buffer(buf), asio::redirect_error(use_awaitable, got));
  }());
  EXPECT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(got, asio::error::connection_reset);
}

TEST(NetFaults, ClogDelaysDelivery) {
  simloop::simulation sim({.seed = 2, .strategy = simloop::strategy::fifo});
  auto& server = sim.network().add_host("server", server_addr);
  auto& client = sim.network().add_host("client", client_addr);
  std::chrono::nanoseconds took{};
  auto r = sim.run([&]() -> asio::awaitable<void> {
    net::tcp::acceptor acc(server.get_executor(), net::tcp::endpoint(server_addr, 7));
    net::tcp::socket c(client.get_executor());
    co_await c.async_connect(net::tcp::endpoint(server_addr, 7), use_awaitable);
    auto s = co_await acc.async_accept(use_awaitable);
    sim.network().clog_host(server, 3s);
    auto t0 = simloop::clock::now();
    co_await asio::async_write(c, asio::buffer("abcd", 4), use_awaitable);
    std::array<char, 4> buf;
    co_await asio::async_read(s, asio::buffer(buf), use_awaitable);
    took = simloop::clock::now() - t0;
  }());
  EXPECT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(took, 3s + 100us);  // fifo: min latency + the clog
}

TEST(NetFaults, RandomFaultsAreDrawnAndReplayed) {
  auto body = []() -> asio::awaitable<void> {
    auto& netw = simloop::simulation::current()->network();
    netw.set_faults({.random_faults = true, .fault_one_in = 20, .max_fault_duration = 200ms});
    auto& server = netw.add_host("server", server_addr);
    auto& client = netw.add_host("client", client_addr);
    int boots = 0;
    asio::co_spawn(server.get_executor(), echo_service(&boots), asio::detached);
    net::tcp::socket s(client.get_executor());
    co_await s.async_connect(net::tcp::endpoint(server_addr, 7), use_awaitable);
    for (int i = 0; i < 50; ++i) {
      boost::system::error_code ec;
      co_await asio::async_write(s, asio::buffer("ping", 4), asio::redirect_error(use_awaitable, ec));
      if (ec) break;
      std::array<char, 4> buf;
      co_await asio::async_read(s, asio::buffer(buf), asio::redirect_error(use_awaitable, ec));
      if (ec) break;
    }
    power_off(netw, server);
  };
  std::size_t faulted_runs = 0;
  for (std::uint64_t seed = 0; seed < 20; ++seed) {
    simloop::simulation a({.seed = seed});
    auto ra = a.run(body());
    EXPECT_TRUE(ra.ok()) << ra.describe();
    // The last event is the power-off at the end; any other is a random fault.
    if (a.network().events().size() > 1) ++faulted_runs;
    simloop::simulation b({.seed = seed});
    auto rb = b.run(body());
    EXPECT_EQ(ra.trace_hash, rb.trace_hash);
    EXPECT_EQ(a.network().events(), b.network().events());
  }
  EXPECT_GT(faulted_runs, 0u);
}

TEST(NetFaults, CrashResetsPeersPendingRead) {
  simloop::simulation sim({.seed = 8});
  auto& server = sim.network().add_host("server", server_addr);
  auto& client = sim.network().add_host("client", client_addr);
  boost::system::error_code got;
  int boots = 0;
  auto r = sim.run([&]() -> asio::awaitable<void> {
    asio::co_spawn(server.get_executor(), echo_service(&boots), asio::detached);
    net::tcp::socket c(client.get_executor());
    co_await c.async_connect(net::tcp::endpoint(server_addr, 7), use_awaitable);
    asio::co_spawn(
        co_await asio::this_coro::executor,
        [&]() -> asio::awaitable<void> {
          co_await simloop::sleep_for(1s);
          sim.network().crash(server);
        },
        asio::detached);
    std::array<char, 4> buf;
    co_await c.async_read_some(asio::buffer(buf), asio::redirect_error(use_awaitable, got));
  }());
  EXPECT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(got, asio::error::connection_reset);
  ASSERT_EQ(sim.network().events().size(), 1u);
  const std::string& e = sim.network().events()[0];  // "t=+1.001s step 5: crash server"
  EXPECT_EQ(e.rfind("t=+1.00", 0), 0u) << e;
  EXPECT_NE(e.find("s step "), std::string::npos) << e;
  EXPECT_EQ(e.substr(e.size() - 14), ": crash server") << e;
}
