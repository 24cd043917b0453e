// semaphore.hpp compiles on its own.
#include <simloop/semaphore.hpp>
#include <simloop/semaphore.hpp>
