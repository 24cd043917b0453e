// Runs one test body on a simulation (many seeds) and on a real io_context.
#pragma once

#include <simloop/simloop.hpp>

#include <gtest/gtest.h>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <functional>
#include <stdexcept>
#include <string>

namespace races_test {

using executor = asio::any_io_executor;
using body_fn = std::function<asio::awaitable<void>(executor)>;

// Works on both backends: a post through the ready set / the io_context queue.
inline asio::awaitable<void> pass(executor ex) { co_await asio::post(ex, asio::use_awaitable); }

inline asio::awaitable<void> with_executor(body_fn f) {
  auto ex = co_await asio::this_coro::executor;
  co_await f(ex);
}

inline void on_simulation(const body_fn& f, std::uint64_t seeds = 100,
                          simloop::strategy s = simloop::strategy::random) {
  for (std::uint64_t seed = 0; seed < seeds; ++seed) {
    simloop::options o;
    o.seed = seed;
    o.strategy = s;
    simloop::simulation sim(o);
    auto r = sim.run(with_executor(f));
    ASSERT_TRUE(r.ok()) << r.describe();
  }
}

inline void on_io_context(const body_fn& f) {
  asio::io_context io;
  bool done = false;
  std::exception_ptr err;
  asio::co_spawn(io, with_executor(f), [&](std::exception_ptr e) {
    done = true;
    err = e;
  });
  io.run();
  ASSERT_TRUE(done) << "the body did not finish on io_context";
  if (err) {
    try {
      std::rethrow_exception(err);
    } catch (const std::exception& e) {
      FAIL() << "io_context body threw: " << e.what();
    }
  }
}

inline void on_both(const body_fn& f) {
  on_simulation(f);
  on_io_context(f);
}

#define RACES_CHECK(cond)                                                                        \
  do {                                                                                           \
    if (!(cond)) throw std::logic_error(std::string("check failed: ") + #cond + " at line " +    \
                                        std::to_string(__LINE__));                               \
  } while (false)

}  // namespace races_test
