// The framework itself under fuzzing: the input decides both the program (how
// many tasks, which operations, channel capacity: drawn with random_below)
// and its schedule. Checked invariants: virtual time never goes backwards,
// sleep_for resumes exactly when due, no handler is lost (every task and
// every message arrives), and the same input runs the same way twice.
#include "fuzz_target.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/channel.hpp>
#include <boost/asio/redirect_error.hpp>

#include <memory>

namespace {

using channel = asio::experimental::channel<void(boost::system::error_code, int)>;
using namespace std::chrono_literals;

struct world {
  simloop::clock::time_point last_seen{};
  int finished = 0;
  int received = 0;
  void observe_time() {
    auto now = simloop::clock::now();
    SIMLOOP_ASSERT(now >= last_seen);
    last_seen = now;
  }
};

asio::awaitable<void> worker(std::shared_ptr<world> w, channel& done) {
  int ops = static_cast<int>(simloop::random_below(6));
  for (int i = 0; i < ops; ++i) {
    w->observe_time();
    switch (simloop::random_below(3)) {
      case 0:
        co_await simloop::yield();
        break;
      case 1: {
        auto d = std::chrono::milliseconds(simloop::random_below(4));
        auto before = simloop::clock::now();
        co_await simloop::sleep_for(d);
        SIMLOOP_ASSERT(simloop::clock::now() == before + d);
        break;
      }
      default: {
        // A wait cancelled by a posted step: completes with operation_aborted
        // (or with success if a delay injection let the hour pass first).
        auto ex = co_await asio::this_coro::executor;
        auto t = std::make_shared<simloop::timer>(ex, 1h);
        asio::post(ex, [t] { t->cancel(); });
        boost::system::error_code ec;
        co_await t->async_wait(asio::redirect_error(asio::use_awaitable, ec));
        SIMLOOP_ASSERT(ec == asio::error::operation_aborted || simloop::clock::now() >= t->expiry());
      }
    }
  }
  ++w->finished;
  co_await done.async_send(boost::system::error_code{}, 0, asio::use_awaitable);
}

asio::awaitable<void> program() {
  auto ex = co_await asio::this_coro::executor;
  auto w = std::make_shared<world>();
  int tasks = 1 + static_cast<int>(simloop::random_below(4));
  int messages = static_cast<int>(simloop::random_below(5));
  channel ch(ex, simloop::random_below(3));
  channel done(ex, static_cast<std::size_t>(tasks + 1));
  for (int i = 0; i < tasks; ++i) asio::co_spawn(ex, worker(w, done), asio::detached);
  auto consumer = [&]() -> asio::awaitable<void> {
    for (int i = 0; i < messages; ++i) {
      int v = co_await ch.async_receive(asio::use_awaitable);
      SIMLOOP_ASSERT(v == i);
      ++w->received;
    }
    co_await done.async_send(boost::system::error_code{}, 0, asio::use_awaitable);
  };
  asio::co_spawn(ex, consumer(), asio::detached);
  for (int i = 0; i < messages; ++i) {
    co_await ch.async_send(boost::system::error_code{}, i, asio::use_awaitable);
    w->observe_time();
  }
  for (int i = 0; i < tasks + 1; ++i) co_await done.async_receive(asio::use_awaitable);
  SIMLOOP_ASSERT(w->finished == tasks);
  SIMLOOP_ASSERT(w->received == messages);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return simloop::fuzz::run_input_twice(data, size, program);
}
