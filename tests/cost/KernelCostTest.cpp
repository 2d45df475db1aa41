// Kernel cycle reports: the overlap model on hand-built kernels, pinned to hand
// computations, and a user-written arch JSON changing the report exactly as predicted.
#include "pto/wsp/arch/ArchJson.h"
#include "pto/wsp/arch/ArchRegistry.h"
#include "pto/wsp/cost/KernelCost.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

using namespace pto::wsp;
using namespace pto::wsp::cost;
using ir::DType;
using ir::TileOpKind;
using ir::TileType;

namespace {
const arch::ArchModel& ascend() { return arch::builtinArch("ascend910b"); }
const arch::ArchModel& aie() { return arch::builtinArch("aie_npu1"); }

ir::TileInst inst(TileOpKind op, std::vector<std::string> results, std::vector<std::string> operands,
                  std::string param = {}) {
  ir::TileInst i;
  i.op = op;
  i.results = std::move(results);
  i.operands = std::move(operands);
  i.param = std::move(param);
  return i;
}

// y = exp(x) over one tile: load X, exp, store Y.
ir::Kernel expKernel(TileType tt) {
  return ir::Kernel::make("expk",
                          {ir::KernelParam::makeTile("X", ir::ParamDir::In, tt),
                           ir::KernelParam::makeTile("Y", ir::ParamDir::Out, tt)},
                          {inst(TileOpKind::Load, {"x"}, {}, "X"), inst(TileOpKind::Exp, {"y"}, {"x"}),
                           inst(TileOpKind::Store, {}, {"y"}, "Y")});
}

// d = exp(a) + b: two loads, the exp can hide behind the second load.
ir::Kernel expAddKernel(TileType tt) {
  return ir::Kernel::make("expadd",
                          {ir::KernelParam::makeTile("A", ir::ParamDir::In, tt),
                           ir::KernelParam::makeTile("B", ir::ParamDir::In, tt),
                           ir::KernelParam::makeTile("D", ir::ParamDir::Out, tt)},
                          {inst(TileOpKind::Load, {"a"}, {}, "A"), inst(TileOpKind::Load, {"b"}, {}, "B"),
                           inst(TileOpKind::Exp, {"c"}, {"a"}), inst(TileOpKind::Add, {"d"}, {"c", "b"}),
                           inst(TileOpKind::Store, {}, {"d"}, "D")});
}

uint64_t busyOf(const CycleReport& r, std::string_view unit) {
  for (const UnitBusy& u : r.units)
    if (u.unit == unit) return u.busy;
  ADD_FAILURE() << "no unit " << unit;
  return 0;
}
}  // namespace

TEST(KernelCost, AscendSerialChain) {
  CycleReport r = kernelCycles(expKernel({16, 128, DType::F32}), ascend());
  // scalar issue 4 per op; pipe sync (set_flag/wait_flag) 10 between different pipes
  // load:  issue ends 4;  mte2   [4, 4+654=658]
  // exp:   issue ends 8;  vector [658+10=668, 668+40=708]
  // store: issue ends 12; mte3   [708+10=718, 718+264=982]
  ASSERT_EQ(r.ops.size(), 3u);
  EXPECT_EQ(r.ops[0].start, 4u);
  EXPECT_EQ(r.ops[0].end, 658u);
  EXPECT_EQ(r.ops[1].start, 668u);
  EXPECT_EQ(r.ops[1].end, 708u);
  EXPECT_EQ(r.ops[2].start, 718u);
  EXPECT_EQ(r.total, 982u);
  EXPECT_EQ(busyOf(r, "mte2"), 654u);
  EXPECT_EQ(busyOf(r, "vector"), 40u);
  EXPECT_EQ(busyOf(r, "mte3"), 264u);
  EXPECT_EQ(busyOf(r, "scalar"), 12u);
  EXPECT_EQ(r.maxPipeBusy, 654u);
  EXPECT_EQ(r.exposed, 982u - 654u);
}

TEST(KernelCost, AscendOverlapsVectorWithTheSecondLoad) {
  CycleReport r = kernelCycles(expAddKernel({16, 128, DType::F32}), ascend());
  // load a: mte2 [4, 658]; load b: mte2 busy until 658 -> [658, 1312]
  // exp a:  vector [658+10=668, 708]   (runs while b loads)
  // add:    waits for b: 1312+10=1322 (exp is on the same pipe: no sync) -> [1322, 1362]
  // store:  [1372, 1372+264=1636]
  ASSERT_EQ(r.ops.size(), 5u);
  EXPECT_EQ(r.ops[1].start, 658u);
  EXPECT_EQ(r.ops[2].start, 668u);
  EXPECT_EQ(r.ops[2].end, 708u);
  EXPECT_EQ(r.ops[3].start, 1322u);
  EXPECT_EQ(r.total, 1636u);
  EXPECT_EQ(busyOf(r, "mte2"), 1308u);
  EXPECT_EQ(busyOf(r, "vector"), 80u);  // 40 + 40
  EXPECT_EQ(r.exposed, 1636u - 1308u);
}

TEST(KernelCost, AieSharesOneVectorSlotAndPaysLockLatency) {
  CycleReport r = kernelCycles(expAddKernel({32, 32, DType::BF16}), aie());
  // scalar issue 10 per op; lock (pipe sync) 2
  // load a: dma_in [10, 582]; load b: [582, 1154]
  // exp a:  vector [582+2=584, 584+136=720]
  // add:    waits b: 1154+2=1156 -> [1156, 1196]
  // store:  dma_out [1198, 1198+538=1736]
  EXPECT_EQ(r.ops[2].start, 584u);
  EXPECT_EQ(r.ops[2].end, 720u);
  EXPECT_EQ(r.ops[3].start, 1156u);
  EXPECT_EQ(r.total, 1736u);
}

TEST(KernelCost, ExclusiveGroupSerialisesIndependentMatmulAndVector) {
  std::vector<KernelOp> ops{
      {OpDesc::matmul({32, 64, DType::BF16}, {64, 32, DType::BF16}), {}, "mm"},
      {OpDesc::unary(TileOpKind::Exp, {32, 32, DType::BF16}, {32, 32, DType::BF16}), {}, "exp"},
  };
  // aie: mac and vector share a pipe. mm: [10, 10+520=530]; exp issue ends 20 but the
  // pipe is busy until 530 -> [530, 530+136=666]
  CycleReport a = scheduleKernel(ops, aie());
  EXPECT_EQ(a.ops[1].start, 530u);
  EXPECT_EQ(a.total, 666u);
  EXPECT_EQ(a.maxPipeBusy, 656u);  // 520 + 136 on the shared pipe
  // ascend: independent pipes. mm: mte1 [4, 4+60=64] ((32*64+64*32)*2 = 8192 B: 28 + 32),
  // cube [74, 74+32=106] (16 + ceil(32/16)*ceil(64/16)*ceil(32/16) = 16 + 16),
  // fixpipe [116, 116+41=157] (4096 B into L1: 9 + 4096/128 = 9 + 32);
  // exp bf16: lanes 128 -> 8 + 8 = 16, vector [8, 24] overlaps completely
  CycleReport b = scheduleKernel(ops, ascend());
  EXPECT_EQ(b.ops[0].cost.phases[0].cycles, 60u);
  EXPECT_EQ(b.ops[0].cost.phases[1].cycles, 32u);
  EXPECT_EQ(b.ops[0].cost.phases[2].cycles, 41u);
  EXPECT_EQ(b.ops[1].start, 8u);
  EXPECT_EQ(b.ops[1].end, 24u);
  EXPECT_EQ(b.total, 157u);
}

TEST(KernelCost, UserArchJsonChangesTheReportAsTheFormulasPredict) {
  arch::ArchModel mine = arch::loadArchFile(PTO_WSP_SOURCE_DIR "/tests/cost/data/my_npu.json");
  ir::Kernel k = expKernel({16, 128, DType::F32});
  // my_npu: GM 64 B/c latency 100, UB 128 B/c latency 2, dma 64 B/c startup 0,
  // vec 128 B/c startup 4 with exp = 3 passes, scalar 2, pipe sync 5.
  // load 8192 B:  100 + 0 + 8192/64 = 228       -> [2, 230]
  // exp f32:      lanes 32, 4 + 3*ceil(2048/32) = 196 -> [230+5=235, 431]
  // store:        2 + 0 + 128 = 130             -> [431+5=436, 566]
  CycleReport r = kernelCycles(k, mine);
  EXPECT_EQ(r.arch, "my_npu");
  EXPECT_EQ(r.ops[0].cost.phases[0].cycles, 228u);
  EXPECT_EQ(r.ops[1].cost.phases[0].cycles, 196u);
  EXPECT_EQ(r.ops[2].cost.phases[0].cycles, 130u);
  EXPECT_EQ(r.total, 566u);
  // Same kernel on the built-in ascend910b: 982 (KernelCost.AscendSerialChain).
  EXPECT_EQ(kernelCycles(k, ascend()).total, 982u);

  // Doubling the user's vector width halves the exp's vector repeats:
  // 4 + 3*ceil(2048/64) = 100, i.e. 96 fewer cycles on the critical path -> 470.
  nlohmann::json j = nlohmann::json::parse(arch::archToJsonText(mine));
  j["units"][0]["bytes_per_cycle"] = 256;
  arch::ArchModel wider = arch::parseArchJson(j.dump(), "wider.json");
  CycleReport w = kernelCycles(k, wider);
  EXPECT_EQ(w.ops[1].cost.phases[0].cycles, 100u);
  EXPECT_EQ(w.total, 470u);
  // Halving GM bandwidth: load = 100 + 8192/32 = 356 (+128), store = 2 + 256 = 258 (+128) -> 822.
  j["units"][0]["bytes_per_cycle"] = 128;
  j["memories"][0]["bytes_per_cycle"] = 32;
  CycleReport g = kernelCycles(k, arch::parseArchJson(j.dump(), "slowgm.json"));
  EXPECT_EQ(g.total, 566u + 128u + 128u);
}

TEST(KernelCost, ExternalKernelUsesItsDeclaredCycles) {
  ir::Kernel k = ir::Kernel::makeExternal("ext", {ir::KernelParam::makeScalar("n", DType::I64)}, "ext.cpp",
                                          ir::var("n") * 10 + 5);
  ir::Env env;
  env.vars["n"] = 3;
  CycleReport r = kernelCycles(k, ascend(), env);
  EXPECT_TRUE(r.external);
  EXPECT_EQ(r.total, 35u);  // 3 * 10 + 5
  EXPECT_THROW(kernelCycles(k, ascend()), UserError);  // n unknown
}

TEST(KernelCost, BadKernelIsALocatedUserError) {
  ir::TileInst bad = inst(TileOpKind::Exp, {"y"}, {"nope"});
  bad.loc = SourceLoc{"k.wsp", 3, 5, {}};
  ir::Kernel k = ir::Kernel::make("bad", {}, {bad});
  try {
    kernelCycles(k, ascend());
    FAIL();
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("k.wsp:3:5: error: exp in kernel 'bad' reads unknown value '%nope'"),
              std::string::npos) << e.what();
  }
}

TEST(KernelCost, ReportTableAndJson) {
  CycleReport r = kernelCycles(expKernel({16, 128, DType::F32}), ascend());
  std::string t = r.table();
  EXPECT_NE(t.find("kernel expk on ascend910b: total 982 cycles (busiest pipe 654 + exposed 328)"), std::string::npos) << t;
  EXPECT_NE(t.find("%y = exp %x"), std::string::npos) << t;
  nlohmann::json j = r.toJson();
  EXPECT_EQ(j["total_cycles"], 982);
  EXPECT_EQ(j["ops"].size(), 3u);
  EXPECT_EQ(j["ops"][1]["phases"][0]["unit"], "vector");
}
