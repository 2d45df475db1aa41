// Orchestration emission for pto-runtime (docs/ascend.md): the expanded task graph
// (TaskGraph.h) written as one orchestration translation unit for either runtime.
//
//  * host_build_graph: `extern "C" int <entry>(OrchestrationRuntime*, const
//    ChipStorageTaskArgs&)` allocates every tensor, copies entry tensors in, records
//    outputs for copy-back, adds every task with add_task and every edge with
//    add_successor. pto-runtime drops edges beyond 128 successors silently, so a task
//    with more gets relay tasks (a no-op kernel) that fan the edges out; more than
//    131072 tasks or 16 argument words is a located error.
//  * tensormap_and_ringbuffer: `aicpu_orchestration_config` + `aicpu_orchestration_entry`
//    submit every task with IN / OUT / INOUT views so pto-runtime's TensorMap derives the
//    data edges; structural joins become dummy tasks with explicit dependencies; tasks are
//    grouped into scopes that end only where no dependency crosses (RingScopes.h).
// Internal to the ascend target.
#pragma once

#include "PtoIsaKernel.h"
#include "RingScopes.h"
#include "TaskGraph.h"

#include "pto/wsp/abi/Plan.h"
#include "pto/wsp/ir/Module.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace pto::wsp::target::ascend {

enum class Runtime : uint8_t { HostBuildGraph, TensorMapAndRingBuffer };
std::string_view runtimeName(Runtime r);  // "host_build_graph" / "tensormap_and_ringbuffer"

// pto-runtime's limits (PTO-RUNTIME.md).
inline constexpr uint32_t kMaxTasks = 131072;
inline constexpr uint32_t kMaxTaskArgs = 16;
inline constexpr uint32_t kMaxFanout = 128;
inline constexpr uint32_t kMaxTensorArgs = 16, kMaxScalarArgs = 32;

// One entry tensor of the orchestration (plan tensor order).
struct EntryTensor {
  uint32_t planTensor = 0;
  std::string name;
  std::string direction;  // "IN" / "OUT" / "INOUT" (SceneTestCase ArgDirection)
};

struct Orchestration {
  std::string file;      // "kernels/orchestration/<module>_orch.cpp"
  std::string entry;     // function_name
  std::string text;
  std::vector<EntryTensor> entries;
  uint32_t tasks = 0;    // tasks the orchestration adds (relays included)
  uint32_t relays = 0;   // host_build_graph relay tasks
  uint32_t scopes = 0;   // tensormap_and_ringbuffer scopes
  uint32_t edges = 0;    // add_successor calls / explicit dependencies
  RingScopes ring;       // tensormap_and_ringbuffer: scopes and the ring they need (RingScopes.h)
  std::vector<Diagnostic> warnings;  // e.g. a task_window the ring cannot honour
};

struct OrchestrationInput {
  const ir::Module* module = nullptr;
  const abi::Plan* plan = nullptr;
  const TaskGraph* graph = nullptr;
  std::vector<PtoIsaKernel> kernels;  // by plan kernel index; func id = index
  uint32_t relayFuncId = 0;           // the no-op kernel (relays, joins)
  Runtime runtime = Runtime::TensorMapAndRingBuffer;
  SourceLoc taskWindowLoc;             // the schedule's task_window directive (else the workload)
  bool taskWindowDefaulted = false;    // the schedule has no task_window directive
};

// Throws a located UserError (at the module) when the graph breaks a limit.
Orchestration emitOrchestration(const OrchestrationInput& in);

// The no-op kernel relays and joins run.
std::string relayKernelText();

}  // namespace pto::wsp::target::ascend
