// simloop/detail/random_strategy.hpp: a uniform pick among the ready steps.
#pragma once

#include <simloop/detail/choice_source.hpp>
#include <simloop/detail/ready_set.hpp>

namespace simloop::detail {

// Each step draws one index in [0, ready). With a list source this is also the
// replay strategy: the list holds the indexes a run took.
struct random_strategy {
  operation* take(ready_set& ready, choice_source& src, std::uint32_t& choice) {
    std::size_t n = ready.size();
    if (n == 1) {
      choice = 0;
      return ready.pop_front();
    }
    choice = static_cast<std::uint32_t>(src.choose(n));
    return ready.take_swap(choice);
  }
  void on_new_lane(std::uint32_t) {}
};

}  // namespace simloop::detail
