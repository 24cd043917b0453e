// tracked.hpp compiles on its own.
#include <simloop/tracked.hpp>
#include <simloop/tracked.hpp>
