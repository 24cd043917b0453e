#include <simloop/explore.hpp>

#include <simloop/chrome_trace.hpp>
#include <simloop/detail/determinism.hpp>
#include <simloop/detail/environment.hpp>
#include <simloop/detail/progress.hpp>
#include <simloop/detail/regressions.hpp>
#include <simloop/detail/worker_pool.hpp>
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

constexpr const char* nondeterminism_cause =
    "  cause:            state that outlives a run (a static, a global, a cache), real time or real\n"
    "                    randomness, or addresses/unordered containers deciding what to do\n";

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
    msg += nondeterminism_cause;
    msg += fmt::format("  replay: SIMLOOP_CHECK_DETERMINISM=1 {}\n", replay_command(opts.seed, opts.strategy));
    first.findings.push_back(finding{finding_kind::nondeterminism, std::move(msg), first.steps, first.virtual_elapsed});
  }
  return first;
}

// A run that failed in a worker process passed when this process ran it
// again (r): it depends on more than its seed, e.g. on what earlier runs in
// the same process left behind.
finding worker_only_failure(const report& r) {
  std::string msg = fmt::format(
      "simloop: nondeterminism: seed {:#x} failed in a worker process but passed when run again in the exploring "
      "process (SIMLOOP_JOBS; strategy {})\n",
      r.seed, to_string(r.strategy));
  msg += nondeterminism_cause;
  msg += fmt::format("  replay: SIMLOOP_CHECK_DETERMINISM=1 SIMLOOP_JOBS=1 {}\n",
                     replay_command(r.seed, r.strategy, r.cancel_at_point));
  return finding{finding_kind::nondeterminism, std::move(msg), r.steps, r.virtual_elapsed};
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
  if (eo.jobs > 1024)
    throw std::invalid_argument(fmt::format("simloop::explore_options::jobs must be at most 1024 (got {})", eo.jobs));
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
  // The runs after the regression entries, in serial order: with cover,
  // its counting run, then one run per injectable point it counted; then the
  // sampled seeds.
  options cover_opts = opts;
  std::uint64_t cover_points = 0;
  std::uint64_t first_sampled = first;
  if (cover) {
    // Each cover run is determined by its own options (seed, strategy,
    // cancel_at_point): what run 1 learned only decides which runs to make.
    cover_opts.seed = first;
    cover_opts.cancel_one_in = 0;
    cover_opts.cancel_at_point = 0;
    cover_opts.count_cancel_points = true;
    if (attempt(cover_opts)) return last;
    cover_points = last.cancel_points;
    cover_opts.count_cancel_points = false;
    first_sampled = first + 1;
  }
  // Run i of the rest: cover runs 1..cover_points, then seeds from first_sampled.
  std::uint64_t before = made;
  std::uint64_t rest = cover_points + (runs > before + cover_points ? runs - before - cover_points : 0);
  auto options_of = [&](std::uint64_t i) {
    options o = i < cover_points ? cover_opts : opts;
    if (i < cover_points) o.cancel_at_point = i + 1;
    else o.seed = first_sampled + (i - cover_points);
    return o;
  };
  auto attempt_at = [&](std::uint64_t i) {
    made = before + i;
    return attempt(options_of(i));
  };
  unsigned jobs = eo.jobs ? eo.jobs : env.jobs ? *env.jobs : detail::available_cores();
  if (jobs > 1 && rest >= 3 && !env.seed && detail::can_fork_workers()) {
    // Workers take all but the last run; this process re-runs the first
    // failure they found (its effects are the ones that count), or makes
    // the last run itself when none failed, so that either way the report
    // returned is from a run in this process, as in a serial exploration.
    std::uint64_t pooled = rest - 1;
    auto failed_in_worker = [&](std::uint64_t i) {
      return !run_checked(options_of(i), make_body, env.check_determinism).ok();
    };
    detail::pool_result pool = detail::run_in_workers(
        pooled, jobs, failed_in_worker, [&](std::uint64_t n) { progress.update(std::min(before + n, runs), 0); });
    if (pool.started) {
      for (auto [begin, end] : pool.unfinished)
        for (std::uint64_t i = begin; i < end; ++i)
          if (attempt_at(i)) return last;
      if (pool.first_failure) {
        if (attempt_at(*pool.first_failure)) return last;
        last.findings.push_back(worker_only_failure(last));
        progress.finish(std::min(made, runs), 1);
        return last;
      }
      if (attempt_at(pooled)) return last;
      progress.finish(runs, 0);
      return last;
    }
  }
  for (std::uint64_t i = 0; i < rest; ++i)
    if (attempt_at(i)) return last;
  progress.finish(runs, 0);
  if (env.seed) write_trace(env, last, eo.name);
  return last;
}

}  // namespace simloop
