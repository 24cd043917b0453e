// simloop/net/tcp.hpp: simulated TCP sockets and acceptors with Asio's interfaces.
#pragma once

#include <simloop/net/detail/state.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/ip/basic_resolver_results.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/socket_base.hpp>
#include <boost/system/system_error.hpp>

#include <memory>
#include <string>
#include <type_traits>
#include <utility>

namespace simloop::net::tcp {

using endpoint = asio::ip::tcp::endpoint;

namespace detail {
inline void throw_if(const boost::system::error_code& ec, const char* what) {
  if (ec) throw boost::system::system_error(ec, what);
}
template <class Buffers, class Buffer>
Buffer first_buffer(const Buffers& bs) {
  for (auto it = asio::buffer_sequence_begin(bs); it != asio::buffer_sequence_end(bs); ++it) {
    Buffer b(*it);
    if (b.size() != 0) return b;
  }
  return Buffer();
}
}  // namespace detail

// A stream socket on the simulated network: Asio's AsyncReadStream and
// AsyncWriteStream, so asio::async_read/async_write/async_read_until,
// buffered_stream and Beast's HTTP code work over it. It belongs to the host
// of the executor it is made from (executor::host(); a plain simulation
// executor is host 0, address 127.0.0.1).
//
// Completions are always posted (never run inside the initiating call), to
// the handler's associated executor; per-operation cancellation works through
// the handler's cancellation slot and completes with operation_aborted.
class socket {
 public:
  using executor_type = asio::any_io_executor;
  using protocol_type = asio::ip::tcp;
  using endpoint_type = asio::ip::tcp::endpoint;
  using lowest_layer_type = socket;
  using shutdown_type = asio::socket_base::shutdown_type;
  static constexpr shutdown_type shutdown_receive = asio::socket_base::shutdown_receive;
  static constexpr shutdown_type shutdown_send = asio::socket_base::shutdown_send;
  static constexpr shutdown_type shutdown_both = asio::socket_base::shutdown_both;

  template <class Executor>
    requires(!std::is_convertible_v<Executor&, asio::execution_context&>)
  explicit socket(const Executor& ex) : ex_(ex), impl_(std::make_unique<net::detail::socket_impl>()) {
    auto [ns, host] = net::detail::locate(ex);
    impl_->ns = ns;
    impl_->host = host;
  }
  template <class ExecutionContext>
    requires std::is_convertible_v<ExecutionContext&, asio::execution_context&>
  explicit socket(ExecutionContext& ctx) : socket(ctx.get_executor()) {}

  socket(socket&&) noexcept = default;
  socket& operator=(socket&& other) noexcept {
    if (this != &other) {
      close_quietly();
      ex_ = std::move(other.ex_);
      impl_ = std::move(other.impl_);
    }
    return *this;
  }
  ~socket() { close_quietly(); }

  executor_type get_executor() noexcept { return ex_; }
  lowest_layer_type& lowest_layer() noexcept { return *this; }

  void open(const protocol_type& = asio::ip::tcp::v4()) {
    if (!impl_->open) net::detail::socket_open(*impl_->ns, *impl_);
  }
  void open(const protocol_type& p, boost::system::error_code& ec) {
    ec = {};
    open(p);
  }
  bool is_open() const noexcept { return impl_ && impl_->open; }
  void close() { net::detail::socket_close(*impl_); }
  void close(boost::system::error_code& ec) {
    ec = {};
    close();
  }
  void cancel() { net::detail::socket_cancel(*impl_); }
  void cancel(boost::system::error_code& ec) {
    ec = {};
    cancel();
  }
  void shutdown(shutdown_type what) {
    boost::system::error_code ec;
    shutdown(what, ec);
    detail::throw_if(ec, "shutdown");
  }
  void shutdown(shutdown_type what, boost::system::error_code& ec) { net::detail::socket_shutdown(*impl_, what, ec); }
  endpoint_type local_endpoint() const {
    boost::system::error_code ec;
    auto ep = local_endpoint(ec);
    detail::throw_if(ec, "local_endpoint");
    return ep;
  }
  endpoint_type local_endpoint(boost::system::error_code& ec) const {
    ec = impl_->open ? boost::system::error_code() : asio::error::bad_descriptor;
    return impl_->local;
  }
  endpoint_type remote_endpoint() const {
    boost::system::error_code ec;
    auto ep = remote_endpoint(ec);
    detail::throw_if(ec, "remote_endpoint");
    return ep;
  }
  endpoint_type remote_endpoint(boost::system::error_code& ec) const {
    ec = impl_->connected ? boost::system::error_code() : asio::error::not_connected;
    return impl_->connected ? impl_->remote : endpoint_type();
  }
  std::size_t available() const { return net::detail::socket_available(*impl_); }
  // Socket options are accepted and ignored (no_delay, reuse_address, ...).
  template <class Option>
  void set_option(const Option&) {}
  template <class Option>
  void set_option(const Option&, boost::system::error_code& ec) {
    ec = {};
  }

  // The pending operations, for deadlock reports: "waiting on read from
  // 10.0.0.2:80", or empty when none is pending.
  std::string describe_pending() const { return impl_ ? net::detail::socket_describe(*impl_) : std::string(); }

  template <class Token = asio::default_completion_token_t<executor_type>>
  auto async_connect(const endpoint_type& ep, Token&& token = asio::default_completion_token_t<executor_type>()) {
    return asio::async_initiate<Token, void(boost::system::error_code)>(initiate_connect{this}, token, ep);
  }

  template <class MutableBuffers, class Token = asio::default_completion_token_t<executor_type>>
  auto async_read_some(const MutableBuffers& buffers,
                       Token&& token = asio::default_completion_token_t<executor_type>()) {
    return asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
        initiate_read{this}, token, detail::first_buffer<MutableBuffers, asio::mutable_buffer>(buffers));
  }

  template <class ConstBuffers, class Token = asio::default_completion_token_t<executor_type>>
  auto async_write_some(const ConstBuffers& buffers,
                        Token&& token = asio::default_completion_token_t<executor_type>()) {
    return asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
        initiate_write{this}, token, detail::first_buffer<ConstBuffers, asio::const_buffer>(buffers));
  }

  // For simloop's own acceptor.
  net::detail::socket_impl& impl() noexcept { return *impl_; }

 private:
  void close_quietly() noexcept {
    if (impl_ && impl_->ns) net::detail::socket_close(*impl_);
  }
  net::detail::sd::scheduler& sched() const { return *impl_->ns->sched; }

  struct initiate_connect {
    using executor_type = socket::executor_type;
    socket* self;
    executor_type get_executor() const noexcept { return self->ex_; }
    template <class Handler>
    void operator()(Handler&& h, const endpoint_type& ep) const {
      // Forward, never move: use_promise keeps using an lvalue handler.
      auto* op = net::detail::make_io_op<net::detail::invoke_ec>(self->sched(), std::forward<Handler>(h), self->ex_,
                                                                 net::detail::io_kind::connect);
      net::detail::socket_connect(*self->impl_, ep, op);
    }
  };
  struct initiate_read {
    using executor_type = socket::executor_type;
    socket* self;
    executor_type get_executor() const noexcept { return self->ex_; }
    template <class Handler>
    void operator()(Handler&& h, asio::mutable_buffer b) const {
      auto* op = net::detail::make_io_op<net::detail::invoke_ec_size>(self->sched(), std::forward<Handler>(h),
                                                                      self->ex_, net::detail::io_kind::read);
      op->data = b.data();
      op->size = b.size();
      net::detail::socket_read(*self->impl_, op);
    }
  };
  struct initiate_write {
    using executor_type = socket::executor_type;
    socket* self;
    executor_type get_executor() const noexcept { return self->ex_; }
    template <class Handler>
    void operator()(Handler&& h, asio::const_buffer b) const {
      auto* op = net::detail::make_io_op<net::detail::invoke_ec_size>(self->sched(), std::forward<Handler>(h),
                                                                      self->ex_, net::detail::io_kind::write);
      op->data = const_cast<void*>(b.data());
      op->size = b.size();
      net::detail::socket_write(*self->impl_, op);
    }
  };

  executor_type ex_;
  std::unique_ptr<net::detail::socket_impl> impl_;
};

// Accepts simulated connections. acceptor(ex, endpoint) opens, binds and
// listens; the endpoint's address must be unspecified or the host's own.
class acceptor {
 public:
  using executor_type = asio::any_io_executor;
  using protocol_type = asio::ip::tcp;
  using endpoint_type = asio::ip::tcp::endpoint;

  template <class Executor>
    requires(!std::is_convertible_v<Executor&, asio::execution_context&>)
  explicit acceptor(const Executor& ex) : ex_(ex), impl_(std::make_unique<net::detail::acceptor_impl>()) {
    auto [ns, host] = net::detail::locate(ex);
    impl_->ns = ns;
    impl_->host = host;
  }
  template <class Executor>
    requires(!std::is_convertible_v<Executor&, asio::execution_context&>)
  acceptor(const Executor& ex, const endpoint_type& ep, bool /*reuse_address*/ = true) : acceptor(ex) {
    open(ep.protocol());
    bind(ep);
    listen();
  }
  template <class ExecutionContext>
    requires std::is_convertible_v<ExecutionContext&, asio::execution_context&>
  explicit acceptor(ExecutionContext& ctx) : acceptor(ctx.get_executor()) {}
  template <class ExecutionContext>
    requires std::is_convertible_v<ExecutionContext&, asio::execution_context&>
  acceptor(ExecutionContext& ctx, const endpoint_type& ep) : acceptor(ctx.get_executor(), ep) {}

  acceptor(acceptor&&) noexcept = default;
  acceptor& operator=(acceptor&& other) noexcept {
    if (this != &other) {
      close_quietly();
      ex_ = std::move(other.ex_);
      impl_ = std::move(other.impl_);
    }
    return *this;
  }
  ~acceptor() { close_quietly(); }

  executor_type get_executor() noexcept { return ex_; }

  void open(const protocol_type& = asio::ip::tcp::v4()) {
    if (!impl_->open) net::detail::acceptor_open(*impl_->ns, *impl_);
  }
  bool is_open() const noexcept { return impl_ && impl_->open; }
  void bind(const endpoint_type& ep) {
    boost::system::error_code ec;
    bind(ep, ec);
    detail::throw_if(ec, "bind");
  }
  void bind(const endpoint_type& ep, boost::system::error_code& ec) { net::detail::acceptor_bind(*impl_, ep, ec); }
  void listen(int /*backlog*/ = asio::socket_base::max_listen_connections) {
    boost::system::error_code ec;
    listen(0, ec);
    detail::throw_if(ec, "listen");
  }
  void listen(int, boost::system::error_code& ec) { net::detail::acceptor_listen(*impl_, ec); }
  void close() { net::detail::acceptor_close(*impl_); }
  void close(boost::system::error_code& ec) {
    ec = {};
    close();
  }
  void cancel() { net::detail::acceptor_cancel(*impl_); }
  endpoint_type local_endpoint() const { return impl_->local; }
  endpoint_type local_endpoint(boost::system::error_code& ec) const {
    ec = {};
    return impl_->local;
  }
  template <class Option>
  void set_option(const Option&) {}
  template <class Option>
  void set_option(const Option&, boost::system::error_code& ec) {
    ec = {};
  }

  // Accepts into s (which must not be open).
  template <class Token = asio::default_completion_token_t<executor_type>>
  auto async_accept(socket& s, Token&& token = asio::default_completion_token_t<executor_type>()) {
    return asio::async_initiate<Token, void(boost::system::error_code)>(initiate_accept{this}, token, &s);
  }
  // Accepts a new socket on this acceptor's executor: void(error_code, socket).
  template <class Token = asio::default_completion_token_t<executor_type>>
    requires(!std::is_same_v<std::decay_t<Token>, socket>)
  auto async_accept(Token&& token = asio::default_completion_token_t<executor_type>()) {
    return asio::async_initiate<Token, void(boost::system::error_code, socket)>(initiate_accept_move{this}, token);
  }

 private:
  void close_quietly() noexcept {
    if (impl_ && impl_->ns) net::detail::acceptor_close(*impl_);
  }
  net::detail::sd::scheduler& sched() const { return *impl_->ns->sched; }

  struct initiate_accept {
    using executor_type = acceptor::executor_type;
    acceptor* self;
    executor_type get_executor() const noexcept { return self->ex_; }
    template <class Handler>
    void operator()(Handler&& h, socket* s) const {
      auto* op = net::detail::make_io_op<net::detail::invoke_ec>(self->sched(), std::forward<Handler>(h), self->ex_,
                                                                 net::detail::io_kind::accept);
      net::detail::acceptor_accept(*self->impl_, s->impl(), op);
    }
  };

  // Keeps the new socket next to the handler, and hands it over on completion.
  template <class Handler>
  struct accept_move_handler {
    Handler handler;
    std::unique_ptr<socket> peer;
    void operator()(boost::system::error_code ec) { std::move(handler)(ec, std::move(*peer)); }
  };
  template <class Handler>
  friend struct accept_move_handler_access;

  struct initiate_accept_move {
    using executor_type = acceptor::executor_type;
    acceptor* self;
    executor_type get_executor() const noexcept { return self->ex_; }
    template <class Handler>
    void operator()(Handler&& h) const {
      auto peer = std::make_unique<socket>(self->ex_);
      socket* target = peer.get();
      using wrapped = accept_move_handler<std::decay_t<Handler>>;
      auto* op = net::detail::make_io_op<net::detail::invoke_ec>(
          self->sched(), wrapped{std::forward<Handler>(h), std::move(peer)}, self->ex_, net::detail::io_kind::accept);
      net::detail::acceptor_accept(*self->impl_, target->impl(), op);
    }
  };

 public:
  template <class Handler>
  using accept_move_handler_t = accept_move_handler<Handler>;

 private:
  executor_type ex_;
  std::unique_ptr<net::detail::acceptor_impl> impl_;
};

// Resolves host names of the simulated network (and dotted addresses).
class resolver {
 public:
  using executor_type = asio::any_io_executor;
  using results_type = asio::ip::tcp::resolver::results_type;

  template <class Executor>
  explicit resolver(const Executor& ex) : ex_(ex), ns_(net::detail::locate(ex).first) {}

  executor_type get_executor() noexcept { return ex_; }

  results_type resolve(const std::string& host, const std::string& service) {
    boost::system::error_code ec;
    auto r = resolve(host, service, ec);
    detail::throw_if(ec, "resolve");
    return r;
  }
  results_type resolve(const std::string& host, const std::string& service, boost::system::error_code& ec);

  template <class Token = asio::default_completion_token_t<executor_type>>
  auto async_resolve(const std::string& host, const std::string& service,
                     Token&& token = asio::default_completion_token_t<executor_type>()) {
    return asio::async_initiate<Token, void(boost::system::error_code, results_type)>(
        [this](auto&& handler, std::string h, std::string s) {
          boost::system::error_code ec;
          results_type r = resolve(h, s, ec);
          auto ex = asio::get_associated_executor(handler, ex_);
          asio::post(ex, [hd = std::forward<decltype(handler)>(handler), ec, r = std::move(r)]() mutable {
            std::move(hd)(ec, std::move(r));
          });
        },
        token, host, service);
  }

 private:
  executor_type ex_;
  net::detail::network_state* ns_;
};

}  // namespace simloop::net::tcp

// The accepted-socket wrapper keeps the user's handler's executor,
// allocator and cancellation slot.
template <template <class, class> class Associator, class Handler, class DefaultCandidate>
struct boost::asio::associator<Associator, simloop::net::tcp::acceptor::accept_move_handler_t<Handler>,
                               DefaultCandidate> : Associator<Handler, DefaultCandidate> {
  static typename Associator<Handler, DefaultCandidate>::type get(
      const simloop::net::tcp::acceptor::accept_move_handler_t<Handler>& h) noexcept {
    return Associator<Handler, DefaultCandidate>::get(h.handler);
  }
  static auto get(const simloop::net::tcp::acceptor::accept_move_handler_t<Handler>& h,
                  const DefaultCandidate& c) noexcept -> decltype(Associator<Handler, DefaultCandidate>::get(h.handler, c)) {
    return Associator<Handler, DefaultCandidate>::get(h.handler, c);
  }
};
