// simloop/simloop.hpp: everything of simloop's core.
#pragma once

#include <simloop/allow_blocking.hpp>
#include <simloop/assert.hpp>
#include <simloop/clock.hpp>
#include <simloop/error.hpp>
#include <simloop/executor.hpp>
#include <simloop/explore.hpp>
#include <simloop/finding.hpp>
#include <simloop/options.hpp>
#include <simloop/simulation.hpp>
#include <simloop/sleep.hpp>
#include <simloop/spawn.hpp>
#include <simloop/timeout.hpp>
#include <simloop/timer.hpp>
#include <simloop/tracked.hpp>

namespace simloop {
namespace asio = boost::asio;
}

// The contract's spelling: tests write asio::awaitable, asio::co_spawn. A
// namespace alias may be redeclared to the same namespace, so user code that
// has its own `namespace asio = boost::asio;` still compiles.
namespace asio = boost::asio;
