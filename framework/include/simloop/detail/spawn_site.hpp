// simloop/detail/spawn_site.hpp: return addresses now, source lines later.
#pragma once

#include <simloop/detail/frame_info.hpp>

#include <string>

namespace simloop::detail {

// Fills out with up to max return addresses of the calling thread's stack
// (innermost first, this function excluded); returns how many. About a
// microsecond: no symbol lookup happens here.
int capture_return_addresses(void** out, int max) noexcept;

// The first of the addresses that lies in the user's code (not in Asio,
// simloop, the standard library or the C runtime), as "file:line" (with
// " in function" when asked), or "" when none can be symbolised.
std::string user_frame_site(void* const* frames, int count);

// A symbolised backtrace, one "    #i function at file:line" line each.
std::string format_backtrace(void* const* frames, int count);

// "tests/leak.cpp:41" from a compiler path and line: the path from its last
// tests/, src/, scenarios/, examples/ or include/ component on.
std::string short_site(const char* file, unsigned line);
std::string short_path(const char* file);

}  // namespace simloop::detail
