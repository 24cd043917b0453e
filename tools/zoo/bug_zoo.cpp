// bug_zoo: explores every scenario variant and prints what was found.
//
//   bug_zoo                      all variants, their full budgets
//   bug_zoo --only S/V           one variant (with SIMLOOP_SEED: replay one seed)
//   bug_zoo --runs N             override every budget
//   bug_zoo --list               list the variants
//
// Exit status: 0 when every mutant was caught by its named finding and every
// correct version stayed silent; 1 otherwise; 2 for bad arguments.
#include "scenarios/zoo/zoo.hpp"

#include <simloop/detail/environment.hpp>

#include <fmt/format.h>

#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <optional>
#include <string>

namespace {

int usage(const char* msg) {
  std::fprintf(stderr, "bug_zoo: %s\nusage: bug_zoo [--only scenario/variant] [--runs N] [--list]\n", msg);
  return 2;
}

std::string kind_or_dash(const std::optional<simloop::finding_kind>& k) {
  return k ? std::string(simloop::to_string(*k)) : "-";
}

}  // namespace

int main(int argc, char** argv) {
  std::optional<std::string> only;
  std::optional<std::uint64_t> runs;
  bool list = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--only" && i + 1 < argc) only = argv[++i];
    else if (a == "--runs" && i + 1 < argc) {
      try {
        runs = simloop::detail::parse_u64("--runs", argv[++i]);
      } catch (const std::exception& e) {
        return usage(e.what());
      }
    } else if (a == "--list") list = true;
    else return usage(("unknown argument " + a).c_str());
  }

  std::optional<std::uint64_t> seed;
  std::optional<simloop::strategy> strategy;
  try {
    auto env = simloop::detail::read_environment();
    seed = env.seed;
    strategy = env.strategy;
    if (env.runs && !runs) runs = env.runs;
  } catch (const std::exception& e) {
    return usage(e.what());
  }

  std::vector<const simloop::zoo::variant*> chosen;
  for (const auto& v : simloop::zoo::all())
    if (!only || v.id() == *only) chosen.push_back(&v);
  if (chosen.empty()) return usage(fmt::format("no variant named '{}' (see --list)", only.value_or("")).c_str());
  if (seed && !only) return usage("SIMLOOP_SEED replays one variant: add --only scenario/variant");

  if (list) {
    for (const auto* v : chosen)
      fmt::print("{:<44} {:<22} {}\n", v->id(), kind_or_dash(v->expected), v->mistake);
    return 0;
  }

  const bool tty = isatty(STDERR_FILENO);
  std::vector<simloop::zoo::outcome> outcomes;
  double total_seconds = 0;
  for (std::size_t i = 0; i < chosen.size(); ++i) {
    simloop::zoo::variant v = *chosen[i];
    if (strategy) v.strategy = *strategy;
    std::fprintf(stderr, tty ? "\r\033[K[%zu/%zu] exploring %s" : "[%zu/%zu] exploring %s\n", i + 1, chosen.size(),
                 v.id().c_str());
    simloop::set_replay_target(fmt::format("{} --only {}", argv[0], v.id()), "");
    auto out = simloop::zoo::evaluate(v, runs, seed);
    out.v = chosen[i];
    total_seconds += out.seconds;
    outcomes.push_back(std::move(out));
  }
  if (tty) std::fprintf(stderr, "\r\033[K");

  fmt::print("{:<20} {:<26} {:<21} {:<21} {:>6} {:>8} {:>8}  {}\n", "scenario", "variant", "expected", "found",
             "runs", "seed", "time", "verdict");
  int caught = 0, escaped = 0, silent = 0, false_positives = 0;
  for (const auto& o : outcomes) {
    const auto& v = *o.v;
    std::string found = o.r.ok() ? "-" : std::string(simloop::to_string(o.r.findings.front().kind));
    std::string seed_text = o.r.ok() ? "-" : fmt::format("{:#x}", o.r.seed);
    fmt::print("{:<20} {:<26} {:<21} {:<21} {:>6} {:>8} {:>7.2f}s  {}\n", v.scenario, v.name,
               kind_or_dash(v.expected), found, o.r.runs, seed_text, o.seconds, o.verdict);
    if (!o.r.ok()) fmt::print("    replay: {}\n", simloop::zoo::replay_line(argv[0], v, o.r.seed, v.strategy));
    if (v.is_mutant()) (o.as_expected ? caught : escaped)++;
    else (o.as_expected ? silent : false_positives)++;
  }
  fmt::print("\n{} mutants caught, {} escaped; {} correct versions silent, {} false positives; {:.2f}s\n", caught,
             escaped, silent, false_positives, total_seconds);
  if (only && outcomes.size() == 1 && !outcomes[0].r.ok()) fmt::print("\n{}", outcomes[0].r.describe());
  return escaped == 0 && false_positives == 0 ? 0 : 1;
}
