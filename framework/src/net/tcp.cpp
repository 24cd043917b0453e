// The simulated TCP engine: connections as two ordered byte pipes whose
// bytes are released by delivery events at seeded virtual times.
#include <simloop/net/detail/state.hpp>
#include <simloop/net/tcp.hpp>

#include <boost/asio/error.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

namespace simloop::net::detail {

namespace error = boost::asio::error;
using boost::system::error_code;

// ---- events and completions ------------------------------------------------

void event_op::do_complete(sd::operation* base, bool invoke) {
  auto* self = static_cast<event_op*>(base);
  if (self->fired) sd::note_fired_wait_done();
  sd::op_pool* pool = self->pool_;
  if (self->slot && *self->slot == self) *self->slot = nullptr;
  bool run = invoke && !self->aborted && !self->orphaned;
  if (run) self->fn(self);
  self->~event_op();
  pool->deallocate(self, sizeof(event_op));
}

bool is_event_op(const sd::operation* op) noexcept { return op->complete_ == &event_op::do_complete; }

void orphan_event(event_op*& slot) noexcept {
  if (!slot) return;
  slot->orphaned = true;
  slot->slot = nullptr;
  slot = nullptr;
}

event_op* arm_event(network_state& ns, sd::timer_state& t, std::chrono::nanoseconds at, void (*fn)(event_op*),
                    void* target, event_op** slot) {
  sd::scheduler& s = *ns.sched;
  void* mem = s.pool().allocate(sizeof(event_op));
  auto* op = ::new (mem) event_op();
  op->pool_ = &s.pool();
  op->fn = fn;
  op->target = target;
  op->ns = &ns;
  op->deadline = std::max(at, s.now());
  if (slot) {
    // An earlier event of the owner still queued was aborted (its timer
    // forgotten): it will not run, and no longer needs the owner.
    if (*slot) (*slot)->slot = nullptr;
    *slot = op;
    op->slot = slot;
  }
  s.arm(op, t, 0);
  return op;
}

void complete_io(sd::scheduler& s, io_op* op, error_code ec, std::size_t bytes) {
  // The handler (Asio's composed operation, the awaiting frame's handle)
  // lies past the op's first lines and runs within a few steps: start
  // loading it now, while it is cold (with many connections, it is).
  __builtin_prefetch(reinterpret_cast<const char*>(op) + 128);
  __builtin_prefetch(reinterpret_cast<const char*>(op) + 192);
  op->owner = nullptr;
  op->ec = ec;
  op->bytes = bytes;
  s.enqueue(op, op->handler_lane);
}

// ---- pipes ------------------------------------------------------------------

namespace {

void deliver_due(pipe& p);
void try_read(socket_impl& s);
void try_write(socket_impl& s);

void deliver_event(event_op* ev);

void arm_pipe(pipe& p, std::chrono::nanoseconds at) {
  p.armed = true;
  arm_event(*p.ns, p.timer, at, &deliver_event, &p, &p.delivery);
}

void compact(pipe& p) {
  if (p.read == p.written) {
    p.read = p.delivered = p.written = 0;
    p.segs.for_each([](segment& sg) { sg.end = 0; });
    return;
  }
  if (p.read < 4096 || p.read < p.buf.size() / 2) return;
  std::memmove(p.buf.data(), p.buf.data() + p.read, p.written - p.read);
  p.segs.for_each([&p](segment& sg) { sg.end -= p.read; });
  p.delivered -= p.read;
  p.written -= p.read;
  p.read = 0;
}

// Queues bytes [written - n, written) (or a FIN) for delivery after a latency.
void send_segment(pipe& p, segment_kind kind) {
  network_state& ns = *p.ns;
  // Sockets closed by the teardown send nothing: no decision may be drawn
  // after the run (it would change the trace hash and the choice list).
  if (ns.sched->tearing_down()) return;
  ns.maybe_fault(p.from, p.to, nullptr);
  auto at = std::max(ns.sched->now() + ns.latency(p.from, p.to), p.last_at);
  p.last_at = at;
  p.segs.push_back(segment{p.written, at, ns.sched->step(), kind});
  if (!p.armed && !p.held) arm_pipe(p, at);
}

void deliver_due(pipe& p) {
  network_state& ns = *p.ns;
  // The reader's socket is the next cache miss (try_read): start it now.
  __builtin_prefetch(p.reader);
  p.armed = false;
  if (p.reset) return;
  if (ns.net->partitioned(p.from, p.to)) {
    // Held, not lost: heal() re-arms the delivery.
    if (!p.held) {
      p.held = true;
      ns.held_pipes.push_back(&p);
    }
    return;
  }
  auto now = ns.sched->now();
  bool rst = false, to_closed = false;
  while (!p.segs.empty() && p.segs.front().at <= now) {
    const segment sg = p.segs.front();
    p.segs.pop_front();
    rst |= sg.kind == segment_kind::rst;
    to_closed |= p.reader_closed && sg.end > p.delivered;
    p.delivered = std::max(p.delivered, sg.end);
    p.delivered_step = sg.step;
    if (sg.kind == segment_kind::fin) p.eof = true;
  }
  if (rst) {
    // Fails the pending and later reads and writes of the end still open.
    reset_connection(*p.owner);
    return;
  }
  if (to_closed) {
    // The closed end answers with an RST, behind what it sent before.
    pipe& back = p.owner->dir[&p == &p.owner->dir[0] ? 1 : 0];
    if (!back.rst_sent && !back.reset) {
      back.rst_sent = true;
      send_segment(back, segment_kind::rst);
    }
  }
  if (!p.segs.empty()) arm_pipe(p, p.segs.front().at);
  if (p.reader) try_read(*p.reader);
}

void deliver_event(event_op* ev) { deliver_due(*static_cast<pipe*>(ev->target)); }

// Requests the lines [from, to) of the object at p, for writing.
void prefetch_lines(const void* p, std::size_t from, std::size_t to) noexcept {
  for (std::size_t at = from; at < to; at += 64) __builtin_prefetch(static_cast<const char*>(p) + at, 1);
}

}  // namespace

// A delivery's chain, as deliver_due, try_read, the read's handler and the
// answer's try_write walk it. The scheduler has requested the event and its
// pipe's first two lines; then, a stage per pass over the batch:
//   0: the rest of the pipe (segments, bytes) and the reader's socket;
//   1: the pending read, and all of the pipe the answer goes out on;
//   2: the read's handler (Asio's composed read, the awaitable handler);
//   3, 4, 5: the awaiting task's frames, as pump() walks them: its entry
//      frame, the frame on top of its stack (co_await's initiation) and the
//      frame that one returns to (the user's coroutine: its locals and the
//      co_await's temporaries, some hundreds of bytes in). A coroutine frame
//      starts two words (resume, destroy) before its promise.
void look_ahead_event(sd::wait_op* op, unsigned stage) noexcept {
  auto* ev = static_cast<event_op*>(op);
  if (ev->fn != &deliver_event || ev->orphaned) return;
  const pipe* p = static_cast<const pipe*>(ev->target);
  const socket_impl* s = p->reader;
  if (stage == 0) {
    // The rest of the pipe (segments in flight, the bytes) and the reader.
    prefetch_lines(p, 128, sizeof(pipe));
    if (s) __builtin_prefetch(s, 1);
    return;
  }
  if (!s) return;
  const io_op* read = s->read_op;
  switch (stage) {
    case 1:
      // The read, and the pipe the answer is written to.
      if (read) prefetch_lines(read, 0, 128);
      if (s->out) prefetch_lines(s->out, 0, sizeof(pipe));
      break;
    case 2:
      if (read) {
        __builtin_prefetch(reinterpret_cast<const char*>(read) + 128);
        __builtin_prefetch(reinterpret_cast<const char*>(read) + 192);
      }
      break;
    default:
      if (!read) break;
      if (const sd::entry_frame_base* entry = read->awaiting_entry()) {
        const void* frame = entry;
        for (unsigned link = 3; link < stage && frame; ++link)
          frame = link == 3 ? sd::entry_top_of_stack(entry) : sd::frame_caller(frame);
        if (frame) prefetch_lines(static_cast<const char*>(frame) - 16, 0, stage == 5 ? 5 * 64 : 2 * 64);
      }
      break;
  }
}

namespace {

void try_read(socket_impl& s) {
  io_op* op = s.read_op;
  if (!op) return;
  pipe& p = *s.in;
  network_state& ns = *s.ns;
  std::size_t avail = p.delivered - p.read;
  if (p.reset) {
    s.read_op = nullptr;
    complete_io(*ns.sched, op, error::connection_reset, 0);
    return;
  }
  if (avail == 0) {
    if (p.eof || s.shut_recv) {
      s.read_op = nullptr;
      complete_io(*ns.sched, op, error::eof, 0);
    }
    return;
  }
  std::size_t n = std::min(avail, op->size);
  if (n > 1 && ns.net->link(p.from, p.to).partial_reads) {
    // 0 (fifo's pick) reads everything; otherwise about half of the reads
    // return a uniformly drawn part.
    std::uint64_t k = ns.sched->decide(2 * n);
    if (k >= n) n = static_cast<std::size_t>(k - n) + 1;
  }
  std::memcpy(op->data, p.buf.data() + p.read, n);
  p.read += n;
  compact(p);
  s.read_op = nullptr;
  complete_io(*ns.sched, op, {}, n);
  // A read is usually answered by a write (request, response): its pipe is
  // likely the next miss on this socket.
  if (s.out) __builtin_prefetch(s.out, 1);
  // Happens-before: the bytes' sender is the read's causal parent, whether
  // they arrived before the read was started or were delivered into it.
  if (p.delivered_step) op->parent_step_ = p.delivered_step;
  if (p.write_blocked && p.writer && p.writer->write_op) try_write(*p.writer);
}

void try_write(socket_impl& s) {
  io_op* op = s.write_op;
  if (!op) return;
  pipe& p = *s.out;
  network_state& ns = *s.ns;
  if (p.reset) {
    s.write_op = nullptr;
    complete_io(*ns.sched, op, error::connection_reset, 0);
    return;
  }
  std::size_t window = ns.net->link(p.from, p.to).window;
  std::size_t used = p.written - p.read;
  if (used >= window) {
    p.write_blocked = true;  // backpressure: the reader frees space
    return;
  }
  p.write_blocked = false;
  std::size_t n = std::min(op->size, window - used);
  if (p.buf.size() < p.written + n)
    p.buf.grow(std::max(p.written + n, std::min<std::size_t>(window, 2 * p.buf.size())), p.written);
  std::memcpy(p.buf.data() + p.written, op->data, n);
  p.written += n;
  s.write_op = nullptr;
  complete_io(*ns.sched, op, {}, n);
  // And a write by a read: its pipe is likely the next miss on this socket.
  if (s.in) __builtin_prefetch(s.in);
  // Last: a random fault drawn here may reset this very connection.
  send_segment(p, segment_kind::data);
}

void fail_ops(socket_impl& s, error_code ec) {
  sd::scheduler& sched = *s.ns->sched;
  if (io_op* op = std::exchange(s.read_op, nullptr)) complete_io(sched, op, ec, 0);
  if (io_op* op = std::exchange(s.write_op, nullptr)) complete_io(sched, op, ec, 0);
  if (io_op* op = std::exchange(s.connect_op, nullptr)) complete_io(sched, op, ec, 0);
}

void unhold_connect(socket_impl& s) {
  if (!s.connect_held) return;
  auto& v = s.ns->held_connects;
  v.erase(std::remove(v.begin(), v.end(), &s), v.end());
  s.connect_held = false;
}

void attach(socket_impl& s, const std::shared_ptr<connection>& c, int out_dir) {
  s.conn = c;
  s.out = &c->dir[out_dir];
  s.in = &c->dir[1 - out_dir];
  s.out->writer = &s;
  s.in->reader = &s;
  s.connected = true;
}

void connect_due(event_op* ev) {
  auto& s = *static_cast<socket_impl*>(ev->target);
  network_state& ns = *ev->ns;
  if (!s.connect_op) return;
  host* server = ns.net->find_host(s.remote.address());
  if (server && ns.net->partitioned(s.host, server->id())) {
    if (!s.connect_held) {
      s.connect_held = true;
      ns.held_connects.push_back(&s);
    }
    return;
  }
  io_op* op = std::exchange(s.connect_op, nullptr);
  if (!server || !server->up()) {
    complete_io(*ns.sched, op, error::host_unreachable, 0);
    return;
  }
  auto it = ns.listeners.find({server->id(), s.remote.port()});
  if (it == ns.listeners.end()) {
    complete_io(*ns.sched, op, error::connection_refused, 0);
    return;
  }
  acceptor_impl& a = *it->second;
  auto c = std::make_shared<connection>();
  for (int d = 0; d < 2; ++d) {
    c->dir[d].ns = &ns;
    c->dir[d].owner = c.get();
  }
  c->dir[0].from = c->dir[1].to = s.host;
  c->dir[0].to = c->dir[1].from = server->id();
  c->client_ep = s.local;
  c->server_ep = s.remote;
  attach(s, c, 0);
  complete_io(*ns.sched, op, {}, 0);
  if (io_op* acc = a.accepts) {
    a.accepts = acc->next;
    if (!a.accepts) a.accepts_tail = nullptr;
    auto& into = *static_cast<socket_impl*>(acc->target);
    if (!into.open) socket_open(ns, into);
    attach(into, c, 1);
    into.local = c->server_ep;
    into.remote = c->client_ep;
    complete_io(*ns.sched, acc, {}, 0);
  } else {
    a.backlog.push_back(std::move(c));
  }
}

}  // namespace

pipe::~pipe() {
  orphan_event(delivery);
  if (!ns) return;
  if (held) {
    auto& v = ns->held_pipes;
    v.erase(std::remove(v.begin(), v.end(), this), v.end());
  }
  if (timer.head) ns->sched->forget(timer);
}

void rearm_pipe(pipe& p) {
  if (!p.armed && !p.segs.empty()) arm_pipe(p, p.ns->sched->now() + p.ns->latency(p.from, p.to));
}

void redeliver_connect(socket_impl& s) {
  if (!s.connect_op) return;
  host* server = s.ns->net->find_host(s.remote.address());
  arm_event(*s.ns, s.connect_timer, s.ns->sched->now() + s.ns->latency(s.host, server ? server->id() : 0),
            &connect_due, &s, &s.connect_event);
}

void reset_connection(connection& c) noexcept {
  for (pipe& p : c.dir) {
    p.reset = true;
    if (p.reader) fail_ops(*p.reader, error::connection_reset);
    if (p.writer && p.writer->write_op) fail_ops(*p.writer, error::connection_reset);
  }
}

// ---- sockets ----------------------------------------------------------------

void socket_open(network_state& ns, socket_impl& s) {
  s.ns = &ns;
  s.open = true;
  ns.sockets.push(&s);
}

void socket_close(socket_impl& s) noexcept {
  if (!s.open || !s.ns) return;
  network_state& ns = *s.ns;
  fail_ops(s, error::operation_aborted);
  unhold_connect(s);
  orphan_event(s.connect_event);
  if (s.connect_timer.head) ns.sched->forget(s.connect_timer);
  if (s.conn) {
    if (!s.out->reset) {
      // Closing with received bytes unread sends an RST, else a FIN.
      if (s.in->delivered > s.in->read) {
        s.out->fin_sent = s.out->rst_sent = true;
        send_segment(*s.out, segment_kind::rst);
      } else if (!s.out->fin_sent) {
        s.out->fin_sent = true;
        send_segment(*s.out, segment_kind::fin);
      }
    }
    s.out->writer = nullptr;
    s.in->reader = nullptr;
    s.in->reader_closed = true;
    s.conn.reset();
    s.in = s.out = nullptr;
  }
  s.open = s.connected = s.shut_send = s.shut_recv = false;
  ns.sockets.erase(&s);
}

void socket_cancel(socket_impl& s) noexcept {
  if (!s.ns) return;
  if (s.connect_op) {
    unhold_connect(s);
    orphan_event(s.connect_event);
    if (s.connect_timer.head) s.ns->sched->forget(s.connect_timer);
  }
  fail_ops(s, error::operation_aborted);
}

void socket_shutdown(socket_impl& s, asio::socket_base::shutdown_type what, error_code& ec) {
  ec = {};
  if (!s.open) {
    ec = error::bad_descriptor;
    return;
  }
  if (!s.connected) {
    ec = error::not_connected;
    return;
  }
  if (what != asio::socket_base::shutdown_receive && !s.shut_send) {
    s.shut_send = true;
    if (!s.out->fin_sent && !s.out->reset) {
      s.out->fin_sent = true;
      send_segment(*s.out, segment_kind::fin);
    }
  }
  if (what != asio::socket_base::shutdown_send) {
    s.shut_recv = true;
    try_read(s);
  }
}

void socket_connect(socket_impl& s, const asio::ip::tcp::endpoint& ep, io_op* op) {
  network_state& ns = *s.ns;
  if (!s.open) socket_open(ns, s);
  if (s.connected) {
    complete_io(*ns.sched, op, error::already_connected, 0);
    return;
  }
  if (s.connect_op) {
    complete_io(*ns.sched, op, error::already_started, 0);
    return;
  }
  op->owner = &s;
  s.connect_op = op;
  s.local = asio::ip::tcp::endpoint(ns.address_of(s.host), ns.ephemeral_port(s.host));
  s.remote = ep;
  host* server = ns.net->find_host(ep.address());
  auto lat = ns.latency(s.host, server ? server->id() : 0);
  arm_event(ns, s.connect_timer, ns.sched->now() + lat, &connect_due, &s, &s.connect_event);
}

void socket_read(socket_impl& s, io_op* op) {
  sd::scheduler& sched = *s.ns->sched;
  if (!s.open) return complete_io(sched, op, error::bad_descriptor, 0);
  if (!s.connected) return complete_io(sched, op, error::not_connected, 0);
  if (s.read_op) return complete_io(sched, op, error::already_started, 0);
  if (op->size == 0) return complete_io(sched, op, {}, 0);
  op->owner = &s;
  s.read_op = op;
  try_read(s);
}

void socket_write(socket_impl& s, io_op* op) {
  sd::scheduler& sched = *s.ns->sched;
  if (!s.open) return complete_io(sched, op, error::bad_descriptor, 0);
  if (!s.connected) return complete_io(sched, op, error::not_connected, 0);
  if (s.shut_send) return complete_io(sched, op, error::shut_down, 0);
  if (s.write_op) return complete_io(sched, op, error::already_started, 0);
  if (op->size == 0) return complete_io(sched, op, {}, 0);
  op->owner = &s;
  s.write_op = op;
  try_write(s);
}

std::size_t socket_available(const socket_impl& s) noexcept {
  return s.in ? s.in->delivered - s.in->read : 0;
}

std::string socket_describe(const socket_impl& s) {
  std::string out;
  auto add = [&](const char* what, const char* dir, const asio::ip::tcp::endpoint& ep) {
    if (!out.empty()) out += "; ";
    out += fmt::format("waiting on {} {} {}:{}", what, dir, ep.address().to_string(), ep.port());
  };
  if (s.read_op) add("read", "from", s.remote);
  if (s.write_op) add("write", "to", s.remote);
  if (s.connect_op) add("connect", "to", s.remote);
  return out;
}

// ---- acceptors --------------------------------------------------------------

void acceptor_open(network_state& ns, acceptor_impl& a) {
  a.ns = &ns;
  a.open = true;
  ns.acceptors.push(&a);
}

void acceptor_bind(acceptor_impl& a, const asio::ip::tcp::endpoint& ep, error_code& ec) {
  ec = {};
  network_state& ns = *a.ns;
  if (!a.open) acceptor_open(ns, a);
  auto own = ns.address_of(a.host);
  if (!ep.address().is_unspecified() && ep.address() != own) {
    ec = boost::system::errc::make_error_code(boost::system::errc::address_not_available);
    return;
  }
  std::uint16_t port = ep.port() ? ep.port() : ns.ephemeral_port(a.host);
  if (ns.listeners.count({a.host, port})) {
    ec = error::address_in_use;
    return;
  }
  for (acceptor_impl* o = ns.acceptors.head; o; o = o->next)
    if (o != &a && o->host == a.host && o->local.port() == port) {
      ec = error::address_in_use;
      return;
    }
  a.local = asio::ip::tcp::endpoint(own, port);
}

void acceptor_listen(acceptor_impl& a, error_code& ec) {
  ec = {};
  if (!a.open) {
    ec = error::bad_descriptor;
    return;
  }
  if (a.listening) return;
  network_state& ns = *a.ns;
  if (a.local.port() == 0) a.local = asio::ip::tcp::endpoint(ns.address_of(a.host), ns.ephemeral_port(a.host));
  if (!ns.listeners.emplace(std::pair{a.host, a.local.port()}, &a).second) {
    ec = error::address_in_use;
    return;
  }
  a.listening = true;
}

void acceptor_cancel(acceptor_impl& a) noexcept {
  if (!a.ns) return;
  while (io_op* op = a.accepts) {
    a.accepts = op->next;
    complete_io(*a.ns->sched, op, error::operation_aborted, 0);
  }
  a.accepts_tail = nullptr;
}

void acceptor_close(acceptor_impl& a) noexcept {
  if (!a.open || !a.ns) return;
  acceptor_cancel(a);
  network_state& ns = *a.ns;
  if (a.listening) ns.listeners.erase({a.host, a.local.port()});
  // Connections nobody accepted are refused after the fact.
  for (std::size_t i = a.backlog_head; i < a.backlog.size(); ++i) reset_connection(*a.backlog[i]);
  a.backlog.clear();
  a.backlog_head = 0;
  a.open = a.listening = false;
  ns.acceptors.erase(&a);
}

void acceptor_accept(acceptor_impl& a, socket_impl& into, io_op* op) {
  network_state& ns = *a.ns;
  if (!a.open || !a.listening) return complete_io(*ns.sched, op, error::invalid_argument, 0);
  if (into.open) return complete_io(*ns.sched, op, error::already_open, 0);
  op->target = &into;
  if (a.backlog_head < a.backlog.size()) {
    std::shared_ptr<connection> c = std::move(a.backlog[a.backlog_head++]);
    if (a.backlog_head == a.backlog.size()) {
      a.backlog.clear();
      a.backlog_head = 0;
    }
    socket_open(ns, into);
    attach(into, c, 1);
    into.local = c->server_ep;
    into.remote = c->client_ep;
    if (into.in->reset) into.connected = true;  // reads report the reset
    return complete_io(*ns.sched, op, {}, 0);
  }
  op->owner = &a;
  op->next = nullptr;
  if (a.accepts_tail) a.accepts_tail->next = op;
  else a.accepts = op;
  a.accepts_tail = op;
}

// ---- cancellation through a handler's slot ----------------------------------

void cancel_io(io_op* op) noexcept {
  if (!op->owner) return;  // already completed
  switch (op->kind) {
    case io_kind::read:
    case io_kind::write:
    case io_kind::connect: {
      auto& s = *static_cast<socket_impl*>(op->owner);
      if (s.read_op == op) s.read_op = nullptr;
      else if (s.write_op == op) s.write_op = nullptr;
      else if (s.connect_op == op) {
        s.connect_op = nullptr;
        unhold_connect(s);
        orphan_event(s.connect_event);
        if (s.connect_timer.head) s.ns->sched->forget(s.connect_timer);
      } else {
        return;
      }
      complete_io(*s.ns->sched, op, error::operation_aborted, 0);
      return;
    }
    case io_kind::accept: {
      auto& a = *static_cast<acceptor_impl*>(op->owner);
      io_op** link = &a.accepts;
      io_op* prev = nullptr;
      while (*link && *link != op) {
        prev = *link;
        link = &(*link)->next;
      }
      if (!*link) return;
      *link = op->next;
      if (a.accepts_tail == op) a.accepts_tail = prev;
      complete_io(*a.ns->sched, op, error::operation_aborted, 0);
      return;
    }
    case io_kind::send_to:
    case io_kind::receive_from: {
      auto& u = *static_cast<udp_impl*>(op->owner);
      io_op** link = &u.receives;
      io_op* prev = nullptr;
      while (*link && *link != op) {
        prev = *link;
        link = &(*link)->next;
      }
      if (!*link) return;
      *link = op->next;
      if (u.receives_tail == op) u.receives_tail = prev;
      complete_io(*u.ns->sched, op, error::operation_aborted, 0);
      return;
    }
  }
}

// ---- resolver ----------------------------------------------------------------

}  // namespace simloop::net::detail

namespace simloop::net::tcp {

resolver::results_type resolver::resolve(const std::string& host, const std::string& service,
                                         boost::system::error_code& ec) {
  ec = {};
  unsigned long port = 0;
  try {
    port = std::stoul(service);
  } catch (...) {
    if (service == "http") port = 80;
    else if (service == "https") port = 443;
    else {
      ec = asio::error::service_not_found;
      return {};
    }
  }
  try {
    auto ep = ns_->net->resolve(host, static_cast<std::uint16_t>(port));
    return results_type::create(ep, host, service);
  } catch (const boost::system::system_error& e) {
    ec = e.code();
    return {};
  }
}

}  // namespace simloop::net::tcp
