// The detectors' public headers compile on their own (each included first
// in its own translation unit would be stricter; these two have no others).
#include <simloop/spawn.hpp>
#include <simloop/allow_blocking.hpp>

#include <gtest/gtest.h>

TEST(DetectorHeaders, SelfContained) {
  simloop::allow_blocking allow;
  SUCCEED();
}
