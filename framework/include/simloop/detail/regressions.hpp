// simloop/detail/regressions.hpp: the file of seeds that failed before.
#pragma once

#include <simloop/options.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace simloop::detail {

// A regressions file is plain text, one failing seed a line, appended to by
// every exploration that fails and re-run first by every later one (like
// proptest's regression files):
//
//   # simloop regressions: seeds that failed; re-run first by later runs.
//   Suite.Name seed=0x2a strategy=pct
//   Suite.Name seed=0x0 strategy=pct cancel_at=3
//
// cancel_at (optional) is options::cancel_at_point: a run of
// explore_options::cancel_each_point that failed with a cancellation
// injected at its 3rd injectable point replays only with it.
//
// Lines are appended with one write() on an O_APPEND descriptor, so CI shards
// sharing a directory do not tear each other's lines.
struct regression_entry {
  std::uint64_t seed = 0;
  simloop::strategy strategy = strategy::pct;
  std::uint64_t cancel_at_point = 0;  // 0: none
  std::size_t line = 0;  // 1-based line in the file
};

// <dir>/<stem of source>.simloop-regressions, where dir is dir_override when
// not empty, else the directory of source.
std::string regressions_path(const std::string& dir_override, const std::string& source);

// The entries for test `name`, in file order, without duplicates. A missing
// file has none. Every malformed line adds one warning line to `warnings`
// naming the file and line; it never throws for the file's content.
std::vector<regression_entry> load_regressions(const std::string& path, std::string_view name,
                                               std::string& warnings);

// Appends an entry unless the file already holds it. Returns an error text,
// empty on success.
std::string append_regression(const std::string& path, std::string_view name, std::uint64_t seed,
                              simloop::strategy, std::uint64_t cancel_at_point = 0);

}  // namespace simloop::detail
