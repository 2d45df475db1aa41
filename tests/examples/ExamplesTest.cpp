// Every registered golden whose example file examples/<module>/<module>.wsp exists:
// compile it, run it on random inputs with 1 and 2 host threads, check the outputs
// against the golden, total_cycles against the README derivation, the dry run against
// the real run, and the timeline hash across thread counts.
#include "Golden.h"
#include "HostInputs.h"
#include "WspFile.h"

#include "pto/wsp/api/Program.h"
#include "pto/wsp/api/SlotReplay.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace pto::wsp {
namespace {

namespace fs = std::filesystem;

fs::path exampleFile(const std::string& module) {
  return fs::path(PTO_WSP_SOURCE_DIR) / "examples" / module / (module + ".wsp");
}

std::vector<std::string> runnableGoldens() {
  std::vector<std::string> out;
  for (const golden::Golden* g : golden::allGoldens())
    if (fs::exists(exampleFile(g->module))) out.push_back(g->module);
  return out;
}

struct RunResult {
  ProgramStats stats;
  golden::CheckResult check;
};

// Fresh random inputs (+ prepare) for every run: inouts are overwritten by a run.
RunResult runOnce(Program& p, const golden::Golden& g, unsigned threads, bool dry) {
  const cli::RunValues values = cli::resolveRunValues(p.plan(), {});
  cli::RunTensors t = cli::allocateTensors(p.manifest().abi, values.symbols);
  cli::fillInputs(t, cli::InputSpec{}, 1);
  if (g.prepare) g.prepare(t.all);
  golden::TensorSet inputs;
  for (const std::string& n : t.inputs) inputs[n] = t.all.at(n);
  for (auto& [name, h] : t.all) p.bind(name, h.bytes.data(), h.bytes.size());
  p.setThreads(threads);
  RunResult r;
  if (dry) {
    r.stats = p.dryRun();
    return r;
  }
  p.execute();
  p.synchronize();
  r.stats = p.stats();
  golden::TensorSet got;
  for (const std::string& n : t.outputs) got[n] = t.all.at(n);
  r.check = golden::compare(got, g.compute(inputs), g.tol);
  return r;
}

class ExampleTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ExampleTest, MatchesGoldenAndReadmeCycles) {
  const golden::Golden* g = golden::findGolden(GetParam());
  ASSERT_NE(g, nullptr);
  ir::Module m = cli::parseWspFile(exampleFile(g->module).string());
  ASSERT_EQ(m.name, g->module) << "examples/" << g->module << "/" << g->module << ".wsp declares another module";
  CompileOptions opts;
  opts.arch = g->arch;
  opts.cacheDir = fs::path(PTO_WSP_BINARY_DIR) / "tests" / "examples_cache";
  opts.jobs = 2;
  Program p = [&] {
    try {
      return Program::compile(m, opts);
    } catch (const UserError& e) {
      ADD_FAILURE() << e.what();
      throw;
    }
  }();

  RunResult one = runOnce(p, *g, 1, false);
  EXPECT_TRUE(one.check.ok) << "1 thread: " << one.check.summary;
  EXPECT_GT(one.stats.tasks, 0u);
  RunResult two = runOnce(p, *g, 2, false);
  EXPECT_TRUE(two.check.ok) << "2 threads: " << two.check.summary;
  RunResult dry = runOnce(p, *g, 2, true);
  EXPECT_TRUE(dry.stats.dryRun);

  EXPECT_EQ(one.stats.totalCycles, g->expectedCycles)
      << "total_cycles differs from the derivation in " << g->readme;
  EXPECT_EQ(two.stats.totalCycles, one.stats.totalCycles);
  EXPECT_EQ(two.stats.tasks, one.stats.tasks);
  EXPECT_EQ(two.stats.run.timelineHash, one.stats.run.timelineHash) << "timeline differs across thread counts";
  // A dry run executes no kernel, so a slot_load of a task-written element keeps the
  // slot's value: routing on computed data (moe) legitimately takes another path.
  if (!cli::hasDataDependentControl(p.plan())) {
    EXPECT_EQ(dry.stats.totalCycles, one.stats.totalCycles) << "dry run";
    EXPECT_EQ(dry.stats.tasks, one.stats.tasks);
    EXPECT_EQ(dry.stats.run.timelineHash, one.stats.run.timelineHash) << "dry run timeline differs";
  } else {
    // Still deterministic: a second dry run gives the same timeline.
    RunResult again = runOnce(p, *g, 1, true);
    EXPECT_EQ(again.stats.totalCycles, dry.stats.totalCycles);
    EXPECT_EQ(again.stats.run.timelineHash, dry.stats.run.timelineHash);
    // Slot replay: a dry run that takes the real run's recorded slot loads reproduces
    // its timeline exactly, through a replay file.
    p.recordSlotLoads(true);
    RunResult real = runOnce(p, *g, 2, false);
    p.recordSlotLoads(false);
    const std::vector<rt::SlotLoad> recorded = p.slotLoads();
    ASSERT_FALSE(recorded.empty());
    const fs::path file = fs::path(PTO_WSP_BINARY_DIR) / "tests" / (g->module + ".slots.json");
    writeSlotReplay(file, p);
    p.replaySlotLoads(readSlotReplay(file, p));
    RunResult replayed = runOnce(p, *g, 1, true);
    EXPECT_EQ(replayed.stats.totalCycles, real.stats.totalCycles) << "replayed dry run";
    EXPECT_EQ(replayed.stats.tasks, real.stats.tasks);
    EXPECT_EQ(replayed.stats.run.timelineHash, real.stats.run.timelineHash) << "replayed dry run timeline differs";
    // Replay is matched per process, so it holds under another schedule too (what
    // `ptowsp tune --replay-slots` sweeps): the same data-dependent control flow issues
    // the same tasks.
    abi::ScheduleConfig other = p.plan().schedule;
    other.workers = 1;
    other.taskWindow = std::max<uint32_t>(other.taskWindow / 2, 4);
    const ProgramStats swept = p.dryRunWith(other);
    EXPECT_EQ(swept.tasks, real.stats.tasks) << "replay under another schedule";
    // A replay that is one load short is an error, not another timeline.
    std::vector<rt::SlotLoad> shortList = recorded;
    shortList.pop_back();
    p.replaySlotLoads(shortList);
    EXPECT_THROW(runOnce(p, *g, 1, true), UserError);
    p.replaySlotLoads({});
  }
}

INSTANTIATE_TEST_SUITE_P(Examples, ExampleTest, ::testing::ValuesIn(runnableGoldens()),
                         [](const ::testing::TestParamInfo<std::string>& i) { return i.param; });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(ExampleTest);

// The registry the examples use: registration order does not matter and lookups of
// unknown modules fail cleanly.
TEST(GoldenRegistry, SortedAndFindable) {
  std::vector<const golden::Golden*> all = golden::allGoldens();
  for (size_t i = 1; i < all.size(); ++i) EXPECT_LT(all[i - 1]->module, all[i]->module);
  for (const golden::Golden* g : all) {
    EXPECT_EQ(golden::findGolden(g->module), g);
    EXPECT_FALSE(g->readme.empty());
  }
  EXPECT_EQ(golden::findGolden("no_such_module"), nullptr);
}

// Every example with a module file is self-checking: it registers a golden.
TEST(GoldenRegistry, EveryExampleHasAGolden) {
  size_t examples = 0;
  for (const fs::directory_entry& e : fs::directory_iterator(fs::path(PTO_WSP_SOURCE_DIR) / "examples")) {
    const std::string name = e.path().filename().string();
    if (!e.is_directory() || !fs::exists(e.path() / (name + ".wsp"))) continue;
    ++examples;
    EXPECT_NE(golden::findGolden(name), nullptr) << "examples/" << name << " has no golden.cpp registering module '"
                                                 << name << "'";
  }
  EXPECT_GT(examples, 0u);
}

// The goldens are the independent reference: no PTO-WSP header (and so none of its f16
// code or tile library) may leak into them.
TEST(GoldenRegistry, GoldensIncludeNoPtoWspHeaders) {
  const fs::path root = fs::path(PTO_WSP_SOURCE_DIR) / "examples";
  std::vector<fs::path> files = {root / "golden" / "Golden.h", root / "golden" / "Golden.cpp"};
  for (const fs::directory_entry& e : fs::directory_iterator(root))
    if (e.is_directory() && fs::exists(e.path() / "golden.cpp")) files.push_back(e.path() / "golden.cpp");
  for (const fs::path& f : files) {
    std::ifstream in(f);
    ASSERT_TRUE(in) << f;
    std::string line;
    for (int n = 1; std::getline(in, line); ++n) {
      if (line.find("#include") == std::string::npos) continue;
      EXPECT_EQ(line.find("pto/"), std::string::npos) << f.string() << ":" << n << ": " << line;
    }
  }
}

}  // namespace
}  // namespace pto::wsp
