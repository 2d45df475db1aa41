// The ascend target: PTO-ISA kernels, orchestration limits, and conformance of the
// emitted host_build_graph orchestration (compiled against the test double in
// tests/ascend/double/ and run) with the runtime core's expansion of the same plan.
#include "KernelSplit.h"
#include "Orchestration.h"
#include "PtoIsaKernel.h"
#include "SceneTree.h"
#include "TaskGraph.h"

#include "pto/wsp/arch/ArchRegistry.h"
#include "pto/wsp/driver/Driver.h"
#include "pto/wsp/ir/text/Parser.h"
#include "pto/wsp/lower/KernelCodegen.h"
#include "pto/wsp/lower/PlanLowering.h"
#include "pto/wsp/target/Target.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

namespace pto::wsp {
namespace {

namespace fs = std::filesystem;
using namespace target::ascend;
using ::testing::HasSubstr;

const target::Target& ascendTarget() { return target::TargetRegistry::global().get("ascend"); }

std::string readText(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

ir::Module parseExample(const std::string& name) {
  const fs::path p = fs::path(PTO_WSP_SOURCE_DIR) / "examples" / name / (name + ".wsp");
  return ir::text::parse(readText(p), p.string());
}

// tests/ascend/data/scaled.wsp with its size symbol R (rows of X and Y; R / 16 tasks)
// set to `rows`, as `ptowsp run --set R=rows` emits it.
ir::Module scaledModule(int64_t rows) {
  const fs::path p = fs::path(PTO_WSP_SOURCE_DIR) / "tests/ascend/data/scaled.wsp";
  ir::Module m = ir::text::parse(readText(p), p.string());
  EXPECT_EQ(m.symbols.at(0).name, "R");
  m.symbols.at(0).value = rows;
  return m;
}

struct Compiled {
  ir::Module m;
  abi::Plan plan;
  target::SourceTree tree;
};

Compiled compileTree(ir::Module m, const std::string& runtime) {
  const target::Target& t = ascendTarget();
  const ir::Workload& w = m.workloads.front();
  const arch::ArchModel a = arch::resolveArch("ascend910b");
  t.check(m, w, a);
  abi::Plan plan = t.emitOrchestration(m, w, a).plan;
  target::SourceTree tree = t.emitTree({m, w, plan, a, runtime});
  // The tree is the split program's (KernelSplit.h): its plan is what the checks expand.
  SplitProgram sp = splitMixedKernels(m, plan);
  return {std::move(sp.module), std::move(sp.plan), std::move(tree)};
}

const std::string& file(const target::SourceTree& t, std::string_view path) {
  for (const auto& [p, text] : t.files)
    if (p == path) return text;
  ADD_FAILURE() << "no file " << path;
  static const std::string none;
  return none;
}

// ---- kernels ---------------------------------------------------------------------------

TEST(AscendKernels, VectorKernelLowersToPtoIsaOnAiv) {
  const ir::Module m = parseExample("softmax");
  const PtoIsaKernel k = emitPtoIsaKernel(*m.findKernel("normalize"), ArgStyle::DeviceAddress);
  EXPECT_EQ(k.core, CoreKind::Aiv);
  EXPECT_EQ(k.numTiles, 4u);
  EXPECT_EQ(k.numArgs(), 8u);
  for (const char* s : {"#include <pto/pto-inst.hpp>", "extern \"C\" __aicore__", "void kernel_entry(__gm__ int64_t* args)",
                        "Tile<TileType::Vec, float, 16, 128, BLayout::RowMajor, 16, 128>",
                        "Tile<TileType::Vec, float, 16, 8, BLayout::RowMajor, 16, 1>", "TLOAD(", "TROWEXPANDSUB(", "TEXP(",
                        "TROWEXPANDDIV(", "TSTORE(g_y, ", "set_flag(PIPE_MTE2, PIPE_V, EVENT_ID0)",
                        "set_flag(PIPE_V, PIPE_MTE3, EVENT_ID0)", "Stride<1, 1, 1, DYNAMIC, 1>(args[4])", "pipe_sync();"})
    EXPECT_THAT(k.text, HasSubstr(s)) << k.text;
  // One entry point per unit.
  EXPECT_EQ(k.text.find("kernel_entry"), k.text.rfind("kernel_entry"));
  const PtoIsaKernel t = emitPtoIsaKernel(*m.findKernel("normalize"), ArgStyle::TensorPointer);
  EXPECT_THAT(t.text, HasSubstr("#include \"tensor.h\""));
  EXPECT_THAT(t.text, HasSubstr("->buffer.addr) + reinterpret_cast<__gm__ Tensor*>(args[0])->start_offset"));
}

const char* kMatmulModule = R"(module mm
input A : f16[16, 32]
input B : f16[32, 16]
output C : f32[16, 16]
kernel gemm(in a : Tile[16, 32, f16], in b : Tile[32, 16, f16], out c : Tile[16, 16, f32]) {
  %x = load a
  %y = load b
  %z = matmul %x, %y
  store c, %z
}
workload w {
  call gemm(A[0 : 16, 0 : 32], B[0 : 32, 0 : 16], C[0 : 16, 0 : 16])
}
)";

TEST(AscendKernels, MatmulKernelRunsOnAicThroughL1AndL0) {
  const ir::Module m = ir::text::parse(kMatmulModule, "mm.wsp");
  const PtoIsaKernel k = emitPtoIsaKernel(*m.findKernel("gemm"), ArgStyle::DeviceAddress);
  EXPECT_EQ(k.core, CoreKind::Aic);
  for (const char* s : {"Tile<TileType::Mat, half, 16, 32, BLayout::ColMajor, 16, 32, SLayout::RowMajor, 512>",
                        "TileLeft<half, 16, 32, 16, 32>", "TileRight<half, 32, 16, 32, 16>", "TileAcc<float, 16, 16, 16, 16>",
                        "set_flag(PIPE_MTE2, PIPE_MTE1, EVENT_ID0)", "TMOV(", "set_flag(PIPE_MTE1, PIPE_M, EVENT_ID0)",
                        "TMATMUL(", "set_flag(PIPE_M, PIPE_FIX, EVENT_ID0)", "TSTORE(g_c, "})
    EXPECT_THAT(k.text, HasSubstr(s)) << k.text;
}

TEST(AscendKernels, UnsupportedOpIsALocatedErrorNamingTheOp) {
  const ir::Module m = parseExample("moe");
  try {
    (void)compileTree(m, "");
    FAIL() << "expected UserError";
  } catch (const UserError& e) {
    EXPECT_THAT(e.what(), HasSubstr("moe.wsp:"));
    EXPECT_THAT(e.what(), HasSubstr("error: tile op 'topk' has no PTO-ISA lowering in the ascend target"));
    EXPECT_THAT(e.what(), HasSubstr("help: docs/ascend.md lists the ops"));
  }
}

// A mixed kernel is cut at each cube/vector boundary: attention's attn_tile becomes
// matmul (AIC) -> softmax (AIV) -> matmul (AIC) -> cast (AIV), meeting in GM intermediates.
TEST(AscendSplit, MixedKernelIsCutAtEachCubeVectorBoundary) {
  const ir::Module m = parseExample("attention");
  const ir::Kernel& k = *m.findKernel("attn_tile");
  ASSERT_TRUE(needsSplit(k));
  const SplitKernel sk = splitKernel(k);
  ASSERT_EQ(sk.units.size(), 4u);
  EXPECT_EQ(sk.intermediateNames, (std::vector<std::string>{"s", "ph", "ot"}));
  std::vector<std::string> names, cores;
  for (const KernelUnit& u : sk.units) {
    names.push_back(u.kernel.name);
    EXPECT_FALSE(needsSplit(u.kernel)) << u.kernel.name;
    EXPECT_FALSE(unsupported(u.kernel).has_value()) << u.kernel.name;
    cores.push_back(std::string(coreName(emitPtoIsaKernel(u.kernel, ArgStyle::DeviceAddress).core)));
  }
  EXPECT_EQ(names, (std::vector<std::string>{"attn_tile_0_aic", "attn_tile_1_aiv", "attn_tile_2_aic", "attn_tile_3_aiv"}));
  EXPECT_EQ(cores, (std::vector<std::string>{"aic", "aiv", "aic", "aiv"}));
  // Unit 2 (p x v) loads v itself and the probabilities from the intermediate.
  std::vector<std::string> params;
  for (const ir::KernelParam& p : sk.units[2].kernel.params) params.push_back(p.typeStr() + " " + p.name);
  EXPECT_EQ(params, (std::vector<std::string>{"in tile 128x64xf16 v", "out tile 16x64xf32 mid_ot",
                                              "in tile 16x128xf16 mid_ph"}));
  EXPECT_EQ(sk.units[1].source.back(), static_cast<int>(k.params.size()) - 1);  // the scale scalar
}

// A matmul with an accumulator is a matmul on the cube and an add on the vector core.
TEST(AscendSplit, MatmulWithAccumulatorBecomesCubeMatmulAndVectorAdd) {
  const ir::Module m = parseExample("bgemm");
  const SplitKernel sk = splitKernel(*m.findKernel("gemm_step"));
  ASSERT_EQ(sk.units.size(), 2u);
  const PtoIsaKernel aic = emitPtoIsaKernel(sk.units[0].kernel, ArgStyle::DeviceAddress);
  const PtoIsaKernel aiv = emitPtoIsaKernel(sk.units[1].kernel, ArgStyle::DeviceAddress);
  EXPECT_EQ(aic.core, CoreKind::Aic);
  EXPECT_THAT(aic.text, HasSubstr("TMATMUL(ct_mm_5, at_1_l0a_3, bt_2_l0b_4);"));
  EXPECT_THAT(aic.text, HasSubstr("TSTORE(g_mid_ct_mm, ct_mm_5);"));
  EXPECT_EQ(aiv.core, CoreKind::Aiv);
  EXPECT_THAT(aiv.text, HasSubstr("(c : inout tile 64x64xf32, mid_ct_mm : in tile 64x64xf32)"));
  EXPECT_THAT(aiv.text, HasSubstr("TADD(ct_3, ct_mm_1, acc_2);"));
}

// Every call site gets its own intermediate temp, one tile per loop iteration: the 8
// independent calls below are 8 independent (AIC -> AIV) pairs, nothing serialises.
TEST(AscendSplit, IndependentCallsGetTheirOwnIntermediateTiles) {
  const char* src = R"(module mix
input A : f16[128, 64]
input B : f16[64, 32]
output Y : f32[128, 32]
kernel mm_relu(in a : Tile[16, 64, f16], in b : Tile[64, 32, f16], out y : Tile[16, 32, f32]) {
  %at = load a
  %bt = load b
  %c = matmul %at, %bt
  %r = relu %c
  store y, %r
}
workload mix {
  P i in dense(8) {
    call mm_relu(A[i * 16 : 16, 0 : 64], B[0 : 64, 0 : 32], Y[i * 16 : 16, 0 : 32])
  }
}
)";
  const Compiled c = compileTree(ir::text::parse(src, "mix.wsp"), "host_build_graph");
  ASSERT_EQ(c.plan.kernels.size(), 2u);
  EXPECT_EQ(c.plan.kernels[0].name, "mm_relu_0_aic");
  EXPECT_EQ(c.plan.kernels[1].name, "mm_relu_1_aiv");
  const abi::PlanTensor& mid = c.plan.tensors.back();
  EXPECT_EQ(mid.name, "mm_relu_c_0");
  EXPECT_EQ(mid.shape, (std::vector<int64_t>{128, 32}));  // 8 iterations x 16 rows
  EXPECT_TRUE(mid.runtimeManaged);
  const TaskGraph g = expandPlan(c.plan, {});
  ASSERT_EQ(g.tasks.size(), 16u);
  for (uint32_t i = 0; i < 8; ++i) {
    const GraphTask& cube = g.tasks[2 * i];
    const GraphTask& vec = g.tasks[2 * i + 1];
    EXPECT_EQ(cube.kernel, 0);
    EXPECT_TRUE(cube.preds.empty()) << "iteration " << i;
    EXPECT_EQ(vec.kernel, 1);
    EXPECT_EQ(vec.preds, std::vector<uint32_t>{2 * i}) << "iteration " << i;
    EXPECT_EQ(cube.tiles.back().offset, int64_t{16} * 32 * i);  // its own intermediate tile
    EXPECT_EQ(vec.tiles.back(), cube.tiles.back());
  }
  const nlohmann::json man = nlohmann::json::parse(file(c.tree, kManifestFile));
  EXPECT_THAT(man.dump(), HasSubstr("\"kernels/aic/mm_relu_0_aic.cpp\""));
  EXPECT_THAT(man.dump(), HasSubstr("\"kernels/aiv/mm_relu_1_aiv.cpp\""));
}

// A transposed view of a matmul operand (K[...].T) becomes the untransposed tile and a
// transposed load: one TLOAD through a DN-layout GlobalTensor into L1.
TEST(AscendSplit, TransposedMatmulOperandIsLoadedThroughADnView) {
  const Compiled c = compileTree(parseExample("attention"), "host_build_graph");
  const ir::Kernel& k = *c.m.findKernel("attn_tile_0_aic");
  ASSERT_EQ(k.params.at(1).name, "kt");
  EXPECT_EQ(k.params[1].tile.str(), "128x64xf16");  // K's rows as they lie in memory
  const PtoIsaKernel aic = emitPtoIsaKernel(k, ArgStyle::DeviceAddress);
  EXPECT_THAT(aic.text, HasSubstr("using GT_kt = GlobalTensor<half, Shape<1, 1, 1, 64, 128>, Stride<1, 1, 1, 1, DYNAMIC>, "
                                  "Layout::DN>;"));
  EXPECT_THAT(aic.text, HasSubstr("TLOAD(ktt_2, gt_kt);"));
  const TaskGraph g = expandPlan(c.plan, {});
  for (const GraphTask& t : g.tasks)
    for (const GraphTile& tl : t.tiles) EXPECT_EQ(tl.colStride, 1);
  EXPECT_EQ(g.tasks.at(0).tiles.at(1).rowStride, 64);
  // Outside that pattern (here: on the vector core) a transpose is still refused.
  const ir::Module v = ir::text::parse(R"(module tr
input A : f32[16, 16]
output B : f32[16, 16]
kernel tr(in a : Tile[16, 16, f32], out b : Tile[16, 16, f32]) {
  %x = load a
  %t = transpose %x
  store b, %t
}
workload tr {
  call tr(A[0 : 16, 0 : 16], B[0 : 16, 0 : 16])
}
)",
                                       "tr.wsp");
  const std::optional<Diagnostic> d = unsupported(*v.findKernel("tr"));
  ASSERT_TRUE(d.has_value());
  EXPECT_THAT(d->render(), HasSubstr("tr.wsp:6:3: error: tile op 'transpose' has no PTO-ISA lowering in the ascend target "
                                  "except as a transposed load on the cube core (kernel 'tr')"));
}

// What the split does not cover stays a located error naming the feature.
TEST(AscendSplit, ExamplesTheSplitCannotEmitAreLocatedErrors) {
  struct Case {
    const char* example;
    const char* runtime;
    const char* what;
  };
  for (const Case& c :
       {Case{"flash_decode", "host_build_graph", "flash_decode.wsp:38:1: error: kernel 'combine' needs 26 argument words"}}) {
    SCOPED_TRACE(c.example);
    try {
      (void)compileTree(parseExample(c.example), c.runtime);
      FAIL() << "expected UserError";
    } catch (const UserError& e) {
      EXPECT_THAT(e.what(), HasSubstr(c.what));
    }
  }
}

// The smallest kernel exercising `op` alone: load its operands, the op, store its first
// result. A transpose stands where the ascend target lowers one, as a matmul operand.
ir::Kernel oneOpKernel(ir::TileOpKind op) {
  using ir::TileInst;
  using ir::TileOpKind;
  const ir::TileType t{16, 16, ir::DType::F32};
  std::vector<ir::KernelParam> params;
  for (const char* n : {"a", "b", "c"}) params.push_back(ir::KernelParam::makeTile(n, ir::ParamDir::In, t));
  params.push_back(ir::KernelParam::makeTile("o", ir::ParamDir::Out, t));
  std::vector<TileInst> body;
  auto load = [&](const std::string& p) {
    TileInst l;
    l.op = TileOpKind::Load;
    l.param = p;
    l.results = {"%" + p};
    l.resultTypes = {t};
    body.push_back(l);
    return l.results[0];
  };
  TileInst inst;
  inst.op = op;
  inst.loc = SourceLoc{"one.wsp", 3, 3, {}};
  std::string result;
  if (op == TileOpKind::Load || op == TileOpKind::Store) {
    result = load("a");
    body.back().loc = inst.loc;
  } else {
    const ir::TileOpInfo& info = ir::tileOpInfo(op);
    const char* names[] = {"a", "b", "c"};
    for (int i = 0; i < info.numTileOperands; ++i) inst.operands.push_back(load(names[i]));
    if (op == TileOpKind::Fill) inst.scalar = ir::ScalarOperand::of(ir::FloatConst::make(1.0));
    inst.results = {"%r"};
    inst.resultTypes = {t};
    if (op == TileOpKind::TopK) {
      inst.k = 4;
      inst.results.push_back("%i");
      inst.resultTypes.push_back({16, 4, ir::DType::I32});
    }
    body.push_back(inst);
    result = "%r";
    if (op == TileOpKind::Transpose) {
      TileInst mm;
      mm.op = TileOpKind::Matmul;
      mm.operands = {load("b"), "%r"};
      mm.results = {"%m"};
      mm.resultTypes = {t};
      body.push_back(mm);
      result = "%m";
    }
  }
  TileInst st;
  st.op = TileOpKind::Store;
  st.param = "o";
  st.operands = {result};
  st.loc = op == TileOpKind::Store ? inst.loc : SourceLoc{};
  body.push_back(st);
  return ir::Kernel::make(std::string(ir::tileOpInfo(op).name) + "_only", params, body);
}

// The matrix's [ops] rows and the emitter's refusal come from one function: for every
// tile op, the matrix says unsupported exactly when the emitter refuses a one-op kernel
// of it, with the same reason, located at the op.
TEST(AscendKernels, OpsMatrixMatchesTheEmittersRefusals) {
  const arch::CapabilityMatrix& caps = ascendTarget().capabilities();
  ASSERT_EQ(caps.ops.size(), static_cast<size_t>(ir::kNumTileOps));
  int refused = 0, lowered = 0;
  for (const ir::TileOpInfo& info : ir::allTileOps()) {
    SCOPED_TRACE(std::string(info.name));
    const arch::OpCapability& row = caps.op(info.kind);
    EXPECT_FALSE(row.note.empty());
    const std::optional<Diagnostic> d = unsupported(oneOpKernel(info.kind));
    EXPECT_EQ(d.has_value(), row.support == arch::Support::Unsupported) << (d ? d->render() : row.note);
    if (d) {
      ++refused;
      EXPECT_THAT(d->render(), HasSubstr("one.wsp:3:3: error: " + row.note));
    } else {
      ++lowered;
      EXPECT_EQ(row.support, arch::Support::Enforced);
    }
  }
  // Both kinds occur, so the comparison above can fail either way.
  EXPECT_GT(refused, 0);
  EXPECT_GT(lowered, 0);
  EXPECT_EQ(caps.op(ir::TileOpKind::Sort).support, arch::Support::Unsupported);
  EXPECT_THAT(caps.op(ir::TileOpKind::Add).note, HasSubstr("TADD"));
  EXPECT_THAT(caps.op(ir::TileOpKind::Matmul).note, HasSubstr("TMATMUL"));
}

TEST(AscendKernels, SlotDrivenConditionIsRefusedByTheMatrix) {
  EXPECT_EQ(ascendTarget().capabilities().support("pred.cond_slot"), arch::Support::Unsupported);
  EXPECT_EQ(ascendTarget().capabilities().support("dispatch.custom"), arch::Support::Recorded);
}

// dense_dyn extents over symbols are the task table's; a ragged axis reads its lengths
// from tensor data, which the table cannot know before the run.
TEST(AscendKernels, DynamicAxisOverSymbolsEmitsAndRaggedIsALocatedError) {
  EXPECT_EQ(ascendTarget().capabilities().support("pred.dynamic_axis"), arch::Support::Enforced);
  EXPECT_NO_THROW((void)compileTree(scaledModule(64), ""));
  const std::string m = R"(module rag
input L : i32[4]
input X : f32[64, 16]
output Y : f32[64, 16]
kernel cp(in x : Tile[16, 16, f32], out y : Tile[16, 16, f32]) {
  %a = load x
  store y, %a
}
workload rag {
  P b in dense(4) {
    P j in ragged(b, L) {
      call cp(X[(b * 4 + j) * 16 : 16, 0 : 16], Y[(b * 4 + j) * 16 : 16, 0 : 16])
    }
  }
}
)";
  try {
    (void)compileTree(ir::text::parse(m, "rag.wsp"), "");
    FAIL() << "expected UserError";
  } catch (const UserError& e) {
    EXPECT_THAT(e.what(), HasSubstr("rag.wsp:"));
    EXPECT_THAT(e.what(), HasSubstr("reads tensor memory in a loop bound"));
  }
}

// ---- limits ----------------------------------------------------------------------------

std::string fanoutModule(int consumers) {
  return fmt::format(R"(module fanout
input A : f32[16, 16]
temp T : f32[16, 16]
output B : f32[{0}, 16]
kernel produce(in a : Tile[16, 16, f32], out t : Tile[16, 16, f32]) {{
  %x = load a
  store t, %x
}}
kernel consume(in t : Tile[16, 16, f32], out b : Tile[16, 16, f32]) {{
  %x = load t
  %y = exp %x
  store b, %y
}}
workload fanout {{
  call produce(A[0 : 16, 0 : 16], T[0 : 16, 0 : 16])
  P i in dense({1}) {{
    call consume(T[0 : 16, 0 : 16], B[i * 16 : 16, 0 : 16])
  }}
}}
)",
                     consumers * 16, consumers);
}

// The task heads of a tensormap_and_ringbuffer table (TaskTable.h's layout), read with
// the sites' word counts: checks the layout independently of the builder.
std::vector<uint64_t> ringHeads(const std::vector<uint64_t>& w, const abi::Plan& plan) {
  const std::vector<TaskSite> sites = taskSites(plan);
  size_t p = 3 + plan.tensors.size();
  std::vector<uint64_t> heads(w.at(p++));
  for (uint64_t& h : heads) {
    h = w.at(p++);
    const TaskSite& site = sites.at(h & 0xffffffffu);
    size_t words = 0;
    if (site.kernel >= 0)
      for (const abi::PlanParam& pp : plan.kernels[site.kernel].params) words += pp.kind == abi::ParamKind::Scalar ? 1 : 3;
    p += words;
    p += 1 + w.at(p);
  }
  EXPECT_EQ(p, w.size());
  return heads;
}

TEST(AscendLimits, TwoHundredConsumersGetARelayNeverALostEdge) {
  const Compiled c = compileTree(ir::text::parse(fanoutModule(200), "fanout.wsp"), "host_build_graph");
  const nlohmann::json j = nlohmann::json::parse(file(c.tree, kManifestFile));
  EXPECT_EQ(j["orchestration"]["relays"], 1);
  EXPECT_EQ(j["orchestration"]["tasks"], 202);
  EXPECT_EQ(j["orchestration"]["edges"], 201);  // 127 direct + 1 to the relay + 73 from it
  // The relay is the table's last task, of site 0 (the no-op task).
  const std::string& table = file(c.tree, kTableFile);
  EXPECT_THAT(table, HasSubstr("# relays (site 0)\n0\n# edges (from, to), at most 128 per task\n201\n"));
}

// The scopes the tree's task table opens.
size_t countScopes(const Compiled& c) {
  size_t n = 0;
  for (uint64_t h : ringHeads(parseTableText(file(c.tree, kTableFile), "t"), c.plan)) n += (h & kOpenScope) != 0;
  return n;
}

// 20000 independent tasks: every boundary is safe, so scopes of 1024 (half the default
// window would allow 8192) and the schedule's window.
TEST(AscendLimits, TwentyThousandIndependentTasksAreSplitIntoScopesUnderTheTaskWindow) {
  const std::string m = R"(module wide
input A : f32[16, 16]
output B : f32[320000, 16]
kernel step(in a : Tile[16, 16, f32], out b : Tile[16, 16, f32]) {
  %a = load a
  %b = add.scalar %a, 1.0
  store b, %b
}
workload wide {
  P i in dense(20000) {
    call step(A[0 : 16, 0 : 16], B[i * 16 : 16, 0 : 16])
  }
}
)";
  const Compiled c = compileTree(ir::text::parse(m, "wide.wsp"), "tensormap_and_ringbuffer");
  EXPECT_TRUE(c.tree.warnings.empty());
  const nlohmann::json j = nlohmann::json::parse(file(c.tree, kManifestFile));
  const uint32_t tasks = j["orchestration"]["tasks"];
  const uint32_t scopes = j["orchestration"]["scopes"];
  EXPECT_EQ(tasks, 20000u);
  EXPECT_EQ(scopes, (tasks + 1023) / 1024);
  EXPECT_EQ(j["task_ring"]["task_window_enforced"], true);
  EXPECT_EQ(j["task_ring"]["ring_task_window"], 16384);
  EXPECT_EQ(j["task_ring"]["largest_scope_tasks"], 1024);
  EXPECT_EQ(j["runtime_env"]["PTO2_RING_TASK_WINDOW"], "16384");
  EXPECT_EQ(countScopes(c), scopes);
  // The table opens a scope every 1024 tasks and closes it before the next opens.
  const std::vector<uint64_t> heads = ringHeads(parseTableText(file(c.tree, kTableFile), "t"), c.plan);
  ASSERT_EQ(heads.size(), tasks);
  for (size_t i = 0; i < heads.size(); ++i) {
    EXPECT_EQ((heads[i] & kOpenScope) != 0, i % 1024 == 0) << "task " << i;
    EXPECT_EQ((heads[i] & kCloseScope) != 0, i % 1024 == 1023 || i + 1 == heads.size()) << "task " << i;
  }
}

// A 20000-task chain has no safe boundary (each task waits for the one before): one scope,
// which needs a ring of 32768, above the default window 16384, so the ring is enlarged,
// the compile warns and the manifest says task_window is not enforced; the scope stays
// under the ring it runs with, so pto-runtime's "Scope Deadlock" cannot happen.
TEST(AscendLimits, ScopeOfTwentyThousandTasksGetsARingThatHoldsItAndAWarning) {
  const std::string m = R"(module chain
inout X : f32[16, 16]
kernel step(inout x : Tile[16, 16, f32]) {
  %a = load x
  %b = add.scalar %a, 1.0
  store x, %b
}
workload chain {
  P.seq i in dense(20000) {
    call step(X[0 : 16, 0 : 16])
  }
}
)";
  const Compiled c = compileTree(ir::text::parse(m, "chain.wsp"), "tensormap_and_ringbuffer");
  const nlohmann::json j = nlohmann::json::parse(file(c.tree, kManifestFile));
  const uint32_t tasks = j["orchestration"]["tasks"];
  EXPECT_GE(tasks, 20000u);
  EXPECT_EQ(j["orchestration"]["scopes"], 1);
  EXPECT_EQ(j["task_ring"]["task_window_enforced"], false);
  EXPECT_EQ(j["task_ring"]["requested_task_window"], 16384);
  EXPECT_EQ(j["task_ring"]["ring_task_window"], 32768);
  EXPECT_EQ(j["task_ring"]["largest_uncut_tasks"], tasks);
  EXPECT_EQ(j["runtime_env"]["PTO2_RING_TASK_WINDOW"], "32768");
  EXPECT_EQ(countScopes(c), 1u);
  ASSERT_EQ(c.tree.warnings.size(), 1u);
  const std::string w = c.tree.warnings[0].render();
  EXPECT_THAT(w, HasSubstr("chain.wsp:"));
  EXPECT_THAT(w, HasSubstr(fmt::format("warning: the default task_window 16384 is not enforced on "
                                       "tensormap_and_ringbuffer: the smallest scope that no dependency crosses holds "
                                       "{} tasks, which needs a ring of 32768",
                                       tasks)));
  EXPECT_THAT(w, HasSubstr("help: set task_window 32768"));
}

TEST(AscendLimits, TwentyArgumentKernelIsALocatedErrorUnderHostBuildGraph) {
  std::string params, args;
  for (int i = 0; i < 10; ++i) {
    params += fmt::format("{}in t{} : Tile[16, 16, f32]", i ? ", " : "", i);
    args += fmt::format("{}X[0 : 16, {} : 16]", i ? ", " : "", i * 16);
  }
  const std::string m = fmt::format(R"(module wide
input X : f32[16, 160]
output Y : f32[16, 16]
kernel wide({}, out y : Tile[16, 16, f32]) {{
  %a = load t0
  store y, %a
}}
workload w {{
  call wide({}, Y[0 : 16, 0 : 16])
}}
)",
                                    params, args);
  try {
    (void)compileTree(ir::text::parse(m, "wide.wsp"), "host_build_graph");
    FAIL() << "expected UserError";
  } catch (const UserError& e) {
    EXPECT_THAT(e.what(), HasSubstr("wide.wsp:4:1: error: kernel 'wide' needs 22 argument words (11 tiles x 2"));
    EXPECT_THAT(e.what(), HasSubstr("host_build_graph passes at most 16"));
  }
  // The ring-buffer runtime takes 16 tensors and 32 scalars per task.
  EXPECT_NO_THROW((void)compileTree(ir::text::parse(m, "wide.wsp"), "tensormap_and_ringbuffer"));
}

// ---- conformance: the emitted orchestration, compiled and run against the double --------

struct Recorded {
  std::vector<size_t> allocs;
  std::map<long, std::string> copies;  // buffer -> "host <n>" / "zeros"
  std::map<long, long> records;        // entry -> buffer
  struct Task {
    int func;
    std::string core;
    std::vector<std::string> words;
  };
  std::vector<Task> tasks;
  std::vector<std::pair<int, int>> edges;
  int dropped = 0;
};

Recorded runWithDouble(const Compiled& c, const std::string& entry, const fs::path& work) {
  fs::create_directories(work);
  const nlohmann::json man = nlohmann::json::parse(file(c.tree, kManifestFile));
  const std::string orchPath = man["orchestration"]["source"];
  std::ofstream(work / "orch.cpp") << file(c.tree, orchPath);
  const fs::path dbl = fs::path(PTO_WSP_SOURCE_DIR) / "tests/ascend/double";
  const fs::path exe = work / "orch";
  const std::string cmd = fmt::format("{} -std=c++17 -O0 -w -I{} -DPTO_WSP_ENTRY={} {} {} -o {} 2> {}", PTO_WSP_CXX,
                                      dbl.string(), entry, (work / "orch.cpp").string(),
                                      (dbl / "RecordingRuntime.cc").string(), exe.string(), (work / "cc.log").string());
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd << "\n" << readText(work / "cc.log");
  std::ofstream(work / "tasks.txt") << file(c.tree, kTableFile);
  std::string run = exe.string();
  for (const auto& e : man["entry_tensors"])
    run += " " + (e["name"] == kTableEntry ? "@" + (work / "tasks.txt").string() : std::to_string(e["bytes"].get<uint64_t>()));
  run += " > " + (work / "calls.txt").string();
  EXPECT_EQ(std::system(run.c_str()), 0) << run;
  Recorded r;
  std::ifstream in(work / "calls.txt");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream s(line);
    std::string kind;
    s >> kind;
    if (kind == "alloc") {
      size_t i, b;
      s >> i >> b;
      r.allocs.push_back(b);
    } else if (kind == "copy") {
      long buf, n;
      std::string from;
      size_t bytes;
      s >> buf >> from >> n >> bytes;
      r.copies[buf] = from == "host" ? fmt::format("host {}", n) : "zeros";
    } else if (kind == "record") {
      long e, buf;
      s >> e >> buf;
      r.records[e] = buf;
    } else if (kind == "task") {
      Recorded::Task t;
      int id;
      s >> id >> t.func >> t.core;
      for (std::string w; s >> w;) t.words.push_back(w);
      r.tasks.push_back(std::move(t));
    } else if (kind == "edge") {
      int a, b;
      s >> a >> b;
      r.edges.push_back({a, b});
    } else if (kind == "dropped") {
      ++r.dropped;
    }
  }
  return r;
}

void expectConforms(const std::string& label, ir::Module m) {
  SCOPED_TRACE(label);
  const Compiled c = compileTree(std::move(m), "host_build_graph");
  const TaskGraph g = expandPlan(c.plan, {});
  const nlohmann::json man = nlohmann::json::parse(file(c.tree, kManifestFile));
  const Recorded r = runWithDouble(c, man["orchestration"]["function_name"], fs::path(PTO_WSP_BINARY_DIR) / "ascend_conformance" / label);
  // Allocations and copies: every plan tensor once, entries from the host, temps zeroed.
  ASSERT_EQ(r.allocs.size(), c.plan.tensors.size());
  std::map<uint32_t, std::pair<size_t, std::string>> entries;
  for (size_t e = 0; e < man["entry_tensors"].size(); ++e)
    for (size_t i = 0; i < c.plan.tensors.size(); ++i)
      if (c.plan.tensors[i].name == man["entry_tensors"][e]["name"]) entries[static_cast<uint32_t>(i)] = {e, man["entry_tensors"][e]["direction"]};
  for (size_t i = 0; i < c.plan.tensors.size(); ++i) {
    EXPECT_EQ(r.allocs[i], c.plan.tensors[i].bytes) << c.plan.tensors[i].name;
    auto it = entries.find(static_cast<uint32_t>(i));
    EXPECT_EQ(r.copies.at(static_cast<long>(i)), it == entries.end() ? "zeros" : fmt::format("host {}", it->second.first));
    if (it != entries.end() && it->second.second != "IN") {
      EXPECT_EQ(r.records.at(static_cast<long>(it->second.first)), static_cast<long>(i));
    }
  }
  size_t outputs = 0;
  for (const auto& [i, e] : entries) outputs += e.second != "IN";
  EXPECT_EQ(r.records.size(), outputs);
  // Tasks: the expansion's, in order, with the same kernel and argument words.
  ASSERT_GE(r.tasks.size(), g.tasks.size());
  const uint32_t relayFunc = static_cast<uint32_t>(c.plan.kernels.size());
  for (size_t i = 0; i < g.tasks.size(); ++i) {
    const GraphTask& t = g.tasks[i];
    const Recorded::Task& rt = r.tasks[i];
    EXPECT_EQ(rt.func, t.kernel < 0 ? static_cast<int>(relayFunc) : t.kernel) << "task " << i;
    std::vector<std::string> want;
    for (const GraphTile& tl : t.tiles) want.push_back(fmt::format("b{}+{}", tl.tensor, tl.offset * c.plan.tensors[tl.tensor].elemBytes));
    for (const GraphTile& tl : t.tiles) want.push_back(std::to_string(tl.rowStride));
    for (uint64_t s : t.scalars) want.push_back(std::to_string(s));
    EXPECT_EQ(rt.words, want) << "task " << i;
  }
  for (size_t i = g.tasks.size(); i < r.tasks.size(); ++i) EXPECT_EQ(r.tasks[i].func, static_cast<int>(relayFunc));
  // Edges: none dropped, and through relays exactly the expansion's producers.
  EXPECT_EQ(r.dropped, 0);
  std::vector<std::vector<int>> succ(r.tasks.size());
  for (const auto& [a, b] : r.edges) succ.at(static_cast<size_t>(a)).push_back(b);
  const int n = static_cast<int>(g.tasks.size());
  std::vector<std::set<uint32_t>> preds(g.tasks.size());
  for (int i = 0; i < n; ++i) {
    std::vector<int> stack = succ[static_cast<size_t>(i)];
    while (!stack.empty()) {
      const int s = stack.back();
      stack.pop_back();
      if (s < n) preds[static_cast<size_t>(s)].insert(static_cast<uint32_t>(i));
      else stack.insert(stack.end(), succ[static_cast<size_t>(s)].begin(), succ[static_cast<size_t>(s)].end());
    }
  }
  size_t edgesSeen = 0;
  for (int i = 0; i < n; ++i) {
    const std::set<uint32_t> want(g.tasks[static_cast<size_t>(i)].preds.begin(), g.tasks[static_cast<size_t>(i)].preds.end());
    EXPECT_EQ(preds[static_cast<size_t>(i)], want) << "task " << i;
    edgesSeen += want.size();
  }
  // Each relay adds one edge (into it); its outgoing edges are the original ones.
  EXPECT_EQ(r.edges.size(), edgesSeen + (r.tasks.size() - g.tasks.size()));
}

TEST(AscendConformance, EmittedHostBuildGraphOrchestrationMatchesTheRuntimeExpansion) {
  for (const char* ex : {"softmax", "rmsnorm", "pipeline", "residual", "gated", "bgemm", "attention", "llama_block", "gate_mix"})
    expectConforms(ex, parseExample(ex));
  expectConforms("scaled_r96", scaledModule(96));
  expectConforms("fanout", ir::text::parse(fanoutModule(300), "fanout.wsp"));
}

// The ring-buffer orchestration against its double (double/pto_orchestration_api.h,
// RecordingRing.cc): the submitted tasks, their views and scalars are the expansion's, and
// the dependencies pto-runtime would use (the TensorMap's, from overlapping regions, plus
// the explicit ones) contain every producer of the expansion and nothing the expansion
// does not order before the task.
void expectRingConforms(const std::string& label, ir::Module m) {
  SCOPED_TRACE(label);
  const Compiled c = compileTree(std::move(m), "tensormap_and_ringbuffer");
  const TaskGraph g = expandPlan(c.plan, {});
  const nlohmann::json man = nlohmann::json::parse(file(c.tree, kManifestFile));
  const fs::path work = fs::path(PTO_WSP_BINARY_DIR) / "ascend_conformance" / (label + "_ring");
  fs::create_directories(work);
  std::ofstream(work / "orch.cpp") << file(c.tree, man["orchestration"]["source"].get<std::string>());
  const fs::path dbl = fs::path(PTO_WSP_SOURCE_DIR) / "tests/ascend/double";
  const std::string cmd = fmt::format("{} -std=c++17 -O0 -w -I{} {} {} -o {} 2> {}", PTO_WSP_CXX, dbl.string(),
                                      (work / "orch.cpp").string(), (dbl / "RecordingRing.cc").string(),
                                      (work / "orch").string(), (work / "cc.log").string());
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd << "\n" << readText(work / "cc.log");
  std::ofstream(work / "tasks.txt") << file(c.tree, kTableFile);
  std::string run = (work / "orch").string();
  std::vector<uint32_t> entryPlan;  // entry index -> plan tensor
  for (const auto& e : man["entry_tensors"]) {
    if (e["name"] == kTableEntry) {
      run += " @" + (work / "tasks.txt").string();
      continue;
    }
    std::string shape;
    for (const auto& d : e["shape"]) shape += (shape.empty() ? "" : "x") + std::to_string(d.get<int64_t>());
    run += " " + shape;
    for (uint32_t i = 0; i < c.plan.tensors.size(); ++i)
      if (c.plan.tensors[i].name == e["name"]) entryPlan.push_back(i);
  }
  ASSERT_EQ(entryPlan.size() + 1, man["entry_tensors"].size());  // and the table, last
  // The double enforces the ring the tree runs with: scopes under it, no slot reuse.
  const std::string ring = man["runtime_env"]["PTO2_RING_TASK_WINDOW"];
  EXPECT_EQ(ring, std::to_string(man["task_ring"]["ring_task_window"].get<uint32_t>()));
  run = "PTO2_RING_TASK_WINDOW=" + ring + " " + run;
  const int rc = std::system((run + " > " + (work / "calls.txt").string()).c_str());
  if (rc != 0) {
    const std::string calls = readText(work / "calls.txt");
    FAIL() << run << " exited " << rc << "; its output ends:\n" << calls.substr(calls.size() > 2000 ? calls.size() - 2000 : 0);
  }
  struct Use {
    int entry;
    int64_t offset;
    uint32_t rows, cols;
    std::string dir;
  };
  struct Task {
    std::string kernel;
    std::vector<Use> uses;
    std::vector<uint64_t> scalars;
    std::set<uint32_t> deps;
  };
  std::vector<Task> tasks;
  int depth = 0, maxDepth = 0;
  std::ifstream in(work / "calls.txt");
  for (std::string line; std::getline(in, line);) {
    std::istringstream ls(line);
    std::string kind;
    ls >> kind;
    if (kind == "config") {
      int n;
      ls >> n;
      EXPECT_EQ(n, static_cast<int>(man["entry_tensors"].size()));
    } else if (kind == "scope") {
      std::string be;
      ls >> be;
      depth += be == "begin" ? 1 : -1;
      maxDepth = std::max(maxDepth, depth);
    } else if (kind == "task") {
      Task t;
      std::string id, core, w;
      ls >> id >> t.kernel >> core >> w;
      for (int part = 0; ls >> w;) {
        if (w == ";") {
          ++part;
          continue;
        }
        if (part == 0) {
          Use u;
          char plus, slash, x, slash2;
          std::istringstream us(w);
          us >> u.entry >> plus >> u.offset >> slash >> u.rows >> x >> u.cols >> slash2 >> u.dir;
          t.uses.push_back(u);
        } else if (part == 1) {
          t.scalars.push_back(std::stoull(w));
        } else {
          t.deps.insert(static_cast<uint32_t>(std::stoul(w)));
        }
      }
      tasks.push_back(std::move(t));
    } else {
      ADD_FAILURE() << line;
    }
  }
  EXPECT_EQ(depth, 0);
  EXPECT_LE(maxDepth, 2);  // the outer scope and one level of task scopes
  ASSERT_EQ(tasks.size(), g.tasks.size());
  const uint32_t n = static_cast<uint32_t>(g.tasks.size());
  // Ancestors in the expansion (the order the runtime core guarantees).
  std::vector<std::set<uint32_t>> before(n);
  for (uint32_t i = 0; i < n; ++i)
    for (uint32_t p : g.tasks[i].preds) {
      before[i].insert(p);
      before[i].insert(before[p].begin(), before[p].end());
    }
  // What the TensorMap derives: a task reading a region (IN / INOUT) depends on every
  // earlier task that wrote an overlapping region of the same tensor (OUT / INOUT).
  auto overlaps = [&](const Use& a, const Use& b) {
    if (a.entry != b.entry) return false;
    const int64_t stride = c.plan.tensors[entryPlan[static_cast<size_t>(a.entry)]].shape.back();
    const int64_t ar = a.offset / stride, ac = a.offset % stride, br = b.offset / stride, bc = b.offset % stride;
    return ar < br + b.rows && br < ar + a.rows && ac < bc + b.cols && bc < ac + a.cols;
  };
  for (uint32_t i = 0; i < n; ++i) {
    const GraphTask& gt = g.tasks[i];
    const Task& t = tasks[i];
    EXPECT_EQ(t.kernel, gt.kernel < 0 ? "dummy" : std::to_string(gt.kernel)) << "task " << i;
    ASSERT_EQ(t.uses.size(), gt.tiles.size()) << "task " << i;
    std::vector<uint64_t> words;
    for (size_t a = 0; a < gt.tiles.size(); ++a) {
      EXPECT_EQ(entryPlan[static_cast<size_t>(t.uses[a].entry)], gt.tiles[a].tensor) << "task " << i << " arg " << a;
      EXPECT_EQ(t.uses[a].offset, gt.tiles[a].offset) << "task " << i << " arg " << a;
      words.push_back(static_cast<uint64_t>(gt.tiles[a].rowStride));
    }
    words.insert(words.end(), gt.scalars.begin(), gt.scalars.end());
    EXPECT_EQ(t.scalars, words) << "task " << i;
    std::set<uint32_t> deps = t.deps;
    for (const Use& r : t.uses) {
      if (r.dir == "OUT") continue;
      for (uint32_t j = 0; j < i; ++j)
        for (const Use& w : tasks[j].uses)
          if (w.dir != "IN" && overlaps(r, w)) deps.insert(j);
    }
    for (uint32_t p : gt.preds) EXPECT_TRUE(deps.count(p)) << "task " << i << " lost its producer " << p;
    for (uint32_t d : deps) EXPECT_TRUE(before[i].count(d)) << "task " << i << " waits for " << d << ", unordered";
  }
}

TEST(AscendConformance, EmittedRingBufferOrchestrationMatchesTheRuntimeExpansion) {
  for (const char* ex : {"softmax", "rmsnorm", "pipeline", "residual", "gated", "bgemm", "attention", "flash_decode", "gate_mix",
                         "llama_block"})
    expectRingConforms(ex, parseExample(ex));
  // A ring that wraps (24 tasks, window 8) with one scope per independent row block.
  const fs::path wrap = fs::path(PTO_WSP_SOURCE_DIR) / "tests/ascend/data/ring_wrap.wsp";
  expectRingConforms("ring_wrap", ir::text::parse(readText(wrap), wrap.string()));
  expectRingConforms("scaled_r96", scaledModule(96));
  expectRingConforms("fanout", ir::text::parse(fanoutModule(300), "fanout.wsp"));
}

// ---- symbols: another value changes the task table, never a source ----------------------

TEST(AscendSymbols, AnotherSymbolValueChangesTheTableAndNoSource) {
  for (const char* runtime : {"host_build_graph", "tensormap_and_ringbuffer"}) {
    SCOPED_TRACE(runtime);
    const Compiled a = compileTree(scaledModule(64), runtime);
    const Compiled b = compileTree(scaledModule(96), runtime);
    ASSERT_EQ(a.tree.files.size(), b.tree.files.size());
    size_t sources = 0;
    for (size_t i = 0; i < a.tree.files.size(); ++i) {
      const auto& [path, text] = a.tree.files[i];
      ASSERT_EQ(path, b.tree.files[i].first);
      if (path == kTableFile || path == kManifestFile) {
        EXPECT_NE(text, b.tree.files[i].second) << path;
      }
      // What a run compiles: the orchestration and every kernel. (The test file and the
      // manifest are data: the ring settings may follow the graph.)
      if (!path.ends_with(".cpp")) continue;
      EXPECT_EQ(text, b.tree.files[i].second) << path << " depends on the symbol's value";
      ++sources;
    }
    EXPECT_EQ(sources, 3u);  // the orchestration, scale_silu and the relay kernel
    const nlohmann::json ma = nlohmann::json::parse(file(a.tree, kManifestFile));
    const nlohmann::json mb = nlohmann::json::parse(file(b.tree, kManifestFile));
    EXPECT_EQ(ma["orchestration"]["tasks"], 4);
    EXPECT_EQ(mb["orchestration"]["tasks"], 6);
    EXPECT_EQ(mb["symbols"]["R"], 96);
    EXPECT_EQ(mb["entry_tensors"][0]["bytes"], 96 * 128 * 4);  // X at the run's size
  }
}

// ---- numerics: emitted kernels on the PTO-ISA test double vs cpu_sim's kernels ----------

// Runs kernel `k` twice on the same deterministic inputs, once as cpu_sim's unit (the tile
// library) and once as the emitted PTO-ISA unit on the double (tests/ascend/double/pto/),
// and returns the largest relative difference over every output element. Inputs are
// lo + step * ((i * 37) % count); `absOverRel` > 0 makes the measure |x - y| / (|x| + absOverRel)
// (<= rel means within rel * |x| + rel * absOverRel), else |x - y| / max(1e-6, |x|).
struct NumericInputs {
  float lo = 0.25f, step = 0.01f;
  int count = 101;
  double absOverRel = 0;
};
double maxDiffAgainstCpuSim(const ir::Kernel& k, const fs::path& work, const NumericInputs& in = {}) {
  fs::create_directories(work);
  const PtoIsaKernel asc = emitPtoIsaKernel(k, ArgStyle::DeviceAddress);
  const std::string cpu = lower::emitCpuKernel(k, arch::resolveArch("ascend910b"));
  std::ofstream(work / "ascend.cpp") << asc.text;
  std::ofstream(work / "cpu.cpp") << cpu;
  std::string h = "#include <cmath>\n#include <cstdint>\n#include <cstdio>\n#include <cstring>\n#include <vector>\n";
  h += "extern \"C\" void kernel_entry(int64_t* args);\n";
  h += fmt::format("extern \"C\" void {}(const uint64_t* args, uint32_t n);\n", lower::kernelSymbol(k.name));
  h += "static float get(const std::vector<char>& b, size_t i, bool f16) {\n"
       "  if (f16) { _Float16 v; std::memcpy(&v, b.data() + 2 * i, 2); return static_cast<float>(v); }\n"
       "  float v; std::memcpy(&v, b.data() + 4 * i, 4); return v; }\n"
       "static void put(std::vector<char>& b, size_t i, bool f16, float x) {\n"
       "  if (f16) { _Float16 v = static_cast<_Float16>(x); std::memcpy(b.data() + 2 * i, &v, 2); }\n"
       "  else std::memcpy(b.data() + 4 * i, &x, 4); }\n";
  h += "int main() {\n  std::vector<uint64_t> cw, aw, rs, sc;\n  double worst = 0;\n";
  std::string tiles, compare;
  int ti = 0;
  for (const ir::KernelParam& p : k.params) {
    if (!p.isTile()) {
      const float eps = 1e-6f;
      uint32_t bits;
      std::memcpy(&bits, &eps, 4);
      h += fmt::format("  sc.push_back({}u);\n", p.scalarType == ir::DType::F32 ? bits : 3u);
      continue;
    }
    const bool f16 = p.tile.dtype == ir::DType::F16;
    const int64_t n = p.tile.rows * p.tile.cols;
    h += fmt::format("  std::vector<char> c{0}({1} * {2}), a{0}({1} * {2});\n", ti, n, f16 ? 2 : 4);
    h += fmt::format("  for (size_t i = 0; i < {1}; ++i) {{ float x = float({3:.9g}) + float({4:.9g}) * float((i * 37) % {5}); "
                     "put(c{0}, i, {2}, x); put(a{0}, i, {2}, x); }}\n",
                     ti, n, f16 ? "true" : "false", in.lo, in.step, in.count);
    h += fmt::format("  cw.push_back(reinterpret_cast<uint64_t>(c{0}.data())); cw.push_back({1}); cw.push_back(1);\n", ti,
                     p.tile.cols);
    h += fmt::format("  aw.push_back(reinterpret_cast<uint64_t>(a{0}.data())); rs.push_back({1});\n", ti, p.tile.cols);
    if (p.dir != ir::ParamDir::In)
      compare += fmt::format("  for (size_t i = 0; i < {1}; ++i) {{ double x = get(c{0}, i, {2}), y = get(a{0}, i, {2}); "
                             "double d = std::fabs(x - y) / {3}; if (!(d <= worst)) worst = d; }}\n",
                             ti, n, f16 ? "true" : "false",
                             in.absOverRel > 0 ? fmt::format("(std::fabs(x) + {:.9g})", in.absOverRel)
                                               : std::string("std::fmax(1e-6, std::fabs(x))"));
    ++ti;
  }
  h += "  std::vector<uint64_t> cargs = cw;\n  for (uint64_t s : sc) cargs.push_back(s);\n";
  h += fmt::format("  {}(cargs.data(), static_cast<uint32_t>(cargs.size()));\n", lower::kernelSymbol(k.name));
  h += "  std::vector<int64_t> aargs;\n  for (uint64_t w : aw) aargs.push_back(static_cast<int64_t>(w));\n"
       "  for (uint64_t w : rs) aargs.push_back(static_cast<int64_t>(w));\n"
       "  for (uint64_t w : sc) aargs.push_back(static_cast<int64_t>(w));\n  kernel_entry(aargs.data());\n";
  h += compare + "  std::printf(\"%.9g\\n\", worst);\n  return 0;\n}\n";
  std::ofstream(work / "main.cpp") << h;
  const fs::path dbl = fs::path(PTO_WSP_SOURCE_DIR) / "tests/ascend/double";
  const std::string cmd = fmt::format(
      "{0} -std=c++20 -O1 -w -D__CPU_SIM -D__DAV_VEC__ -I{1} -I{2}/include {3}/main.cpp {3}/ascend.cpp {3}/cpu.cpp -o "
      "{3}/run 2> {3}/cc.log && {3}/run > {3}/out.txt",
      PTO_WSP_CXX, dbl.string(), PTO_WSP_SOURCE_DIR, work.string());
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd << "\n" << readText(work / "cc.log");
  return std::stod(readText(work / "out.txt").empty() ? "1e9" : readText(work / "out.txt"));
}

TEST(AscendNumerics, EmittedKernelsOnThePtoIsaDoubleMatchCpuSim) {
  struct Case {
    const char* example;
    const char* kernel;
    double tol;
  };
  for (const Case& c : {Case{"softmax", "normalize", 1e-5}, Case{"softmax", "sum_step", 1e-5},
                        Case{"softmax", "max_step", 0.0}, Case{"rmsnorm", "rmsnorm", 2e-3},
                        Case{"pipeline", "compute", 1e-5}}) {
    SCOPED_TRACE(std::string(c.example) + "." + c.kernel);
    const ir::Module m = parseExample(c.example);
    const double d = maxDiffAgainstCpuSim(*m.findKernel(c.kernel),
                                          fs::path(PTO_WSP_BINARY_DIR) / "ascend_numerics" / c.kernel);
    EXPECT_LE(d, c.tol);
  }
}

// gelu and tanh are compositions of vector instructions (docs/ascend.md): over [-6, 6] they
// stay within f32 relative 1e-5 plus absolute 1e-6 of cpu_sim's gelu (exact erf form) and tanh.
TEST(AscendNumerics, GeluAndTanhCompositionsMatchCpuSimOverMinusSixToSix) {
  const ir::Module m = ir::text::parse(
      "module compositions\n"
      "kernel gelu_f32(in x : Tile[16, 128, f32], out y : Tile[16, 128, f32]) {\n"
      "  %a = load x\n  %r = gelu %a\n  store y, %r\n}\n"
      "kernel tanh_f32(in x : Tile[16, 128, f32], out y : Tile[16, 128, f32]) {\n"
      "  %a = load x\n  %r = tanh %a\n  store y, %r\n}\n",
      "compositions.wsp");
  // 2048 points, 37 coprime to 2048: every point of the grid, -6 and 6 included, 0 near.
  const NumericInputs in{-6.0f, 12.0f / 2047.0f, 2048, 0.1};
  for (const char* name : {"gelu_f32", "tanh_f32"}) {
    SCOPED_TRACE(name);
    const ir::Kernel& k = *m.findKernel(name);
    const std::string text = emitPtoIsaKernel(k, ArgStyle::DeviceAddress).text;
    // Composed, not an instruction the PTO-ISA lacks.
    EXPECT_EQ(text.find("TGELU"), std::string::npos);
    EXPECT_NE(text.find("TEXP("), std::string::npos);
    EXPECT_LE(maxDiffAgainstCpuSim(k, fs::path(PTO_WSP_BINARY_DIR) / "ascend_numerics" / name, in), 1e-5);
  }
}

// The units of split kernels, as the tree has them (transposed operands included): every
// AIC unit of every example the split made emit, and the AIV units of bgemm and attention,
// against cpu_sim's unit of the same kernel.
void expectUnitsMatchCpuSim(const std::string& example, bool withVector) {
  ir::Module m = parseExample(example);
  const Compiled c = compileTree(std::move(m), "tensormap_and_ringbuffer");
  int checked = 0;
  for (const abi::PlanKernel& pk : c.plan.kernels) {
    const ir::Kernel& k = *c.m.findKernel(pk.name);
    const bool cube = emitPtoIsaKernel(k, ArgStyle::DeviceAddress).core == CoreKind::Aic;
    if (!cube && !(withVector && pk.name.find("_aiv") != std::string::npos)) continue;
    SCOPED_TRACE(k.name);
    bool f16 = false;
    for (const ir::KernelParam& p : k.params) f16 |= p.dir != ir::ParamDir::In && p.tile.dtype == ir::DType::F16;
    const double d = maxDiffAgainstCpuSim(k, fs::path(PTO_WSP_BINARY_DIR) / "ascend_numerics" / k.name);
    EXPECT_LE(d, f16 ? 2e-3 : 1e-5);
    ++checked;
  }
  EXPECT_GT(checked, 0);
}

TEST(AscendNumerics, BgemmUnitsOnThePtoIsaDoubleMatchCpuSim) { expectUnitsMatchCpuSim("bgemm", true); }
TEST(AscendNumerics, AttentionUnitsOnThePtoIsaDoubleMatchCpuSim) { expectUnitsMatchCpuSim("attention", true); }
TEST(AscendNumerics, FlashDecodeCubeUnitsOnThePtoIsaDoubleMatchCpuSim) { expectUnitsMatchCpuSim("flash_decode", false); }
TEST(AscendNumerics, LlamaBlockCubeUnitsOnThePtoIsaDoubleMatchCpuSim) { expectUnitsMatchCpuSim("llama_block", false); }
TEST(AscendNumerics, GateMixUnitsOnThePtoIsaDoubleMatchCpuSim) { expectUnitsMatchCpuSim("gate_mix", true); }

}  // namespace
}  // namespace pto::wsp
