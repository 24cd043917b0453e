#include "fuzz_target.hpp"
#include "ordering_bug.hpp"

SIMLOOP_FUZZ_TARGET(simloop::fuzz::ordering_bug)
