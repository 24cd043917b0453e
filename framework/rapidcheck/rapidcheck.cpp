#include <simloop/rapidcheck.hpp>

#include <simloop/detail/finding_text.hpp>
#include <simloop/explore.hpp>

#include <rapidcheck.h>

#include <fmt/format.h>

namespace simloop::rc {

namespace {

thread_local report last_failed;

std::string format_time(std::chrono::nanoseconds t) {
  auto ns = t.count();
  return fmt::format("+{}.{:03}s", ns / 1'000'000'000, (ns / 1'000'000) % 1000);
}

}  // namespace

std::size_t deviations(const report& r) {
  std::size_t n = 0;
  for (auto c : r.choices) n += c != 0;
  return n;
}

const report& last_failure() { return last_failed; }

void check(std::function<boost::asio::awaitable<void>()> make_body, options base, std::uint32_t max_choice) {
  if (max_choice < 1) max_choice = 1;
  auto choices = *::rc::gen::container<std::vector<std::uint32_t>>(
      ::rc::gen::inRange<std::uint32_t>(0, max_choice));
  options o = std::move(base);
  o.strategy = strategy::replay;
  o.seed = 0;
  o.choices = std::move(choices);
  report r = run_one(o, make_body);
  if (r.ok()) return;

  // The decisions the run actually took: the generated list modulo the
  // number of ready steps, cut where the run ended.
  std::string taken;
  for (std::size_t i = 0; i < r.choices.size(); ++i) {
    if (r.choices[i] == 0) continue;
    taken += fmt::format("{}#{}={}", taken.empty() ? "" : ", ", i + 1, r.choices[i]);
  }
  std::string text = fmt::format(
      "simloop: the schedule below fails ({} steps, t={}, {} deviation(s) from FIFO among {} decisions{}{})\n",
      r.steps, format_time(r.virtual_elapsed), deviations(r), r.choices.size(), taken.empty() ? "" : ": ", taken);
  for (const finding& f : r.findings) {
    text += '\n';
    text += detail::without_replay_line(f.message);
  }
  text += "\nreplay: the RC_PARAMS=\"reproduce=...\" line RapidCheck prints replays this schedule\n";
  last_failed = std::move(r);
  RC_FAIL(text);
}

}  // namespace simloop::rc
