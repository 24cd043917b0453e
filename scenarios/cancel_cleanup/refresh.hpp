// scenarios/cancel_cleanup: a cache refresh whose fetches share a limiter
// (asyncio: `async with semaphore:` around each request). A fetch can be
// cancelled at any await (its task group's sibling failed, a shutdown): a
// permit taken before must be given back on that path too.
#pragma once

#include <simloop/random.hpp>
#include <simloop/semaphore.hpp>
#include <simloop/sleep.hpp>
#include <simloop/task_group.hpp>

#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <map>

namespace scenarios::cancel_cleanup {

// Gives a taken permit back when it goes out of scope, however the scope
// ends: the Asio spelling of `async with semaphore:`.
class permit {
 public:
  explicit permit(simloop::semaphore& s) : s_(&s) {}
  permit(const permit&) = delete;
  permit& operator=(const permit&) = delete;
  ~permit() { s_->release(); }

 private:
  simloop::semaphore* s_;
};

// One request under the limiter. Guarded: the permit is released on every
// path. Not guarded (the mistake): only when the request completes.
template <bool Guarded>
boost::asio::awaitable<void> fetch(simloop::semaphore& limiter, int key, std::map<int, int>& cache) {
  auto acquire = limiter.async_acquire(boost::asio::use_awaitable);
  co_await std::move(acquire);
  if constexpr (Guarded) {
    permit held(limiter);
    co_await simloop::sleep_for(std::chrono::milliseconds(1 + simloop::random_below(5)));
    cache[key] = key * key;
  } else {
    co_await simloop::sleep_for(std::chrono::milliseconds(1 + simloop::random_below(5)));
    cache[key] = key * key;
    limiter.release();
  }
}

// One refresh round: every key fetched concurrently, at most the limiter's
// permits in flight. A round that was cancelled part-way is not an error:
// the next round fetches again.
template <bool Guarded>
boost::asio::awaitable<void> refresh(simloop::semaphore& limiter, int keys, std::map<int, int>& cache) {
  auto ex = co_await boost::asio::this_coro::executor;
  simloop::task_group round(ex);
  for (int k = 0; k < keys; ++k) round.spawn(fetch<Guarded>(limiter, k, cache));
  try {
    auto all = round.async_wait(boost::asio::use_awaitable);
    co_await std::move(all);
  } catch (const simloop::task_group_error&) {
  }
}

}  // namespace scenarios::cancel_cleanup
