#include <simloop/explore.hpp>

#include <simloop/chrome_trace.hpp>
#include <simloop/detail/determinism.hpp>
#include <simloop/detail/environment.hpp>
#include <simloop/detail/progress.hpp>
#include <simloop/detail/regressions.hpp>
#include <simloop/simulation.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <stdexcept>

namespace simloop {

namespace {

std::string format_time(std::chrono::nanoseconds t) {
  auto ns = t.count();
  return fmt::format("+{}.{:03}s", ns / 1'000'000'000, (ns / 1'000'000) % 1000);
}

// One seed under explore(): once, or twice with the determinism self-check.
report run_checked(const options& opts, const std::function<boost::asio::awaitable<void>()>& make_body,
                   bool check_determinism) {
  report first = run_one(opts, make_body);
  if (!check_determinism) return first;
  report second = run_one(opts, make_body);
  std::string divergence = detail::first_divergence(first, second);
  if (!divergence.empty()) {
    std::string msg = fmt::format(
        "simloop: nondeterminism: seed {:#x} ran differently twice (SIMLOOP_CHECK_DETERMINISM; seed {:#x}, "
        "strategy {})\n",
        opts.seed, opts.seed, to_string(opts.strategy));
    msg += divergence;
    msg += "  cause:            state that outlives a run (a static, a global, a cache), real time or real\n"
           "                    randomness, or addresses/unordered containers deciding what to do\n";
    msg += fmt::format("  replay: SIMLOOP_CHECK_DETERMINISM=1 {}\n", replay_command(opts.seed, opts.strategy));
    first.findings.push_back(finding{finding_kind::nondeterminism, std::move(msg), first.steps, first.virtual_elapsed});
  }
  return first;
}

void write_trace(const detail::environment& env, const report& r, const std::string& name) {
  if (env.trace_path.empty()) return;
  std::string error = write_chrome_trace(r, env.trace_path, name);
  if (!error.empty())
    std::fprintf(stderr, "simloop: warning: SIMLOOP_TRACE: %s\n", error.c_str());
  else if (!env.quiet)
    std::fprintf(stderr, "simloop: trace of seed %#llx (%llu steps, t=%s) written to %s\n",
                 static_cast<unsigned long long>(r.seed), static_cast<unsigned long long>(r.steps),
                 format_time(r.virtual_elapsed).c_str(), env.trace_path.c_str());
}

}  // namespace

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
  detail::environment env;
  if (eo.use_environment) {
    env = detail::read_environment();
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
      if (runs == 0) {
        // More shards than runs: this shard has nothing to do.
        report none;
        none.runs = 0;
        return none;
      }
    }
  }
  if (strat == strategy::replay)
    throw std::invalid_argument("simloop::explore_options::strategy cannot be replay: replay one run with run_one");
  options opts = eo.base;
  opts.strategy = strat;
  bool cover = eo.cancel_each_point;
  if (env.cancel_at) {
    opts.cancel_at_point = *env.cancel_at;
    cover = false;
  }
  if (env.seed) cover = false;
  if (env.check_determinism || !env.trace_path.empty()) opts.record_trace = true;
  validate(opts);

  // Seeds that failed before run first (not when replaying one seed).
  std::uint64_t done = 0;
  std::string regressions;
  if (!eo.name.empty() && !eo.regressions_source.empty())
    regressions = detail::regressions_path(env.regressions_dir, eo.regressions_source);
  if (!regressions.empty() && !env.seed) {
    std::string warnings;
    auto entries = detail::load_regressions(regressions, eo.name, warnings);
    if (!warnings.empty()) std::fputs(warnings.c_str(), stderr);
    for (const auto& e : entries) {
      options o = opts;
      o.seed = e.seed;
      o.strategy = e.strategy;
      o.cancel_at_point = e.cancel_at_point;
      report r = run_checked(o, make_body, env.check_determinism);
      r.runs = ++done;
      if (!r.ok()) {
        r.note = fmt::format("regression entry {}:{}", regressions, e.line);
        write_trace(env, r, eo.name);
        return r;
      }
    }
  }

  detail::progress_meter progress(eo.name, runs, !env.quiet, env.progress_ms);
  report last;
  // A shard may be empty (more shards than runs): nothing to run is a pass.
  last.seed = first;
  last.strategy = strat;
  last.runs = 0;
  std::uint64_t made = 0;
  // One run; true when it failed (last is then the report to return).
  auto attempt = [&](const options& o) {
    last = run_checked(o, make_body, env.check_determinism);
    last.runs = done + ++made;
    bool failed = !last.ok();
    progress.update(std::min(made, runs), failed ? 1 : 0);
    if (failed) {
      progress.finish(std::min(made, runs), 1);
      // A cover run (cancel_at_point) replays only with its point: the
      // entry keeps it.
      if (!regressions.empty()) {
        std::string error =
            detail::append_regression(regressions, eo.name, last.seed, last.strategy, o.cancel_at_point);
        if (!error.empty()) std::fprintf(stderr, "simloop: warning: regressions: %s\n", error.c_str());
      }
      write_trace(env, last, eo.name);
    }
    return failed;
  };
  std::uint64_t sampled_from = 0;
  if (cover) {
    // Each cover run is determined by its own options (seed, strategy,
    // cancel_at_point): what run 1 learned only decides which runs to make.
    options o = opts;
    o.seed = first;
    o.cancel_one_in = 0;
    o.cancel_at_point = 0;
    o.count_cancel_points = true;
    if (attempt(o)) return last;
    std::uint64_t points = last.cancel_points;
    o.count_cancel_points = false;
    for (std::uint64_t point = 1; point <= points; ++point) {
      o.cancel_at_point = point;
      if (attempt(o)) return last;
    }
    sampled_from = 1;
  }
  for (std::uint64_t i = sampled_from; made < runs; ++i) {
    opts.seed = first + i;
    if (attempt(opts)) return last;
  }
  progress.finish(runs, 0);
  if (env.seed) write_trace(env, last, eo.name);
  return last;
}

}  // namespace simloop
