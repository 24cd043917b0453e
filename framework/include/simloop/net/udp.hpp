// simloop/net/udp.hpp: simulated UDP sockets with Asio's interface.
#pragma once

#include <simloop/net/detail/state.hpp>
#include <simloop/net/tcp.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/udp.hpp>

#include <memory>
#include <string>
#include <type_traits>

namespace simloop::net::udp {

using endpoint = asio::ip::udp::endpoint;

// A datagram socket on the simulated network. Each datagram is delivered
// after its own seeded latency (so datagrams reorder), and may be lost or
// duplicated as the link's options say; datagrams across a partition are
// dropped. A datagram larger than the receive buffer is truncated.
class socket {
 public:
  using executor_type = asio::any_io_executor;
  using protocol_type = asio::ip::udp;
  using endpoint_type = asio::ip::udp::endpoint;

  template <class Executor>
    requires(!std::is_convertible_v<Executor&, asio::execution_context&>)
  explicit socket(const Executor& ex) : ex_(ex), impl_(std::make_unique<net::detail::udp_impl>()) {
    auto [ns, host] = net::detail::locate(ex);
    impl_->ns = ns;
    impl_->host = host;
  }
  // Opens and binds.
  template <class Executor>
    requires(!std::is_convertible_v<Executor&, asio::execution_context&>)
  socket(const Executor& ex, const endpoint_type& ep) : socket(ex) {
    open(ep.protocol());
    bind(ep);
  }
  socket(socket&&) noexcept = default;
  socket& operator=(socket&& o) noexcept {
    if (this != &o) {
      close_quietly();
      ex_ = std::move(o.ex_);
      impl_ = std::move(o.impl_);
    }
    return *this;
  }
  ~socket() { close_quietly(); }

  executor_type get_executor() noexcept { return ex_; }
  void open(const protocol_type& = asio::ip::udp::v4()) {
    if (!impl_->open) net::detail::udp_open(*impl_->ns, *impl_);
  }
  bool is_open() const noexcept { return impl_ && impl_->open; }
  void bind(const endpoint_type& ep) {
    boost::system::error_code ec;
    bind(ep, ec);
    tcp::detail::throw_if(ec, "bind");
  }
  void bind(const endpoint_type& ep, boost::system::error_code& ec) { net::detail::udp_bind(*impl_, ep, ec); }
  void close() { net::detail::udp_close(*impl_); }
  void cancel() { net::detail::udp_cancel(*impl_); }
  endpoint_type local_endpoint() const { return impl_->local; }
  template <class Option>
  void set_option(const Option&) {}

  std::string describe_pending() const;

  template <class ConstBuffers, class Token = asio::default_completion_token_t<executor_type>>
  auto async_send_to(const ConstBuffers& buffers, const endpoint_type& to,
                     Token&& token = asio::default_completion_token_t<executor_type>()) {
    // A datagram is the whole sequence: gather it now.
    std::vector<char> data(asio::buffer_size(buffers));
    asio::buffer_copy(asio::buffer(data), buffers);
    return asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(initiate_send{this}, token,
                                                                                      std::move(data), to);
  }

  template <class MutableBuffers, class Token = asio::default_completion_token_t<executor_type>>
  auto async_receive_from(const MutableBuffers& buffers, endpoint_type& from,
                          Token&& token = asio::default_completion_token_t<executor_type>()) {
    return asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
        initiate_receive{this}, token, tcp::detail::first_buffer<MutableBuffers, asio::mutable_buffer>(buffers),
        &from);
  }

 private:
  void close_quietly() noexcept {
    if (impl_ && impl_->ns) net::detail::udp_close(*impl_);
  }
  net::detail::sd::scheduler& sched() const { return *impl_->ns->sched; }

  struct initiate_send {
    using executor_type = socket::executor_type;
    socket* self;
    executor_type get_executor() const noexcept { return self->ex_; }
    template <class Handler>
    void operator()(Handler&& h, std::vector<char> data, const endpoint_type& to) const {
      auto* op = net::detail::make_io_op<net::detail::invoke_ec_size>(self->sched(), std::forward<Handler>(h),
                                                                      self->ex_, net::detail::io_kind::send_to);
      op->data = data.data();
      op->size = data.size();
      net::detail::udp_send_to(*self->impl_, to, op);  // copies the bytes before returning
    }
  };
  struct initiate_receive {
    using executor_type = socket::executor_type;
    socket* self;
    executor_type get_executor() const noexcept { return self->ex_; }
    template <class Handler>
    void operator()(Handler&& h, asio::mutable_buffer b, endpoint_type* from) const {
      auto* op = net::detail::make_io_op<net::detail::invoke_ec_size>(self->sched(), std::forward<Handler>(h),
                                                                      self->ex_, net::detail::io_kind::receive_from);
      op->data = b.data();
      op->size = b.size();
      op->target = from;
      net::detail::udp_receive_from(*self->impl_, op);
    }
  };

  executor_type ex_;
  std::unique_ptr<net::detail::udp_impl> impl_;
};

}  // namespace simloop::net::udp
