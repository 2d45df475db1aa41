// The schedule configuration: the semantic machine and resource sizes one plan runs
// with. The same struct is the plan's schedule (abi::Plan::schedule), the Engine's
// sizes (rt::EngineConfig::schedule) and the source of the host executor's queue sizes
// (rt::HostExecutorConfig::fromSchedule). Knob names, defaults and bounds come from
// support/ScheduleKnobs.h.
#pragma once

#include "pto/wsp/support/ScheduleKnobs.h"

#include <cstdint>
#include <string>

namespace pto::wsp::abi {

struct ScheduleConfig {
  uint32_t workers = static_cast<uint32_t>(knobDefault(ScheduleKnob::Workers));
  std::string dispatch = "round_robin";  // a DispatchRegistry name
  // Filled by the compiler from the ArchModel (arch.issueCycles, arch.syncLatency(Task)).
  uint64_t issueCycles = 0;  // process time per issued task
  uint64_t syncLatency = 0;  // added to ready(T) when T has deps
  uint32_t taskWindow = static_cast<uint32_t>(knobDefault(ScheduleKnob::TaskWindow));                 // TASK_RING
  uint32_t tensorMapCapacity = static_cast<uint32_t>(knobDefault(ScheduleKnob::PoolTensorMap));       // TENSORMAP_POOL
  uint32_t depListCapacity = static_cast<uint32_t>(knobDefault(ScheduleKnob::PoolDepList));           // DEPLIST_POOL
  uint32_t readyQueueCapacity = static_cast<uint32_t>(knobDefault(ScheduleKnob::PoolReadyQueue));     // per worker
  uint64_t heapBytes = knobDefault(ScheduleKnob::PoolHeap);                                          // HEAP_ARENA
  uint32_t maxScopeDepth = static_cast<uint32_t>(knobDefault(ScheduleKnob::ScopeDepth));
  bool operator==(const ScheduleConfig&) const = default;

  uint64_t get(ScheduleKnob k) const;
};

// "" if every knob is within its bounds, else "<knob> is <v>, expected <min> .. <max>"
// for the first one that is not (names are the .wsp spellings).
std::string checkSchedule(const ScheduleConfig& s);

}  // namespace pto::wsp::abi
