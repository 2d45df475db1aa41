// Orchestration emission for pto-runtime (docs/ascend.md): one orchestration translation
// unit per module and runtime that plays a task table (TaskTable.h), its last entry
// tensor. The text depends only on the plan's structure (kernels, tensors, task sites),
// never on symbol values or dynamic sizes: one `case` per task site reads that site's
// words from the table.
//
//  * host_build_graph: `extern "C" int <entry>(OrchestrationRuntime*, const
//    ChipStorageTaskArgs&)` allocates every tensor (sizes from the table), copies entry
//    tensors in, records outputs for copy-back, adds every task with add_task and every
//    edge the table lists with add_successor (relays already split fan-outs beyond 128).
//  * tensormap_and_ringbuffer: `aicpu_orchestration_config` + `aicpu_orchestration_entry`
//    submit every task with IN / OUT / INOUT views so pto-runtime's TensorMap derives the
//    data edges; other edges are explicit dependencies; scopes open and close where the
//    table marks them (placed by RingScopes.h), so tasks are still submitted one by one
//    under the ring's backpressure.
// Internal to the ascend target.
#pragma once

#include "PtoIsaKernel.h"
#include "TaskTable.h"

#include "pto/wsp/abi/Plan.h"
#include "pto/wsp/ir/Module.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace pto::wsp::target::ascend {

// One entry tensor of the orchestration (plan tensor order, then the task table).
inline constexpr uint32_t kTableTensor = UINT32_MAX;  // EntryTensor::planTensor of the table
struct EntryTensor {
  uint32_t planTensor = 0;
  std::string name;
  std::string direction;  // "IN" / "OUT" / "INOUT" (SceneTestCase ArgDirection)
};

struct Orchestration {
  std::string file;      // "kernels/orchestration/<module>_orch.cpp"
  std::string entry;     // function_name
  std::string text;
  std::vector<EntryTensor> entries;  // the table (kTableEntry) is the last
};

struct OrchestrationInput {
  const ir::Module* module = nullptr;
  const abi::Plan* plan = nullptr;
  const std::vector<TaskSite>* sites = nullptr;
  std::vector<PtoIsaKernel> kernels;  // by plan kernel index; func id = index
  uint32_t relayFuncId = 0;           // the no-op kernel (relays, joins)
  Runtime runtime = Runtime::TensorMapAndRingBuffer;
};

// Throws a located UserError (at the kernel) when a kernel has more argument words than
// the runtime passes.
Orchestration emitOrchestration(const OrchestrationInput& in);

// The no-op kernel relays and joins run.
std::string relayKernelText();

}  // namespace pto::wsp::target::ascend
