#include <simloop/clock.hpp>

#include <simloop/detail/scheduler.hpp>

#include <stdexcept>

namespace simloop {

clock::time_point clock::now() {
  detail::scheduler* s = detail::current_scheduler();
  if (!s)
    throw std::logic_error(
        "simloop::clock::now() called while no simulation is running on this thread; "
        "use simulation::now() outside run()");
  // The clock of the running task's host (the simulated network's clock
  // skew); the simulation's own clock everywhere else.
  return time_point(s->local_now());
}

}  // namespace simloop
