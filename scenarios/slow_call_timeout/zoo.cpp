#include "client.hpp"

#include "../zoo/zoo.hpp"

namespace scenarios::slow_call_timeout {
namespace {

asio::awaitable<void> check(bool leaky) {
  std::optional<int> r;
  if (leaky)
    r = co_await call_with_timeout_leaky(21, 100ms);
  else
    r = co_await call_with_timeout(21, 100ms);
  // Either the answer or nothing; both are fine for the caller.
  SIMLOOP_ASSERT(!r || *r == 42);
}

const simloop::zoo::registrar correct{{
    .scenario = "slow_call_timeout",
    .name = "correct",
    .make_body = [] { return check(false); },
}};

const simloop::zoo::registrar leaky{{
    .scenario = "slow_call_timeout",
    .name = "call_left_running",
    .mistake = "the timeout stops waiting but does not cancel the call: it runs on after the caller",
    .expected = simloop::finding_kind::leaked_task,
    .make_body = [] { return check(true); },
}};

}  // namespace
}  // namespace scenarios::slow_call_timeout
