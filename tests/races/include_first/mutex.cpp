// mutex.hpp compiles on its own.
#include <simloop/mutex.hpp>
#include <simloop/mutex.hpp>
