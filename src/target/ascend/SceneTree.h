// The emitted tree as a pto-runtime scene (docs/ascend.md): test_<module>.py (one
// SceneTestCase), kernels/orchestration/*.cpp, kernels/aiv|aic/*.cpp, the task table
// data/pto_wsp_tasks.txt and the project's manifest pto_wsp_manifest.json. Internal to the ascend target.
#pragma once

#include "Orchestration.h"
#include "PtoIsaKernel.h"
#include "RingScopes.h"
#include "TaskTable.h"

#include "pto/wsp/abi/Plan.h"
#include "pto/wsp/arch/Capability.h"
#include "pto/wsp/ir/Module.h"
#include "pto/wsp/target/Target.h"

#include <cstdint>
#include <string>
#include <vector>

namespace pto::wsp::target::ascend {

// The pto-runtime and PTO-ISA commits the emitted code is written for (PTO-RUNTIME.md).
inline constexpr const char* kPtoRuntimeCommit = "49f79ccf21a2ca825062b602b3a1701cce71c073";
inline constexpr const char* kPtoIsaCommit = "ddafa8da9c760ecd13fe9fe2833d6ee55fb20bd8";
inline constexpr const char* kManifestFile = "pto_wsp_manifest.json";

struct SceneInput {
  const ir::Module* module = nullptr;
  std::string workload;
  std::string arch;
  const abi::Plan* plan = nullptr;
  const arch::CapabilityMatrix* caps = nullptr;
  std::vector<PtoIsaKernel> kernels;  // func id = index; the relay kernel is last
  Orchestration orch;
  TaskTable table;  // for the plan's symbol values (its defaults)
  RingScopes ring;  // tensormap_and_ringbuffer: the table's scopes and the ring they need
  Runtime runtime = Runtime::TensorMapAndRingBuffer;
  uint64_t expectedTotalCycles = 0;  // cpu_sim's dry run of the plan
};

// Source path of a kernel in the tree ("kernels/aiv/<name>.cpp").
std::string kernelPath(const PtoIsaKernel& k);

SourceTree writeScene(const SceneInput& in);

}  // namespace pto::wsp::target::ascend
