// A bug-zoo variant as a fuzz target; SIMLOOP_ZOO_VARIANT names it
// ("scenario/variant"), set per target by fuzz/CMakeLists.txt.
#include "fuzz_target.hpp"

#include "scenarios/zoo/zoo.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace {

const simloop::zoo::variant& chosen() {
  static const simloop::zoo::variant* v = [] {
    const auto& all = simloop::zoo::all();
    auto it = std::find_if(all.begin(), all.end(), [](const auto& v) { return v.id() == SIMLOOP_ZOO_VARIANT; });
    if (it == all.end()) {
      std::fprintf(stderr, "zoo_fuzz: no variant %s\n", SIMLOOP_ZOO_VARIANT);
      std::abort();
    }
    return &*it;
  }();
  return *v;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return simloop::fuzz::run_input(data, size, chosen().make_body);
}
