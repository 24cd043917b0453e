#include "retry.hpp"
#include "service.hpp"

#include "../zoo/zoo.hpp"

namespace scenarios::retry_backoff {
namespace {

// An outage of 0..59 s; once the service is back, the client must get its
// answer within one capped delay (plus the request's own latency).
asio::awaitable<void> recovers_promptly(policy p) {
  auto outage = std::chrono::seconds(simloop::random_below(60));
  flaky_service svc{simloop::clock::now() + outage};
  // Lambdas bound to locals: GCC 12 destroys temporaries inside a co_await
  // expression too early.
  auto call = [&] { return svc.get(4); };
  int value = co_await retry(call, p);
  SIMLOOP_ASSERT(value == 40);
  auto late_by = simloop::clock::now() - svc.up_at;
  SIMLOOP_ASSERT(late_by <= p.cap + 2 * svc.latency);
}

// A request that can never succeed must fail fast, not retry forever.
asio::awaitable<void> gives_up_on_permanent_errors(policy p, bool retry_everything) {
  flaky_service svc{simloop::clock::now() + std::chrono::seconds(simloop::random_below(5))};
  auto call = [&] { return svc.get(-1); };
  std::function<bool(const std::exception_ptr&)> retryable = is_transient;
  if (retry_everything) retryable = [](const std::exception_ptr&) { return true; };
  bool failed = false;
  try {
    (void)co_await retry(call, p, retryable);
  } catch (const std::invalid_argument&) {
    failed = true;
  }
  SIMLOOP_ASSERT(failed);
}

const simloop::zoo::registrar correct{{
    .scenario = "retry_backoff",
    .name = "correct",
    .make_body = [] { return recovers_promptly(policy{}); },
}};

const simloop::zoo::registrar correct_permanent{{
    .scenario = "retry_backoff",
    .name = "correct_permanent_error",
    .make_body = [] { return gives_up_on_permanent_errors(policy{}, false); },
    .runs = 200,
}};

const simloop::zoo::registrar no_cap{{
    .scenario = "retry_backoff",
    .name = "no_cap",
    .mistake = "backoff doubles without a cap: after a long outage the client sleeps far past recovery",
    .expected = simloop::finding_kind::assertion,
    .make_body = [] { return recovers_promptly(policy{.capped = false}); },
}};

const simloop::zoo::registrar retries_everything{{
    .scenario = "retry_backoff",
    .name = "retries_permanent_errors",
    .mistake = "every error is retried, a permanent one too: the request never ends",
    .expected = simloop::finding_kind::time_limit,
    .make_body = [] { return gives_up_on_permanent_errors(policy{}, true); },
    .runs = 20,
    .base = {.time_limit = std::chrono::hours(1)},
}};

}  // namespace
}  // namespace scenarios::retry_backoff
