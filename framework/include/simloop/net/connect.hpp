// simloop/net/connect.hpp: asio::async_connect over a sequence of endpoints
// (a resolver's results, a vector) for simloop's TCP socket.
#pragma once

#include <simloop/net/tcp.hpp>

#include <boost/asio/compose.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>

#include <concepts>
#include <cstddef>
#include <iterator>
#include <type_traits>
#include <utility>

// Why overloads in boost::asio: Asio 1.81's async_connect takes
// basic_socket<Protocol, Executor>& and calls that class's own (non-virtual)
// async_connect, i.e. a real OS socket; no member or typedef of another type
// can make it deduce. User code calls it qualified (asio::async_connect), so
// ADL cannot find an overload in simloop's namespace either. These overloads
// match simloop::net::tcp::socket exactly and do what Asio's range_connect_op
// and iterator_connect_op do: try each endpoint the condition accepts,
// closing the socket before each attempt; complete with the first success,
// or with the last error (not_found when nothing was tried); stop at
// operation_aborted. Like every simloop completion, never inside the call.

namespace simloop::net::tcp::detail {

// Callable as bool(const error_code&, const endpoint&): what tells a
// condition apart from a completion token in the overloads below.
template <class C>
concept connect_condition = requires(C& c, const boost::system::error_code& ec, const endpoint& ep) {
  { c(ec, ep) } -> std::convertible_to<bool>;
};

struct accept_every_endpoint {
  template <class Endpoint>
  bool operator()(const boost::system::error_code&, const Endpoint&) const noexcept {
    return true;
  }
};

template <class Iterator>
struct iterator_pair {
  Iterator first, last;
  Iterator begin() const { return first; }
  Iterator end() const { return last; }
};

// ReturnIterator: completes with (ec, Iterator) instead of (ec, endpoint).
template <class Range, class Condition, bool ReturnIterator>
struct connect_op {
  socket* s;
  Range range;  // a copy, as Asio keeps one: the caller's may go away
  Condition condition;
  std::size_t index = 0;
  boost::system::error_code last;
  enum { starting, connecting, nothing_to_try } state = starting;

  auto at(std::size_t i) const { return std::next(std::begin(range), static_cast<std::ptrdiff_t>(i)); }

  template <class Self>
  void operator()(Self& self, boost::system::error_code ec = {}) {
    if (state == connecting) {
      if (!ec) return finish(self, ec, true);
      last = ec;
      if (ec == asio::error::operation_aborted) return finish(self, ec, false);
      ++index;
    } else if (state == nothing_to_try) {
      return finish(self, last ? last : boost::system::error_code(asio::error::not_found), false);
    }
    for (auto it = at(index); it != std::end(range); ++it, ++index) {
      endpoint ep = *it;
      if (condition(static_cast<const boost::system::error_code&>(last), ep)) {
        state = connecting;
        boost::system::error_code ignored;
        s->close(ignored);
        s->async_connect(ep, std::move(self));
        return;
      }
    }
    if (state == starting) {
      state = nothing_to_try;
      asio::post(s->get_executor(), std::move(self));
      return;
    }
    finish(self, last ? last : boost::system::error_code(asio::error::not_found), false);
  }

  template <class Self>
  void finish(Self& self, boost::system::error_code ec, bool connected) {
    if constexpr (ReturnIterator) {
      self.complete(ec, connected ? at(index) : std::end(range));
    } else {
      self.complete(ec, connected ? endpoint(*at(index)) : endpoint());
    }
  }
};

template <bool ReturnIterator, class Signature, class Range, class Condition, class Token>
auto start_connect(socket& s, Range range, Condition condition, Token&& token) {
  return asio::async_compose<Token, Signature>(
      connect_op<Range, Condition, ReturnIterator>{&s, std::move(range), std::move(condition)}, token, s);
}

}  // namespace simloop::net::tcp::detail

namespace boost::asio {

// async_connect(socket, endpoints, token): void(error_code, tcp::endpoint).
template <class EndpointSequence,
          class Token = default_completion_token_t<simloop::net::tcp::socket::executor_type>>
  requires(static_cast<bool>(is_endpoint_sequence<EndpointSequence>::value) && !simloop::net::tcp::detail::connect_condition<Token>)
auto async_connect(simloop::net::tcp::socket& s, const EndpointSequence& endpoints,
                   Token&& token = default_completion_token_t<simloop::net::tcp::socket::executor_type>()) {
  return simloop::net::tcp::detail::start_connect<false, void(boost::system::error_code, ip::tcp::endpoint)>(
      s, endpoints, simloop::net::tcp::detail::accept_every_endpoint{}, std::forward<Token>(token));
}

// async_connect(socket, endpoints, condition, token): condition(ec, endpoint)
// says whether to try an endpoint (ec: the previous attempt's error).
template <class EndpointSequence, class ConnectCondition,
          class Token = default_completion_token_t<simloop::net::tcp::socket::executor_type>>
  requires(static_cast<bool>(is_endpoint_sequence<EndpointSequence>::value) &&
           simloop::net::tcp::detail::connect_condition<ConnectCondition>)
auto async_connect(simloop::net::tcp::socket& s, const EndpointSequence& endpoints, ConnectCondition condition,
                   Token&& token = default_completion_token_t<simloop::net::tcp::socket::executor_type>()) {
  return simloop::net::tcp::detail::start_connect<false, void(boost::system::error_code, ip::tcp::endpoint)>(
      s, endpoints, std::move(condition), std::forward<Token>(token));
}

// async_connect(socket, begin, end, token): void(error_code, Iterator).
template <class Iterator, class Token = default_completion_token_t<simloop::net::tcp::socket::executor_type>>
  requires(!static_cast<bool>(is_endpoint_sequence<Iterator>::value) && !simloop::net::tcp::detail::connect_condition<Token>)
auto async_connect(simloop::net::tcp::socket& s, Iterator begin, Iterator end,
                   Token&& token = default_completion_token_t<simloop::net::tcp::socket::executor_type>()) {
  return simloop::net::tcp::detail::start_connect<true, void(boost::system::error_code, Iterator)>(
      s, simloop::net::tcp::detail::iterator_pair<Iterator>{begin, end},
      simloop::net::tcp::detail::accept_every_endpoint{}, std::forward<Token>(token));
}

// async_connect(socket, begin, end, condition, token).
template <class Iterator, class ConnectCondition,
          class Token = default_completion_token_t<simloop::net::tcp::socket::executor_type>>
  requires(!static_cast<bool>(is_endpoint_sequence<Iterator>::value) && simloop::net::tcp::detail::connect_condition<ConnectCondition>)
auto async_connect(simloop::net::tcp::socket& s, Iterator begin, Iterator end, ConnectCondition condition,
                   Token&& token = default_completion_token_t<simloop::net::tcp::socket::executor_type>()) {
  return simloop::net::tcp::detail::start_connect<true, void(boost::system::error_code, Iterator)>(
      s, simloop::net::tcp::detail::iterator_pair<Iterator>{begin, end}, std::move(condition),
      std::forward<Token>(token));
}

}  // namespace boost::asio
