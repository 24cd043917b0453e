// Helpers shared by the detector tests.
#pragma once

#include <simloop/simloop.hpp>

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <string>
#include <string_view>

namespace detector_test {

// "tests/detectors/<file>:<line>" as findings print a site of this folder.
inline std::string site(std::string_view file, int line) {
  return fmt::format("tests/detectors/{}:{}", file, line);
}

inline testing::AssertionResult contains(const std::string& text, std::string_view part) {
  if (text.find(part) != std::string::npos) return testing::AssertionSuccess();
  return testing::AssertionFailure() << "expected to find\n[" << part << "]\nin\n[" << text << "]";
}

// The one finding of a report with this kind (fails the test otherwise).
inline std::string only_finding(const simloop::report& r, simloop::finding_kind kind) {
  std::string found;
  int n = 0;
  for (const auto& f : r.findings) {
    if (f.kind == kind) {
      found = f.message;
      ++n;
    }
  }
  EXPECT_EQ(n, 1) << r.describe();
  return found;
}

// A fixed program stays silent over many seeds of random and pct. jobs as
// in explore_options: 1 when the test counts something over all runs in
// this process (worker processes would count into their own copies).
inline void expect_silent(const std::function<asio::awaitable<void>()>& body, std::uint64_t runs = 1000,
                          simloop::options base = {}, unsigned jobs = 0) {
  for (auto s : {simloop::strategy::random, simloop::strategy::pct}) {
    simloop::explore_options eo;
    eo.runs = runs;
    eo.strategy = s;
    eo.base = base;
    eo.use_environment = false;
    eo.jobs = jobs;
    simloop::report r = simloop::explore(eo, body);
    EXPECT_TRUE(r.ok()) << "strategy " << simloop::to_string(s) << ", run " << r.runs << ":\n" << r.describe();
    EXPECT_EQ(r.runs, runs);
  }
}

}  // namespace detector_test
