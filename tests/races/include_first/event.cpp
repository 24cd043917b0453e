// event.hpp compiles on its own.
#include <simloop/event.hpp>
#include <simloop/event.hpp>
