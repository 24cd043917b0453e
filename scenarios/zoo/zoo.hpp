// scenarios/zoo/zoo.hpp: the bug zoo — every scenario variant and the
// finding that must (or must not) come out of exploring it.
#pragma once

#include <simloop/simloop.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace simloop::zoo {

struct variant {
  std::string scenario;  // folder name: "producer_consumer"
  std::string name;      // "correct", "too_few_sentinels", ...
  // The mistake in one line ("one sentinel fewer than workers"); empty for a
  // correct version.
  std::string mistake;
  // The finding that must catch the mistake; nullopt: a correct version,
  // which must stay silent over the whole budget.
  std::optional<finding_kind> expected;
  std::function<asio::awaitable<void>()> make_body;
  std::uint64_t runs = 1000;  // budget: seeds explored
  simloop::strategy strategy = simloop::strategy::pct;
  options base = {};

  std::string id() const { return scenario + "/" + name; }
  bool is_mutant() const { return expected.has_value(); }
};

// Variants register themselves at static initialisation:
//   static const simloop::zoo::registrar r{{.scenario = ..., ...}};
void add(variant);
const std::vector<variant>& all();
struct registrar {
  explicit registrar(variant v) { add(std::move(v)); }
};

struct outcome {
  const variant* v = nullptr;
  bool as_expected = false;  // mutant caught with the right kind / correct silent
  report r;                  // the first failing run, or the last run
  double seconds = 0;
  std::string verdict;       // "caught", "ESCAPED", "wrong kind: ...", "silent", "FALSE POSITIVE"
};

// Explores one variant. runs overrides the variant's budget when set; seed
// replays one seed only.
outcome evaluate(const variant&, std::optional<std::uint64_t> runs = std::nullopt,
                 std::optional<std::uint64_t> seed = std::nullopt);

// The command that replays seed of a variant with the bug-zoo runner.
std::string replay_line(std::string_view program, const variant&, std::uint64_t seed, simloop::strategy);

}  // namespace simloop::zoo
