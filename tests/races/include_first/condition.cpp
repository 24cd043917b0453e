// condition.hpp compiles on its own.
#include <simloop/condition.hpp>
#include <simloop/condition.hpp>
