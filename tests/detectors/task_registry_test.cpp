// What findings say about a task: name, spawn site, wait site.
#include "detector_test_util.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/channel.hpp>

using namespace std::chrono_literals;
using detector_test::contains;
using detector_test::site;

namespace {

using channel = asio::experimental::channel<void(boost::system::error_code)>;

int s_wait_line = 0;

struct server {
  channel& requests;
  asio::awaitable<void> serve() {
    s_wait_line = __LINE__; co_await requests.async_receive(asio::use_awaitable);
  }
};

int lambda_line = 0;
int function_spawn_line = 0;
int member_spawn_line = 0;

asio::awaitable<void> stuck_body(server& s, channel& never) {
  auto ex = co_await asio::this_coro::executor;
  // The function form of co_spawn: the task runs the lambda's coroutine.
  asio::co_spawn(ex, [&never]() -> asio::awaitable<void> { co_await never.async_receive(asio::use_awaitable); }, asio::detached); function_spawn_line = lambda_line = __LINE__;
  asio::co_spawn(ex, s.serve(), asio::detached); member_spawn_line = __LINE__;
  co_await never.async_receive(asio::use_awaitable);
}

}  // namespace

TEST(TaskRegistry, NamesSpawnSitesAndWaitSites) {
  simloop::simulation sim({.seed = 4});
  simloop::report r = sim.run([]() -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    channel requests(ex), never(ex);
    server s{requests};
    co_await stuck_body(s, never);
  }());
  std::string m = detector_test::only_finding(r, simloop::finding_kind::deadlock);
  EXPECT_TRUE(contains(m, fmt::format("  task #2 lambda at task_registry_test.cpp:{}  spawned at  {}\n", lambda_line,
                                      site("task_registry_test.cpp", function_spawn_line))));
  EXPECT_TRUE(contains(m, "waiting on  channel.async_receive on channel A at " + site("task_registry_test.cpp", lambda_line) + "\n"));
  EXPECT_TRUE(contains(m, fmt::format("  task #3 serve                                spawned at  {}\n",
                                      site("task_registry_test.cpp", member_spawn_line))));
  // The body's wait site is the innermost user co_await, in stuck_body.
  EXPECT_TRUE(contains(m, "  task #1 lambda at task_registry_test.cpp:"));
  EXPECT_TRUE(contains(m, "waiting on  channel.async_receive on channel A at " + site("task_registry_test.cpp", member_spawn_line + 1) + "\n"));
  EXPECT_TRUE(contains(m, "waiting on  channel.async_receive on channel B at " + site("task_registry_test.cpp", s_wait_line) + "\n"));
  // The wait-for relation: the body and the lambda wait on the same channel.
  EXPECT_TRUE(contains(m, "  wait-for:   tasks #1, #2 wait to receive on channel A and no live task is suspended sending to it"));
}

TEST(TaskRegistry, WithoutCapturedSpawnSites) {
  simloop::simulation sim({.seed = 4, .capture_spawn_sites = false});
  simloop::report r = sim.run([]() -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    channel requests(ex), never(ex);
    server s{requests};
    co_await stuck_body(s, never);
  }());
  std::string m = detector_test::only_finding(r, simloop::finding_kind::deadlock);
  EXPECT_TRUE(contains(m, "  task #3 serve                                spawned at  (unknown: "
                          "options::capture_spawn_sites is off)\n"));
}
