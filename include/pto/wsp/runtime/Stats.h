// Flow-control and utilisation statistics of one runtime run (SEMANTICS.md section 4).
//
// Two clocks are kept apart: every *Cycles field is semantic time (deterministic,
// identical across hosts and thread counts); hostWallNs / tasksPerSecond are host time
// and never feed semantic time.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace pto::wsp::rt {

// The bounded resources of the runtime core. All are stall-only: a full resource
// delays issue, it never grows and never falls back to another path.
enum class Resource : uint8_t {
  TaskRing,       // issued, unretired tasks (task_window)
  TensorMapPool,  // TensorMap entries (one per tile cell a region covers)
  DepListPool,    // dependency edges of unretired tasks
  HeapArena,      // bytes of runtime-managed intermediates of unretired tasks
  ReadyQueue,     // per worker: tasks dispatched to it and not yet started
};
inline constexpr size_t kNumResources = 5;
// The order an issue resolves its stalls in (semantics.md section 4): the dep-list pool
// last, once the edges are known.
inline constexpr Resource kStallOrder[kNumResources] = {Resource::TaskRing, Resource::TensorMapPool,
                                                        Resource::HeapArena, Resource::ReadyQueue,
                                                        Resource::DepListPool};
// "task_ring", "tensormap_pool", ... (the JSON keys)
const char* resourceName(Resource r);
// The .wsp knob that sizes the resource: "task_window", "pool tensormap", ... (support/ScheduleKnobs.h)
const char* resourceKnob(Resource r);

struct ResourceStats {
  uint64_t capacity = 0;
  uint64_t stalls = 0;       // issues that had to wait for this resource
  uint64_t stallCycles = 0;  // semantic cycles those issues waited (attributed once)
  uint64_t highWater = 0;    // maximum occupancy seen at an issue instant
};

struct WorkerStats {
  uint64_t tasks = 0;
  uint64_t busyCycles = 0;
  double utilisation = 0;  // busyCycles / totalCycles (0 if totalCycles == 0)
};

struct RunStats {
  std::array<ResourceStats, kNumResources> resources{};
  std::vector<WorkerStats> workers;
  uint64_t tasks = 0;          // every issued task: kernelTasks + joins
  uint64_t kernelTasks = 0;    // tasks that run a kernel; the workers' tasks add up to it
  uint64_t joins = 0;          // structural tasks (scope joins), no kernel and no worker
  uint64_t totalCycles = 0;    // latest finish of any task or process time
  std::string currentStall;    // resource the latest stalled issue waited on, "" if none
  uint64_t timelineHash = 0;   // XXH3 over (seq, kernel, worker, issue, start, finish)
  // Host time (0 in dry run except wall time of the orchestration itself).
  uint64_t hostWallNs = 0;
  double tasksPerSecond = 0;
  bool dryRun = true;
  // Kernel tasks the trace left out (EngineConfig::traceCapacity reached): every task
  // from seq traceFirstDroppedTask on; 0 when the trace is complete.
  uint64_t traceDroppedTasks = 0;
  uint64_t traceFirstDroppedTask = 0;

  const ResourceStats& at(Resource r) const { return resources[static_cast<size_t>(r)]; }
  ResourceStats& at(Resource r) { return resources[static_cast<size_t>(r)]; }
  nlohmann::json toJson() const;
  std::string toText() const;
};

}  // namespace pto::wsp::rt
