// The task graph of a plan, expanded by the runtime core (rt::PlanInterpreter + Engine,
// the same code cpu_sim runs) before a run: every task in issue order with its kernel,
// the tile each argument names (tensor + element offset + strides), its scalar words and
// the exact producers the runtime's TensorMap and structural joins give it. The ascend
// task table (TaskTable.h) writes this graph out for the orchestration to play;
// docs/ascend.md says why the graph is expanded on the host. Internal to the ascend target.
#pragma once

#include "pto/wsp/abi/Plan.h"
#include "pto/wsp/support/Diagnostic.h"

#include <cstdint>
#include <vector>

namespace pto::wsp::target::ascend {

struct GraphTile {
  uint32_t tensor = 0;
  int64_t offset = 0;  // elements from the tensor's first element
  int64_t rowStride = 0, colStride = 1;
  bool operator==(const GraphTile&) const = default;
};

struct GraphTask {
  int32_t kernel = -1;  // plan kernel index; -1 = a structural join (no kernel)
  uint32_t process = 0;
  std::vector<GraphTile> tiles;     // tile params in order
  std::vector<uint64_t> scalars;    // scalar params in order (value bits)
  std::vector<uint32_t> preds;      // earlier tasks, ascending, no duplicates
  bool operator==(const GraphTask&) const = default;
};

struct TaskGraph {
  std::vector<GraphTask> tasks;
  uint64_t totalCycles = 0;  // semantic total of the expansion (unbounded resources)
};

// Expands `plan` with its symbols' default values (`ptowsp run` makes them the run's). Throws a UserError located at `loc`
// for plans whose task set depends on data (tensor loads in expressions, slot loads).
TaskGraph expandPlan(const abi::Plan& plan, const SourceLoc& loc);

}  // namespace pto::wsp::target::ascend
