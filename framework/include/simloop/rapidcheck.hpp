// simloop/rapidcheck.hpp: schedules as RapidCheck-generated, shrinkable input.
// CMake target simloop::rapidcheck.
#pragma once

#include <simloop/finding.hpp>
#include <simloop/options.hpp>

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <functional>

namespace simloop::rc {

// Inside a RapidCheck property (RC_GTEST_PROP, rc::check): draws the
// schedule as a generated list of choices and runs make_body() once under
// strategy::replay. Choice 0 is the default (FIFO) pick and an exhausted list
// answers 0, so RapidCheck, shrinking the list together with the property's
// other inputs, ends at the smallest input with the fewest schedule
// deviations. A failing run fails the property (RC_FAIL) with every finding
// and the schedule; RapidCheck's RC_PARAMS="reproduce=..." line replays it.
//
//   RC_GTEST_PROP(Counter, NoLostUpdate, ()) {
//     const int tasks = *rc::gen::inRange(1, 9);
//     simloop::rc::check([tasks] { return counter_body(tasks); });
//   }
//
// base: limits and detector settings of the run (strategy and choices are
// replaced). max_choice: choices are drawn in [0, max_choice) and taken
// modulo the number of ready steps.
void check(std::function<boost::asio::awaitable<void>()> make_body, options base = {},
           std::uint32_t max_choice = 8);

// The report of the last failing check() on this thread. After RapidCheck has
// finished shrinking, that is the minimal counterexample's run.
const report& last_failure();

// Decisions of r that deviated from the default pick (non-zero choices).
std::size_t deviations(const report& r);

}  // namespace simloop::rc
