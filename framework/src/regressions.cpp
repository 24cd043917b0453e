#include <simloop/detail/regressions.hpp>

#include <simloop/detail/environment.hpp>

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace simloop::detail {

namespace {

constexpr std::string_view header =
    "# simloop regressions: seeds that failed; re-run first by later runs.\n"
    "# <test> seed=<0xhex> strategy=<fifo|random|pct> [cancel_at=<n>]\n";

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// "Suite.Name seed=0x2a strategy=pct [cancel_at=3]" -> name and entry;
// false if malformed.
bool parse_line(std::string_view text, std::string& name, regression_entry& e) {
  std::istringstream in{std::string(text)};
  std::string seed, strat, cancel_at, extra;
  if (!(in >> name >> seed >> strat)) return false;
  if (in >> cancel_at && (cancel_at.rfind("cancel_at=", 0) != 0 || (in >> extra))) return false;
  if (seed.rfind("seed=", 0) != 0 || strat.rfind("strategy=", 0) != 0) return false;
  try {
    e.seed = parse_u64("seed", seed.substr(5));
    e.strategy = parse_strategy("strategy", strat.substr(9));
    if (!cancel_at.empty()) {
      e.cancel_at_point = parse_u64("cancel_at", cancel_at.substr(10));
      if (e.cancel_at_point == 0) return false;
    }
  } catch (const std::invalid_argument&) {
    return false;
  }
  return true;
}

std::string entry_line(std::string_view name, std::uint64_t seed, simloop::strategy s, std::uint64_t cancel_at) {
  if (cancel_at != 0) return fmt::format("{} seed={:#x} strategy={} cancel_at={}\n", name, seed, to_string(s), cancel_at);
  return fmt::format("{} seed={:#x} strategy={}\n", name, seed, to_string(s));
}

}  // namespace

std::string regressions_path(const std::string& dir_override, const std::string& source) {
  namespace fs = std::filesystem;
  fs::path src(source);
  fs::path dir = dir_override.empty() ? src.parent_path() : fs::path(dir_override);
  std::string stem = src.stem().string();
  if (stem.empty()) stem = "simloop";
  return (dir / (stem + ".simloop-regressions")).string();
}

std::vector<regression_entry> load_regressions(const std::string& path, std::string_view name,
                                               std::string& warnings) {
  std::vector<regression_entry> out;
  std::ifstream in(path);
  if (!in) return out;
  std::string raw;
  std::size_t number = 0;
  while (std::getline(in, raw)) {
    ++number;
    std::string_view text = raw;
    if (auto hash = text.find('#'); hash != std::string_view::npos) text = text.substr(0, hash);
    text = trim(text);
    if (text.empty()) continue;
    std::string entry_name;
    regression_entry e;
    e.line = number;
    if (!parse_line(text, entry_name, e)) {
      warnings += fmt::format(
          "simloop: warning: {}:{}: malformed regression entry '{}' ignored (expected '<test> seed=<0xhex> "
          "strategy=<fifo|random|pct> [cancel_at=<n>]')\n",
          path, number, trim(raw));
      continue;
    }
    if (entry_name != name) continue;
    bool seen = false;
    for (const auto& o : out)
      seen = seen || (o.seed == e.seed && o.strategy == e.strategy && o.cancel_at_point == e.cancel_at_point);
    if (!seen) out.push_back(e);
  }
  return out;
}

std::string append_regression(const std::string& path, std::string_view name, std::uint64_t seed,
                              simloop::strategy s, std::uint64_t cancel_at_point) {
  std::string line = entry_line(name, seed, s, cancel_at_point);
  {
    std::ifstream in(path);
    std::string existing;
    while (in && std::getline(in, existing))
      if (existing + '\n' == line) return {};
  }
  std::error_code ec;
  auto dir = std::filesystem::path(path).parent_path();
  if (!dir.empty()) std::filesystem::create_directories(dir, ec);
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return fmt::format("cannot open {}: {}", path, std::strerror(errno));
  struct stat st {};
  std::string data = (::fstat(fd, &st) == 0 && st.st_size == 0) ? std::string(header) + line : line;
  // One write of a short line: O_APPEND makes the seek and the write one
  // atomic step, so concurrent shards append whole lines.
  ssize_t n = ::write(fd, data.data(), data.size());
  int err = errno;
  ::close(fd);
  if (n != static_cast<ssize_t>(data.size()))
    return fmt::format("cannot append to {}: {}", path, n < 0 ? std::strerror(err) : "short write");
  return {};
}

}  // namespace simloop::detail
