// simloop/net/network.hpp: the simulated network's hosts and faults.
#pragma once

#include <simloop/simulation.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/address.hpp>

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>

namespace simloop::net {

class network;

// A simulated machine. Its identity travels in its executor: sockets created
// from a host's executor belong to that host.
class host {
 public:
  simulation::executor_type get_executor() const noexcept;
  asio::ip::address address() const { return address_; }
  const std::string& name() const { return name_; }
  std::uint32_t id() const noexcept { return id_; }

 private:
  friend class network;
  host(network& net, std::uint32_t id, std::string name, asio::ip::address address)
      : net_(&net), id_(id), name_(std::move(name)), address_(address) {}

  network* net_;
  std::uint32_t id_;
  std::string name_;
  asio::ip::address address_;
};

// Owned by the simulation (simulation::network()).
class network {
 public:
  explicit network(simulation& sim);
  network(const network&) = delete;
  network& operator=(const network&) = delete;
  ~network();

  simulation& sim() const noexcept { return sim_; }

  // Adds a host; throws std::invalid_argument if the name or the address is
  // already taken.
  host& add_host(std::string name, asio::ip::address address);
  // The host with that address or name, or null.
  host* find_host(const asio::ip::address& address) noexcept;
  host* find_host(const std::string& name) noexcept;

  // Traffic between a and b (both directions) is held until heal().
  void partition(const host& a, const host& b);
  // Traffic from a to b is held until heal().
  void partition_oneway(const host& from, const host& to);
  // Undoes every partition.
  void heal();
  bool partitioned(const host& from, const host& to) const noexcept;
  // The host's tasks are destroyed and its sockets reset.
  void crash(host&);
  // Boots a crashed host again: boot() is spawned on the host's executor.
  void restart(host&, std::function<asio::awaitable<void>()> boot);

 private:
  simulation& sim_;
  std::deque<host> hosts_;  // stable addresses; insertion order
  std::vector<std::pair<std::uint32_t, std::uint32_t>> cuts_;
};

}  // namespace simloop::net
