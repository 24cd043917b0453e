// simloop/detail/spawn_slot.hpp: which co_spawned tasks cancellation
// injection may cancel through their bound cancellation slot.
#pragma once

#include <boost/asio/cancellation_signal.hpp>

namespace simloop::detail {

// The asio::cancellation_signal a connected slot belongs to, or null.
void* signal_of(const boost::asio::cancellation_slot& slot) noexcept;

// Called by simloop's co_spawn overloads around Asio's initiation: when the
// running simulation injects into tasks (options::cancel_targets has
// cancel_tasks) and the handler's slot is connected, the task the initiation
// starts is registered with that slot's signal. Spawns from library code
// (site_file in Boost or simloop's headers: || and && operands, gather,
// timeout's race) are not registered: their owner cancels them as a whole.
// Returns whether it registered (end_spawn_signal() must then follow).
bool expect_spawn_signal(const boost::asio::cancellation_slot& slot, const char* site_file) noexcept;
void end_spawn_signal() noexcept;

}  // namespace simloop::detail
