// simloop/simulation.hpp: one deterministic world.
#pragma once

#include <simloop/clock.hpp>
#include <simloop/detail/scheduler.hpp>
#include <simloop/detail/task_frame.hpp>
#include <simloop/executor.hpp>
#include <simloop/finding.hpp>
#include <simloop/options.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/execution_context.hpp>

#include <memory>

namespace simloop {

namespace asio = boost::asio;

namespace net {
class network;
}

// A simulation owns the ready set, the virtual clock and its timers, the task
// registry and the network. It runs one body, once:
//
//   simloop::simulation sim({.seed = 42});
//   simloop::report r = sim.run(my_test_body());
//
// Not thread-safe: a simulation is driven by the thread that calls run(), and
// its executor must only be used from that thread.
class simulation : public asio::execution_context {
 public:
  using executor_type = simloop::executor;

  // Throws std::invalid_argument naming the first invalid field of opts.
  explicit simulation(options opts = {});
  ~simulation();

  executor_type get_executor() noexcept { return executor_type(*this); }
  clock::time_point now() const noexcept { return clock::time_point(sched_.now()); }
  const options& get_options() const noexcept { return sched_.opts(); }

  // The simulated network (hosts, TCP, UDP). Created on first use.
  net::network& network();
  // Whether network() was ever called (the network exists).
  bool has_network() const noexcept { return network_ != nullptr; }

  // Spawn the body, run until it has finished and nothing is ready, and tear
  // everything down. A simulation runs once; calling run() again, or from
  // inside one of its own steps, throws std::logic_error.
  report run(asio::awaitable<void> body);

  // The simulation whose run() is executing on this thread, or null.
  static simulation* current() noexcept;

  detail::scheduler& scheduler() noexcept { return sched_; }

 private:
  detail::scheduler sched_;
  std::unique_ptr<net::network> network_;
};

// The simulation behind an executor, or null when the executor belongs to
// another execution context. Works for simloop's executor, any_io_executor
// and strands wrapping it.
template <class Executor>
simulation* find_simulation(const Executor& ex) noexcept;

}  // namespace simloop

#include <simloop/impl/executor.hpp>
