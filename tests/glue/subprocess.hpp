// tests/glue/subprocess.hpp: run a binary with environment variables.
#pragma once

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <sys/wait.h>

namespace glue_test {

struct outcome {
  int status = -1;     // exit status
  std::string output;  // stdout and stderr, interleaved
};

// `env` is "A=1 B=2" (shell words); args are appended after the binary.
inline outcome run(const std::string& env, const std::string& binary, const std::string& args) {
  // A clean slate: no SIMLOOP_* or GTEST_* variable of ours leaks in.
  std::string cmd = "env -u SIMLOOP_SEED -u SIMLOOP_RUNS -u SIMLOOP_STRATEGY -u SIMLOOP_SHARD -u SIMLOOP_TRACE "
                    "-u SIMLOOP_QUIET -u SIMLOOP_CHECK_DETERMINISM -u SIMLOOP_PROGRESS_MS -u SIMLOOP_JOBS -u GTEST_TOTAL_SHARDS "
                    "-u GTEST_SHARD_INDEX -u GTEST_OUTPUT SIMLOOP_REGRESSIONS=" SIMLOOP_GLUE_TMP "/default-regressions " +
                    env + " '" + binary + "' " + args + " 2>&1";
  outcome o;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return o;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) o.output.append(buf, n);
  int raw = ::pclose(p);
  o.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  return o;
}

inline std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + 1)) ++n;
  return n;
}

// A fresh directory for one test.
inline std::string fresh_dir(const std::string& name) {
  std::string dir = std::string(SIMLOOP_GLUE_TMP) + "/" + name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

// The seed in "SIMLOOP_SEED=0x.." of a failure's replay line.
inline std::string replay_seed(const std::string& output) {
  std::smatch m;
  if (std::regex_search(output, m, std::regex("SIMLOOP_SEED=(0x[0-9a-f]+)"))) return m[1];
  return {};
}

inline std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace glue_test
