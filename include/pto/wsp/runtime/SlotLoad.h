// One slot_load of a run: the slot it set and the value it read. A real run's list,
// replayed by a dry run, gives the dry run the real run's data-dependent control flow,
// hence its timeline (docs/runtime.md, "Slot replay").
#pragma once

#include <cstdint>

namespace pto::wsp::rt {

struct SlotLoad {
  uint32_t slot = 0;   // plan slot index
  uint64_t value = 0;
  bool operator==(const SlotLoad&) const = default;
};

}  // namespace pto::wsp::rt
