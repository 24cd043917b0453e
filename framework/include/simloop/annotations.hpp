// simloop/annotations.hpp: happens-before annotations for synchronisation
// the simulation cannot see (like TSan's ANNOTATE_HAPPENS_BEFORE/AFTER).
#pragma once

namespace simloop {

// Everything the current task did so far happens before whatever a task does
// after a later happens_after(addr) with the same address. Use it for a
// hand-made primitive's release (unlock, send, set), and happens_after for
// its acquire (lock granted, receive, wait returned). No-ops outside a
// simulation and with options::detect_races off, so production code can
// keep them.
//
// simloop's own primitives (mutex, semaphore, event, condition, queue,
// task_group, gather, as_completed) annotate themselves; so do spawn, join,
// post/dispatch and timers (each step joins the step that submitted it).
//
// asio::experimental::channel: a receive that waited for its sender is
// completed from the sender's step and so is ordered after it; a receive
// that finds a value already buffered is not. Annotate buffered channels:
//
//   simloop::happens_before(&ch);  co_await ch.async_send(ec, v, asio::use_awaitable);
//   auto v = co_await ch.async_receive(asio::use_awaitable);  simloop::happens_after(&ch);
void happens_before(const void* addr) noexcept;
void happens_after(const void* addr) noexcept;
// addr no longer names a synchronisation object (its memory is reused).
void happens_forget(const void* addr) noexcept;

}  // namespace simloop
