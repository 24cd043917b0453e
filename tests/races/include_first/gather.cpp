// gather.hpp compiles on its own.
#include <simloop/gather.hpp>
#include <simloop/gather.hpp>
