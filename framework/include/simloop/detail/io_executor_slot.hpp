// simloop/detail/io_executor_slot.hpp: an op's fallback executor, kept only when used.
#pragma once

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/system_executor.hpp>

#include <type_traits>

namespace simloop::detail {

// An I/O object's executor is only the fallback of get_associated_executor
// for a pending operation's handler. A handler whose associated executor
// does not depend on the fallback (awaitable_handler, a bound executor)
// answers the same without it, so its op keeps no copy: an
// any_io_executor is 56 bytes of every pending wait.
template <class Handler, class Fallback>
inline constexpr bool needs_fallback_executor =
    !std::is_same_v<boost::asio::associated_executor_t<Handler, Fallback>,
                    boost::asio::associated_executor_t<Handler, boost::asio::system_executor>>;

template <class Handler, class Fallback, bool Needed = needs_fallback_executor<Handler, Fallback>>
class io_executor_slot {
 public:
  explicit io_executor_slot(const Fallback& ex) : ex_(ex) {}
  // What get_associated_executor(handler, fallback) answers.
  auto associated(const Handler& h) const noexcept { return boost::asio::get_associated_executor(h, ex_); }

 private:
  Fallback ex_;
};
template <class Handler, class Fallback>
class io_executor_slot<Handler, Fallback, false> {
 public:
  explicit io_executor_slot(const Fallback&) noexcept {}
  auto associated(const Handler& h) const noexcept { return boost::asio::get_associated_executor(h); }
};

}  // namespace simloop::detail
