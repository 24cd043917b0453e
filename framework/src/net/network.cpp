#include <simloop/net/network.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

namespace simloop::net {

simulation::executor_type host::get_executor() const noexcept {
  return net_->sim().get_executor().with_host(id_);
}

network::network(simulation& sim) : sim_(sim) {}
network::~network() = default;

host& network::add_host(std::string name, asio::ip::address address) {
  for (const host& h : hosts_) {
    if (h.name() == name) throw std::invalid_argument(fmt::format("simloop::net: host name '{}' is already taken", name));
    if (h.address() == address)
      throw std::invalid_argument(fmt::format("simloop::net: address {} is already taken by host '{}'",
                                              address.to_string(), h.name()));
  }
  auto id = static_cast<std::uint32_t>(hosts_.size() + 1);
  hosts_.push_back(host(*this, id, std::move(name), address));
  return hosts_.back();
}

host* network::find_host(const asio::ip::address& address) noexcept {
  for (host& h : hosts_)
    if (h.address() == address) return &h;
  return nullptr;
}

host* network::find_host(const std::string& name) noexcept {
  for (host& h : hosts_)
    if (h.name() == name) return &h;
  return nullptr;
}

void network::partition(const host& a, const host& b) {
  partition_oneway(a, b);
  partition_oneway(b, a);
}

void network::partition_oneway(const host& from, const host& to) {
  if (!partitioned(from, to)) cuts_.emplace_back(from.id(), to.id());
}

void network::heal() { cuts_.clear(); }

bool network::partitioned(const host& from, const host& to) const noexcept {
  return std::find(cuts_.begin(), cuts_.end(), std::pair{from.id(), to.id()}) != cuts_.end();
}

void network::crash(host& h) {
  throw std::logic_error(fmt::format("simloop::net::network::crash({}): host crashes are not implemented yet", h.name()));
}

void network::restart(host& h, std::function<asio::awaitable<void>()>) {
  throw std::logic_error(fmt::format("simloop::net::network::restart({}): host restarts are not implemented yet", h.name()));
}

}  // namespace simloop::net
