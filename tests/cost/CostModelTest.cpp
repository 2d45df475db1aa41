// Op-level cycle costs pinned to values computed by hand from the arch parameters
// (docs/cost-model.md). Each expectation shows its arithmetic.
#include "pto/wsp/arch/ArchRegistry.h"
#include "pto/wsp/cost/CostModel.h"

#include <gtest/gtest.h>

using namespace pto::wsp;
using namespace pto::wsp::cost;
using ir::Broadcast;
using ir::DType;
using ir::TileOpKind;
using ir::TileType;

namespace {
const arch::ArchModel& ascend() { return arch::builtinArch("ascend910b"); }
const arch::ArchModel& aie() { return arch::builtinArch("aie_npu1"); }

uint64_t cyc(const OpDesc& d, const arch::ArchModel& a, size_t phase = 0) {
  return opCycles(d, a).phases.at(phase).cycles;
}
TileType t(int64_t r, int64_t c, DType d) { return TileType{r, c, d}; }
}  // namespace

TEST(CostHelpers, CeilingsAreExact) {
  EXPECT_EQ(ceilDiv(2048, 64), 32u);
  EXPECT_EQ(ceilDiv(2049, 64), 33u);
  EXPECT_EQ(cyclesFor(8192, 64.0), 128u);
  EXPECT_EQ(cyclesFor(8193, 64.0), 129u);
  EXPECT_EQ(cyclesFor(8192, 1.6e12 / 1.8e9 / 24), 222u);  // 8192 / 37.037 = 221.18
  EXPECT_EQ(cyclesFor(0, 3.0), 0u);
}

// ---------------------------------------------------------------- ascend910b
// vector: 256 B/cycle, startup 8 -> f32 lanes 64, f16 lanes 128
// GM: 1.6e12/1.8e9/24 = 37.037 B/cycle, latency 400; mte2/mte3 startup 32; UB latency 10
// cube: f16 16x16x16, f32 16x8x16, startup 16; mte1 startup 8 (L1 latency 20, 256 B/c);
// fixpipe startup 8, 128 B/cycle (L0C latency 1) into L1; scalar 4 cycles per op

TEST(CostAscend, Elementwise) {
  TileType x = t(16, 128, DType::F32);
  // 8 + 1 * ceil(2048 / 64) = 8 + 32
  EXPECT_EQ(cyc(OpDesc::binary(TileOpKind::Add, x, x), ascend()), 40u);
  // row broadcast adds one expansion pass: 8 + 2 * 32
  EXPECT_EQ(cyc(OpDesc::binary(TileOpKind::Mul, x, t(16, 1, DType::F32), Broadcast::Row), ascend()), 72u);
  // col broadcast is free: 8 + 1 * 32
  EXPECT_EQ(cyc(OpDesc::binary(TileOpKind::Mul, x, t(1, 128, DType::F32), Broadcast::Col), ascend()), 40u);
  // f16: lanes 128 -> 8 + ceil(2048 / 128) = 8 + 16
  TileType h = t(16, 128, DType::F16);
  EXPECT_EQ(cyc(OpDesc::unary(TileOpKind::Exp, h, h), ascend()), 24u);
  // sigmoid = 4 passes: 8 + 4 * 32
  EXPECT_EQ(cyc(OpDesc::unary(TileOpKind::Sigmoid, x, x), ascend()), 136u);
  // gelu = 13 passes: 8 + 13 * 32
  EXPECT_EQ(cyc(OpDesc::unary(TileOpKind::Gelu, x, x), ascend()), 424u);
  // cast f16 -> f32 runs at the wider type's lanes (64): 8 + 32
  EXPECT_EQ(cyc(OpDesc::unary(TileOpKind::Cast, h, x), ascend()), 40u);
  // transpose = 2 passes: 8 + 2 * 32
  EXPECT_EQ(cyc(OpDesc::unary(TileOpKind::Transpose, x, t(128, 16, DType::F32)), ascend()), 72u);
  // issue on the scalar unit
  EXPECT_EQ(opCycles(OpDesc::binary(TileOpKind::Add, x, x), ascend()).issueCycles, 4u);
  EXPECT_EQ(opCycles(OpDesc::binary(TileOpKind::Add, x, x), ascend()).issueUnit, "scalar");
}

TEST(CostAscend, Reductions) {
  TileType x = t(16, 128, DType::F32);
  // rowsum: V = ceil(16*128/64) = 32; Wr = min(128, 64) = 64, steps = log2(64) = 6,
  // T = 6 * ceil(16*64/64) = 96 -> 8 + 1 * (32 + 96) = 136
  EXPECT_EQ(cyc(OpDesc::unary(TileOpKind::RowSum, x, t(16, 1, DType::F32)), ascend()), 136u);
  // rowmean adds the scale pass ceil(16/64) = 1 -> 137
  EXPECT_EQ(cyc(OpDesc::unary(TileOpKind::RowMean, x, t(16, 1, DType::F32)), ascend()), 137u);
  // colsum: 8 + 1 * 16 rows * ceil(128/64) = 8 + 32
  EXPECT_EQ(cyc(OpDesc::unary(TileOpKind::ColSum, x, t(1, 128, DType::F32)), ascend()), 40u);
}

TEST(CostAscend, Sort) {
  TileType x = t(16, 100, DType::F32);
  // W = 100 -> padded 128, lg = 7, stages = 7*8/2 = 28; passes 2; ceil(16*128/64) = 32
  // 8 + 2 * 28 * 32 = 1800
  EXPECT_EQ(cyc(OpDesc::unary(TileOpKind::Sort, x, x), ascend()), 1800u);
}

TEST(CostAscend, LoadStore) {
  TileType x = t(16, 128, DType::F32);  // 8192 B
  // load GM -> UB by mte2: 400 + 32 + ceil(8192 / 37.037) = 432 + 222
  OpCost l = opCycles(OpDesc::load(x), ascend());
  ASSERT_EQ(l.phases.size(), 1u);
  EXPECT_EQ(l.phases[0].unit, "mte2");
  EXPECT_EQ(l.phases[0].cycles, 654u);
  // store UB -> GM by mte3: 10 + 32 + 222
  OpCost s = opCycles(OpDesc::store(x), ascend());
  EXPECT_EQ(s.phases[0].unit, "mte3");
  EXPECT_EQ(s.phases[0].cycles, 264u);
}

TEST(CostAscend, Matmul) {
  // A 64x128 f16, B 128x64 f16 -> C 64x64 f32
  OpCost c = opCycles(OpDesc::matmul(t(64, 128, DType::F16), t(128, 64, DType::F16)), ascend());
  ASSERT_EQ(c.phases.size(), 3u);
  // mte1: (64*128 + 128*64) * 2 B = 32768 B; 20 + 8 + ceil(32768 / 256) = 28 + 128
  EXPECT_EQ(c.phases[0].unit, "mte1");
  EXPECT_EQ(c.phases[0].cycles, 156u);
  // cube: 16 + ceil(64/16) * ceil(128/16) * ceil(64/16) = 16 + 4*8*4
  EXPECT_EQ(c.phases[1].unit, "cube");
  EXPECT_EQ(c.phases[1].cycles, 144u);
  // fixpipe L0C -> L1: 64*64*4 = 16384 B; 1 + 8 + ceil(16384 / min(128, 1024, 256)) = 9 + 128
  EXPECT_EQ(c.phases[2].unit, "fixpipe");
  EXPECT_EQ(c.phases[2].cycles, 137u);
  EXPECT_EQ(c.busyCycles(), 156u + 144u + 137u);
  // f32 inputs: K block 8 -> cube 16 + 1 * ceil(16/8) * 1 = 18
  EXPECT_EQ(cyc(OpDesc::matmul(t(16, 16, DType::F32), t(16, 16, DType::F32)), ascend(), 1), 18u);
  // accumulating in L0C costs no extra cube cycles
  EXPECT_EQ(cyc(OpDesc::matmul(t(16, 16, DType::F32), t(16, 16, DType::F32), true), ascend(), 1), 18u);
}

TEST(CostAscend, UnsupportedDTypeIsALocatedError) {
  TileType d = t(16, 128, DType::F64);
  try {
    opCycles(OpDesc::binary(TileOpKind::Add, d, d, Broadcast::None, SourceLoc{"k.wsp", 7, 3, {}}), ascend());
    FAIL();
  } catch (const UserError& e) {
    std::string w = e.what();
    EXPECT_NE(w.find("k.wsp:7:3: error: add on arch 'ascend910b': vector unit 'vector' does not support f64"),
              std::string::npos) << w;
    EXPECT_NE(w.find("help: supported dtypes: f16, bf16, f32"), std::string::npos) << w;
  }
}

// ---------------------------------------------------------------- aie_npu1
// vector: 64 B/cycle, startup 8 -> bf16 lanes 32, f32 lanes 16; exp = 4 passes (no native
// exp on AIE-ML); mac: bf16 4x8x4, startup 8; load memtile -> tile_local by dma_in:
// 40 + 20 + bytes / 4; store tile_local -> memtile by dma_out: 6 + 20 + bytes / 4

TEST(CostAie, VectorOps) {
  TileType x = t(32, 32, DType::BF16);
  // 8 + 1 * ceil(1024 / 32)
  EXPECT_EQ(cyc(OpDesc::binary(TileOpKind::Add, x, x), aie()), 40u);
  // 8 + 4 * 32
  EXPECT_EQ(cyc(OpDesc::unary(TileOpKind::Exp, x, x), aie()), 136u);
  // rowmax f32 8x64: lanes 16, V = ceil(512/16) = 32; Wr = 16, steps 4, T = 4 * ceil(8*16/16) = 32
  // 8 + 1 * (32 + 32)
  EXPECT_EQ(cyc(OpDesc::unary(TileOpKind::RowMax, t(8, 64, DType::F32), t(8, 1, DType::F32)), aie()), 72u);
}

TEST(CostAie, LoadStoreAndMatmul) {
  TileType x = t(32, 32, DType::BF16);  // 2048 B
  EXPECT_EQ(cyc(OpDesc::load(x), aie()), 572u);   // 40 + 20 + 2048/4
  EXPECT_EQ(cyc(OpDesc::store(x), aie()), 538u);  // 6 + 20 + 512
  // A 32x64 bf16, B 64x32: 8 + ceil(32/4) * ceil(64/8) * ceil(32/4) = 8 + 8*8*8; no
  // operand staging or result transfer on AIE (operands are in tile memory)
  OpCost m = opCycles(OpDesc::matmul(t(32, 64, DType::BF16), t(64, 32, DType::BF16)), aie());
  ASSERT_EQ(m.phases.size(), 1u);
  EXPECT_EQ(m.phases[0].unit, "mac");
  EXPECT_EQ(m.phases[0].cycles, 520u);
  EXPECT_EQ(m.issueCycles, 10u);
}

TEST(CostAie, MatmulDTypeNotTakenByTheMacUnit) {
  try {
    opCycles(OpDesc::matmul(t(32, 32, DType::F16), t(32, 32, DType::F16), false, SourceLoc{"g.wsp", 4, 9, {}}), aie());
    FAIL();
  } catch (const UserError& e) {
    std::string w = e.what();
    EXPECT_NE(w.find("g.wsp:4:9: error: matmul on arch 'aie_npu1': matrix unit 'mac' does not take f16 inputs"),
              std::string::npos) << w;
    EXPECT_NE(w.find("help: supported input dtypes: bf16, i8, i16"), std::string::npos) << w;
  }
}

TEST(CostFormulas, ArePrintedWithTheirNumbers) {
  OpCost c = opCycles(OpDesc::binary(TileOpKind::Add, t(16, 128, DType::F32), t(16, 128, DType::F32)), ascend());
  EXPECT_EQ(c.phases[0].formula, "8 + 1*ceil(2048/64) [lanes=256/4B]");
}

TEST(CostAscend, DegenerateShapesAreUserErrorsNotWrongNumbers) {
  EXPECT_THROW(opCycles(OpDesc::load(t(0, 128, DType::F32)), ascend()), UserError);
  EXPECT_THROW(opCycles(OpDesc::unary(TileOpKind::Exp, t(-4, 8, DType::F32), t(-4, 8, DType::F32)), ascend()), UserError);
  EXPECT_THROW(opCycles(OpDesc::load(t(int64_t{1} << 21, 1, DType::F32)), ascend()), UserError);
}
