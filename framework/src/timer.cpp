#include <simloop/timer.hpp>

#include <stdexcept>

namespace simloop::detail {

void throw_timer_without_simulation() {
  throw std::invalid_argument(
      "simloop::timer needs an executor of a simloop::simulation (or one wrapping it: any_io_executor, strand); "
      "this executor belongs to another execution context. Use asio::steady_timer there.");
}

void throw_timer_simulation_gone() {
  throw std::logic_error("simloop::timer used after its simulation was destroyed");
}

}  // namespace simloop::detail
