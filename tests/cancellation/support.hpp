// Helpers shared by the cancellation tests.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace cancellation_test {

// EXPECT_TRUE(contains(message, "...")): prints both texts when it fails.
inline testing::AssertionResult contains(const std::string& text, std::string_view part) {
  if (text.find(part) != std::string::npos) return testing::AssertionSuccess();
  return testing::AssertionFailure() << "expected to find\n[" << part << "]\nin\n[" << text << "]";
}

}  // namespace cancellation_test
