#include "pool.hpp"

#include "../zoo/zoo.hpp"

#include <simloop/gather.hpp>
#include <simloop/random.hpp>
#include <simloop/sleep.hpp>

#include <stdexcept>

namespace scenarios::connection_pool {
namespace {

using namespace std::chrono_literals;

// One query on a connection: 2..9 ms, and one in five fails.
asio::awaitable<void> run_query(int /*connection*/) {
  co_await simloop::sleep_for(std::chrono::milliseconds(2 + simloop::random_below(8)));
  if (simloop::random_below(5) == 0) throw std::runtime_error("query failed");
}

struct stats {
  int done = 0, failed = 0, timed_out = 0;
};

asio::awaitable<void> query(pool& p, stats& s) {
  auto l = co_await p.acquire(200ms);
  co_await run_query(l.connection());
}

// The mistake: release is skipped when the query throws.
asio::awaitable<void> query_leaky(pool& p, stats& s) {
  int conn = co_await p.acquire_raw(200ms);
  co_await run_query(conn);
  p.release(conn);
}

asio::awaitable<void> worker(pool& p, stats& s, bool leaky) {
  for (int i = 0; i < 6; ++i) {
    try {
      if (leaky)
        co_await query_leaky(p, s);
      else
        co_await query(p, s);
      ++s.done;
    } catch (const boost::system::system_error& e) {
      if (e.code() != simloop::error::timed_out) throw;
      ++s.timed_out;
    } catch (const std::runtime_error&) {
      ++s.failed;
    }
  }
}

asio::awaitable<void> clients(bool leaky) {
  auto ex = co_await asio::this_coro::executor;
  pool p(ex, 3);
  stats s;
  std::vector<asio::awaitable<void>> workers;
  for (int w = 0; w < 4; ++w) workers.push_back(worker(p, s, leaky));
  co_await simloop::gather(std::move(workers));
  // Every connection is back in the pool at the end, whatever happened to
  // the queries. (Acquires may time out: four workers share three
  // connections, and a stalled loop, which delay injection models, can keep
  // one waiting past 200 ms. That is what the timeout is for.)
  SIMLOOP_ASSERT(p.idle() == 3);
}

const simloop::zoo::registrar correct{{
    .scenario = "connection_pool",
    .name = "correct",
    .make_body = [] { return clients(false); },
}};

const simloop::zoo::registrar leaks{{
    .scenario = "connection_pool",
    .name = "leak_on_error",
    .mistake = "a failing query skips release(): the pool runs dry and acquires time out",
    .expected = simloop::finding_kind::assertion,
    .make_body = [] { return clients(true); },
}};

}  // namespace
}  // namespace scenarios::connection_pool
