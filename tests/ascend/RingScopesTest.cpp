// Scope boundaries and ring size of the tensormap_and_ringbuffer orchestration
// (src/target/ascend/RingScopes.h), and the recording double's model of pto-runtime's
// ring slot reuse (tests/ascend/double/RecordingRing.cc).
#include "RingScopes.h"
#include "TaskGraph.h"

#include "pto/wsp/arch/ArchRegistry.h"
#include "pto/wsp/ir/text/Parser.h"
#include "pto/wsp/target/Target.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <sys/wait.h>

namespace pto::wsp {
namespace {

namespace fs = std::filesystem;
using namespace target::ascend;
using ::testing::HasSubstr;

std::string readText(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

struct Expanded {
  ir::Module m;
  abi::Plan plan;
  TaskGraph g;
};

Expanded expand(ir::Module m) {
  const target::Target& t = target::TargetRegistry::global().get("ascend");
  const arch::ArchModel a = arch::resolveArch("ascend910b");
  abi::Plan plan = t.emitOrchestration(m, m.workloads.front(), a).plan;
  TaskGraph g = expandPlan(plan, {});
  return {std::move(m), std::move(plan), std::move(g)};
}

Expanded example(const std::string& name) {
  const fs::path p = fs::path(PTO_WSP_SOURCE_DIR) / "examples" / name / (name + ".wsp");
  return expand(ir::text::parse(readText(p), p.string()));
}

// The cut points by brute force: k is safe when no task >= k waits on a task < k, where
// "waits on" is a graph producer or an earlier writer of a region the task reads.
std::vector<uint32_t> bruteForceCuts(const Expanded& e) {
  struct Use {
    uint32_t tensor;
    int64_t r0, c0, rows, cols;
    abi::ParamKind kind;
  };
  const uint32_t n = static_cast<uint32_t>(e.g.tasks.size());
  std::vector<std::vector<Use>> uses(n);
  for (uint32_t i = 0; i < n; ++i) {
    const GraphTask& t = e.g.tasks[i];
    if (t.kernel < 0) continue;
    size_t ti = 0;
    for (const abi::PlanParam& p : e.plan.kernels[static_cast<size_t>(t.kernel)].params) {
      if (p.kind == abi::ParamKind::Scalar) continue;
      const GraphTile& tl = t.tiles[ti++];
      uses[i].push_back({tl.tensor, tl.offset / tl.rowStride, tl.offset % tl.rowStride, p.rows, p.cols, p.kind});
    }
  }
  std::vector<std::set<uint32_t>> deps(n);
  for (uint32_t c = 0; c < n; ++c) {
    deps[c].insert(e.g.tasks[c].preds.begin(), e.g.tasks[c].preds.end());
    for (const Use& r : uses[c]) {
      if (r.kind == abi::ParamKind::Out) continue;
      for (uint32_t p = 0; p < c; ++p)
        for (const Use& w : uses[p])
          if (w.kind != abi::ParamKind::In && w.tensor == r.tensor && w.r0 < r.r0 + r.rows && r.r0 < w.r0 + w.rows &&
              w.c0 < r.c0 + r.cols && r.c0 < w.c0 + w.cols)
            deps[c].insert(p);
    }
  }
  std::vector<uint32_t> cuts;
  for (uint32_t k = 1; k < n; ++k) {
    bool crossed = false;
    for (uint32_t c = k; c < n && !crossed; ++c)
      crossed = !deps[c].empty() && *deps[c].begin() < k;
    if (!crossed) cuts.push_back(k);
  }
  return cuts;
}

// Two chains one after the other (X, then Y): the only safe cut is between them.
const char* kTwoChains = R"(module two_chains
inout X : f32[16, 16]
inout Y : f32[16, 16]
kernel step(inout x : Tile[16, 16, f32]) {
  %a = load x
  %b = add.scalar %a, 1.0
  store x, %b
}
workload two_chains {
  P.seq i in dense(6) {
    call step(X[0 : 16, 0 : 16])
  }
  P.seq i in dense(6) {
    call step(Y[0 : 16, 0 : 16])
  }
}
schedule {
  task_window 8 tasks stall
}
)";

TEST(RingScopes, SafeBoundaryBetweenIndependentPhasesKeepsTheScheduleWindow) {
  const Expanded e = expand(ir::text::parse(kTwoChains, "two_chains.wsp"));
  ASSERT_EQ(e.g.tasks.size(), 12u);
  EXPECT_EQ(safeScopeCuts(e.g, e.plan), std::vector<uint32_t>{6});
  EXPECT_EQ(bruteForceCuts(e), std::vector<uint32_t>{6});
  const RingScopes s = planRingScopes(e.g, e.plan, 8);
  EXPECT_EQ(s.begins, (std::vector<uint32_t>{0, 6}));
  EXPECT_EQ(s.largestUncut, 6u);
  EXPECT_EQ(s.largestScope, 6u);
  EXPECT_EQ(s.ringWindow, 8u);
  EXPECT_TRUE(s.windowHonoured());
  EXPECT_TRUE(ringScopeDiagnostics(s, {"two_chains.wsp", 16, 3, {}}, false).empty());
  // A ring of 4 holds 3 live tasks, fewer than a chain: the smallest that holds 6 is 8.
  const RingScopes small = planRingScopes(e.g, e.plan, 4);
  EXPECT_EQ(small.ringWindow, 8u);
  EXPECT_FALSE(small.windowHonoured());
  // 7 = 8 - 1 tasks fit a ring of 8; 8 do not.
  EXPECT_EQ(smallestRingFor(7), 8u);
  EXPECT_EQ(smallestRingFor(8), 16u);
  EXPECT_EQ(smallestRingFor(1), kMinRingWindow);
}

TEST(RingScopes, SoftmaxHasNoSafeBoundaryBelowItsWindowSoTheRingIsEnlargedWithAWarning) {
  const Expanded e = example("softmax");
  ASSERT_EQ(e.g.tasks.size(), 58u);
  EXPECT_TRUE(safeScopeCuts(e.g, e.plan).empty());
  const RingScopes s = planRingScopes(e.g, e.plan, e.plan.schedule.taskWindow);
  EXPECT_EQ(s.requestedWindow, 32u);
  EXPECT_EQ(s.begins, std::vector<uint32_t>{0});
  EXPECT_EQ(s.largestUncut, 58u);
  EXPECT_EQ(s.ringWindow, 64u);
  EXPECT_FALSE(s.windowHonoured());
  const std::vector<Diagnostic> d = ringScopeDiagnostics(s, {"softmax.wsp", 74, 3, {}}, false);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].severity, Severity::Warning);
  const std::string text = d[0].render();
  EXPECT_THAT(text, HasSubstr("softmax.wsp:74:3: warning: task_window 32 is not enforced on tensormap_and_ringbuffer: "
                              "the smallest scope that no dependency crosses holds 58 tasks, which needs a ring of 64; "
                              "the tree runs with PTO2_RING_TASK_WINDOW=64"));
  EXPECT_THAT(text, HasSubstr("help: set task_window 64"));
}

TEST(RingScopes, CutsMatchABruteForceModelOnEveryEmittedExample) {
  for (const char* ex : {"softmax", "rmsnorm", "pipeline", "residual", "gated"}) {
    SCOPED_TRACE(ex);
    const Expanded e = example(ex);
    EXPECT_EQ(safeScopeCuts(e.g, e.plan), bruteForceCuts(e));
    const RingScopes s = planRingScopes(e.g, e.plan, e.plan.schedule.taskWindow);
    // Every scope begins at a safe cut and fits the ring it runs with.
    const std::vector<uint32_t> cuts = safeScopeCuts(e.g, e.plan);
    for (size_t i = 1; i < s.begins.size(); ++i)
      EXPECT_TRUE(std::binary_search(cuts.begin(), cuts.end(), s.begins[i])) << "scope at " << s.begins[i];
    EXPECT_LE(s.largestScope, s.ringWindow - 1);
    EXPECT_TRUE(std::has_single_bit(s.ringWindow));
  }
}

TEST(RingScopes, NonPowerOfTwoWindowIsRoundedDownWithAWarning) {
  const Expanded e = expand(ir::text::parse(kTwoChains, "two_chains.wsp"));
  const RingScopes s = planRingScopes(e.g, e.plan, 48);
  EXPECT_EQ(s.ringWindow, 32u);
  const std::vector<Diagnostic> d = ringScopeDiagnostics(s, {"two_chains.wsp", 16, 3, {}}, false);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_THAT(d[0].render(), HasSubstr("warning: task_window 48 is not a power of two >= 4, which pto-runtime's "
                                       "PTO2_RING_TASK_WINDOW needs; the tree runs with PTO2_RING_TASK_WINDOW=32"));
}

TEST(RingScopes, ARunLongerThanAnyRingIsALocatedError) {
  RingScopes s;
  s.requestedWindow = 16384;
  s.largestUncut = 70000;
  s.ringWindow = smallestRingFor(s.largestUncut);
  EXPECT_EQ(s.ringWindow, 131072u);
  try {
    (void)ringScopeDiagnostics(s, {"long.wsp", 9, 3, {}}, false);
    ADD_FAILURE() << "no error";
  } catch (const UserError& e) {
    EXPECT_THAT(e.what(), HasSubstr("long.wsp:9:3: error: the tensormap_and_ringbuffer orchestration needs a scope of "
                                    "70000 tasks (no safe scope boundary is closer), but pto-runtime's task ring holds "
                                    "at most 65536"));
    EXPECT_THAT(e.what(), HasSubstr("help: compile with --runtime host_build_graph"));
  }
}

// The double itself: a dependency on a producer whose scope has ended, within the ring's
// window, is refused (pto-runtime may reuse the producer's slot before wiring it); the
// same tasks in one scope, or far enough apart, pass.
int runDouble(const std::string& label, const std::string& body, int window) {
  const fs::path work = fs::path(PTO_WSP_BINARY_DIR) / "ascend_ring_double" / label;
  fs::create_directories(work);
  std::ofstream(work / "orch.cpp") << "#include \"pto_orchestration_api.h\"\n"
                                      "extern \"C\" PTO2OrchestrationConfig aicpu_orchestration_config(const "
                                      "ChipStorageTaskArgs&) { return PTO2OrchestrationConfig{1}; }\n"
                                      "extern \"C\" void aicpu_orchestration_entry(const ChipStorageTaskArgs& args) {\n"
                                      "  Tensor x = from_tensor_arg(args.tensor(0));\n"
                                      "  uint32_t s[] = {16, 16}, o[] = {0, 0};\n"
                                   << body << "}\n";
  const fs::path dbl = fs::path(PTO_WSP_SOURCE_DIR) / "tests/ascend/double";
  // The double is compiled once per test process; each orchestration links against it.
  const fs::path ring = fs::path(PTO_WSP_BINARY_DIR) / "ascend_ring_double" / "RecordingRing.o";
  static const int ringBuilt = std::system(fmt::format("{} -std=c++17 -O0 -w -I{} -c {} -o {}", PTO_WSP_CXX,
                                                       dbl.string(), (dbl / "RecordingRing.cc").string(), ring.string())
                                               .c_str());
  EXPECT_EQ(ringBuilt, 0);
  const std::string cc = fmt::format("{} -std=c++17 -O0 -w -I{} {} {} -o {} 2> {}", PTO_WSP_CXX, dbl.string(),
                                     (work / "orch.cpp").string(), ring.string(), (work / "orch").string(),
                                     (work / "cc.log").string());
  EXPECT_EQ(std::system(cc.c_str()), 0) << readText(work / "cc.log");
  const int rc = std::system(fmt::format("PTO2_RING_TASK_WINDOW={} {} 16x16 > {}", window, (work / "orch").string(),
                                         (work / "out.txt").string())
                                 .c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

const char* kWrite = "{ Arg a; a.add_output(x.view(s, o)); rt_submit_aiv_task(0, a); }\n";
const char* kRead = "{ Arg a; a.add_input(x.view(s, o)); rt_submit_aiv_task(1, a); }\n";

TEST(RingScopes, RecordingRingRefusesADependencyAcrossAnEndedScopeWithinTheWindow) {
  EXPECT_EQ(runDouble("cross", fmt::format("  PTO2_SCOPE() {}  PTO2_SCOPE() {}", kWrite, kRead), 8), 7);
  EXPECT_THAT(readText(fs::path(PTO_WSP_BINARY_DIR) / "ascend_ring_double" / "cross" / "out.txt"),
              HasSubstr("error task 1 depends on task 0, whose scope ended before it was submitted"));
  // An explicit dependency is the same.
  EXPECT_EQ(runDouble("cross_explicit",
                      fmt::format("  PTO2TaskId p = -1;\n  PTO2_SCOPE() {{ Arg a; a.add_output(x.view(s, o)); "
                                  "p = rt_submit_aiv_task(0, a).task_id(); }}\n  PTO2_SCOPE() {{ Arg a; "
                                  "a.set_dependencies(&p, 1); rt_submit_dummy_task(a); }}\n"),
                      8),
            7);
  EXPECT_EQ(runDouble("same_scope", fmt::format("  PTO2_SCOPE() {{ {}  {} }}", kWrite, kRead), 8), 0);
  // 8 unrelated tasks in between: the producer's slot went to task 8 before the reader was
  // submitted, so pto-runtime had retired it and skips the dependency.
  std::string far = fmt::format("  PTO2_SCOPE() {}", kWrite);
  for (int i = 0; i < 8; ++i) far += "  PTO2_SCOPE() { Arg a; rt_submit_dummy_task(a); }\n";
  far += fmt::format("  PTO2_SCOPE() {}", kRead);
  EXPECT_EQ(runDouble("far", far, 8), 0);
  // A scope of 8 tasks does not fit a ring of 8 (check_scope_can_accept_task).
  std::string eight = "  PTO2_SCOPE() {\n";
  for (int i = 0; i < 8; ++i) eight += "    { Arg a; rt_submit_dummy_task(a); }\n";
  eight += "  }\n";
  EXPECT_EQ(runDouble("eight", eight, 8), 4);
  EXPECT_EQ(runDouble("eight_in_16", eight, 16), 0);
}

}  // namespace
}  // namespace pto::wsp
