// task_group.hpp compiles on its own.
#include <simloop/task_group.hpp>
#include <simloop/task_group.hpp>
