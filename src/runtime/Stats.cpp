#include "pto/wsp/runtime/Stats.h"

#include "pto/wsp/support/Assert.h"
#include "pto/wsp/support/Hash.h"
#include "pto/wsp/support/ScheduleKnobs.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace pto::wsp::rt {

const char* resourceName(Resource r) {
  switch (r) {
    case Resource::TaskRing: return "task_ring";
    case Resource::TensorMapPool: return "tensormap_pool";
    case Resource::DepListPool: return "deplist_pool";
    case Resource::HeapArena: return "heap_arena";
    case Resource::ReadyQueue: return "ready_queue";
  }
  PTO_UNREACHABLE("bad resource {}", static_cast<int>(r));
}

const char* resourceKnob(Resource r) {
  switch (r) {
    case Resource::TaskRing: return knobInfo(ScheduleKnob::TaskWindow).name.data();
    case Resource::TensorMapPool: return knobInfo(ScheduleKnob::PoolTensorMap).name.data();
    case Resource::DepListPool: return knobInfo(ScheduleKnob::PoolDepList).name.data();
    case Resource::HeapArena: return knobInfo(ScheduleKnob::PoolHeap).name.data();
    case Resource::ReadyQueue: return knobInfo(ScheduleKnob::PoolReadyQueue).name.data();
  }
  PTO_UNREACHABLE("bad resource {}", static_cast<int>(r));
}

nlohmann::json RunStats::toJson() const {
  nlohmann::json j;
  j["tasks"] = tasks;
  j["kernel_tasks"] = kernelTasks;
  j["joins"] = joins;
  j["total_cycles"] = totalCycles;
  j["current_stall"] = currentStall;
  j["timeline_hash"] = hashHex(timelineHash);
  j["dry_run"] = dryRun;
  auto& rs = j["resources"];
  rs = nlohmann::json::object();
  for (size_t i = 0; i < kNumResources; ++i) {
    const auto& r = resources[i];
    rs[resourceName(static_cast<Resource>(i))] = {{"capacity", r.capacity},
                                                  {"stalls", r.stalls},
                                                  {"stall_cycles", r.stallCycles},
                                                  {"high_water", r.highWater}};
  }
  auto& ws = j["workers"];
  ws = nlohmann::json::array();
  for (const auto& w : workers)
    ws.push_back({{"tasks", w.tasks}, {"busy_cycles", w.busyCycles}, {"utilisation", w.utilisation}});
  j["host"] = {{"wall_ns", hostWallNs}, {"tasks_per_second", tasksPerSecond}};
  return j;
}

std::string RunStats::toText() const {
  std::string s = fmt::format("tasks {}  total_cycles {}  timeline {}{}\n", tasks, totalCycles,
                              hashHex(timelineHash), dryRun ? "  (dry run)" : "");
  for (size_t i = 0; i < kNumResources; ++i) {
    const auto& r = resources[i];
    s += fmt::format("  {:<15} capacity {:>10}  high-water {:>10}  stalls {:>8}  stall cycles {}\n",
                     resourceName(static_cast<Resource>(i)), r.capacity, r.highWater, r.stalls,
                     r.stallCycles);
  }
  for (size_t w = 0; w < workers.size(); ++w)
    s += fmt::format("  worker {:<3} tasks {:>10}  busy {:>12}  utilisation {:.3f}\n", w,
                     workers[w].tasks, workers[w].busyCycles, workers[w].utilisation);
  s += fmt::format("  host: wall {:.3f} ms, {:.0f} tasks/s\n", hostWallNs / 1e6, tasksPerSecond);
  if (!currentStall.empty()) s += fmt::format("  current stall: {}\n", currentStall);
  return s;
}

}  // namespace pto::wsp::rt
