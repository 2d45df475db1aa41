// Gives a runtime deadlock report its source locations. The runtime knows processes and
// channels only by name (it never sees the IR); the api layer maps those names back to
// their declarations so that the report points at the workload, each blocked process
// and each channel it waits on. Private to src/api.
#pragma once

#include "pto/wsp/ir/Module.h"
#include "pto/wsp/runtime/DeadlockReport.h"

#include <string_view>

namespace pto::wsp::detail {

// Fills r.loc (the workload), each blocked actor's loc (its process declaration; a
// replicated instance "name[i]" maps to "name"; the plain task stream "main" to the
// workload) and channelLoc (the channel's declaration), and each running kernel's
// name and declaration (matched by its cpu_sim symbol). Names it cannot find keep an
// unknown location.
void locateDeadlock(rt::DeadlockReport& r, const ir::Module& m, std::string_view workload);

}  // namespace pto::wsp::detail
