#include "process.hpp"

#include "../zoo/zoo.hpp"

#include <simloop/random.hpp>

#include <map>

namespace scenarios::as_completed {
namespace {

// Five lookups with seed-chosen latencies; each answer must be handled the
// moment it arrives (in virtual time: at exactly its latency).
asio::awaitable<void> check(bool in_order) {
  std::vector<lookup> lookups;
  for (int id = 0; id < 5; ++id) lookups.push_back({id, std::chrono::milliseconds(1 + simloop::random_below(50))});
  auto start = simloop::clock::now();
  std::map<int, simloop::clock::duration> handled_after;
  auto handle = [&](int id) { handled_after[id] = simloop::clock::now() - start; };
  if (in_order)
    co_await process_in_order(lookups, handle);
  else
    co_await process(lookups, handle);
  SIMLOOP_ASSERT(handled_after.size() == lookups.size());
  for (const auto& l : lookups) SIMLOOP_ASSERT(handled_after[l.id] == l.latency);
}

// The oracle is exact virtual time (each answer handled at its latency), so
// delay injection, which makes a step run after a later deadline on purpose,
// is off for this scenario.
simloop::options exact_time() {
  simloop::options o;
  o.delay_one_in = 0;
  return o;
}

const simloop::zoo::registrar correct{{
    .scenario = "as_completed",
    .name = "correct",
    .make_body = [] { return check(false); },
    .base = exact_time(),
}};

const simloop::zoo::registrar in_order{{
    .scenario = "as_completed",
    .name = "submission_order",
    .mistake = "results awaited in submission order: a fast answer waits behind a slow one",
    .expected = simloop::finding_kind::assertion,
    .make_body = [] { return check(true); },
    .base = exact_time(),
}};

}  // namespace
}  // namespace scenarios::as_completed
