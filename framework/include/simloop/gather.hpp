// simloop/gather.hpp: run awaitables concurrently, results in order
// (asyncio.gather).
#pragma once

#include <simloop/detail/task_frame.hpp>  // before any coroutine: simloop's coroutine_traits

#include <simloop/task_group.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cstddef>
#include <exception>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace simloop {

// The result of a void awaitable in gather's results.
struct none {
  friend bool operator==(none, none) noexcept { return true; }
};
template <class T>
using gather_value_t = std::conditional_t<std::is_void_v<T>, none, T>;
// return_exceptions mode: a value or the exception that replaced it.
template <class T>
using outcome = std::variant<gather_value_t<T>, std::exception_ptr>;

// Tag: gather(return_exceptions, ...) returns errors as values.
struct return_exceptions_t {
  explicit constexpr return_exceptions_t() = default;
};
inline constexpr return_exceptions_t return_exceptions{};

namespace detail {

template <class T>
boost::asio::awaitable<void> gather_store(boost::asio::awaitable<T> a, std::optional<gather_value_t<T>>& slot) {
  if constexpr (std::is_void_v<T>) {
    co_await std::move(a);
    slot.emplace();
  } else {
    slot.emplace(co_await std::move(a));
  }
}

template <class T>
boost::asio::awaitable<void> gather_settle(boost::asio::awaitable<T> a, std::optional<outcome<T>>& slot) {
  try {
    if constexpr (std::is_void_v<T>) {
      co_await std::move(a);
      slot.emplace(std::in_place_index<0>);
    } else {
      auto v = co_await std::move(a);
      slot.emplace(std::in_place_index<0>, std::move(v));
    }
  } catch (...) {
    slot.emplace(std::in_place_index<1>, std::current_exception());
  }
}

// Awaits the group; rethrows the first child failure itself (not the
// aggregate), as asyncio.gather does.
inline boost::asio::awaitable<void> gather_join(task_group& g) {
  std::exception_ptr first;
  try {
    co_await g.async_wait(boost::asio::use_awaitable);
  } catch (const task_group_error& e) {
    first = e.exceptions().empty() ? std::current_exception() : e.exceptions().front();
  }
  if (first) std::rethrow_exception(first);
}

}  // namespace detail

// Runs every awaitable concurrently (each a task on the caller's executor)
// and returns their results in argument order (void results as
// simloop::none). The first failure cancels the others; once all have
// finished, that exception is rethrown (unlike asyncio, nothing is left
// running). If the caller is cancelled, all are cancelled and awaited.
template <class... T>
boost::asio::awaitable<std::tuple<gather_value_t<T>...>> gather(boost::asio::awaitable<T>... aws) {
  auto ex = co_await boost::asio::this_coro::executor;
  std::tuple<std::optional<gather_value_t<T>>...> slots;
  task_group g(ex);
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    (g.spawn(detail::gather_store(std::move(aws), std::get<I>(slots))), ...);
  }(std::index_sequence_for<T...>{});
  co_await detail::gather_join(g);
  co_return [&]<std::size_t... I>(std::index_sequence<I...>) {
    return std::tuple<gather_value_t<T>...>(std::move(*std::get<I>(slots))...);
  }(std::index_sequence_for<T...>{});
}

// return_exceptions mode: never throws for a child; each result is its value
// or its exception (asyncio.gather(..., return_exceptions=True)).
template <class... T>
boost::asio::awaitable<std::tuple<outcome<T>...>> gather(return_exceptions_t, boost::asio::awaitable<T>... aws) {
  auto ex = co_await boost::asio::this_coro::executor;
  std::tuple<std::optional<outcome<T>>...> slots;
  task_group g(ex);
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    (g.spawn(detail::gather_settle(std::move(aws), std::get<I>(slots))), ...);
  }(std::index_sequence_for<T...>{});
  co_await detail::gather_join(g);
  co_return [&]<std::size_t... I>(std::index_sequence<I...>) {
    return std::tuple<outcome<T>...>(std::move(*std::get<I>(slots))...);
  }(std::index_sequence_for<T...>{});
}

// The same over a vector of awaitables of one type.
template <class T>
boost::asio::awaitable<std::vector<gather_value_t<T>>> gather(std::vector<boost::asio::awaitable<T>> aws) {
  auto ex = co_await boost::asio::this_coro::executor;
  std::vector<std::optional<gather_value_t<T>>> slots(aws.size());
  task_group g(ex);
  for (std::size_t i = 0; i < aws.size(); ++i) g.spawn(detail::gather_store(std::move(aws[i]), slots[i]));
  co_await detail::gather_join(g);
  std::vector<gather_value_t<T>> out;
  out.reserve(slots.size());
  for (auto& s : slots) out.push_back(std::move(*s));
  co_return out;
}

template <class T>
boost::asio::awaitable<std::vector<outcome<T>>> gather(return_exceptions_t,
                                                       std::vector<boost::asio::awaitable<T>> aws) {
  auto ex = co_await boost::asio::this_coro::executor;
  std::vector<std::optional<outcome<T>>> slots(aws.size());
  task_group g(ex);
  for (std::size_t i = 0; i < aws.size(); ++i) g.spawn(detail::gather_settle(std::move(aws[i]), slots[i]));
  co_await detail::gather_join(g);
  std::vector<outcome<T>> out;
  out.reserve(slots.size());
  for (auto& s : slots) out.push_back(std::move(*s));
  co_return out;
}

}  // namespace simloop
