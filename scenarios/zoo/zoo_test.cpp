// The bug zoo's expectations as tests, on smaller budgets than the main job:
// every mutant caught with its named finding, every correct version silent.
#include "zoo.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace {

std::vector<std::string> variant_ids() {
  std::vector<std::string> ids;
  for (const auto& v : simloop::zoo::all()) ids.push_back(v.id());
  return ids;
}

const simloop::zoo::variant& find(const std::string& id) {
  const auto& all = simloop::zoo::all();
  return *std::find_if(all.begin(), all.end(), [&](const auto& v) { return v.id() == id; });
}

class Zoo : public testing::TestWithParam<std::string> {};

TEST_P(Zoo, BehavesAsAnnotated) {
  const auto& v = find(GetParam());
  // Correct versions get a smaller budget than in the main job; mutants the
  // full one (exploration stops at the first failure anyway).
  std::uint64_t runs = v.is_mutant() ? v.runs : std::min<std::uint64_t>(v.runs, 300);
  auto out = simloop::zoo::evaluate(v, runs);
  EXPECT_TRUE(out.as_expected) << v.id() << ": " << out.verdict << "\n" << out.r.describe();
  if (v.is_mutant() && !out.r.ok()) {
    // The finding names its kind and carries a replay line.
    const auto& msg = out.r.findings.front().message;
    EXPECT_NE(msg.find("simloop: "), std::string::npos) << msg;
    EXPECT_NE(msg.find("replay: SIMLOOP_SEED="), std::string::npos) << msg;
    // Replaying the reported seed finds the same thing again.
    auto again = simloop::zoo::evaluate(v, std::nullopt, out.r.seed);
    EXPECT_EQ(again.r.trace_hash, out.r.trace_hash);
    EXPECT_TRUE(again.r.has(*v.expected));
  }
}

std::string test_name(const testing::TestParamInfo<std::string>& info) {
  std::string name = info.param;
  std::replace(name.begin(), name.end(), '/', '_');
  return name;
}

INSTANTIATE_TEST_SUITE_P(Variants, Zoo, testing::ValuesIn(variant_ids()), test_name);

}  // namespace
