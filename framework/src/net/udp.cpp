// Simulated UDP: each datagram is its own delivery event.
#include <simloop/net/detail/state.hpp>
#include <simloop/net/udp.hpp>

#include <boost/asio/error.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

namespace simloop::net::detail {

namespace error = boost::asio::error;

namespace {

void deliver_to(udp_impl& u, const char* data, std::size_t size, const asio::ip::udp::endpoint& from) {
  if (io_op* op = u.receives) {
    u.receives = op->next;
    if (!u.receives) u.receives_tail = nullptr;
    std::size_t n = std::min(size, op->size);
    if (n) std::memcpy(op->data, data, n);
    *static_cast<asio::ip::udp::endpoint*>(op->target) = from;
    complete_io(*u.ns->sched, op, {}, n);
    return;
  }
  if (u.queue_head == u.queue.size()) {
    u.queue.clear();
    u.queue_head = 0;
  }
  u.queue.push_back(udp_impl::datagram{std::vector<char>(data, data + size), from});
}

void datagram_due(event_op* ev) {
  network_state& ns = *ev->ns;
  auto to_host = static_cast<std::uint32_t>(ev->a >> 16);
  auto to_port = static_cast<std::uint16_t>(ev->a & 0xffff);
  auto from_host = static_cast<std::uint32_t>(ev->b >> 16);
  auto from_port = static_cast<std::uint16_t>(ev->b & 0xffff);
  if (ns.net->partitioned(from_host, to_host)) return;  // dropped
  host* h = ns.net->find_host(to_host);
  if (to_host && (!h || !h->up())) return;
  auto it = ns.udp_bound.find({to_host, to_port});
  if (it == ns.udp_bound.end()) return;
  asio::ip::udp::endpoint from(ns.address_of(from_host), from_port);
  deliver_to(*it->second, ev->payload.data(), ev->payload.size(), from);
}

}  // namespace

void udp_open(network_state& ns, udp_impl& u) {
  u.ns = &ns;
  u.open = true;
  ns.udps.push(&u);
}

void udp_bind(udp_impl& u, const asio::ip::udp::endpoint& ep, boost::system::error_code& ec) {
  ec = {};
  network_state& ns = *u.ns;
  if (!u.open) udp_open(ns, u);
  auto own = ns.address_of(u.host);
  if (!ep.address().is_unspecified() && ep.address() != own) {
    ec = boost::system::errc::make_error_code(boost::system::errc::address_not_available);
    return;
  }
  std::uint16_t port = ep.port() ? ep.port() : ns.ephemeral_port(u.host);
  if (!ns.udp_bound.emplace(std::pair{u.host, port}, &u).second) {
    ec = error::address_in_use;
    return;
  }
  if (u.bound) ns.udp_bound.erase({u.host, u.local.port()});
  u.bound = true;
  u.local = asio::ip::udp::endpoint(own, port);
}

void udp_cancel(udp_impl& u) noexcept {
  if (!u.ns) return;
  while (io_op* op = u.receives) {
    u.receives = op->next;
    complete_io(*u.ns->sched, op, error::operation_aborted, 0);
  }
  u.receives_tail = nullptr;
}

void udp_close(udp_impl& u) noexcept {
  if (!u.open || !u.ns) return;
  udp_cancel(u);
  if (u.bound) u.ns->udp_bound.erase({u.host, u.local.port()});
  u.queue.clear();
  u.queue_head = 0;
  u.open = u.bound = false;
  u.ns->udps.erase(&u);
}

void udp_send_to(udp_impl& u, const asio::ip::udp::endpoint& to, io_op* op) {
  network_state& ns = *u.ns;
  if (!u.open) udp_open(ns, u);
  if (!u.bound) {
    boost::system::error_code ec;
    udp_bind(u, asio::ip::udp::endpoint(), ec);
  }
  host* dest = ns.net->find_host(to.address());
  std::uint32_t to_host = dest ? dest->id() : (to.address().is_loopback() ? 0 : ~0u);
  if (to_host != ~0u) {
    ns.maybe_fault(u.host, to_host, nullptr);
    const link_options& l = ns.net->link(u.host, to_host);
    int copies = 1;
    if (l.udp_loss_permille && ns.sched->decide(1000) >= 1000 - l.udp_loss_permille) copies = 0;
    if (copies && l.udp_duplicate_permille && ns.sched->decide(1000) >= 1000 - l.udp_duplicate_permille) copies = 2;
    for (int i = 0; i < copies; ++i) {
      event_op* ev = arm_event(ns, ns.misc_timer, ns.sched->now() + ns.latency(u.host, to_host), &datagram_due, nullptr);
      ev->a = (std::uint64_t{to_host} << 16) | to.port();
      ev->b = (std::uint64_t{u.host} << 16) | u.local.port();
      ev->payload.assign(static_cast<const char*>(op->data), static_cast<const char*>(op->data) + op->size);
    }
  }
  // Sending never waits: the datagram left (or was lost on the way).
  complete_io(*ns.sched, op, {}, op->size);
}

void udp_receive_from(udp_impl& u, io_op* op) {
  network_state& ns = *u.ns;
  if (!u.open || !u.bound) return complete_io(*ns.sched, op, error::bad_descriptor, 0);
  if (u.queue_head < u.queue.size()) {
    udp_impl::datagram d = std::move(u.queue[u.queue_head++]);
    std::size_t n = std::min(d.data.size(), op->size);
    if (n) std::memcpy(op->data, d.data.data(), n);
    *static_cast<asio::ip::udp::endpoint*>(op->target) = d.from;
    return complete_io(*ns.sched, op, {}, n);
  }
  op->owner = &u;
  op->next = nullptr;
  if (u.receives_tail) u.receives_tail->next = op;
  else u.receives = op;
  u.receives_tail = op;
}

}  // namespace simloop::net::detail

namespace simloop::net::udp {

std::string socket::describe_pending() const {
  if (!impl_ || !impl_->receives) return {};
  return fmt::format("waiting on receive_from at {}:{}", impl_->local.address().to_string(), impl_->local.port());
}

}  // namespace simloop::net::udp
