#include <simloop/detail/finding_text.hpp>

namespace simloop::detail {

std::string without_replay_line(std::string_view message) {
  std::string out;
  std::size_t pos = 0;
  while (pos < message.size()) {
    std::size_t end = message.find('\n', pos);
    std::size_t next = end == std::string_view::npos ? message.size() : end + 1;
    std::string_view line = message.substr(pos, next - pos);
    if (line.rfind("  replay: ", 0) != 0) out += line;
    pos = next;
  }
  return out;
}

}  // namespace simloop::detail
