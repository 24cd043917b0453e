// The simulated network under fuzzing: the input decides the program (how
// many clients, how many messages and of what size, the links' latencies and
// windows, whether random faults are on and how often, when the server
// crashes and restarts) and every latency, partial read, fault and schedule
// choice. Clients send length-prefixed messages to an echo server over
// simloop's TCP, with a timeout on every operation, and reconnect after an
// error. Checked: every echo that comes back is the message sent (bytes in
// order, none lost or made up, whatever the faults), every task ends (no
// deadlock, leak or time limit), the simulation itself stays sound (ASan and
// UBSan in the libFuzzer build), and the same input runs the same way twice.
#include "fuzz_target.hpp"

#include <simloop/net.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <cstring>
#include <memory>
#include <string>

namespace {

namespace net = simloop::net;
using asio::use_awaitable;
using namespace std::chrono_literals;

const auto server_addr = asio::ip::make_address("10.0.0.2");
constexpr std::uint16_t port = 7;
constexpr std::size_t max_message = 48;

struct world {
  int sessions = 0;  // live echo sessions on the server
  int clients_done = 0;
  int echoed = 0;
  net::tcp::acceptor* listening = nullptr;  // the server's, while it accepts
};

// Echoes messages (a length byte, then that many bytes) until the peer goes
// or an error; sometimes drops the connection after reading one (the client
// sees EOF or a reset and reconnects).
asio::awaitable<void> session(net::tcp::socket s, std::shared_ptr<world> w) {
  struct counted {
    world* w;
    explicit counted(world* x) : w(x) { ++w->sessions; }
    ~counted() { --w->sessions; }
  } c(w.get());
  std::array<char, max_message + 1> buf;
  for (;;) {
    boost::system::error_code ec;
    co_await asio::async_read(s, asio::buffer(buf.data(), 1), asio::redirect_error(use_awaitable, ec));
    if (ec) co_return;
    const std::size_t n = static_cast<unsigned char>(buf[0]);
    SIMLOOP_ASSERT(n >= 1 && n <= max_message);
    co_await asio::async_read(s, asio::buffer(buf.data() + 1, n), asio::redirect_error(use_awaitable, ec));
    if (ec) co_return;
    if (simloop::random_below(8) == 0) co_return;
    co_await asio::async_write(s, asio::buffer(buf.data(), n + 1), asio::redirect_error(use_awaitable, ec));
    if (ec) co_return;
  }
}

asio::awaitable<void> serve(std::shared_ptr<world> w) {
  auto ex = co_await asio::this_coro::executor;
  net::tcp::acceptor acc(ex, net::tcp::endpoint(server_addr, port));
  struct listed {
    world* w;
    ~listed() { w->listening = nullptr; }
  } l{w.get()};
  w->listening = &acc;
  for (;;) {
    boost::system::error_code ec;
    auto s = co_await acc.async_accept(asio::redirect_error(use_awaitable, ec));
    if (ec) co_return;
    asio::co_spawn(ex, session(std::move(s), w), asio::detached);
  }
}

// Sends `messages` messages and checks each echo, reconnecting after an
// error or a timeout (up to a number of attempts).
asio::awaitable<void> client(int id, int messages, std::shared_ptr<world> w) {
  auto ex = co_await asio::this_coro::executor;
  int sent = 0;
  for (int attempt = 0; sent < messages && attempt < 6; ++attempt) {
    bool failed = false;
    try {
      net::tcp::socket s(ex);
      co_await simloop::timeout(2s, s.async_connect(net::tcp::endpoint(server_addr, port), use_awaitable));
      while (sent < messages) {
        const std::size_t n = 1 + simloop::random_below(max_message);
        std::array<char, max_message + 1> out, in;
        out[0] = static_cast<char>(n);
        for (std::size_t i = 1; i <= n; ++i) out[i] = static_cast<char>(id * 31 + sent * 7 + static_cast<int>(i));
        co_await simloop::timeout(2s, asio::async_write(s, asio::buffer(out.data(), n + 1), use_awaitable));
        co_await simloop::timeout(2s, asio::async_read(s, asio::buffer(in.data(), n + 1), use_awaitable));
        SIMLOOP_ASSERT(std::memcmp(in.data(), out.data(), n + 1) == 0);
        ++sent;
        ++w->echoed;
      }
    } catch (const boost::system::system_error&) {
      failed = true;  // reset, EOF, unreachable, timed out: reconnect
    }
    if (failed) co_await simloop::sleep_for(std::chrono::milliseconds(1 + simloop::random_below(50)));
  }
  ++w->clients_done;
}

asio::awaitable<void> program() {
  auto& netw = simloop::simulation::current()->network();
  net::link_options link;
  link.min_latency = std::chrono::microseconds(1 + simloop::random_below(200));
  link.max_latency = link.min_latency + std::chrono::microseconds(simloop::random_below(3000));
  link.window = 8 + simloop::random_below(256);  // small: writes wait for the reader
  netw.set_default_link(link);
  net::fault_options faults;
  faults.random_faults = simloop::random_below(2) == 1;
  faults.fault_one_in = 4 + simloop::random_below(60);
  faults.max_fault_duration = std::chrono::milliseconds(1 + simloop::random_below(100));
  netw.set_faults(faults);

  auto& server = netw.add_host("server", server_addr);
  const int clients = 1 + static_cast<int>(simloop::random_below(3));
  auto w = std::make_shared<world>();
  asio::co_spawn(server.get_executor(), serve(w), asio::detached);
  for (int i = 0; i < clients; ++i) {
    auto& h = netw.add_host("client" + std::to_string(i), asio::ip::make_address_v4(0x0A000100u + 1 + i));
    asio::co_spawn(h.get_executor(), client(i, 1 + static_cast<int>(simloop::random_below(6)), w), asio::detached);
  }
  // The server crashes once, at a drawn time, and comes back (or never does).
  if (simloop::random_below(2) == 1) {
    co_await simloop::sleep_for(std::chrono::microseconds(simloop::random_below(20'000)));
    netw.crash(server);
    SIMLOOP_ASSERT(w->sessions == 0 && w->listening == nullptr);
    co_await simloop::sleep_for(std::chrono::microseconds(simloop::random_below(20'000)));
    netw.restart(server, [w] { return serve(w); });
  }
  while (w->clients_done < clients) co_await simloop::sleep_for(10ms);
  // Every client is gone: the sessions see their connections end.
  if (w->listening) w->listening->close();
  while (w->sessions > 0 || w->listening) co_await simloop::sleep_for(10ms);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return simloop::fuzz::run_input_twice(data, size, program);
}
