// simloop/detail/determinism.hpp: did one seed run the same way twice?
#pragma once

#include <simloop/finding.hpp>

#include <string>

namespace simloop::detail {

// Empty when the two runs of one seed (both recorded with record_trace) are
// the same: same trace hash, steps, findings. Otherwise labelled lines naming
// the first step where they diverge and what each run did there, e.g.
//   "  first divergence: step 14 (t=+0.002s)\n"
//   "  run 1:            task #3 ran (pick 1 of the ready steps)\n"
//   "  run 2:            task #4 ran (pick 0 of the ready steps)\n"
std::string first_divergence(const report& first, const report& second);

}  // namespace simloop::detail
