// tests/core/explore_support.hpp: what explore()'s tests share: SIMLOOP_*
// variables set for one test, and a body that records the seeds it ran.
#pragma once

#include <simloop/simloop.hpp>
#include <simloop/task_group.hpp>

#include <cstdlib>
#include <functional>
#include <memory>
#include <set>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

namespace simloop_test {

// Unsets the SIMLOOP_* variables explore() reads for steering, lets a test
// set them, and restores them after.
class scoped_env {
 public:
  scoped_env() {
    for (const char* name : names_) {
      const char* v = std::getenv(name);
      saved_.push_back(v ? std::optional<std::string>(v) : std::nullopt);
      ::unsetenv(name);
    }
  }
  ~scoped_env() {
    for (std::size_t i = 0; i < std::size(names_); ++i) {
      if (saved_[i]) ::setenv(names_[i], saved_[i]->c_str(), 1);
      else ::unsetenv(names_[i]);
    }
  }
  scoped_env(const scoped_env&) = delete;
  scoped_env& operator=(const scoped_env&) = delete;
  void set(const char* name, const char* value) { ::setenv(name, value, 1); }
  void unset(const char* name) { ::unsetenv(name); }

 private:
  static constexpr const char* names_[] = {"SIMLOOP_SEED", "SIMLOOP_RUNS", "SIMLOOP_STRATEGY", "SIMLOOP_SHARD",
                                           "SIMLOOP_JOBS"};
  std::vector<std::optional<std::string>> saved_;
};

// `tasks` tasks that each yield and count three times: runs of different
// seeds take different schedules, with choices and trace hashes of their own.
inline asio::awaitable<void> contend(int tasks) {
  auto ex = co_await asio::this_coro::executor;
  auto counter = std::make_shared<int>(0);
  simloop::task_group group(ex);
  for (int t = 0; t < tasks; ++t)
    group.spawn([](std::shared_ptr<int> c) -> asio::awaitable<void> {
      for (int i = 0; i < 3; ++i) {
        co_await simloop::yield();
        ++*c;
      }
    }(counter));
  co_await group.async_wait(asio::use_awaitable);
  SIMLOOP_ASSERT(*counter == 3 * tasks);
}

// A body that fails on the seeds in `failing` and records every seed it ran
// (in this process: a run in a worker process records into the worker's copy).
struct seed_recorder {
  std::set<std::uint64_t> failing;
  std::vector<std::uint64_t> ran;
  std::vector<simloop::strategy> strategies;
  int contenders = 0;  // tasks running contend() in each run; 0: one yield

  std::function<asio::awaitable<void>()> body() {
    return [this]() -> asio::awaitable<void> {
      const auto& o = simloop::simulation::current()->get_options();
      ran.push_back(o.seed);
      strategies.push_back(o.strategy);
      if (contenders > 0) co_await contend(contenders);
      else co_await simloop::yield();
      SIMLOOP_ASSERT(failing.count(o.seed) == 0);
    };
  }
};

}  // namespace simloop_test
