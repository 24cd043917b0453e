// Unobserved exceptions: a task ends with an exception nobody sees (spawned
// with asio::detached, or with a stateless handler that ignores it).
#include "detector_test_util.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include <stdexcept>

using namespace std::chrono_literals;
using detector_test::contains;
using detector_test::site;

namespace {

int spawn_line = 0;

asio::awaitable<void> fetch_page(int page) {
  co_await simloop::yield();
  if (page == 3) throw std::runtime_error("connection refused");
}

// Fire-and-forget: the exception of page 3 is dropped by asio::detached.
asio::awaitable<void> crawler_body() {
  auto ex = co_await asio::this_coro::executor;
  for (int page = 1; page <= 4; ++page) {
    asio::co_spawn(ex, fetch_page(page), asio::detached); spawn_line = __LINE__;
  }
  co_await simloop::sleep_for(1s);
}

// Fixed: every task's completion is checked.
asio::awaitable<void> checked_crawler_body() {
  auto ex = co_await asio::this_coro::executor;
  auto failures = std::make_shared<int>(0);
  for (int page = 1; page <= 4; ++page)
    asio::co_spawn(ex, fetch_page(page), [failures](std::exception_ptr e) { *failures += e ? 1 : 0; });
  co_await simloop::sleep_for(1s);
  SIMLOOP_ASSERT(*failures == 1);
}

}  // namespace

TEST(UnobservedException, DetachedTaskThrows) {
  simloop::simulation sim({.seed = 11});
  simloop::report r = sim.run(crawler_body());
  std::string m = detector_test::only_finding(r, simloop::finding_kind::exception);
  EXPECT_TRUE(contains(m, "simloop: exception in a detached task, nobody observed it: std::runtime_error: connection "
                          "refused (seed 0xb, step "));
  EXPECT_TRUE(contains(m, "  task #4 fetch_page      spawned at  " + site("unobserved_exception_test.cpp", spawn_line) +
                              "\n"
                              "  fix:        asio::detached drops the exception_ptr: co_await the task, or give "
                              "co_spawn a handler that checks it\n"));
}

TEST(UnobservedException, CheckedCompletionIsSilent) {
  detector_test::expect_silent([] { return checked_crawler_body(); });
}

TEST(UnobservedException, SpawnNamesItsCallSite) {
  simloop::simulation sim({.seed = 11, .capture_spawn_sites = false});
  int line = 0;
  simloop::report r = sim.run([](int& line) -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    simloop::spawn(ex, fetch_page(3), asio::detached); line = __LINE__;
    co_await simloop::sleep_for(1s);
  }(line));
  std::string m = detector_test::only_finding(r, simloop::finding_kind::exception);
  EXPECT_TRUE(contains(m, "  task #2 fetch_page      spawned at  " + site("unobserved_exception_test.cpp", line) + "\n"));
}

TEST(UnobservedException, AssertionInADetachedTaskIsNotAnException) {
  simloop::simulation sim({.seed = 11});
  simloop::report r = sim.run([]() -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    asio::co_spawn(
        ex, []() -> asio::awaitable<void> {
          co_await simloop::yield();
          SIMLOOP_ASSERT(2 + 2 == 5);
        },
        asio::detached);
    co_await simloop::sleep_for(1s);
  }());
  EXPECT_EQ(r.findings.size(), 1u) << r.describe();
  EXPECT_TRUE(r.has(simloop::finding_kind::assertion));
}

TEST(UnobservedException, CanBeSwitchedOff) {
  simloop::simulation sim({.seed = 11, .detect_unobserved_exceptions = false});
  EXPECT_TRUE(sim.run(crawler_body()).ok());
}

// ---- handlers that ignore the exception_ptr ----

namespace {

int ignored_line = 0;

// The handler takes the exception_ptr and drops it: as good as detached.
asio::awaitable<void> ignoring_handler_body() {
  auto ex = co_await asio::this_coro::executor;
  for (int page = 1; page <= 4; ++page) {
    asio::co_spawn(ex, fetch_page(page), [](std::exception_ptr) {}); ignored_line = __LINE__;
  }
  co_await simloop::sleep_for(1s);
}

void ignore_result(std::exception_ptr) {}

std::exception_ptr g_kept;
int g_logged = 0;

// Stateless handlers that do look at the exception: rethrow it to log it,
// or keep it in a global.
asio::awaitable<void> observing_stateless_handlers_body() {
  auto ex = co_await asio::this_coro::executor;
  asio::co_spawn(ex, fetch_page(3), [](std::exception_ptr e) {
    try {
      if (e) std::rethrow_exception(e);
    } catch (const std::exception&) {
      ++g_logged;
    }
  });
  asio::co_spawn(ex, fetch_page(3), [](std::exception_ptr e) { g_kept = e; });
  co_await simloop::sleep_for(1s);
  SIMLOOP_ASSERT(g_kept != nullptr);
  g_kept = nullptr;
}

}  // namespace

TEST(UnobservedException, HandlerThatIgnoresTheExceptionPtr) {
  simloop::simulation sim({.seed = 11});
  simloop::report r = sim.run(ignoring_handler_body());
  std::string m = detector_test::only_finding(r, simloop::finding_kind::exception);
  EXPECT_TRUE(contains(m, "simloop: exception in a task whose completion handler ignored it: std::runtime_error: "
                          "connection refused (seed 0xb, step "));
  EXPECT_TRUE(contains(m, "  task #4 fetch_page      spawned at  " + site("unobserved_exception_test.cpp", ignored_line) +
                              "\n"));
  EXPECT_TRUE(contains(m, "  handler:    ignoring_handler_body()::{lambda(std::exception_ptr)#1}"));
  EXPECT_TRUE(contains(m, "(stateless: it neither rethrew the exception_ptr nor kept it)\n"
                          "  fix:        co_await the task, or make the handler rethrow (std::rethrow_exception) or "
                          "store the exception_ptr where the test checks it\n"));
  EXPECT_TRUE(contains(m, "  replay: SIMLOOP_SEED=0xb "));
}

TEST(UnobservedException, FunctionPointerHandlerThatIgnoresIt) {
  simloop::simulation sim({.seed = 2});
  int line = 0;
  simloop::report r = sim.run([](int& line) -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    asio::co_spawn(ex, fetch_page(3), &ignore_result); line = __LINE__;
    co_await simloop::sleep_for(1s);
  }(line));
  std::string m = detector_test::only_finding(r, simloop::finding_kind::exception);
  EXPECT_TRUE(contains(m, "exception in a task whose completion handler ignored it: std::runtime_error: connection refused"));
  EXPECT_TRUE(contains(m, "spawned at  " + site("unobserved_exception_test.cpp", line) + "\n"));
  EXPECT_TRUE(contains(m, "  handler:    void (*)(std::exception_ptr)"));
}

TEST(UnobservedException, StatelessHandlersThatRethrowOrKeepItAreSilent) {
  g_logged = 0;
  detector_test::expect_silent([] { return observing_stateless_handlers_body(); }, 1000, {}, /*jobs=*/1);
  EXPECT_EQ(g_logged, 2000);  // every run of both strategies logged it once
}

TEST(UnobservedException, IgnoringHandlerCanBeSwitchedOff) {
  simloop::simulation sim({.seed = 11, .detect_unobserved_exceptions = false});
  EXPECT_TRUE(sim.run(ignoring_handler_body()).ok());
}
