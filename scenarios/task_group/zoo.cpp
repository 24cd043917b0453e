#include "group.hpp"

#include "../zoo/zoo.hpp"

#include <simloop/random.hpp>

#include <stdexcept>

namespace scenarios::task_group {
namespace {

using namespace std::chrono_literals;

// Job coroutines take their state as parameters (copied into their frames):
// a coroutine lambda's captures live in the lambda object, which may be gone
// while a detached child still runs.
asio::awaitable<void> worker(std::shared_ptr<int> running, int steps) {
  ++*running;
  struct leave {
    std::shared_ptr<int> r;
    ~leave() { --*r; }
  } l{running};
  for (int i = 0; i < steps; ++i) co_await simloop::sleep_for(std::chrono::milliseconds(1 + simloop::random_below(5)));
}

asio::awaitable<void> failing() {
  co_await simloop::sleep_for(std::chrono::milliseconds(simloop::random_below(10)));
  throw std::runtime_error("child failed");
}

enum class mistake { none, detached, lambda_temporary };

asio::awaitable<void> check(mistake m) {
  auto running = std::make_shared<int>(0);
  std::vector<std::function<asio::awaitable<void>()>> jobs{
      [running] { return worker(running, 20); }, [] { return failing(); }, [running] { return worker(running, 20); }};
  bool threw = false;
  try {
    if (m == mistake::detached)
      co_await run_all_detached(jobs);
    else if (m == mistake::lambda_temporary)
      co_await run_all_counted(jobs);
    else
      co_await run_all(jobs);
  } catch (const std::exception&) {
    threw = true;
  }
  SIMLOOP_ASSERT(threw);
  // Structured: when the group is done, so is every child.
  SIMLOOP_ASSERT(*running == 0);
}

const simloop::zoo::registrar correct{{
    .scenario = "task_group",
    .name = "correct",
    .make_body = [] { return check(mistake::none); },
}};

const simloop::zoo::registrar detached{{
    .scenario = "task_group",
    .name = "siblings_not_cancelled",
    .mistake = "returns at the first failure; the siblings keep running unobserved",
    .expected = simloop::finding_kind::assertion,
    .make_body = [] { return check(mistake::detached); },
}};

const simloop::zoo::registrar lambda_temporary{{
    .scenario = "task_group",
    .name = "lambda_temporary",
    .mistake = "each child is a capturing lambda coroutine spawned from its temporary closure: the captures are "
               "gone when the child runs again",
    .expected = simloop::finding_kind::dangling_reference,
    .make_body = [] { return check(mistake::lambda_temporary); },
}};

}  // namespace
}  // namespace scenarios::task_group
