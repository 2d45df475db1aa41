// Tensors of rank 5..8: the interpreter tracks a region's leading rank - 3 dims as one
// (row-major over the shape) and addresses tiles with the full-rank indices. Views index
// every leading dim (extent 1), so the fold is exact: tiles that differ in any index never
// depend on each other, equal tiles always do, and every tile lands where its strides say.
#include "pto/wsp/runtime/PlanInterpreter.h"
#include "pto/wsp/runtime/host/HostExecutor.h"

#include <gtest/gtest.h>

#include <numeric>

namespace pto::wsp::rt {
namespace {

using namespace pto::wsp::abi;

Bytecode C(int64_t v) { return Bytecode::constant(v); }
Bytecode B(BytecodeOp op, const Bytecode& a, const Bytecode& b) { return Bytecode::binary(op, a, b); }
Bytecode V() { return Bytecode::var(0); }

std::vector<int64_t> rowMajor(const std::vector<int64_t>& shape, int64_t rowPitch) {
  std::vector<int64_t> s(shape.size());
  int64_t step = 1;
  for (size_t d = shape.size(); d-- > 0;) {
    s[d] = step;
    step *= d + 1 == shape.size() ? rowPitch : shape[d];
  }
  return s;
}

// Tensor 0 of `shape` (int32, last dims 4 x 8, rows `rowPitch` elements apart); kernel 0
// "work": one InOut 4x8 tile, 10 cycles.
Plan rankPlan(const std::vector<int64_t>& shape, int64_t rowPitch = 8) {
  Plan p;
  std::vector<int64_t> st = rowMajor(shape, rowPitch);
  const auto bytes = static_cast<uint64_t>(st[0] * shape[0] * 4);
  p.tensors.push_back({"T", 0, 4, shape, st, bytes, false, ElemKind::Signed});
  p.kernels.push_back({"work", {{ParamKind::InOut, 4, 8, 0}}, 0, 10});
  return p;
}

// A call on the tile whose leading indices are the digits of (var * mul + add) in the
// mixed radix of shape[0 .. rank - 2).
PlanNode tileCall(const std::vector<int64_t>& shape, int64_t mul = 1, int64_t add = 0) {
  PlanNode n;
  n.kind = NodeKind::Call;
  n.kernel = 0;
  const size_t lead = shape.size() - 2;
  std::vector<Bytecode> offs(shape.size(), C(0));
  int64_t below = 1;
  Bytecode lin = B(BytecodeOp::Add, B(BytecodeOp::Mul, V(), C(mul)), C(add));
  for (size_t d = lead; d-- > 0;) {
    offs[d] = B(BytecodeOp::Mod, B(BytecodeOp::Div, lin, C(below)), C(shape[d]));
    below *= shape[d];
  }
  std::vector<int64_t> ext(shape.size(), 1);
  ext[lead] = 4;
  ext[lead + 1] = 8;
  n.views = {{0, std::move(offs), std::move(ext)}};
  return n;
}

PlanNode loop(int64_t n, std::vector<PlanNode> body) {
  PlanNode l;
  l.kind = NodeKind::Loop;
  l.loopKind = LoopKind::Parallel;
  l.var = 0;
  l.expr = C(n);
  l.children = std::move(body);
  return l;
}

uint64_t cycles(const Plan& p, uint32_t workers) {
  PlanInterpreter in(p, {.engine = {.schedule = {.workers = workers}}});
  PlanRunResult r = in.run();
  EXPECT_TRUE(r.ok);
  return r.stats.totalCycles;
}

int64_t tiles(const std::vector<int64_t>& shape) {
  return std::accumulate(shape.begin(), shape.end() - 2, int64_t{1}, std::multiplies<>());
}

class RankFold : public ::testing::TestWithParam<std::vector<int64_t>> {};

// Every tile once, all workers free: one wave. Every tile twice (a second loop): two
// waves, each tile's second task after its first only.
TEST_P(RankFold, DistinctTilesAreIndependentAndEqualTilesChain) {
  const std::vector<int64_t>& shape = GetParam();
  const int64_t n = tiles(shape);
  const auto W = static_cast<uint32_t>(n);
  Plan once = rankPlan(shape);
  once.processes.push_back({"main", {loop(n, {tileCall(shape)})}, 1});
  EXPECT_EQ(cycles(once, W), 10u);
  Plan twice = rankPlan(shape);
  twice.processes.push_back({"main", {loop(n, {tileCall(shape)}), loop(n, {tileCall(shape, 1, n / 2)})}, 1});
  EXPECT_EQ(cycles(twice, 2 * W), 20u);
  // The second loop on tiles of the other half only (n/2 of them), the first on the
  // first half: no shared tile, one wave, whichever leading dims the halves differ in.
  Plan halves = rankPlan(shape);
  halves.processes.push_back({"main", {loop(n / 2, {tileCall(shape)}), loop(n / 2, {tileCall(shape, 1, n / 2)})}, 1});
  EXPECT_EQ(cycles(halves, W), 10u);
  // Odd then even tiles: neighbours in the innermost dims, disjoint.
  Plan parity = rankPlan(shape);
  parity.processes.push_back({"main", {loop(n / 2, {tileCall(shape, 2, 1)}), loop(n / 2, {tileCall(shape, 2)})}, 1});
  EXPECT_EQ(cycles(parity, W), 10u);
}

void addOne(const uint64_t* a, uint32_t) {  // InOut int32 4x8 tile: base, row and col stride
  auto* base = reinterpret_cast<int32_t*>(a[0]);
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 8; ++j) base[i * static_cast<int64_t>(a[1]) + j * static_cast<int64_t>(a[2])] += 1;
}

// Host execution on rows padded to 11 elements: every tile element is written exactly once
// (the full-rank offsets times the strides), the padding never.
TEST_P(RankFold, TilesLandAtTheirFullRankAddress) {
  const std::vector<int64_t>& shape = GetParam();
  const int64_t n = tiles(shape);
  Plan p = rankPlan(shape, 11);
  p.processes.push_back({"main", {loop(n, {tileCall(shape, 1)})}, 1});
  std::vector<int32_t> buf(p.tensors[0].bytes / 4, 0);
  HostExecutor ex({.hostThreads = 2, .window = 16});
  PlanInterpreter in(p, {.engine = {.schedule = {.workers = 3, .taskWindow = 16}, .sink = &ex},
                         .kernels = {{&addOne, nullptr}},
                         .tensorBase = {buf.data()}});
  PlanRunResult r = in.run();
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.stats.kernelTasks, static_cast<uint64_t>(n));
  for (size_t i = 0; i < buf.size(); ++i) ASSERT_EQ(buf[i], (i % 11) < 8 ? 1 : 0) << "element " << i;
}

INSTANTIATE_TEST_SUITE_P(Ranks5To8, RankFold,
                         ::testing::Values(std::vector<int64_t>{2, 3, 2, 4, 8},              // rank 5: fold 2
                                           std::vector<int64_t>{2, 3, 2, 2, 4, 8},           // rank 6: fold 3
                                           std::vector<int64_t>{3, 1, 2, 2, 2, 4, 8},        // rank 7: fold 4
                                           std::vector<int64_t>{2, 2, 2, 1, 3, 2, 4, 8}),    // rank 8: fold 5
                         [](const auto& p) { return "rank" + std::to_string(p.param.size()); });

}  // namespace
}  // namespace pto::wsp::rt
