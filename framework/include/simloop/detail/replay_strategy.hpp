// simloop/detail/replay_strategy.hpp: the picks of a recorded run, again.
#pragma once

#include <simloop/detail/random_strategy.hpp>

namespace simloop::detail {

// A recorded run's report::choices hold, in order, every index it picked and
// every data choice it drew. Fed back through a list choice source, the
// random walk takes exactly the same picks: the ready set evolves
// identically, so index i means the same step again. Past the end of the list
// every pick is 0 (the oldest ready step), which is what RapidCheck shrinks
// towards.
using replay_strategy = random_strategy;

}  // namespace simloop::detail
