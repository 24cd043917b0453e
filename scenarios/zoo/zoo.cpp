#include "zoo.hpp"

#include <fmt/format.h>

#include <chrono>

namespace simloop::zoo {

namespace {
std::vector<variant>& registry() {
  static std::vector<variant> all;
  return all;
}
}  // namespace

void add(variant v) { registry().push_back(std::move(v)); }

const std::vector<variant>& all() { return registry(); }

std::string replay_line(std::string_view program, const variant& v, std::uint64_t seed, simloop::strategy s) {
  return fmt::format("SIMLOOP_SEED={:#x} SIMLOOP_STRATEGY={} {} --only {}", seed, to_string(s), program, v.id());
}

outcome evaluate(const variant& v, std::optional<std::uint64_t> runs, std::optional<std::uint64_t> seed) {
  outcome out;
  out.v = &v;
  explore_options eo;
  eo.first_seed = seed.value_or(0);
  eo.runs = seed ? 1 : runs.value_or(v.runs);
  eo.strategy = v.strategy;
  eo.base = v.base;
  eo.use_environment = false;
  auto start = std::chrono::steady_clock::now();
  out.r = explore(eo, v.make_body);
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!v.is_mutant()) {
    out.as_expected = out.r.ok();
    out.verdict = out.as_expected ? "silent" : "FALSE POSITIVE";
  } else if (out.r.ok()) {
    out.verdict = "ESCAPED";
  } else if (out.r.has(*v.expected)) {
    out.as_expected = true;
    out.verdict = "caught";
  } else {
    out.verdict = fmt::format("wrong kind: {}", to_string(out.r.findings.front().kind));
  }
  return out;
}

}  // namespace simloop::zoo
