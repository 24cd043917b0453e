// queue.hpp compiles on its own.
#include <simloop/queue.hpp>
#include <simloop/queue.hpp>
