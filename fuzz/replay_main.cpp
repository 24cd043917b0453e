// The plain driver: replays corpus files and crash files through a fuzz
// target without libFuzzer, with any compiler.
//
//   <target>_replay [--explain] [--trace out.json] FILE|DIR...
//
// Without --explain a finding aborts, exactly as under libFuzzer. With it,
// each input's outcome is printed ("ok" or the finding with the equivalent
// replay schedule) and the exit status is 1 if any input had a finding.
// --trace writes the (last) input's run as Chrome trace JSON for Perfetto.
#include "fuzz_target.hpp"

#include <simloop/chrome_trace.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

std::vector<std::filesystem::path> inputs(const std::filesystem::path& p) {
  std::vector<std::filesystem::path> out;
  if (std::filesystem::is_directory(p)) {
    for (const auto& e : std::filesystem::directory_iterator(p))
      if (e.is_regular_file()) out.push_back(e.path());
    std::sort(out.begin(), out.end());
  } else {
    out.push_back(p);
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::filesystem::path> files;
  std::string trace;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--explain") {
      simloop::fuzz::explain_mode = true;
      continue;
    }
    if (a == "--trace" && i + 1 < argc) {
      trace = argv[++i];
      continue;
    }
    if (!std::filesystem::exists(a)) {
      std::fprintf(stderr, "%s: no such file or directory: %s\n", argv[0], a.c_str());
      return 2;
    }
    for (auto& f : inputs(a)) files.push_back(f);
  }
  if (files.empty()) {
    std::fprintf(stderr, "usage: %s [--explain] [--trace out.json] FILE|DIR...\n", argv[0]);
    return 2;
  }
  int with_findings = 0;
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
    const auto& r = simloop::fuzz::last_report();
    if (!r.ok()) ++with_findings;
    std::printf("%s: %s (%llu steps)\n", f.string().c_str(), r.ok() ? "ok" : "FINDING",
                static_cast<unsigned long long>(r.steps));
    if (!trace.empty()) {
      std::string error = simloop::write_chrome_trace(r, trace, f.filename().string());
      if (!error.empty()) {
        std::fprintf(stderr, "%s: %s\n", argv[0], error.c_str());
        return 2;
      }
    }
  }
  std::printf("%zu inputs replayed, %d with findings\n", files.size(), with_findings);
  return with_findings ? 1 : 0;
}
