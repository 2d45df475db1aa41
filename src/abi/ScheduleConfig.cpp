#include "pto/wsp/abi/ScheduleConfig.h"

#include "pto/wsp/support/Assert.h"

#include <fmt/format.h>

namespace pto::wsp::abi {

uint64_t ScheduleConfig::get(ScheduleKnob k) const {
  switch (k) {
    case ScheduleKnob::Workers: return workers;
    case ScheduleKnob::TaskWindow: return taskWindow;
    case ScheduleKnob::PoolTensorMap: return tensorMapCapacity;
    case ScheduleKnob::PoolDepList: return depListCapacity;
    case ScheduleKnob::PoolHeap: return heapBytes;
    case ScheduleKnob::PoolReadyQueue: return readyQueueCapacity;
    case ScheduleKnob::ScopeDepth: return maxScopeDepth;
  }
  PTO_UNREACHABLE("bad knob {}", static_cast<int>(k));
}

std::string checkSchedule(const ScheduleConfig& s) {
  for (const KnobInfo& k : kScheduleKnobs) {
    const uint64_t v = s.get(k.knob);
    if (v < k.min || v > k.max) return fmt::format("{} is {}, expected {} .. {}", k.name, v, k.min, k.max);
  }
  return "";
}

}  // namespace pto::wsp::abi
