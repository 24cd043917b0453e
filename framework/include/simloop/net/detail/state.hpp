// simloop/net/detail/state.hpp: the simulated network's internal state.
#pragma once

#include <simloop/net/detail/io_op.hpp>
#include <simloop/net/network.hpp>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace simloop::net::detail {

struct connection;
struct socket_impl;
struct network_state;

// A deferred network event (a TCP delivery, a connect arriving, a datagram, a
// fault ending): an armed timer wait that calls fn(op) when due. Crash
// recognises these by their completion function and leaves them alone.
struct event_op final : sd::wait_op {
  event_op() : sd::wait_op(&do_complete) { internal = true; }
  static void do_complete(sd::operation* base, bool invoke);
  void (*fn)(event_op*) = nullptr;
  void* target = nullptr;
  network_state* ns = nullptr;
  std::uint64_t a = 0, b = 0;  // fn's arguments
  std::vector<char> payload;   // UDP datagrams
  // The owner's field that points at this event (a pipe's delivery, a
  // socket's connect) from arming until the event completes. An owner
  // destroyed first orphans it (orphan_event): the event then completes
  // without running. forget() on the owner's timer is not enough: an event
  // that came due waits in the ready set, out of its timer, and would run
  // on freed memory.
  event_op** slot = nullptr;
  bool orphaned = false;
};

// Arms fn(op) at virtual time `at` (not before now) on timer state t; with
// a slot, *slot points at the event until it completes.
event_op* arm_event(network_state& ns, sd::timer_state& t, std::chrono::nanoseconds at, void (*fn)(event_op*),
                    void* target, event_op** slot = nullptr);
// The owner of *slot goes away: its event, if any, will not run.
void orphan_event(event_op*& slot) noexcept;

// The scheduler's timer lookahead (detail/timer_lookahead.hpp) for network
// events: when deliveries come due together, their readers' sockets,
// pending reads, handlers and frames are loaded a link per pass over the
// batch (src/net/tcp.cpp).
void look_ahead_event(sd::wait_op* op, unsigned stage) noexcept;

// What a segment carries besides bytes: a FIN (end of stream), or an RST
// (the sender closed with received data unread, as real TCP does: the
// connection is reset when it arrives).
enum class segment_kind : std::uint8_t { data, fin, rst };

// A segment in flight: bytes up to `end` arrive at `at`.
struct segment {
  std::size_t end;
  std::chrono::nanoseconds at;
  std::uint64_t step;  // the step that sent it: the causal parent of the read that returns it
  segment_kind kind;
};

// The segments in flight on a pipe, oldest first: a ring whose first two
// slots are inline (a request/response exchange has one segment in flight),
// doubling on the heap beyond.
class segment_queue {
 public:
  segment_queue() = default;
  segment_queue(const segment_queue&) = delete;
  segment_queue& operator=(const segment_queue&) = delete;
  ~segment_queue() {
    if (ring_ != inline_) delete[] ring_;
  }
  bool empty() const noexcept { return size_ == 0; }
  std::size_t size() const noexcept { return size_; }
  segment& front() noexcept { return ring_[head_]; }
  void pop_front() noexcept {
    head_ = (head_ + 1) & mask_;
    --size_;
  }
  void push_back(const segment& sg) {
    if (size_ == mask_ + 1) grow();
    ring_[(head_ + size_) & mask_] = sg;
    ++size_;
  }
  template <class F>
  void for_each(F f) noexcept {
    for (std::uint32_t i = 0; i < size_; ++i) f(ring_[(head_ + i) & mask_]);
  }

 private:
  void grow() {
    std::uint32_t cap = 2 * (mask_ + 1);
    auto* bigger = new segment[cap];
    for (std::uint32_t i = 0; i < size_; ++i) bigger[i] = ring_[(head_ + i) & mask_];
    if (ring_ != inline_) delete[] ring_;
    ring_ = bigger;
    head_ = 0;
    mask_ = cap - 1;
  }
  segment* ring_ = inline_;
  std::uint32_t head_ = 0, size_ = 0, mask_ = 1;
  segment inline_[2];
};

// A pipe's bytes: inline up to 64 (a small message in flight needs no
// allocation and shares the pipe's cache lines), on the heap beyond.
class byte_buffer {
 public:
  byte_buffer() = default;
  byte_buffer(const byte_buffer&) = delete;
  byte_buffer& operator=(const byte_buffer&) = delete;
  ~byte_buffer() {
    if (data_ != inline_) delete[] data_;
  }
  char* data() noexcept { return data_; }
  std::size_t size() const noexcept { return size_; }
  // Grows to at least n bytes, keeping the first `keep`.
  void grow(std::size_t n, std::size_t keep) {
    if (n <= size_) return;
    auto* bigger = new char[n];
    if (keep) std::memcpy(bigger, data_, keep);
    if (data_ != inline_) delete[] data_;
    data_ = bigger;
    size_ = n;
  }

 private:
  char* data_ = inline_;
  std::size_t size_ = sizeof(inline_);
  char inline_[64];
};

// One direction of a connection. Bytes [read, delivered) of buf are readable
// by the receiver; [delivered, written) are in flight, released in order by
// segments as their delivery times pass. The fields a delivery and a read
// touch come first: at thousands of connections each pipe is a cache miss,
// and each extra line it spans another.
struct alignas(64) pipe {
  pipe() = default;
  pipe(const pipe&) = delete;
  ~pipe();

  sd::timer_state timer;  // the delivery event in flight, if armed
  network_state* ns = nullptr;
  socket_impl* reader = nullptr;
  socket_impl* writer = nullptr;
  std::size_t read = 0, delivered = 0;
  // (64 bytes: the scheduler prefetches a due wait's timer and the line
  // after it, which is this one.)
  std::size_t written = 0;
  std::uint64_t delivered_step = 0;  // segment::step of the last delivered segment
  std::uint32_t from = 0, to = 0;
  bool armed = false, held = false, fin_sent = false, eof = false, reset = false;
  // The receiving socket was closed: data (not a FIN) arriving there is
  // answered by an RST on the other pipe, as a closed port does.
  bool reader_closed = false, rst_sent = false;
  // The writer's pending write waits for the window (backpressure): a read
  // that frees space retries it. Saves a read from touching the writer.
  bool write_blocked = false;
  segment_queue segs;
  std::chrono::nanoseconds last_at{0};
  connection* owner = nullptr;
  event_op* delivery = nullptr;  // armed or due, not yet run (event_op::slot)
  byte_buffer buf;
};

// Both directions; dir[0] carries client -> server. Shared by the two ends.
struct connection {
  pipe dir[2];
  asio::ip::tcp::endpoint client_ep, server_ep;
};

struct acceptor_impl;

struct socket_impl {
  socket_impl() = default;
  socket_impl(const socket_impl&) = delete;
  socket_impl& operator=(const socket_impl&) = delete;
  ~socket_impl() { orphan_event(connect_event); }

  // What reads and writes touch first (one cache line).
  network_state* ns = nullptr;
  pipe* in = nullptr;
  pipe* out = nullptr;
  io_op* read_op = nullptr;
  io_op* write_op = nullptr;
  std::uint32_t host = 0;
  bool open = false, connected = false, shut_send = false, shut_recv = false;
  io_op* connect_op = nullptr;
  std::shared_ptr<connection> conn;
  asio::ip::tcp::endpoint local, remote;
  sd::timer_state connect_timer;  // the connect request in flight
  event_op* connect_event = nullptr;  // armed or due, not yet run (event_op::slot)
  bool connect_held = false;
  socket_impl* prev = nullptr;    // network_state's list, insertion order
  socket_impl* next = nullptr;
};

struct acceptor_impl {
  network_state* ns = nullptr;
  std::uint32_t host = 0;
  bool open = false, listening = false;
  asio::ip::tcp::endpoint local;
  std::vector<std::shared_ptr<connection>> backlog;
  std::size_t backlog_head = 0;
  io_op* accepts = nullptr;  // FIFO of pending async_accept
  io_op* accepts_tail = nullptr;
  acceptor_impl* prev = nullptr;
  acceptor_impl* next = nullptr;
};

struct udp_impl {
  struct datagram {
    std::vector<char> data;
    asio::ip::udp::endpoint from;
  };
  network_state* ns = nullptr;
  std::uint32_t host = 0;
  bool open = false, bound = false;
  asio::ip::udp::endpoint local;
  std::vector<datagram> queue;
  std::size_t queue_head = 0;
  io_op* receives = nullptr;
  io_op* receives_tail = nullptr;
  udp_impl* prev = nullptr;
  udp_impl* next = nullptr;
};

template <class T>
struct intrusive_list {
  T* head = nullptr;
  T* tail = nullptr;
  void push(T* x) noexcept {
    x->prev = tail;
    x->next = nullptr;
    if (tail) tail->next = x;
    else head = x;
    tail = x;
  }
  void erase(T* x) noexcept {
    if (x->prev) x->prev->next = x->next;
    else head = x->next;
    if (x->next) x->next->prev = x->prev;
    else tail = x->prev;
    x->prev = x->next = nullptr;
  }
};

struct network_state {
  network* net = nullptr;
  sd::scheduler* sched = nullptr;
  intrusive_list<socket_impl> sockets;
  intrusive_list<acceptor_impl> acceptors;
  intrusive_list<udp_impl> udps;
  std::map<std::pair<std::uint32_t, std::uint16_t>, acceptor_impl*> listeners;  // ordered: deterministic
  std::map<std::pair<std::uint32_t, std::uint16_t>, udp_impl*> udp_bound;
  std::map<std::uint32_t, std::uint16_t> next_port;
  std::vector<pipe*> held_pipes;
  std::vector<socket_impl*> held_connects;
  sd::timer_state misc_timer;  // datagrams and fault ends in flight
  struct clog {
    std::uint32_t from, to;  // 0: any
    std::chrono::nanoseconds extra;
  };
  std::vector<clog> clogs;

  asio::ip::address address_of(std::uint32_t host) const;
  std::uint16_t ephemeral_port(std::uint32_t host);
  std::chrono::nanoseconds latency(std::uint32_t from, std::uint32_t to);
  // One decision per packet when random faults are on.
  void maybe_fault(std::uint32_t from, std::uint32_t to, connection* c);
};

// The host (net::host::id) an executor belongs to, and the network of its
// simulation (created on first use).
template <class Executor>
std::pair<network_state*, std::uint32_t> locate(const Executor& ex) {
  simulation* sim = find_simulation(ex);
  if (!sim) throw std::invalid_argument("simloop::net: an I/O object needs an executor of a simloop::simulation");
  std::uint32_t h = 0;
  if constexpr (std::is_same_v<Executor, simloop::executor>) {
    h = ex.host();
  } else if constexpr (std::is_same_v<Executor, asio::any_io_executor>) {
    if (const auto* e = ex.template target<simloop::executor>()) h = e->host();
  }
  return {&sim->network().state(), h};
}

// ---- TCP (src/net/tcp.cpp) ----
void socket_open(network_state& ns, socket_impl& s);
void socket_close(socket_impl& s) noexcept;  // pending ops: operation_aborted
void socket_cancel(socket_impl& s) noexcept;
void socket_shutdown(socket_impl& s, asio::socket_base::shutdown_type what, boost::system::error_code& ec);
void socket_connect(socket_impl& s, const asio::ip::tcp::endpoint& ep, io_op* op);
void socket_read(socket_impl& s, io_op* op);
void socket_write(socket_impl& s, io_op* op);
std::size_t socket_available(const socket_impl& s) noexcept;
std::string socket_describe(const socket_impl& s);
void reset_connection(connection& c) noexcept;
// After heal(): held traffic goes on after a fresh latency.
void rearm_pipe(pipe& p);
void redeliver_connect(socket_impl& s);

void acceptor_open(network_state& ns, acceptor_impl& a);
void acceptor_bind(acceptor_impl& a, const asio::ip::tcp::endpoint& ep, boost::system::error_code& ec);
void acceptor_listen(acceptor_impl& a, boost::system::error_code& ec);
void acceptor_close(acceptor_impl& a) noexcept;
void acceptor_cancel(acceptor_impl& a) noexcept;
void acceptor_accept(acceptor_impl& a, socket_impl& into, io_op* op);

// ---- UDP (src/net/udp.cpp) ----
void udp_open(network_state& ns, udp_impl& u);
void udp_bind(udp_impl& u, const asio::ip::udp::endpoint& ep, boost::system::error_code& ec);
void udp_close(udp_impl& u) noexcept;
void udp_cancel(udp_impl& u) noexcept;
void udp_send_to(udp_impl& u, const asio::ip::udp::endpoint& to, io_op* op);
void udp_receive_from(udp_impl& u, io_op* op);

// Crash support: drop the host's I/O (pending ops destroyed, not run).
void crash_io(network_state& ns, std::uint32_t host);
// Teardown: destroys every pending operation (never run); returns how many.
std::size_t destroy_pending_io(network_state& ns) noexcept;
bool is_event_op(const sd::operation* op) noexcept;

}  // namespace simloop::net::detail
