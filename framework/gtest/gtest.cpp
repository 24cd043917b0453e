#include <simloop/gtest.hpp>

#include <simloop/detail/finding_text.hpp>
#include <simloop/detail/scheduler.hpp>

#include <fmt/format.h>

#include <stdexcept>

namespace simloop::gtest {

namespace {

int failed_parts(const ::testing::TestResult& r) {
  int n = 0;
  for (int i = 0; i < r.total_part_count(); ++i)
    if (r.GetTestPartResult(i).failed()) ++n;
  return n;
}

// The user's body, then: did a GoogleTest expectation fail during this run?
// If so the run ends as an assertion finding, so that explore stops at this
// seed and prints its replay line.
boost::asio::awaitable<void> checked_body(std::function<boost::asio::awaitable<void>()> make_body,
                                          const ::testing::TestResult* result) {
  int before = result ? failed_parts(*result) : 0;
  co_await make_body();
  if (!result) co_return;
  int after = failed_parts(*result);
  if (after == before) co_return;
  detail::scheduler* s = detail::current_scheduler();
  if (!s) co_return;
  const ::testing::TestPartResult& part = result->GetTestPartResult(result->total_part_count() - 1);
  // gtest's summary spans lines ("Expected equality...\n  answer\n    Which is: 41"):
  // one line here, the full text is in the gtest failure above.
  std::string summary;
  for (char c : std::string(part.summary())) {
    if (c == '\n') c = ' ';
    if (c == ' ' && (summary.empty() || summary.back() == ' ')) continue;
    summary += c;
  }
  if (!summary.empty() && summary.back() == ' ') summary.pop_back();
  s->add_finding(finding_kind::assertion,
                 fmt::format("{} GoogleTest expectation(s) failed in the body", after - before),
                 fmt::format("  last at:    {}:{}\n  failure:    {}\n", part.file_name() ? part.file_name() : "?",
                             part.line_number(), summary));
  s->request_stop();
}

std::string format_time(std::chrono::nanoseconds t) {
  auto ns = t.count();
  return fmt::format("+{}.{:03}s", ns / 1'000'000'000, (ns / 1'000'000) % 1000);
}

struct replay_target_reset {
  ~replay_target_reset() { set_replay_target({}, {}); }
};

}  // namespace

report run_test(explore_options eo, std::function<boost::asio::awaitable<void>()> make_body,
                const char* source_file, int source_line) {
  const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string full = info ? fmt::format("{}.{}", info->test_suite_name(), info->name()) : std::string("simloop");
  // Empty program: the process's argv[0].
  set_replay_target({}, full);
  replay_target_reset reset;
  if (eo.name.empty()) eo.name = full;
  if (eo.regressions_source.empty() && source_file) eo.regressions_source = source_file;
  const ::testing::TestResult* result = info ? info->result() : nullptr;

  report r;
  try {
    r = explore(std::move(eo), [make_body = std::move(make_body), result] { return checked_body(make_body, result); });
  } catch (const std::invalid_argument& e) {
    ADD_FAILURE_AT(source_file, source_line) << "simloop: " << e.what();
    r.findings.push_back(finding{finding_kind::exception, e.what()});
    return r;
  }
  if (r.ok()) return r;

  std::string text = fmt::format("simloop: {} failed on seed {:#x} (run {}, strategy {}, {} steps, t={}){}\n", full,
                                 r.seed, r.runs, to_string(r.strategy), r.steps, format_time(r.virtual_elapsed),
                                 r.note.empty() ? "" : fmt::format(", {}", r.note));
  for (const finding& f : r.findings) {
    text += '\n';
    text += detail::without_replay_line(f.message);
  }
  bool nondeterministic = r.has(finding_kind::nondeterminism);
  text += fmt::format("\nreplay: {}{}\n", nondeterministic ? "SIMLOOP_CHECK_DETERMINISM=1 " : "", r.replay_command());
  ADD_FAILURE_AT(source_file, source_line) << text;
  return r;
}

}  // namespace simloop::gtest
