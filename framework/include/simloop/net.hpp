// simloop/net.hpp: the simulated network (hosts, TCP, UDP, faults).
#pragma once

#include <simloop/net/connect.hpp>
#include <simloop/net/network.hpp>
#include <simloop/net/tcp.hpp>
#include <simloop/net/udp.hpp>
