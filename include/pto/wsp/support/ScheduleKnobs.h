// The schedule's sizing knobs: one table of their .wsp spellings, defaults and bounds.
//
// Every layer that names or checks a knob reads this table: the ir verifier (bounds of
// `task_window` / `pool ...` directives), lower (directive -> plan), abi::ScheduleConfig
// (defaults, validation of a deserialised plan), the Engine and the host executor
// (config errors, stall messages, deadlock hints). It is plain data, so it lives in
// support, the one layer every other layer may include (ir may include nothing else).
// Defaults are pto-runtime's tensormap_and_ringbuffer sizes (docs/runtime.md).
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace pto::wsp {

enum class ScheduleKnob : uint8_t {
  Workers,         // dispatch ... (workers = n)
  TaskWindow,      // task_window n tasks stall
  PoolTensorMap,   // pool tensormap n
  PoolDepList,     // pool deplist n
  PoolHeap,        // pool heap bytes
  PoolReadyQueue,  // pool ready_queue n (per worker)
  ScopeDepth,      // nested scopes a process may hold open
};
inline constexpr size_t kNumKnobs = 7;

struct KnobInfo {
  ScheduleKnob knob;
  std::string_view name;   // the .wsp spelling, used verbatim in every message
  std::string_view pool;   // the `pool` resource word ("" = not a pool)
  uint64_t defaultValue;
  uint64_t min;
  uint64_t max;
  std::string_view unit;   // for messages: "tasks", "bytes", ...
};

inline constexpr uint64_t kU32Max = 0xffffffffull;

inline constexpr std::array<KnobInfo, kNumKnobs> kScheduleKnobs{{
    {ScheduleKnob::Workers, "workers", "", 1, 1, kU32Max, "workers"},
    {ScheduleKnob::TaskWindow, "task_window", "", 16384, 1, kU32Max, "tasks"},
    {ScheduleKnob::PoolTensorMap, "pool tensormap", "tensormap", 65536, 1, kU32Max, "entries"},
    {ScheduleKnob::PoolDepList, "pool deplist", "deplist", 16384, 1, kU32Max, "edges"},
    {ScheduleKnob::PoolHeap, "pool heap", "heap", 256ull << 20, 1, 0x7fffffffffffffffull, "bytes"},
    {ScheduleKnob::PoolReadyQueue, "pool ready_queue", "ready_queue", 65536, 1, kU32Max, "tasks per worker"},
    {ScheduleKnob::ScopeDepth, "scope_depth", "", 64, 1, kU32Max, "levels"},
}};

constexpr const KnobInfo& knobInfo(ScheduleKnob k) { return kScheduleKnobs[static_cast<size_t>(k)]; }
constexpr uint64_t knobDefault(ScheduleKnob k) { return knobInfo(k).defaultValue; }
// The knob a `pool <resource>` directive sets; null for an unknown resource.
constexpr const KnobInfo* poolKnob(std::string_view resource) {
  for (const KnobInfo& k : kScheduleKnobs)
    if (!k.pool.empty() && k.pool == resource) return &k;
  return nullptr;
}

}  // namespace pto::wsp
