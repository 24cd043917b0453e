// as_completed.hpp compiles on its own.
#include <simloop/as_completed.hpp>
#include <simloop/as_completed.hpp>
