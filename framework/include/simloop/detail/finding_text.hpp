// simloop/detail/finding_text.hpp: reshaping finding messages for the glue.
#pragma once

#include <string>
#include <string_view>

namespace simloop::detail {

// A finding's message without its "  replay: ..." line: test glue prints one
// replay line for the whole failure instead.
std::string without_replay_line(std::string_view message);

}  // namespace simloop::detail
