// A downstream test written against the public API contract in DESIGN.md,
// exactly as spelled there. Exit status 0 when every check holds.
#include <simloop/net.hpp>
#include <simloop/simloop.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/address.hpp>

#include <cstdio>

using namespace std::chrono_literals;

namespace {

int failures = 0;
void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "consumer: check failed: %s\n", what);
    ++failures;
  }
}

asio::awaitable<void> lost_update() {
  auto ex = co_await asio::this_coro::executor;
  auto counter = std::make_shared<simloop::tracked<int>>(0, "counter");
  auto done = std::make_shared<int>(0);
  for (int i = 0; i < 2; ++i)
    asio::co_spawn(
        ex,
        [counter, done]() -> asio::awaitable<void> {
          co_await simloop::yield();
          int seen = *counter;
          co_await simloop::yield();
          *counter = seen + 1;
          ++*done;
        },
        asio::detached);
  while (*done < 2) co_await simloop::sleep_for(1ms);
  SIMLOOP_ASSERT(counter->peek() == 2);
}

asio::awaitable<int> slow() {
  co_await simloop::sleep_for(1h);
  co_return 1;
}

}  // namespace

int main() {
  simloop::options opts{.seed = 42, .strategy = simloop::strategy::random, .pct_depth = 3,
                        .time_limit = std::chrono::hours(24), .step_limit = 10'000'000};
  simloop::simulation sim(opts);
  simloop::net::network& net = sim.network();
  simloop::net::host& h = net.add_host("server", asio::ip::make_address("10.0.0.1"));
  check(h.name() == "server", "host name");
  simloop::simulation::executor_type ex = sim.get_executor();
  (void)ex;
  bool timed_out = false;
  simloop::report r = sim.run([&]() -> asio::awaitable<void> {
    simloop::timer t(co_await asio::this_coro::executor);
    t.expires_after(5s);
    co_await t.async_wait(asio::use_awaitable);
    try {
      (void)co_await simloop::timeout(1s, slow());
    } catch (const boost::system::system_error& e) {
      timed_out = e.code() == simloop::error::timed_out;
    }
    co_await simloop::yield();
  }());
  check(r.ok(), "body runs clean");
  check(timed_out, "timeout throws timed_out");
  check(r.virtual_elapsed == 6s, "virtual time jumps");
  check(sim.now() == simloop::clock::time_point(6s), "simulation::now");
  check(r.replay_command().find("SIMLOOP_SEED=0x2a") != std::string::npos, "replay command");

  simloop::explore_options eo{.first_seed = 0, .runs = 500, .strategy = simloop::strategy::pct};
  simloop::report found = simloop::explore(eo, lost_update);
  check(!found.ok(), "explore finds the lost update");
  check(!found.findings.empty() && found.findings[0].kind != simloop::finding_kind::time_limit, "finding kind");
  std::printf("consumer: %s\n", failures ? "FAILED" : "ok");
  return failures ? 1 : 0;
}
