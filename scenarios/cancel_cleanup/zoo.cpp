#include "refresh.hpp"

#include "../zoo/zoo.hpp"

namespace scenarios::cancel_cleanup {
namespace {

constexpr std::size_t limit = 2;
constexpr int keys = 4;

template <bool Guarded>
asio::awaitable<void> refresher() {
  auto ex = co_await asio::this_coro::executor;
  simloop::semaphore limiter(ex, limit);
  std::map<int, int> cache;
  for (int round = 0; round < 3; ++round) {
    co_await refresh<Guarded>(limiter, keys, cache);
    // Every fetch of the round has ended, by whatever path: every permit is
    // back (else the rounds to come run short, and then not at all).
    SIMLOOP_ASSERT(limiter.available() == limit);
  }
}

// Cancellation injection into the round's children (task_group children
// have bound cancellation slots): one in five of their suspensions.
simloop::options injecting() {
  simloop::options o;
  o.cancel_one_in = 5;
  return o;
}

const simloop::zoo::registrar correct{{
    .scenario = "cancel_cleanup",
    .name = "correct",
    .make_body = [] { return refresher<true>(); },
    .base = injecting(),
}};

const simloop::zoo::registrar leaks{{
    .scenario = "cancel_cleanup",
    .name = "release_skipped_on_cancel",
    .mistake = "the permit is released after the request, not on the cancellation path: a cancelled request "
               "keeps it",
    .expected = simloop::finding_kind::assertion,
    .make_body = [] { return refresher<false>(); },
    .base = injecting(),
}};

}  // namespace
}  // namespace scenarios::cancel_cleanup
