// simloop/gtest.hpp: GoogleTest tests whose body is an explored coroutine.
// CMake target simloop::gtest; defines no main (link GTest::gtest_main or your own).
#pragma once

#include <simloop/explore.hpp>

#include <gtest/gtest.h>

#include <boost/asio/awaitable.hpp>

#include <functional>

namespace simloop::gtest {

// What SIMLOOP_TEST's gtest body does: explores make_body over eo's seeds
// (SIMLOOP_RUNS, SIMLOOP_SEED, SIMLOOP_STRATEGY, SIMLOOP_SHARD, SIMLOOP_JOBS
// apply), with regressions kept next to `source_file`. With several jobs the
// seeds run in worker processes whose gtest results and output are thrown
// away; the failing seed runs again in this process, so its EXPECT_*
// failures are reported once. A failing run becomes one gtest
// failure holding every finding and one replay line
// (SIMLOOP_SEED=... ./binary --gtest_filter=Suite.Name); a malformed SIMLOOP_*
// variable fails the test naming the variable and its expected form. A
// failed EXPECT_* inside the body (ASSERT_* cannot be used in a coroutine)
// ends that run as an assertion finding. Returns the report.
report run_test(explore_options eo, std::function<boost::asio::awaitable<void>()> make_body,
                const char* source_file, int source_line);

}  // namespace simloop::gtest

#define SIMLOOP_DETAIL_TEST(Suite, Name, ...)                                                                  \
  static ::boost::asio::awaitable<void> simloop_test_body_##Suite##_##Name();                                \
  TEST(Suite, Name) {                                                                                          \
    (void)::simloop::gtest::run_test(__VA_ARGS__, &simloop_test_body_##Suite##_##Name, __FILE__, __LINE__); \
  }                                                                                                            \
  static ::boost::asio::awaitable<void> simloop_test_body_##Suite##_##Name()

// A gtest test Suite.Name whose body is a coroutine, explored over
// SIMLOOP_RUNS seeds (default 1,000) with strategy pct:
//
//   SIMLOOP_TEST(Counter, NoLostUpdate) {
//     auto ex = co_await asio::this_coro::executor;
//     ...
//     SIMLOOP_ASSERT(value == 2);
//   }
#define SIMLOOP_TEST(Suite, Name) SIMLOOP_DETAIL_TEST(Suite, Name, ::simloop::explore_options{})

// The same with explicit options (an explore_options expression):
//
//   SIMLOOP_TEST_OPTS(Counter, Random, simloop::explore_options{.runs = 200, .strategy = simloop::strategy::random})
#define SIMLOOP_TEST_OPTS(Suite, Name, ...) SIMLOOP_DETAIL_TEST(Suite, Name, __VA_ARGS__)
