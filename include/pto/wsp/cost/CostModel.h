// Op-level cycle model: one tile op (kind, operand/result tile types, broadcast) on an
// ArchModel -> the cycles it keeps each execution unit busy. Every number comes from the
// arch (bandwidths, vector width, matrix block, startup and latency cycles, vector
// passes); the formula per op class is in docs/cost-model.md and in each Phase.formula.
// Pure functions of their arguments: thread-safe, deterministic.
#pragma once

#include "pto/wsp/arch/ArchModel.h"
#include "pto/wsp/ir/Kernel.h"
#include "pto/wsp/ir/TileOp.h"
#include "pto/wsp/support/Diagnostic.h"

#include <cstdint>
#include <string>
#include <vector>

namespace pto::wsp::cost {

// A tile op as the cost model sees it (the ir::TileInst minus names).
struct OpDesc {
  ir::TileOpKind kind = ir::TileOpKind::Add;
  std::vector<ir::TileType> operands;  // tile operands in IR order: store [value];
                                       // matmul [a, b(, acc)]; select [mask, a, b]
  std::vector<ir::TileType> results;   // load [tile]; topk [values, indices]; store []
  ir::Broadcast broadcast = ir::Broadcast::None;
  int64_t k = 0;  // topk
  SourceLoc loc;  // where the op came from, for diagnostics

  static OpDesc load(ir::TileType t, SourceLoc loc = {});
  static OpDesc store(ir::TileType t, SourceLoc loc = {});
  // Binary elementwise; the result type is a's (broadcast scalar: pass b = a).
  static OpDesc binary(ir::TileOpKind k, ir::TileType a, ir::TileType b,
                       ir::Broadcast bc = ir::Broadcast::None, SourceLoc loc = {});
  // Unary, reduction, transpose, sort, cast: one operand, one result.
  static OpDesc unary(ir::TileOpKind k, ir::TileType in, ir::TileType out, SourceLoc loc = {});
  // C[M,N] (f32) = A[M,K] x B[K,N] (+ acc).
  static OpDesc matmul(ir::TileType a, ir::TileType b, bool acc = false, SourceLoc loc = {});
};

// Work of one op on one unit.
struct Phase {
  std::string unit;     // ExecUnit name
  uint64_t cycles = 0;
  std::string formula;  // the arithmetic that produced `cycles`, e.g. "8 + 1*ceil(2048/64)"
};

// Phases run in order (each starts when the previous ends and its unit's pipe is free);
// issue runs on the scalar unit before the first phase.
struct OpCost {
  std::string issueUnit;  // scalar unit name, empty if the arch has none
  uint64_t issueCycles = 0;
  std::vector<Phase> phases;
  uint64_t busyCycles() const;  // sum of phase cycles (excludes issue)
};

// Throws UserError at op.loc when the arch cannot run the op (no matrix unit, dtype not
// supported by the unit); the message names the op, dtype, unit and arch, and the help
// lists what is supported. Malformed descriptors (wrong operand count) are internal
// errors: build them from verified IR.
OpCost opCycles(const OpDesc& op, const arch::ArchModel& a);

// Helpers shared with the kernel scheduler and tests.
uint64_t ceilDiv(uint64_t a, uint64_t b);
// Smallest integer c with c * perCycle >= amount (exact for integer-valued inputs).
uint64_t cyclesFor(uint64_t amount, double perCycle);
// Cycles to move `bytes` along the arch's transfer of `role`:
//   from.latency + unit.startup + ceil(bytes / min(unit, from, to bytes_per_cycle)).
// nullopt when the arch declares no such transfer.
std::optional<Phase> transferPhase(const arch::ArchModel& a, arch::TransferRole role, uint64_t bytes);

}  // namespace pto::wsp::cost
