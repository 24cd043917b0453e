// fuzz/fuzz_target.hpp: libFuzzer targets whose input bytes are the schedule.
//
//   SIMLOOP_FUZZ_TARGET(my_body)   // my_body: () -> asio::awaitable<void>
//
// defines LLVMFuzzerTestOneInput: the body runs on a simulation whose every
// decision (which ready step runs, latencies, faults, random_below) is read
// from the input bytes, one to eight bytes a decision; past the end of the
// input every decision is 0, the default pick. A finding is a crash: its text
// and the equivalent replay schedule are printed, then abort().
//
// The same file builds two ways: with clang and -fsanitize=fuzzer into a
// libFuzzer binary (SIMLOOP_FUZZ=ON), or with any compiler and
// replay_main.cpp into a plain driver that runs corpus and crash files, so a
// crash found anywhere replays in a normal build.
#pragma once

#include <simloop/simloop.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>

namespace simloop::fuzz {

// Set by the plain driver's --explain: report findings and return instead of
// aborting.
extern bool explain_mode;
// The report of the last input run (the driver prints from it).
const report& last_report();

// Runs one input; returns 0, or aborts on a finding (unless explain_mode).
int run_input(const std::uint8_t* data, std::size_t size, const std::function<asio::awaitable<void>()>& make_body);
// Runs one input twice, and also aborts if the two runs differ (trace hash):
// the same bytes must give the same run.
int run_input_twice(const std::uint8_t* data, std::size_t size,
                    const std::function<asio::awaitable<void>()>& make_body);

}  // namespace simloop::fuzz

#define SIMLOOP_FUZZ_TARGET(make_body)                                                  \
  extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {   \
    return ::simloop::fuzz::run_input(data, size, make_body);                           \
  }
