// SIMLOOP_TRACE and simloop-trace.
#include "lost_update.hpp"
#include "subprocess.hpp"
#include "trace_file.hpp"

#include <simloop/chrome_trace.hpp>
#include <simloop/timeout.hpp>

#include <gtest/gtest.h>

#include <map>
#include <set>

using glue_test::count;
using glue_test::fresh_dir;
using glue_test::run;
namespace json = simloop::tools::json;

namespace {

const std::string subject = SIMLOOP_GLUE_SUBJECT;
const std::string tool = SIMLOOP_TRACE_TOOL;

simloop::report failing_run() {
  for (std::uint64_t seed = 0;; ++seed) {
    auto r = simloop::run_one({.seed = seed, .strategy = simloop::strategy::random},
                              [] { return glue_test::staggered_lost_update(3); });
    if (!r.ok()) return r;
  }
}

}  // namespace

TEST(ChromeTrace, IsValidTraceEventJson) {
  auto r = failing_run();
  json::value doc = json::parse(simloop::chrome_trace_json(r, "Glue.Trace"));
  ASSERT_TRUE(doc.is_object());
  const json::value* events = doc.find("traceEvents");
  ASSERT_TRUE(events && events->is_array());
  std::map<std::string, int> phases;
  std::set<std::uint64_t> thread_names, step_lanes;
  std::map<std::uint64_t, int> flow_ids;
  double last_ts = -1;
  for (const auto& e : events->items) {
    ASSERT_TRUE(e.is_object());
    const json::value* ph = e.find("ph");
    ASSERT_TRUE(ph && ph->is_string());
    ++phases[ph->text];
    ASSERT_TRUE(e.find("pid") && e.find("tid") && e.find("name"));
    std::uint64_t tid = 0;
    ASSERT_TRUE(e.find("tid")->as_u64(tid));
    if (ph->text == "M" && e.find("name")->text == "thread_name") thread_names.insert(tid);
    if (ph->text == "X") {
      step_lanes.insert(tid);
      double ts = e.find("ts")->as_double();
      EXPECT_GT(ts, last_ts);  // steps in order on the time axis
      last_ts = ts;
      EXPECT_GT(e.find("dur")->as_double(), 0);
    }
    if (ph->text == "s" || ph->text == "f") {
      std::uint64_t id = 0;
      ASSERT_TRUE(e.find("id")->as_u64(id));
      flow_ids[id] += ph->text == "s" ? 1 : 10;
    }
    if (ph->text == "i") {
      EXPECT_EQ(e.find("cat")->text, "finding");
      EXPECT_NE(e.find("args")->find("message")->text.find("SIMLOOP_ASSERT(*value == tasks)"), std::string::npos);
    }
  }
  EXPECT_EQ(static_cast<std::uint64_t>(phases["X"]), r.steps);
  EXPECT_EQ(static_cast<std::size_t>(phases["i"]), r.findings.size());
  EXPECT_GT(phases["s"], 0);
  EXPECT_EQ(phases["s"], phases["f"]);
  for (auto [id, v] : flow_ids) EXPECT_EQ(v, 11) << "flow " << id;  // one start, one end each
  // A track per task: the body and its three tasks.
  EXPECT_EQ(thread_names, (std::set<std::uint64_t>{1, 2, 3, 4}));
  for (auto lane : step_lanes) EXPECT_TRUE(thread_names.count(lane)) << lane;
  // The simloop reader accepts it and sees the same run.
  auto t = simloop::tools::parse_trace(doc);
  EXPECT_EQ(t.steps.size(), r.steps);
  EXPECT_EQ(t.name, "Glue.Trace");
  EXPECT_EQ(t.findings.size(), 1u);
}

TEST(ChromeTrace, VirtualTimeIsTheTimeAxis) {
  simloop::report r = simloop::run_one({.seed = 1}, []() -> asio::awaitable<void> {
    co_await simloop::sleep_for(std::chrono::seconds(2));
    co_await simloop::sleep_for(std::chrono::milliseconds(500));
  });
  auto t = simloop::tools::parse_trace(json::parse(simloop::chrome_trace_json(r)));
  ASSERT_FALSE(t.steps.empty());
  EXPECT_EQ(t.steps.back().t_ns, 2'500'000'000u);
  std::string text = simloop::chrome_trace_json(r);
  EXPECT_NE(text.find("\"ts\":2500000.000"), std::string::npos) << text;
}

TEST(ChromeTrace, InjectedCancellationsAreInstantEvents) {
  // A 1s sleep under a 10s timeout: cancel_at_point = 1 fires the deadline
  // at the sleep's first suspension.
  bool timed_out = false;
  simloop::report r = simloop::run_one({.seed = 3, .strategy = simloop::strategy::random, .cancel_at_point = 1},
                                       [&]() -> asio::awaitable<void> {
                                         try {
                                           auto nap = simloop::sleep_for(std::chrono::seconds(1));
                                           co_await simloop::timeout(std::chrono::seconds(10), std::move(nap));
                                         } catch (const boost::system::system_error&) {
                                           timed_out = true;
                                         }
                                       });
  ASSERT_TRUE(r.ok()) << r.describe();
  ASSERT_TRUE(timed_out);
  ASSERT_EQ(r.cancellations.size(), 1u);
  std::string text = simloop::chrome_trace_json(r, "Glue.Cancel");
  EXPECT_NE(text.find("\"name\":\"injected cancellation (all)\",\"cat\":\"cancellation\""), std::string::npos) << text;
  auto t = simloop::tools::parse_trace(json::parse(text));
  EXPECT_TRUE(t.findings.empty());
  ASSERT_EQ(t.cancellations.size(), 1u);
  EXPECT_EQ(t.cancellations[0].point, 1u);
  EXPECT_EQ(t.cancellations[0].type, "all");
  EXPECT_EQ(t.cancellations[0].step, r.cancellations[0].step);
  EXPECT_EQ(t.cancellations[0].lane, r.cancellations[0].lane);
  EXPECT_EQ(t.cancellations[0].t_ns, 0u);  // injected before any time passed
}

TEST(ChromeTrace, PythonJsonAcceptsIt) {
  if (std::system("python3 -c 'import json' > /dev/null 2>&1") != 0) GTEST_SKIP() << "no python3";
  auto dir = fresh_dir("python");
  ASSERT_EQ(simloop::write_chrome_trace(failing_run(), dir + "/t.json"), "");
  std::string cmd = "python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); "
                    "assert isinstance(d[\"traceEvents\"], list); "
                    "assert all(\"ph\" in e and \"pid\" in e for e in d[\"traceEvents\"])' " +
                    dir + "/t.json";
  EXPECT_EQ(std::system(cmd.c_str()), 0);
}

TEST(TraceEnv, FailingRunIsWrittenAndTheToolShowsIt) {
  auto dir = fresh_dir("trace-env");
  auto o = run("SIMLOOP_REGRESSIONS=" + dir + " SIMLOOP_TRACE=" + dir + "/fail.json", subject,
               "--gtest_filter=Subject.LostUpdate");
  EXPECT_EQ(o.status, 1);
  EXPECT_NE(o.output.find("written to " + dir + "/fail.json"), std::string::npos) << o.output;
  auto shown = run("", tool, dir + "/fail.json");
  EXPECT_EQ(shown.status, 0) << shown.output;
  EXPECT_NE(shown.output.find("simloop trace Subject.LostUpdate: seed 0x"), std::string::npos) << shown.output;
  EXPECT_NE(shown.output.find("task #1 (body)"), std::string::npos) << shown.output;
  EXPECT_NE(shown.output.find("spawned by #1 at step"), std::string::npos) << shown.output;
  EXPECT_NE(shown.output.find("!!! assertion finding"), std::string::npos) << shown.output;
  EXPECT_NE(shown.output.find("SIMLOOP_ASSERT(*value == tasks)"), std::string::npos) << shown.output;
  EXPECT_NE(shown.output.find("<- step 1 (task #1 (body))"), std::string::npos) << shown.output;
}

TEST(TraceEnv, ReplayedSeedIsWrittenEvenWhenItPasses) {
  auto dir = fresh_dir("trace-replay");
  auto o = run("SIMLOOP_SEED=7 SIMLOOP_TRACE=" + dir + "/seed7.json", subject, "--gtest_filter=Subject.Passes");
  EXPECT_EQ(o.status, 0) << o.output;
  auto again = run("SIMLOOP_SEED=7 SIMLOOP_TRACE=" + dir + "/seed7b.json", subject, "--gtest_filter=Subject.Passes");
  auto other = run("SIMLOOP_SEED=8 SIMLOOP_TRACE=" + dir + "/seed8.json", subject, "--gtest_filter=Subject.Passes");
  auto same = run("", tool, "diff " + dir + "/seed7.json " + dir + "/seed7b.json");
  EXPECT_EQ(same.status, 0) << same.output;
  EXPECT_NE(same.output.find("identical: "), std::string::npos) << same.output;
  auto differ = run("", tool, "diff " + dir + "/seed7.json " + dir + "/seed8.json");
  EXPECT_EQ(differ.status, 1) << differ.output;
  EXPECT_NE(differ.output.find("first divergence at step "), std::string::npos) << differ.output;
  EXPECT_NE(differ.output.find(dir + "/seed7.json: seed 0x7, "), std::string::npos) << differ.output;
}

TEST(TraceTool, BadInputIsOneLineAndStatusTwo) {
  auto dir = fresh_dir("trace-bad");
  {
    std::ofstream(dir + "/text.json") << "this is not json";
    std::ofstream(dir + "/schema.json") << R"({"traceEvents": [], "otherData": {"format": "something else"}})";
    std::ofstream(dir + "/events.json")
        << R"({"otherData": {"format": "simloop-trace/1", "name": "", "seed": "0x1", "strategy": "pct",)"
        << R"( "trace_hash": "0x2", "steps": 1}, "traceEvents": [{"ph": "X", "tid": 1, "args": {}}]})";
  }
  struct expectation {
    std::string args, message;
  } cases[] = {
      {dir + "/missing.json", "simloop-trace: error: " + dir + "/missing.json: cannot open the file\n"},
      {dir + "/text.json", "simloop-trace: error: " + dir + "/text.json: not JSON: unexpected character 't' at line 1, column 1\n"},
      {dir + "/schema.json",
       "simloop-trace: error: " + dir + "/schema.json: not a simloop trace: otherData.format is not \"simloop-trace/1\"\n"},
      {dir + "/events.json",
       "simloop-trace: error: " + dir + "/events.json: not a simloop trace: traceEvents[0].args has no \"step\"\n"},
      {"diff " + dir + "/text.json", "simloop-trace: error: usage: simloop-trace [show] <trace.json> | simloop-trace diff <a.json> <b.json>\n"},
  };
  for (const auto& c : cases) {
    auto o = run("", tool, c.args);
    EXPECT_EQ(o.status, 2) << c.args;
    EXPECT_EQ(o.output, c.message);
    EXPECT_EQ(count(o.output, "\n"), 1u);
  }
}
