// simloop/as_completed.hpp: results in completion order (asyncio.as_completed).
#pragma once

#include <simloop/detail/task_frame.hpp>  // before any coroutine: simloop's coroutine_traits

#include <simloop/gather.hpp>
#include <simloop/queue.hpp>
#include <simloop/task_group.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cstddef>
#include <exception>
#include <memory>
#include <variant>
#include <vector>

namespace simloop {

// Starts every awaitable at construction (each a task on ex); next() returns
// the results one by one in the order they finish, rethrowing a child's
// exception in its turn:
//
//   simloop::as_completed<int> ac(ex, std::move(fetches));
//   while (ac.remaining() > 0) {
//     try { int v = co_await ac.next(); ... } catch (const std::exception&) { ... }
//   }
//
// Destroying it cancels the children still running (they finish on their
// own). A cancelled next() loses no result: the result stays for the next
// call. Each result is a happens-before edge from its child to next().
template <class T>
class as_completed {
 public:
  using executor_type = boost::asio::any_io_executor;

  // Findings name the caller's line as the children's spawn site.
  as_completed(const executor_type& ex, std::vector<boost::asio::awaitable<T>> aws,
               detail::source_site site = detail::source_site::current())
      : results_(std::make_shared<queue<outcome<T>>>(ex)), group_(ex), remaining_(aws.size()) {
    for (auto& a : aws) group_.spawn(run_one(std::move(a), results_), site);
  }
  as_completed(const as_completed&) = delete;
  as_completed& operator=(const as_completed&) = delete;
  ~as_completed() { group_.cancel(); }

  std::size_t remaining() const noexcept { return remaining_; }

  // The next result to finish. With remaining() == 0, throws std::out_of_range.
  boost::asio::awaitable<gather_value_t<T>> next() {
    if (remaining_ == 0) throw std::out_of_range("simloop::as_completed::next: no results remain");
    auto q = results_;
    outcome<T> r = co_await q->async_get(boost::asio::use_awaitable);
    --remaining_;
    if (r.index() == 1) std::rethrow_exception(std::get<1>(r));
    co_return std::move(std::get<0>(r));
  }

 private:
  static boost::asio::awaitable<void> run_one(boost::asio::awaitable<T> a, std::shared_ptr<queue<outcome<T>>> q) {
    std::optional<outcome<T>> slot;
    co_await detail::gather_settle(std::move(a), slot);
    q->try_put(std::move(*slot));
  }

  std::shared_ptr<queue<outcome<T>>> results_;
  task_group group_;
  std::size_t remaining_;
};

}  // namespace simloop
