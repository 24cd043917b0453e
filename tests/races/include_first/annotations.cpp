// annotations.hpp compiles on its own.
#include <simloop/annotations.hpp>
#include <simloop/annotations.hpp>
