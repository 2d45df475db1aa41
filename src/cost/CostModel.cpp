#include "pto/wsp/cost/CostModel.h"

#include "pto/wsp/support/Assert.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace pto::wsp::cost {

using arch::ArchModel;
using arch::ExecUnit;
using arch::TransferRole;
using arch::UnitKind;
using ir::Broadcast;
using ir::DType;
using ir::TileOpKind;
using ir::TileType;

// ---------------------------------------------------------------- OpDesc builders

OpDesc OpDesc::load(TileType t, SourceLoc loc) {
  return OpDesc{TileOpKind::Load, {}, {t}, Broadcast::None, 0, std::move(loc)};
}
OpDesc OpDesc::store(TileType t, SourceLoc loc) {
  return OpDesc{TileOpKind::Store, {t}, {}, Broadcast::None, 0, std::move(loc)};
}
OpDesc OpDesc::binary(TileOpKind k, TileType a, TileType b, Broadcast bc, SourceLoc loc) {
  return OpDesc{k, {a, b}, {a}, bc, 0, std::move(loc)};
}
OpDesc OpDesc::unary(TileOpKind k, TileType in, TileType out, SourceLoc loc) {
  return OpDesc{k, {in}, {out}, Broadcast::None, 0, std::move(loc)};
}
OpDesc OpDesc::matmul(TileType a, TileType b, bool acc, SourceLoc loc) {
  TileType c{a.rows, b.cols, DType::F32};
  OpDesc d{TileOpKind::Matmul, {a, b}, {c}, Broadcast::None, 0, std::move(loc)};
  if (acc) d.operands.push_back(c);
  return d;
}

uint64_t OpCost::busyCycles() const {
  uint64_t s = 0;
  for (const Phase& p : phases) s += p.cycles;
  return s;
}

// ---------------------------------------------------------------- helpers

uint64_t ceilDiv(uint64_t a, uint64_t b) {
  PTO_INTERNAL_ASSERT(b != 0, "ceilDiv by zero");
  return (a + b - 1) / b;
}

uint64_t cyclesFor(uint64_t amount, double perCycle) {
  PTO_INTERNAL_ASSERT(perCycle > 0, "cyclesFor: non-positive rate {}", perCycle);
  if (amount == 0) return 0;
  // Start from the floating estimate and correct it, so that e.g. 8192 B at exactly
  // 64 B/cycle is 128 cycles, never 129 through rounding.
  auto c = static_cast<uint64_t>(std::ceil(static_cast<double>(amount) / perCycle));
  while (static_cast<double>(c) * perCycle < static_cast<double>(amount)) ++c;
  while (c > 0 && static_cast<double>(c - 1) * perCycle >= static_cast<double>(amount)) --c;
  return c;
}

namespace {

constexpr int64_t kMaxTileDim = int64_t{1} << 20;

uint64_t elems(const TileType& t) { return static_cast<uint64_t>(t.rows) * static_cast<uint64_t>(t.cols); }
uint64_t bytesOf(const TileType& t) { return elems(t) * ir::dtypeBytes(t.dtype); }
uint64_t ceilLog2(uint64_t x) {
  uint64_t k = 0;
  while ((uint64_t{1} << k) < x) ++k;
  return k;
}
std::string fmtRate(double r) { return fmt::format("{:.6g}", r); }

[[noreturn]] void cannotRun(const OpDesc& op, const ArchModel& a, std::string msg, std::string help) {
  Diagnostic d = makeError(op.loc, fmt::format("{} on arch '{}': {}", ir::tileOpInfo(op.kind).name, a.name, msg));
  d.help(std::move(help));
  throw UserError(std::move(d));
}

const ExecUnit& needUnit(const OpDesc& op, const ArchModel& a, UnitKind k) {
  const ExecUnit* u = a.firstUnit(k);
  if (!u)
    cannotRun(op, a, fmt::format("the arch has no {} unit", arch::unitKindName(k)),
              fmt::format("add a unit of kind \"{}\" to the arch JSON, or use another arch", arch::unitKindName(k)));
  return *u;
}

// Widest element type among the op's tiles: it sets the vector lane count.
DType widest(const OpDesc& op) {
  DType d = !op.results.empty() ? op.results[0].dtype : op.operands.at(0).dtype;
  auto consider = [&](const TileType& t) {
    if (ir::dtypeBytes(t.dtype) > ir::dtypeBytes(d)) d = t.dtype;
  };
  for (const TileType& t : op.operands) consider(t);
  for (const TileType& t : op.results) consider(t);
  return d;
}

void checkVectorDTypes(const OpDesc& op, const ArchModel& a, const ExecUnit& u) {
  if (u.dtypes.empty()) return;
  auto ok = [&](DType d) { return std::find(u.dtypes.begin(), u.dtypes.end(), d) != u.dtypes.end(); };
  auto check = [&](const TileType& t) {
    if (ok(t.dtype)) return;
    std::string legal;
    for (DType d : u.dtypes) legal += (legal.empty() ? "" : ", ") + std::string(ir::dtypeName(d));
    cannotRun(op, a, fmt::format("vector unit '{}' does not support {}", u.name, ir::dtypeName(t.dtype)),
              fmt::format("supported dtypes: {}; cast the tile to one of them first", legal));
  };
  for (const TileType& t : op.operands) check(t);
  for (const TileType& t : op.results) check(t);
}

Phase vectorPhase(const OpDesc& op, const ArchModel& a) {
  const ExecUnit& u = needUnit(op, a, UnitKind::Vector);
  checkVectorDTypes(op, a, u);
  const DType d = widest(op);
  const uint64_t lanes = std::max<uint64_t>(1, static_cast<uint64_t>(u.bytesPerCycle / ir::dtypeBytes(d)));
  const uint64_t P = arch::vectorPasses(u, op.kind);
  const uint64_t S = u.startupCycles;
  const TileOpKind k = op.kind;
  Phase ph{u.name, 0, {}};
  std::string lanesStr = fmt::format("lanes={}/{}B", fmtRate(u.bytesPerCycle), ir::dtypeBytes(d));

  if (ir::isRowReduction(k)) {
    const TileType& in = op.operands.at(0);
    const uint64_t H = static_cast<uint64_t>(in.rows), W = static_cast<uint64_t>(in.cols);
    const uint64_t V = ceilDiv(H * W, lanes);
    const uint64_t Wr = std::min(W, lanes);
    const uint64_t steps = ceilLog2(Wr);
    const uint64_t T = steps * ceilDiv(H * Wr, lanes);
    const uint64_t mean = k == TileOpKind::RowMean ? ceilDiv(H, lanes) : 0;
    ph.cycles = S + P * (V + T) + mean;
    ph.formula = fmt::format("{} + {}*(ceil({}*{}/{}) + {}*ceil({}*{}/{})){} [{}]", S, P, H, W, lanes, steps, H, Wr,
                             lanes, mean ? fmt::format(" + ceil({}/{})", H, lanes) : "", lanesStr);
    return ph;
  }
  if (k == TileOpKind::ColSum || k == TileOpKind::ColMax) {
    const TileType& in = op.operands.at(0);
    const uint64_t H = static_cast<uint64_t>(in.rows), W = static_cast<uint64_t>(in.cols);
    ph.cycles = S + P * H * ceilDiv(W, lanes);
    ph.formula = fmt::format("{} + {}*{}*ceil({}/{}) [{}]", S, P, H, W, lanes, lanesStr);
    return ph;
  }
  if (k == TileOpKind::Sort || k == TileOpKind::TopK) {
    const TileType& in = op.operands.at(0);
    const uint64_t H = static_cast<uint64_t>(in.rows), W = static_cast<uint64_t>(in.cols);
    const uint64_t lg = ceilLog2(W), Wp = uint64_t{1} << lg;
    const uint64_t stages = lg * (lg + 1) / 2;  // bitonic network on W padded to 2^lg
    ph.cycles = S + P * stages * ceilDiv(H * Wp, lanes);
    ph.formula = fmt::format("{} + {}*{}*ceil({}*{}/{}) [bitonic stages={}, {}]", S, P, stages, H, Wp, lanes, stages,
                             lanesStr);
    return ph;
  }
  // Elementwise (binary, unary, cast, select, fill, iota) and transpose: P passes over
  // the result's elements; a row broadcast first expands the [H,1] operand (1 pass).
  const uint64_t E = elems(op.results.at(0));
  const uint64_t passes = P + (op.broadcast == Broadcast::Row ? 1 : 0);
  ph.cycles = S + passes * ceilDiv(E, lanes);
  ph.formula = fmt::format("{} + {}*ceil({}/{}) [{}{}]", S, passes, E, lanes, lanesStr,
                           op.broadcast == Broadcast::Row ? ", +1 pass row broadcast" : "");
  return ph;
}

}  // namespace

std::optional<Phase> transferPhase(const ArchModel& a, TransferRole role, uint64_t bytes) {
  const arch::Transfer* t = a.transfer(role);
  if (!t) return std::nullopt;
  const ExecUnit* u = a.unit(t->unit);
  const arch::MemorySpace* from = a.memory(t->from);
  const arch::MemorySpace* to = a.memory(t->to);
  PTO_INTERNAL_ASSERT(u && from && to, "arch '{}' transfer '{}' has dangling names (not validated?)", a.name,
                      arch::transferRoleName(role));
  const double bw = std::min({u->bytesPerCycle, from->bytesPerCycle, to->bytesPerCycle});
  const uint64_t lat = uint64_t{from->latencyCycles} + u->startupCycles;
  Phase ph{u->name, lat + cyclesFor(bytes, bw), {}};
  ph.formula = fmt::format("{} + {} + ceil({}B / {}B/c) [{} {}->{}]", from->latencyCycles, u->startupCycles, bytes,
                           fmtRate(bw), arch::transferRoleName(role), t->from, t->to);
  return ph;
}

OpCost opCycles(const OpDesc& op, const ArchModel& a) {
  const ir::TileOpInfo& info = ir::tileOpInfo(op.kind);
  // Bounded shapes keep every product below 2^64 (docs/cost-model.md).
  auto checkShape = [&](const TileType& t) {
    if (t.rows < 1 || t.cols < 1 || t.rows > kMaxTileDim || t.cols > kMaxTileDim)
      cannotRun(op, a, fmt::format("tile {}x{} is outside 1..{} per dimension", t.rows, t.cols, kMaxTileDim),
                "use positive tile shapes (run the verifier)");
  };
  for (const TileType& t : op.operands) checkShape(t);
  for (const TileType& t : op.results) checkShape(t);
  OpCost c;
  if (const ExecUnit* s = a.firstUnit(UnitKind::Scalar)) {
    c.issueUnit = s->name;
    c.issueCycles = s->cyclesPerOp;
  }
  switch (info.cls) {
    case ir::OpClass::Memory: {
      const bool isLoad = op.kind == TileOpKind::Load;
      PTO_INTERNAL_ASSERT(isLoad ? op.results.size() == 1 : op.operands.size() == 1,
                          "{} descriptor needs one tile", info.name);
      const TileType& t = isLoad ? op.results[0] : op.operands[0];
      auto ph = transferPhase(a, isLoad ? TransferRole::Load : TransferRole::Store, bytesOf(t));
      PTO_INTERNAL_ASSERT(ph.has_value(), "arch '{}' has no {} transfer (not validated?)", a.name, info.name);
      c.phases.push_back(*ph);
      break;
    }
    case ir::OpClass::Matrix: {
      PTO_INTERNAL_ASSERT(op.operands.size() >= 2 && op.results.size() == 1, "matmul descriptor needs [a, b(, acc)] -> c");
      const ExecUnit& u = needUnit(op, a, UnitKind::Matrix);
      const TileType& A = op.operands[0];
      const TileType& B = op.operands[1];
      auto it = u.matrixShapes.find(A.dtype);
      if (it == u.matrixShapes.end()) {
        std::string legal;
        for (const auto& [d, s] : u.matrixShapes) legal += (legal.empty() ? "" : ", ") + std::string(ir::dtypeName(d));
        cannotRun(op, a, fmt::format("matrix unit '{}' does not take {} inputs", u.name, ir::dtypeName(A.dtype)),
                  fmt::format("supported input dtypes: {}; cast the operands first", legal));
      }
      const arch::MatrixShape s = it->second;
      const uint64_t M = static_cast<uint64_t>(A.rows), K = static_cast<uint64_t>(A.cols),
                     N = static_cast<uint64_t>(B.cols);
      if (auto in = transferPhase(a, TransferRole::MatmulIn, (M * K + K * N) * ir::dtypeBytes(A.dtype)))
        c.phases.push_back(*in);
      Phase m{u.name, u.startupCycles + ceilDiv(M, s.m) * ceilDiv(K, s.k) * ceilDiv(N, s.n), {}};
      m.formula = fmt::format("{} + ceil({}/{})*ceil({}/{})*ceil({}/{}) [{} block {}x{}x{}]", u.startupCycles, M, s.m, K,
                              s.k, N, s.n, ir::dtypeName(A.dtype), s.m, s.k, s.n);
      c.phases.push_back(std::move(m));
      if (auto out = transferPhase(a, TransferRole::MatmulOut, bytesOf(op.results[0]))) c.phases.push_back(*out);
      break;
    }
    case ir::OpClass::Vector:
      PTO_INTERNAL_ASSERT(!op.results.empty() && (op.operands.size() == info.numTileOperands ||
                                                  (ir::isBinaryElementwise(op.kind) && op.operands.size() == 1)),
                          "{} descriptor has {} operands / {} results", info.name, op.operands.size(),
                          op.results.size());
      c.phases.push_back(vectorPhase(op, a));
      break;
  }
  return c;
}

}  // namespace pto::wsp::cost
