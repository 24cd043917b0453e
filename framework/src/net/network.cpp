#include <simloop/net/detail/state.hpp>
#include <simloop/detail/time_text.hpp>
#include <simloop/net/network.hpp>
#include <simloop/net/tcp.hpp>
#include <simloop/net/udp.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/error.hpp>
#include <boost/system/system_error.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

namespace simloop::net {

using simloop::detail::format_time;

simulation::executor_type host::get_executor() const noexcept {
  return net_->sim().get_executor().with_host(id_);
}

network::network(simulation& sim) : sim_(sim), state_(std::make_unique<detail::network_state>()) {
  state_->net = this;
  state_->sched = &sim.scheduler();
  sim.scheduler().set_teardown_hook(
      [](void* ns) { return detail::destroy_pending_io(*static_cast<detail::network_state*>(ns)); }, state_.get());
  sim.scheduler().set_timer_lookahead(&detail::event_op::do_complete, &detail::look_ahead_event);
}

network::~network() {
  detail::network_state& ns = *state_;
  sim_.scheduler().set_teardown_hook(nullptr, nullptr);
  sim_.scheduler().set_timer_lookahead(nullptr, nullptr);
  // I/O objects that outlive the network become inert.
  for (auto* s = ns.sockets.head; s; s = s->next) {
    s->ns = nullptr;
    if (s->conn)
      for (auto& p : s->conn->dir) p.ns = nullptr;
  }
  for (auto* a = ns.acceptors.head; a; a = a->next) {
    a->ns = nullptr;
    for (auto& c : a->backlog)
      if (c)
        for (auto& p : c->dir) p.ns = nullptr;
  }
  for (auto* u = ns.udps.head; u; u = u->next) u->ns = nullptr;
  if (ns.misc_timer.head) sim_.scheduler().forget(ns.misc_timer);
}

host& network::add_host(std::string name, asio::ip::address address) {
  for (const host& h : hosts_) {
    if (h.name() == name) throw std::invalid_argument(fmt::format("simloop::net: host name '{}' is already taken", name));
    if (h.address() == address)
      throw std::invalid_argument(fmt::format("simloop::net: address {} is already taken by host '{}'",
                                              address.to_string(), h.name()));
  }
  auto id = static_cast<std::uint32_t>(hosts_.size() + 1);
  hosts_.push_back(host(*this, id, std::move(name), address));
  draw_clock_skew(hosts_.back());
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

host* network::find_host(std::uint32_t id) noexcept {
  return id >= 1 && id <= hosts_.size() ? &hosts_[id - 1] : nullptr;
}

asio::ip::tcp::endpoint network::resolve(const std::string& name, std::uint16_t port) {
  if (host* h = find_host(name)) return {h->address(), port};
  boost::system::error_code ec;
  auto addr = asio::ip::make_address(name, ec);
  if (ec) throw boost::system::system_error(asio::error::host_not_found, "resolve " + name);
  return {addr, port};
}

void network::set_link(const host& from, const host& to, const link_options& o) {
  for (auto& l : links_)
    if (l.from == from.id() && l.to == to.id()) {
      l.o = o;
      return;
    }
  links_.push_back(link_override{from.id(), to.id(), o});
}

const link_options& network::link(std::uint32_t from, std::uint32_t to) const noexcept {
  for (const auto& l : links_)
    if (l.from == from && l.to == to) return l.o;
  return default_link_;
}

void network::log(std::string what) {
  auto& s = sim_.scheduler();
  events_.push_back(fmt::format("t={} step {}: {}", format_time(s.now()), s.step(), what));
}

void network::partition(const host& a, const host& b) {
  partition_oneway(a, b);
  partition_oneway(b, a);
}

void network::partition_oneway(const host& from, const host& to) {
  if (partitioned(from, to)) return;
  cuts_.emplace_back(from.id(), to.id());
  log(fmt::format("partition {} -> {}", from.name(), to.name()));
}

namespace {
// Held traffic of links no longer cut goes on, after a fresh latency.
void release_held(network& net, detail::network_state& ns) {
  auto pipes = std::move(ns.held_pipes);
  ns.held_pipes.clear();
  for (detail::pipe* p : pipes) {
    if (net.partitioned(p->from, p->to)) {
      ns.held_pipes.push_back(p);
      continue;
    }
    p->held = false;
    detail::rearm_pipe(*p);
  }
  auto connects = std::move(ns.held_connects);
  ns.held_connects.clear();
  for (detail::socket_impl* s : connects) {
    host* server = net.find_host(s->remote.address());
    if (server && net.partitioned(s->host, server->id())) {
      ns.held_connects.push_back(s);
      continue;
    }
    s->connect_held = false;
    detail::redeliver_connect(*s);
  }
}
}  // namespace

void network::heal() {
  if (cuts_.empty()) return;
  cuts_.clear();
  log("heal every partition");
  release_held(*this, *state_);
}

void network::heal(const host& a, const host& b) {
  auto n = cuts_.size();
  std::erase(cuts_, std::pair{a.id(), b.id()});
  std::erase(cuts_, std::pair{b.id(), a.id()});
  if (n == cuts_.size()) return;
  log(fmt::format("heal {} <-> {}", a.name(), b.name()));
  release_held(*this, *state_);
}

bool network::partitioned(const host& from, const host& to) const noexcept { return partitioned(from.id(), to.id()); }

bool network::partitioned(std::uint32_t from, std::uint32_t to) const noexcept {
  if (cuts_.empty()) return false;
  return std::find(cuts_.begin(), cuts_.end(), std::pair{from, to}) != cuts_.end();
}

void network::clog_link(const host& from, const host& to, std::chrono::nanoseconds extra) {
  state_->clogs.push_back({from.id(), to.id(), extra});
  log(fmt::format("clog {} -> {} by {}us", from.name(), to.name(), extra.count() / 1000));
}

void network::clog_host(const host& h, std::chrono::nanoseconds extra) {
  state_->clogs.push_back({h.id(), 0, extra});
  state_->clogs.push_back({0, h.id(), extra});
  log(fmt::format("clog {} by {}us", h.name(), extra.count() / 1000));
}

void network::unclog() {
  if (state_->clogs.empty()) return;
  state_->clogs.clear();
  log("unclog");
}

void network::reset_connections(const host& a, const host& b) {
  log(fmt::format("reset connections {} <-> {}", a.name(), b.name()));
  std::vector<std::shared_ptr<detail::connection>> doomed;
  for (auto* s = state_->sockets.head; s; s = s->next) {
    if (!s->conn) continue;
    auto f = s->conn->dir[0].from, t = s->conn->dir[0].to;
    if ((f == a.id() && t == b.id()) || (f == b.id() && t == a.id())) doomed.push_back(s->conn);
  }
  for (auto& c : doomed) detail::reset_connection(*c);
}

void network::crash(host& h) {
  if (!h.up_) return;
  auto& sched = sim_.scheduler();
  if (sched.in_step() && sched.current_lane() && sched.tasks()[sched.current_lane()].host == h.id())
    throw std::logic_error(fmt::format("simloop::net::network::crash({}): called from one of the host's own tasks",
                                       h.name()));
  log(fmt::format("crash {}", h.name()));
  h.up_ = false;
  detail::crash_io(*state_, h.id());
  destroy_tasks_of(h.id());
  // What is left of the host's tasks is parked out of the simulation's
  // reach (an asio::experimental::channel that outlives the host): when
  // that completes them, their work is destroyed instead of run.
  sched.mark_host_crashed(h.id());
}

void network::destroy_tasks_of(std::uint32_t host_id) {
  struct ctx_t {
    const detail::sd::task_registry* tasks;
    std::uint32_t host;
  } ctx{&sim_.scheduler().tasks(), host_id};
  auto pred = [](void* c, const detail::sd::operation* op) {
    auto* x = static_cast<ctx_t*>(c);
    if (detail::is_event_op(op) || op->lane_ == 0 || op->lane_ > x->tasks->size()) return false;
    const auto& rec = (*x->tasks)[op->lane_];
    return rec.host == x->host;
  };
  // Its tasks parked in simloop's primitives (an event, a mutex, a queue of
  // the body's, ...) too: they would otherwise be resumed on a host that is
  // down, or be granted a lock nobody releases.
  auto lane_pred = [](void* c, std::uint32_t lane) {
    auto* x = static_cast<ctx_t*>(c);
    return lane != 0 && lane <= x->tasks->size() && (*x->tasks)[lane].host == x->host;
  };
  // Destroying a handler unwinds its coroutines through their executor (more
  // ops of the same lanes): repeat until none is left.
  while (sim_.scheduler().destroy_if(pred, &ctx) + sim_.scheduler().discard_parked_if(lane_pred, &ctx) != 0) {
  }
}

void network::restart(host& h, std::function<asio::awaitable<void>()> boot) {
  if (h.up_) throw std::logic_error(fmt::format("simloop::net::network::restart({}): the host is up", h.name()));
  h.up_ = true;
  log(fmt::format("restart {}", h.name()));
  if (boot) asio::co_spawn(h.get_executor(), boot(), asio::detached);
}

std::vector<network::pending_wait> network::pending_waits() const {
  std::vector<pending_wait> out;
  auto lane_of = [](const detail::io_op* op) { return op->handler_lane; };
  for (auto* s = state_->sockets.head; s; s = s->next) {
    std::string what = detail::socket_describe(*s);
    if (what.empty()) continue;
    const detail::io_op* op = s->read_op ? s->read_op : s->write_op ? s->write_op : s->connect_op;
    out.push_back({lane_of(op), std::move(what)});
  }
  for (auto* a = state_->acceptors.head; a; a = a->next)
    for (auto* op = a->accepts; op; op = op->next)
      out.push_back({lane_of(op), fmt::format("waiting on accept at {}:{}", a->local.address().to_string(),
                                              a->local.port())});
  for (auto* u = state_->udps.head; u; u = u->next)
    for (auto* op = u->receives; op; op = op->next)
      out.push_back({lane_of(op), fmt::format("waiting on receive_from at {}:{}", u->local.address().to_string(),
                                              u->local.port())});
  return out;
}

std::vector<std::string> network::open_objects() const {
  std::vector<std::string> out;
  auto host_name = [this](std::uint32_t id) -> std::string {
    for (const host& h : hosts_)
      if (h.id() == id) return h.name();
    return "?";
  };
  for (auto* s = state_->sockets.head; s; s = s->next) {
    if (!s->open) continue;
    if (s->connected)
      out.push_back(fmt::format("tcp socket {}:{} -> {}:{} (host {})", s->local.address().to_string(), s->local.port(),
                                s->remote.address().to_string(), s->remote.port(), host_name(s->host)));
    else
      out.push_back(fmt::format("tcp socket, not connected (host {})", host_name(s->host)));
  }
  for (auto* a = state_->acceptors.head; a; a = a->next)
    if (a->open)
      out.push_back(fmt::format("tcp acceptor {}:{} (host {})", a->local.address().to_string(), a->local.port(),
                                host_name(a->host)));
  for (auto* u = state_->udps.head; u; u = u->next)
    if (u->open)
      out.push_back(fmt::format("udp socket {}:{} (host {})", u->local.address().to_string(), u->local.port(),
                                host_name(u->host)));
  return out;
}

}  // namespace simloop::net

namespace simloop::net::detail {

asio::ip::address network_state::address_of(std::uint32_t h) const {
  if (host* x = net->find_host(h)) return x->address();
  return asio::ip::address_v4::loopback();
}

std::uint16_t network_state::ephemeral_port(std::uint32_t h) {
  auto [it, fresh] = next_port.emplace(h, std::uint16_t{49152});
  for (;;) {
    std::uint16_t p = it->second;
    it->second = p == 65535 ? 49152 : static_cast<std::uint16_t>(p + 1);
    if (!listeners.count({h, p}) && !udp_bound.count({h, p})) return p;
  }
}

std::chrono::nanoseconds network_state::latency(std::uint32_t from, std::uint32_t to) {
  const link_options& l = net->link(from, to);
  std::chrono::nanoseconds d = l.min_latency;
  if (l.max_latency > l.min_latency) {
    auto steps = static_cast<std::uint64_t>((l.max_latency - l.min_latency).count() / 1000);
    d += std::chrono::microseconds(sched->decide(steps + 1));
  }
  for (const clog& c : clogs)
    if ((c.from == 0 || c.from == from) && (c.to == 0 || c.to == to)) d += c.extra;
  return d;
}

namespace {
void fault_ends(event_op* ev) {
  network& net = *ev->ns->net;
  host* a = net.find_host(static_cast<std::uint32_t>(ev->a));
  host* b = net.find_host(static_cast<std::uint32_t>(ev->b));
  if (!a || !b) return;
  if (ev->payload.empty()) net.heal(*a, *b);
  else net.unclog();
}
}  // namespace

void network_state::maybe_fault(std::uint32_t from, std::uint32_t to, connection*) {
  const fault_options& f = net->faults();
  if (!f.random_faults || f.fault_one_in < 2) return;
  if (sched->decide(f.fault_one_in) != f.fault_one_in - 1) return;
  host* a = net->find_host(from);
  host* b = net->find_host(to);
  if (!a || !b) return;
  auto kind = sched->decide(3);
  auto steps = static_cast<std::uint64_t>(std::max<std::int64_t>(1, f.max_fault_duration.count() / 1'000'000));
  auto dur = std::chrono::milliseconds(1 + sched->decide(steps));
  if (kind == 0) {
    net->log("random fault:");
    net->partition(*a, *b);
    event_op* ev = arm_event(*this, misc_timer, sched->now() + dur, &fault_ends, nullptr);
    ev->a = from;
    ev->b = to;
  } else if (kind == 1) {
    net->log("random fault:");
    net->clog_link(*a, *b, dur);
    event_op* ev = arm_event(*this, misc_timer, sched->now() + dur, &fault_ends, nullptr);
    ev->a = from;
    ev->b = to;
    ev->payload.push_back(1);
  } else {
    net->log("random fault:");
    net->reset_connections(*a, *b);
  }
}

std::size_t destroy_pending_io(network_state& ns) noexcept {
  std::vector<io_op*> doomed;
  auto take = [&](io_op*& op) {
    if (io_op* o = std::exchange(op, nullptr)) doomed.push_back(o);
  };
  for (auto* s = ns.sockets.head; s; s = s->next) {
    take(s->read_op);
    take(s->write_op);
    take(s->connect_op);
  }
  for (auto* a = ns.acceptors.head; a; a = a->next) {
    for (io_op* op = a->accepts; op; op = op->next) doomed.push_back(op);
    a->accepts = a->accepts_tail = nullptr;
  }
  for (auto* u = ns.udps.head; u; u = u->next) {
    for (io_op* op = u->receives; op; op = op->next) doomed.push_back(op);
    u->receives = u->receives_tail = nullptr;
  }
  // Destroying handlers destroys coroutine frames, which close sockets: the
  // lists above must not be walked while that happens.
  for (io_op* op : doomed) {
    op->owner = nullptr;
    op->destroy();
  }
  return doomed.size();
}

void crash_io(network_state& ns, std::uint32_t h) {
  // The host's own pending operations die with its tasks: destroyed, not
  // run, and only after the bookkeeping (destroying a handler may unwind
  // frames that own these I/O objects).
  std::vector<io_op*> doomed;
  auto take = [&](io_op*& op) {
    if (io_op* o = std::exchange(op, nullptr)) doomed.push_back(o);
  };
  std::vector<socket_impl*> socks;
  for (auto* s = ns.sockets.head; s; s = s->next)
    if (s->host == h) socks.push_back(s);
  for (socket_impl* s : socks) {
    take(s->read_op);
    take(s->write_op);
    take(s->connect_op);
    if (s->conn) {
      auto c = s->conn;
      reset_connection(*c);  // the peer sees connection_reset
    }
    socket_close(*s);
  }
  std::vector<acceptor_impl*> accs;
  for (auto* a = ns.acceptors.head; a; a = a->next)
    if (a->host == h) accs.push_back(a);
  for (acceptor_impl* a : accs) {
    for (io_op* op = a->accepts; op; op = op->next) doomed.push_back(op);
    a->accepts = a->accepts_tail = nullptr;
    acceptor_close(*a);
  }
  std::vector<udp_impl*> udps;
  for (auto* u = ns.udps.head; u; u = u->next)
    if (u->host == h) udps.push_back(u);
  for (udp_impl* u : udps) {
    for (io_op* op = u->receives; op; op = op->next) doomed.push_back(op);
    u->receives = u->receives_tail = nullptr;
    udp_close(*u);
  }
  for (io_op* op : doomed) {
    op->owner = nullptr;
    op->destroy();
  }
}

}  // namespace simloop::net::detail
