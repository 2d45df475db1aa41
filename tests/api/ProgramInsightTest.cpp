// What a run shows beyond its stats, through the Program API on examples/pipeline (three
// processes, two channels): the trace in device time with every event's fields checked,
// the task graph file, and the task counter of progress displays.
#include "ProgramTestSupport.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <map>
#include <set>

namespace pto::wsp {
namespace {

using namespace pto::wsp::testing;
using ::testing::HasSubstr;
namespace fs = std::filesystem;

Program pipeline(const fs::path& dir, const std::string& arch = "") {
  CompileOptions o;
  o.cacheDir = testRoot() / "insight_cache";
  o.arch = arch;
  (void)dir;
  return Program::compileFile(fs::path(PTO_WSP_SOURCE_DIR) / "examples/pipeline/pipeline.wsp", o);
}

// Every event of the semantic process reads in device microseconds (cycles / clock) and
// carries its cycles; host events in wall-clock microseconds; counters per channel.
void checkTrace(const nlohmann::json& j, double clockGhz, const ProgramStats& s, bool executed) {
  ASSERT_TRUE(j.contains("traceEvents"));
  const double cyclesPerUs = clockGhz * 1e3;
  std::map<std::string, size_t> tasksByKernel;
  std::set<std::string> counters;
  size_t hostEvents = 0, stallEvents = 0;
  uint64_t lastFinish = 0;
  for (const nlohmann::json& e : j["traceEvents"]) {
    SCOPED_TRACE(e.dump());
    ASSERT_TRUE(e.contains("ph") && e["ph"].is_string());
    ASSERT_TRUE(e.contains("name") && e["name"].is_string());
    ASSERT_TRUE(e.contains("pid") && e["pid"].is_number_unsigned());
    ASSERT_TRUE(e.contains("args") && e["args"].is_object());
    const std::string ph = e["ph"];
    const auto& a = e["args"];
    if (ph == "M") {
      ASSERT_TRUE(a.contains("name") || a.contains("sort_index"));
      continue;
    }
    ASSERT_TRUE(e.contains("ts") && e["ts"].is_number());
    const double ts = e["ts"];
    if (ph == "C") {
      EXPECT_EQ(e["pid"], 0);
      EXPECT_EQ(e["cat"], "channel");
      ASSERT_TRUE(a.contains("tokens") && a["tokens"].is_number_unsigned());
      EXPECT_LE(a["tokens"].get<uint64_t>(), 2u);  // both channels have capacity 2
      counters.insert(e["name"]);
      continue;
    }
    ASSERT_EQ(ph, "X");
    ASSERT_TRUE(e.contains("tid") && e["tid"].is_number_unsigned());
    ASSERT_TRUE(e.contains("dur") && e["dur"].is_number());
    ASSERT_TRUE(a.contains("cycles") && a["cycles"].is_number_unsigned());
    ASSERT_TRUE(a.contains("start_cycle") && a.contains("finish_cycle") && a.contains("task"));
    const uint64_t start = a["start_cycle"], finish = a["finish_cycle"], cycles = a["cycles"];
    EXPECT_EQ(finish - start, cycles);
    if (e["pid"] == 0) {
      EXPECT_NEAR(ts, static_cast<double>(start) / cyclesPerUs, 1e-6 * (1 + ts));
      EXPECT_NEAR(e["dur"].get<double>(), static_cast<double>(cycles) / cyclesPerUs, 1e-6 * (1 + ts));
      if (e["cat"] == "task") {
        ++tasksByKernel[e["name"]];
        ASSERT_TRUE(a.contains("kernel") && a.contains("process") && a.contains("issue_cycle"));
        EXPECT_LT(e["tid"].get<uint64_t>(), s.run.workers.size());
        lastFinish = std::max(lastFinish, finish);
      } else {
        EXPECT_EQ(e["cat"], "stall");
        ++stallEvents;
      }
    } else {
      EXPECT_EQ(e["pid"], 1);
      EXPECT_EQ(e["cat"], "host");
      ++hostEvents;
    }
  }
  EXPECT_EQ(tasksByKernel, (std::map<std::string, size_t>{{"load_tile", 8}, {"compute", 8}, {"store_tile", 8}}));
  EXPECT_EQ(counters, (std::set<std::string>{"channel l2c", "channel c2s"}));
  EXPECT_EQ(lastFinish, s.totalCycles);
  EXPECT_EQ(hostEvents, executed ? 24u : 0u);
  uint64_t stalls = 0;
  for (const rt::ResourceStats& r : s.run.resources) stalls += r.stalls;
  EXPECT_EQ(stallEvents, stalls);
}

TEST(ProgramInsight, TraceIsInDeviceTimeWithCyclesInEveryEvent) {
  const auto dir = freshDir("insight_trace");
  // Two clocks: ascend910b runs at 1.8 GHz, aie_npu1 at 1.0 GHz (arch/Instances.cpp); host_cpu
  // has too few lanes for the example's 4 workers.
  for (const auto& [arch, ghz] : {std::pair<const char*, double>{"ascend910b", 1.8}, {"aie_npu1", 1.0}}) {
    SCOPED_TRACE(arch);
    Program p = pipeline(dir, arch);
    p.traceTo(dir / "dry.json");
    const ProgramStats s = p.dryRun();
    checkTrace(nlohmann::json::parse(artifact::readFile(dir / "dry.json")), ghz, s, false);
  }
}

TEST(ProgramInsight, ExecutedTraceHasBothClocks) {
  const auto dir = freshDir("insight_trace_exec");
  Program p = pipeline(dir, "ascend910b");
  std::map<std::string, std::vector<char>> buffers;
  for (const abi::PlanTensor& t : p.plan().tensors) {
    if (t.runtimeManaged) continue;
    uint64_t n = t.elemBytes;
    for (int64_t d : t.shape) n *= static_cast<uint64_t>(d);
    buffers[t.name].assign(n, 0);
    p.bind(t.name, buffers[t.name].data(), n);
  }
  p.traceTo(dir / "run.json");
  p.setThreads(2);
  p.execute();
  p.synchronize();
  checkTrace(nlohmann::json::parse(artifact::readFile(dir / "run.json")), 1.8, p.stats(), true);
}

TEST(ProgramInsight, GraphFileNamesEveryKernelAndCspEdges) {
  const auto dir = freshDir("insight_graph");
  Program p = pipeline(dir);
  p.graphTo(dir / "g.dot");
  const ProgramStats s = p.dryRun();
  EXPECT_TRUE(s.graphWritten);
  EXPECT_EQ(s.graphTasks, s.tasks);
  EXPECT_EQ(p.tasksIssued(), s.tasks);
  const std::string dot = artifact::readFile(dir / "g.dot");
  for (const char* k : {"load_tile", "compute", "store_tile", "loader", "storer", "class=\"csp\""})
    EXPECT_THAT(dot, HasSubstr(k));
  EXPECT_FALSE(fs::exists(dir / "g.dot.partial"));

  p.graphTo(dir / "small.dot", 5);
  const ProgramStats t = p.dryRun();
  EXPECT_EQ(t.graphTasks, 5u);
  EXPECT_THAT(artifact::readFile(dir / "small.dot"),
              HasSubstr(fmt::format("truncated: the first 5 of {} tasks (task limit 5)", t.tasks)));

  EXPECT_THROW(p.graphTo(dir / "missing" / "g.dot"), UserError);
  EXPECT_THROW(p.graphTo(dir / "g.dot", 0), UserError);
}

}  // namespace
}  // namespace pto::wsp
