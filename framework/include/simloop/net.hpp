// simloop/net.hpp: the simulated network.
#pragma once

#include <simloop/net/network.hpp>
