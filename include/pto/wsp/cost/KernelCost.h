// Kernel-level cycle report: a kernel's ops scheduled on the arch's pipelines with the
// overlap model of docs/cost-model.md. A pure function of the kernel's static shapes
// (and, for external kernels, its scalar arguments): evaluable without running it.
#pragma once

#include "pto/wsp/arch/ArchModel.h"
#include "pto/wsp/cost/CostModel.h"
#include "pto/wsp/ir/Expr.h"
#include "pto/wsp/ir/Kernel.h"

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace pto::wsp::cost {

// One op of a straight-line kernel and the earlier ops it must wait for.
struct KernelOp {
  OpDesc op;
  std::vector<size_t> deps;  // indices of earlier ops (data or memory dependences)
  std::string label;         // e.g. "%y = exp %x" (report only)
};

struct UnitBusy {
  std::string unit;
  int pipe = 0;          // ArchModel::pipeOf
  uint64_t busy = 0;     // sum of this unit's phase cycles (issue cycles for the scalar unit)
};

struct OpTiming {
  std::string label;
  ir::TileOpKind kind = ir::TileOpKind::Add;
  uint64_t issueEnd = 0, start = 0, end = 0;  // cycles from kernel start
  OpCost cost;
};

struct CycleReport {
  std::string kernel, arch;
  bool external = false;     // cycles are the kernel's declared expression
  uint64_t total = 0;        // makespan: latest op end (or issue end)
  uint64_t maxPipeBusy = 0;  // busy cycles of the busiest pipeline (scalar issue excluded)
  uint64_t exposed = 0;      // total - maxPipeBusy: dependence / latency not hidden by overlap
  std::vector<UnitBusy> units;  // every unit of the arch, arch order
  std::vector<OpTiming> ops;    // program order
  // Human-readable: totals, per-unit busy, per-op table with formulas.
  std::string table() const;
  nlohmann::ordered_json toJson() const;
};

// The overlap model: ops issue in order on the scalar unit; each phase starts at
// max(previous phase / dependence end [+ pipe sync latency when crossing pipelines],
// its pipeline's free time). Units of one exclusive group share a pipeline.
CycleReport scheduleKernel(std::span<const KernelOp> ops, const arch::ArchModel& a,
                           std::string kernelName = {});

// A tile-op kernel: op descriptors from ir::inferTileOpTypes, dependences from SSA
// operands and from loads/stores of the same tile parameter. An external kernel's report
// is its declared `cycles` expression evaluated in `env` (scalar params as vars).
// Errors (unknown SSA name, type rule broken, op the arch cannot run, unknown scalar)
// are UserErrors located at the op.
CycleReport kernelCycles(const ir::Kernel& k, const arch::ArchModel& a, const ir::Env& env = {});

}  // namespace pto::wsp::cost
