// simloop/detail/fifo_strategy.hpp: oldest ready step first.
#pragma once

#include <simloop/detail/choice_source.hpp>
#include <simloop/detail/ready_set.hpp>

namespace simloop::detail {

// What a single-threaded io_context does. Draws nothing, so the seed does not
// matter: one schedule per program.
struct fifo_strategy {
  operation* take(ready_set& ready, choice_source&, std::uint32_t& choice) {
    choice = 0;
    return ready.pop_front();
  }
  void on_new_lane(std::uint32_t) {}
};

}  // namespace simloop::detail
