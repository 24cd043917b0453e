// simloop/net/network.hpp: the simulated network's hosts, links and faults.
#pragma once

#include <simloop/simulation.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace simloop::net {

class network;
namespace detail {
struct network_state;
}

// A simulated machine. Its identity travels in its executor: sockets created
// from a host's executor belong to that host, and so do tasks spawned on it.
class host {
 public:
  simulation::executor_type get_executor() const noexcept;
  asio::ip::address address() const { return address_; }
  const std::string& name() const { return name_; }
  std::uint32_t id() const noexcept { return id_; }
  // False between crash() and restart().
  bool up() const noexcept { return up_; }

 private:
  friend class network;
  host(network& net, std::uint32_t id, std::string name, asio::ip::address address)
      : net_(&net), id_(id), name_(std::move(name)), address_(address) {}

  network* net_;
  std::uint32_t id_;
  std::string name_;
  asio::ip::address address_;
  bool up_ = true;
};

// How a link (one direction between two hosts) delivers. Every random value
// is a recorded decision (scheduler::decide): 0, what fifo always takes, is
// the gentlest choice (min latency, whole reads, no loss).
struct link_options {
  // Each TCP write / UDP datagram arrives after a latency drawn uniformly in
  // [min_latency, max_latency] (1 us steps). TCP keeps byte order.
  std::chrono::nanoseconds min_latency = std::chrono::microseconds(100);
  std::chrono::nanoseconds max_latency = std::chrono::milliseconds(2);
  // A read_some returns a seeded part (down to 1 byte) of what is available,
  // about half of the time, to expose framing bugs.
  bool partial_reads = true;
  // Bytes written but not yet read by the peer, per direction; a write_some
  // beyond it waits (backpressure).
  std::size_t window = 64 * 1024;
  // UDP: per datagram, in 1/1000: lost, delivered twice. Reordering comes
  // from each datagram's own latency.
  unsigned udp_loss_permille = 0;
  unsigned udp_duplicate_permille = 0;
};

// Faults the strategy may draw at random (off by default). Each TCP segment
// and UDP datagram sent draws one decision; one in fault_one_in starts a
// fault on its link: a partition of that link, a clog, or a reset of the
// connection (TCP), for a duration drawn in [1 ms, max_fault_duration].
struct fault_options {
  bool random_faults = false;
  std::uint64_t fault_one_in = 1000;
  std::chrono::nanoseconds max_fault_duration = std::chrono::seconds(2);
  // Random clock skew (off by default): each host's clock gets an offset
  // drawn in [-max_clock_offset, +max_clock_offset] (1 us steps) and a drift
  // in [-max_clock_drift_ppm, +max_clock_drift_ppm], recorded decisions
  // (choice 0: no skew), drawn for every host when set_faults() is called
  // and for every host added after.
  std::chrono::nanoseconds max_clock_offset = std::chrono::nanoseconds(0);
  std::uint32_t max_clock_drift_ppm = 0;
};

// How a host's clock differs from the simulation's: at simulation time t it
// reads offset + t + t * drift_ppm / 1e6. simloop::clock::now(), timer
// expiries and sleeps in the host's tasks use it.
struct clock_skew {
  std::chrono::nanoseconds offset = std::chrono::nanoseconds(0);
  std::int32_t drift_ppm = 0;  // > -1,000,000
};

// Owned by the simulation (simulation::network()).
class network {
 public:
  explicit network(simulation& sim);
  network(const network&) = delete;
  network& operator=(const network&) = delete;
  ~network();

  simulation& sim() const noexcept { return sim_; }

  // ---- hosts ----
  // Adds a host; throws std::invalid_argument if the name or the address is
  // already taken.
  host& add_host(std::string name, asio::ip::address address);
  // The host with that address or name, or null.
  host* find_host(const asio::ip::address& address) noexcept;
  host* find_host(const std::string& name) noexcept;
  host* find_host(std::uint32_t id) noexcept;
  // A host name or a dotted address: the host's TCP endpoint at port; throws
  // boost::system::system_error(asio::error::host_not_found).
  asio::ip::tcp::endpoint resolve(const std::string& name, std::uint16_t port);

  // ---- links ----
  // Every link's options (links without their own).
  void set_default_link(const link_options& o) { default_link_ = o; }
  const link_options& default_link() const noexcept { return default_link_; }
  // The link from -> to (one direction).
  void set_link(const host& from, const host& to, const link_options& o);
  const link_options& link(std::uint32_t from, std::uint32_t to) const noexcept;
  // Also draws random clock skew for every host (fault_options::max_clock_*).
  void set_faults(const fault_options& f);
  const fault_options& faults() const noexcept { return faults_; }

  // ---- faults (each is logged in events()) ----
  // Traffic between a and b (both directions) is held, not lost, until heal();
  // the connections stay up. UDP datagrams across a partition are dropped.
  void partition(const host& a, const host& b);
  // Traffic from `from` to `to` is held until heal().
  void partition_oneway(const host& from, const host& to);
  // Undoes every partition; held traffic is delivered (after a latency).
  void heal();
  // Undoes the partition between a and b (both directions).
  void heal(const host& a, const host& b);
  bool partitioned(const host& from, const host& to) const noexcept;
  bool partitioned(std::uint32_t from, std::uint32_t to) const noexcept;
  // Adds `extra` latency to everything sent from -> to (clog_link) or from or
  // to h (clog_host), until unclog().
  void clog_link(const host& from, const host& to, std::chrono::nanoseconds extra);
  void clog_host(const host& h, std::chrono::nanoseconds extra);
  void unclog();
  // Resets every TCP connection between a and b: pending and later reads and
  // writes on both ends fail with connection_reset.
  void reset_connections(const host& a, const host& b);
  // The host's tasks are destroyed (handlers dropped, coroutine frames
  // unwound), its sockets reset for their peers, its listeners and UDP
  // sockets gone; connects to it fail with host_unreachable until restart.
  // A task parked where the simulation cannot reach it (an
  // asio::experimental::channel that outlives the host) never runs again:
  // what completes it later is destroyed instead of run.
  // Must not be called from one of the host's own tasks.
  void crash(host&);
  // Boots a crashed host again: boot() is spawned on the host's executor.
  void restart(host&, std::function<asio::awaitable<void>()> boot);

  // ---- clock skew (off by default) ----
  // From now on the host's clock reads offset + t + t * drift / 1e6 at
  // simulation time t: simloop::clock::now() in its tasks, and the deadlines
  // of the timers and sleeps they arm, are on that clock. A steady clock's
  // offset shows only where times cross hosts (a lease expiry sent to a
  // peer); a drift makes every duration on the host longer or shorter.
  // Waits already armed keep their deadline. Logged in events().
  void skew_clock(const host& h, clock_skew skew);
  clock_skew clock_of(const host& h) const noexcept;

  // A line per fault, "t=+1.000s step 12: partition a <-> b", in order. Not
  // a finding: a log to read next to the trace.
  const std::vector<std::string>& events() const noexcept { return events_; }

  // ---- for detectors ----
  // What the task on `lane` waits for on the network, e.g. "waiting on read
  // from 10.0.0.2:80", or empty. One entry per pending socket operation.
  struct pending_wait {
    std::uint32_t lane;
    std::string what;
  };
  std::vector<pending_wait> pending_waits() const;
  // Every socket, acceptor and UDP socket still open, e.g. "tcp socket
  // 10.0.0.1:49152 -> 10.0.0.2:80 (host client)", in opening order.
  std::vector<std::string> open_objects() const;

  detail::network_state& state() noexcept { return *state_; }
  void log(std::string what);

 private:
  void destroy_tasks_of(std::uint32_t host_id);
  void draw_clock_skew(const host& h);

  simulation& sim_;
  std::deque<host> hosts_;  // stable addresses; insertion order; id = index + 1
  std::vector<std::pair<std::uint32_t, std::uint32_t>> cuts_;
  link_options default_link_;
  struct link_override {
    std::uint32_t from, to;
    link_options o;
  };
  std::vector<link_override> links_;
  fault_options faults_;
  std::vector<std::string> events_;
  std::unique_ptr<detail::network_state> state_;
};

}  // namespace simloop::net
