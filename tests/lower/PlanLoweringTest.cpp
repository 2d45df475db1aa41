// Workload -> plan lowering: every example lowers, validates, round-trips and runs in dry
// run with hand-checked numbers; features and capability errors; argument limits.
#include "PlanLoweringTestUtil.h"

#include "pto/wsp/cost/KernelCost.h"

#include <algorithm>
#include <filesystem>
#include <iostream>

namespace pto::wsp::lower {
namespace {

using ::testing::HasSubstr;
using namespace plantest;

struct ExampleCase {
  const char* dir;
  const char* workload;
  uint64_t kernelTasks;
};

TEST(PlanLowering, EveryExampleLowersValidatesRoundTripsAndRuns) {
  const ExampleCase cases[] = {
      {"rmsnorm", "rms", 16},            // 4 x 4 tiles
      {"softmax", "softmax", 56},        // 2 x 4 x (1 + 4) + 16
      {"bgemm", "bgemm", 80},            // 16 x (zero + 4 k steps)
      {"pipeline", "pipeline", 24},      // 8 blocks x 3 stages
      {"moe", "moe", 8},                 // 4 x (gate + one expert)
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.dir);
    ir::Module m = loadExample(c.dir);
    PlanLoweringResult r = lowerWorkload(m, *m.findWorkload(c.workload), arch910b(), caps());
    EXPECT_EQ(abi::validatePlan(r.plan), "");
    std::vector<uint8_t> bytes = abi::serializePlan(r.plan);
    EXPECT_EQ(abi::deserializePlan(bytes), r.plan);
    rt::PlanRunResult run = dryRun(r.plan);
    ASSERT_TRUE(run.ok);
    EXPECT_EQ(kernelTasks(run.stats), c.kernelTasks);
    EXPECT_TRUE(std::is_sorted(r.features.begin(), r.features.end()));
    for (size_t k = 0; k < r.plan.kernels.size(); ++k) {
      EXPECT_EQ(r.plan.kernels[k].fnIndex, k);
      EXPECT_GT(r.plan.kernels[k].cost, 0u) << r.plan.kernels[k].name;
    }
  }
}

// Every example on disk (including ones added later): each workload lowers, validates,
// round-trips and dry-runs with zero-filled memory for the non-temp tensors.
TEST(PlanLowering, EveryWorkloadOfEveryExampleFileLowersAndRuns) {
  namespace fs = std::filesystem;
  size_t lowered = 0;
  for (const auto& dir : fs::directory_iterator(fs::path(PTO_WSP_SOURCE_DIR) / "examples")) {
    if (!dir.is_directory()) continue;
    for (const auto& f : fs::directory_iterator(dir.path())) {
      if (f.path().extension() != ".wsp") continue;
      SCOPED_TRACE(f.path().string());
      ir::Module m;
      try {
        m = loadExample(dir.path().filename().string(), f.path().stem().string());
      } catch (const UserError& e) {  // the example's own stream owns its validity
        std::cout << "skipping " << f.path() << " (does not verify): " << e.what() << "\n";
        continue;
      }
      for (const auto& w : m.workloads) {
        PlanLoweringResult r = lowerWorkload(m, w, arch910b(), caps());
        EXPECT_EQ(abi::validatePlan(r.plan), "");
        EXPECT_EQ(abi::deserializePlan(abi::serializePlan(r.plan)), r.plan);
        std::vector<std::vector<uint8_t>> mem;
        std::vector<void*> bases;
        for (const auto& t : r.plan.tensors) {
          mem.emplace_back(t.runtimeManaged ? 0 : t.bytes);
          bases.push_back(t.runtimeManaged ? nullptr : mem.back().data());
        }
        rt::PlanRunResult run = dryRun(r.plan, {}, bases);
        EXPECT_TRUE(run.ok) << w.name;
        EXPECT_GT(kernelTasks(run.stats), 0u) << w.name;
        std::cout << f.path().filename().string() << " / " << w.name << ": " << kernelTasks(run.stats)
                  << " tasks, total_cycles " << run.stats.totalCycles << ", plan " << abi::serializePlan(r.plan).size()
                  << " bytes\n";
        ++lowered;
      }
    }
  }
  EXPECT_GE(lowered, 5u);
}

// Malformed bytes are user errors, never crashes: every single-bit flip of a real plan
// either still deserialises (and then validates) or throws UserError.
TEST(PlanLowering, BitFlippedPlansAreRejectedOrValid) {
  ir::Module m = loadExample("pipeline");
  const std::vector<uint8_t> bytes = abi::serializePlan(lowerWorkload(m, *m.findWorkload("pipeline"), arch910b(), caps()).plan);
  size_t rejected = 0;
  for (size_t i = 0; i < bytes.size(); ++i)
    for (int bit = 0; bit < 8; ++bit) {
      std::vector<uint8_t> b = bytes;
      b[i] ^= static_cast<uint8_t>(1u << bit);
      try {
        abi::Plan p = abi::deserializePlan(b);
        EXPECT_EQ(abi::validatePlan(p), "") << i << ":" << bit;
      } catch (const UserError&) {
        ++rejected;
      }
    }
  EXPECT_GT(rejected, bytes.size());  // most flips break a count, an index or the bytecode
}

// 16 independent tasks of cost K on 4 round-robin workers, issued every I cycles: task i
// issues at (i+1)I on worker i mod 4; no task reads what another writes, so no sync
// latency. Worker 3 runs tasks 3, 7, 11, 15: its last finish is the max over the chain
// of (issue of task 3+4k) + (4-k)K, i.e. max(4I + 4K, 16I + K) (the k = 0 and k = 3 ends).
TEST(PlanLowering, RmsnormTotalCyclesByHand) {
  ir::Module m = loadExample("rmsnorm");
  const arch::ArchModel& a = arch910b();
  PlanLoweringResult r = lowerWorkload(m, *m.findWorkload("rms"), a, caps());
  const abi::ScheduleConfig& s = r.plan.schedule;
  EXPECT_EQ(s.workers, 4u);
  EXPECT_EQ(s.dispatch, "round_robin");
  EXPECT_EQ(s.taskWindow, 16u);
  EXPECT_EQ(s.issueCycles, a.issueCycles);
  EXPECT_EQ(s.syncLatency, a.syncLatency(arch::SyncScope::Task));
  ASSERT_EQ(r.plan.kernels.size(), 1u);
  const uint64_t K = cost::kernelCycles(*m.findKernel("rmsnorm"), a).total;
  EXPECT_EQ(r.plan.kernels[0].cost, K);
  const uint64_t I = a.issueCycles;
  ASSERT_GT(I, 0u);
  rt::PlanRunResult run = dryRun(r.plan);
  ASSERT_TRUE(run.ok);
  EXPECT_EQ(run.stats.tasks, 16u);
  EXPECT_EQ(run.stats.totalCycles, std::max(4 * I + 4 * K, 16 * I + K));
  std::cout << "rmsnorm on ascend910b: K = " << K << ", issue = " << I << ", total_cycles = " << run.stats.totalCycles
            << "\n";
  for (const auto& w : run.stats.workers) EXPECT_EQ(w.tasks, 4u);
  EXPECT_EQ(r.features, (std::vector<std::string>{"dispatch.round_robin", "task_window"}));
  // eps = 1e-6 as an f32 scalar: its bit pattern, folded at lowering.
  const abi::PlanNode& call = r.plan.processes[0].body[0].children[0].children[0];
  ASSERT_EQ(call.kind, abi::NodeKind::Call);
  int64_t eps = 0;
  ASSERT_TRUE(call.scalars[0].isConstant(&eps));
  EXPECT_EQ(static_cast<uint64_t>(eps), abi::floatBits(1e-6, abi::FloatFormat::F32));
}

TEST(PlanLowering, ScheduleAndCspMapping) {
  ir::Module m = loadExample("pipeline");
  PlanLoweringResult r = lowerWorkload(m, *m.findWorkload("pipeline"), arch910b(), caps());
  const abi::Plan& p = r.plan;
  EXPECT_EQ(p.schedule.workers, 4u);
  EXPECT_EQ(p.schedule.dispatch, "least_loaded");
  EXPECT_EQ(p.schedule.taskWindow, 8u);
  ASSERT_EQ(p.channels.size(), 2u);
  EXPECT_EQ(p.channels[0].name, "l2c");
  EXPECT_EQ(p.channels[0].capacity, 2u);  // channel l2c (later) overrides the defaults
  EXPECT_EQ(p.channels[0].latency, 10u);
  EXPECT_EQ(p.channels[1].capacity, 2u);
  EXPECT_EQ(p.channels[1].latency, 0u);
  std::vector<std::string> names;
  for (const auto& pr : p.processes) names.push_back(pr.name);
  EXPECT_EQ(names, (std::vector<std::string>{"main", "loader", "worker[0]", "worker[1]", "storer"}));
  for (const char* f : {"channel.capacity", "channel.latency", "csp.channel", "csp.consume", "csp.multi_producer",
                        "csp.replicate", "dispatch.least_loaded", "streams", "task_window", "timing"})
    EXPECT_NE(std::find(r.features.begin(), r.features.end(), f), r.features.end()) << f;
  // Temps are runtime-managed (the interpreter places them in the heap arena).
  EXPECT_TRUE(p.tensors[1].runtimeManaged);   // Buf
  EXPECT_FALSE(p.tensors[0].runtimeManaged);  // X
}

TEST(PlanLowering, SoftmaxFoldsFloatScalarsAndKeepsPhasesSequential) {
  ir::Module m = loadExample("softmax");
  PlanLoweringResult r = lowerWorkload(m, *m.findWorkload("softmax"), arch910b(), caps());
  const abi::PlanNode& seq = r.plan.processes[0].body[0];
  ASSERT_EQ(seq.kind, abi::NodeKind::Seq);
  ASSERT_EQ(seq.children.size(), 3u);
  const abi::PlanNode& fill = seq.children[0].children[0];
  ASSERT_EQ(fill.kind, abi::NodeKind::Call);
  int64_t v = 0;
  ASSERT_TRUE(fill.scalars[0].isConstant(&v));
  EXPECT_EQ(static_cast<uint64_t>(v), 0xFF800000u);  // -inf as f32
}

TEST(PlanLowering, BgemmCustomKeyAndTargetCapabilities) {
  ir::Module m = loadExample("bgemm");
  const ir::Workload& w = *m.findWorkload("bgemm");
  PlanLoweringResult r = lowerWorkload(m, w, arch910b(), caps());
  EXPECT_EQ(r.plan.schedule.dispatch, "custom");
  EXPECT_EQ(r.plan.schedule.workers, 8u);
  EXPECT_EQ(r.plan.schedule.tensorMapCapacity, 1024u);
  rt::PlanRunResult run = dryRun(r.plan);
  ASSERT_TRUE(run.ok);
  // key (b*4 + m*2 + n) % 8: the 16 (b, m, n) tiles land 2 per worker, 5 tasks each.
  for (const auto& wk : run.stats.workers) EXPECT_EQ(wk.tasks, 10u);
  try {
    lowerWorkload(m, w, arch910b(), caps("aie"));
    FAIL() << "aie cannot dispatch custom";
  } catch (const UserError& e) {
    EXPECT_THAT(e.what(), HasSubstr("dispatch.custom"));
    EXPECT_THAT(e.what(), HasSubstr("bgemm.wsp"));  // located at the directive
  }
}

TEST(PlanLowering, CallWithTooManyArgumentWordsIsLocated) {
  std::string params, args;
  for (int i = 0; i < 17; ++i) {
    params += fmt::format("{}in a{} : Tile[1, 4, f32]", i ? ", " : "", i);
    args += fmt::format("{}X[0 : 1, 0 : 4]", i ? ", " : "");
  }
  const std::string text = fmt::format(R"(module many
input X : f32[4, 4]
output Y : f32[4, 4]
kernel wide({}, out y : Tile[1, 4, f32]) {{
  %t = load a0
  store y, %t
}}
workload w {{
  call wide({}, Y[0 : 1, 0 : 4])
}}
)", params, args);
  ir::Module m = parseText(text, "many.wsp");
  try {
    lowerWorkload(m, *m.findWorkload("w"), arch910b(), caps());
    FAIL();
  } catch (const UserError& e) {
    EXPECT_THAT(e.what(), HasSubstr("call of 'wide' needs 54 argument words (18 tiles x 3 + 0 scalars)"));
    EXPECT_THAT(e.what(), HasSubstr("many.wsp:9"));
  }
}

}  // namespace
}  // namespace pto::wsp::lower
