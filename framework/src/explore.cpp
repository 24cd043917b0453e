#include <simloop/explore.hpp>

#include <simloop/detail/environment.hpp>
#include <simloop/simulation.hpp>

#include <fmt/format.h>

#include <stdexcept>

namespace simloop {

report run_one(const options& opts, const std::function<boost::asio::awaitable<void>()>& make_body) {
  simulation sim(opts);
  return sim.run(make_body());
}

report explore(explore_options eo, std::function<boost::asio::awaitable<void>()> make_body) {
  if (!make_body) throw std::invalid_argument("simloop::explore: make_body is empty");
  std::uint64_t first = eo.first_seed;
  std::uint64_t runs = eo.runs;
  strategy strat = eo.strategy;
  if (runs == 0) throw std::invalid_argument("simloop::explore_options::runs must be positive (got 0)");
  if (eo.use_environment) {
    detail::environment env = detail::read_environment();
    if (env.strategy) strat = *env.strategy;
    if (env.runs) runs = *env.runs;
    if (env.seed) {
      first = *env.seed;
      runs = 1;
    } else if (env.shard_count) {
      // Shard i of n takes the i-th contiguous slice of the seed range.
      std::uint64_t per = runs / *env.shard_count, extra = runs % *env.shard_count;
      std::uint64_t i = *env.shard_index;
      first += i * per + std::min<std::uint64_t>(i, extra);
      runs = per + (i < extra ? 1 : 0);
    }
  }
  if (strat == strategy::replay)
    throw std::invalid_argument("simloop::explore_options::strategy cannot be replay: replay one run with run_one");
  options opts = eo.base;
  opts.strategy = strat;
  validate(opts);
  report last;
  // A shard may be empty (more shards than runs): nothing to run is a pass.
  last.seed = first;
  last.strategy = strat;
  last.runs = 0;
  // Spawn-site backtraces cost a few microseconds a task, most of a small
  // run: seeds are explored without them, and a failing seed is run once
  // more with them (the same run: capturing never changes the schedule), so
  // that its findings name where each task was spawned.
  const bool spawn_sites = opts.capture_spawn_sites;
  opts.capture_spawn_sites = false;
  for (std::uint64_t i = 0; i < runs; ++i) {
    opts.seed = first + i;
    last = run_one(opts, make_body);
    last.runs = i + 1;
    if (!last.ok()) {
      if (spawn_sites) {
        options again = opts;
        again.capture_spawn_sites = true;
        report detailed = run_one(again, make_body);
        if (detailed.trace_hash == last.trace_hash) {
          detailed.runs = last.runs;
          return detailed;
        }
      }
      return last;
    }
  }
  return last;
}

}  // namespace simloop
