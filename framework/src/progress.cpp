#include <simloop/detail/progress.hpp>

#include <fmt/format.h>

#include <cmath>

#include <unistd.h>

namespace simloop::detail {

namespace {

std::string format_duration(double s) {
  if (!std::isfinite(s)) return "?";
  if (s < 60) return fmt::format("{:.1f}s", s);
  auto total = static_cast<std::uint64_t>(s);
  if (total < 3600) return fmt::format("{}m{:02}s", total / 60, total % 60);
  return fmt::format("{}h{:02}m", total / 3600, (total % 3600) / 60);
}

std::string group_thousands(std::uint64_t v) {
  std::string digits = std::to_string(v), out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

}  // namespace

progress_meter::progress_meter(std::string name, std::uint64_t total, bool enabled,
                               std::optional<std::uint64_t> period_ms, std::FILE* out)
    : name_(std::move(name)), total_(total), enabled_(enabled), out_(out) {
  interactive_ = enabled_ && ::isatty(::fileno(out_)) == 1;
  using std::chrono::milliseconds;
  period_ = period_ms ? milliseconds(*period_ms) : interactive_ ? milliseconds(200) : milliseconds(5000);
  start_ = std::chrono::steady_clock::now();
  next_ = start_ + period_;
}

progress_meter::~progress_meter() {
  // An exploration left by an exception: end the live line.
  if (interactive_ && printed_ && !finished_) std::fputc('\n', out_);
}

std::string progress_meter::format_line(const std::string& name, std::uint64_t done, std::uint64_t total,
                                        std::uint64_t failures, double seconds) {
  double rate = seconds > 0 ? static_cast<double>(done) / seconds : 0;
  double eta = rate > 0 ? static_cast<double>(total - std::min(done, total)) / rate : INFINITY;
  unsigned percent = total ? static_cast<unsigned>(100 * done / total) : 100;
  return fmt::format("simloop: {}{}{}/{} runs ({}%), {} failure{}, {} runs/s, ETA {}", name, name.empty() ? "" : " ",
                     done, total, percent, failures, failures == 1 ? "" : "s",
                     group_thousands(static_cast<std::uint64_t>(rate)), format_duration(eta));
}

void progress_meter::print(std::uint64_t done, std::uint64_t failures, std::chrono::steady_clock::time_point now,
                           bool last) {
  double seconds = std::chrono::duration<double>(now - start_).count();
  std::string line = format_line(name_, done, total_, failures, seconds);
  if (interactive_)
    fmt::print(out_, "\r\033[K{}{}", line, last ? "\n" : "");
  else
    fmt::print(out_, "{}\n", line);
  std::fflush(out_);
  printed_ = true;
  next_ = now + period_;
}

void progress_meter::finish(std::uint64_t done, std::uint64_t failures) {
  if (!enabled_ || finished_) return;
  finished_ = true;
  if (printed_) print(done, failures, std::chrono::steady_clock::now(), true);
}

}  // namespace simloop::detail
