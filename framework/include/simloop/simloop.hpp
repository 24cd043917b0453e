// simloop/simloop.hpp: everything of simloop's core.
#pragma once

#include <simloop/allow_blocking.hpp>
#include <simloop/annotations.hpp>
#include <simloop/as_completed.hpp>
#include <simloop/assert.hpp>
#include <simloop/clock.hpp>
#include <simloop/condition.hpp>
#include <simloop/error.hpp>
#include <simloop/event.hpp>
#include <simloop/executor.hpp>
#include <simloop/explore.hpp>
#include <simloop/finding.hpp>
#include <simloop/gather.hpp>
#include <simloop/mutex.hpp>
#include <simloop/options.hpp>
#include <simloop/queue.hpp>
#include <simloop/random.hpp>
#include <simloop/semaphore.hpp>
#include <simloop/simulation.hpp>
#include <simloop/sleep.hpp>
#include <simloop/spawn.hpp>
#include <simloop/task_group.hpp>
#include <simloop/timeout.hpp>
#include <simloop/timer.hpp>
#include <simloop/tracked.hpp>

// What nearly every test body uses with them.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace simloop {
namespace asio = boost::asio;
}

// The contract's spelling: tests write asio::awaitable, asio::co_spawn. A
// namespace alias may be redeclared to the same namespace, so user code that
// has its own `namespace asio = boost::asio;` still compiles.
namespace asio = boost::asio;
