// Executions to the first failure of fuzz/ordering_bug.hpp for random and
// pct (depth 1..3): the median over 20 independent trials (trial t explores
// seeds from t * 1,000,000; a trial gives up after `cap` runs).
// Usage: ordering_compare [trials] [cap]
#include "ordering_bug.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <vector>

int main(int argc, char** argv) {
  int trials = argc > 1 ? std::atoi(argv[1]) : 20;
  std::uint64_t cap = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 100'000;
  struct config {
    const char* name;
    simloop::strategy strategy;
    int depth;
  };
  const config configs[] = {{"random", simloop::strategy::random, 1},
                            {"pct d=1", simloop::strategy::pct, 1},
                            {"pct d=2", simloop::strategy::pct, 2},
                            {"pct d=3", simloop::strategy::pct, 3}};
  std::printf("%-10s %10s %10s %10s  (executions to first failure, %d trials)\n", "strategy", "median", "min", "max",
              trials);
  for (const auto& c : configs) {
    std::vector<std::uint64_t> runs;
    for (int t = 0; t < trials; ++t) {
      simloop::explore_options eo;
      eo.first_seed = static_cast<std::uint64_t>(t) * 1'000'000;
      eo.runs = cap;
      eo.strategy = c.strategy;
      eo.base.pct_depth = c.depth;
      eo.base.pct_steps = 20;
      eo.base.record_trace = false;
      eo.use_environment = false;
      auto r = simloop::explore(eo, simloop::fuzz::ordering_bug);
      runs.push_back(r.ok() ? eo.runs : r.runs);
    }
    std::sort(runs.begin(), runs.end());
    std::printf("%-10s %10llu %10llu %10llu\n", c.name, static_cast<unsigned long long>(runs[runs.size() / 2]),
                static_cast<unsigned long long>(runs.front()), static_cast<unsigned long long>(runs.back()));
    std::fflush(stdout);
  }
}
