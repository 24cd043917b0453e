#include <simloop/simulation.hpp>

#include <simloop/detail/simulation_service.hpp>
#include <simloop/net/network.hpp>

#include <stdexcept>

namespace simloop {

simulation::simulation(options opts) : sched_(*this, opts) {
  asio::add_service<detail::simulation_service>(*this, new detail::simulation_service(*this, this));
}

simulation::~simulation() {
  // Services (strands among them) may hold handlers whose destruction posts
  // to this simulation: shut them down while the scheduler still exists, then
  // destroy what that posted. Frames destroyed here may read the clock.
  detail::current_scope scope(sched_);
  shutdown();
  sched_.destroy_remaining();
}

net::network& simulation::network() {
  if (!network_) network_ = std::make_unique<net::network>(*this);
  return *network_;
}

report simulation::run(asio::awaitable<void> body) {
  // A default-constructed (or moved-from) awaitable has no frame: co_spawn
  // would resume a null coroutine handle.
  if (!body.valid())
    throw std::invalid_argument("simloop::simulation::run: the body is an empty awaitable (default-constructed or moved from)");
  return sched_.run(std::move(body));
}

simulation* simulation::current() noexcept {
  detail::scheduler* s = detail::current_scheduler();
  return s ? &s->owner() : nullptr;
}

}  // namespace simloop
