// One slot_load of a run: the process that made it, the slot it set and the value it
// read. A real run's list, replayed by a dry run, gives the dry run the real run's
// data-dependent control flow, hence its timeline (docs/program.md, "Slot replay").
// Replay matches loads per process, in each process's program order: that order and the
// values do not depend on the schedule, so one recording replays under any schedule.
#pragma once

#include <cstdint>

namespace pto::wsp::rt {

struct SlotLoad {
  uint32_t process = 0;  // plan process index
  uint32_t slot = 0;     // plan slot index
  uint64_t value = 0;
  bool operator==(const SlotLoad&) const = default;
};

}  // namespace pto::wsp::rt
