// Checks the knobs a semantic deadlock report suggests before anyone reads them. The
// runtime derives a knob's minimal value from the one request that blocked (a channel
// one token fuller, a pool one request larger); that value need not get the run past the
// deadlock (a process may block again on the next send). The semantic model is cheap to
// re-run, so each suggestion is tried. Private to src/api.
#pragma once

#include "ProgramImpl.h"

#include "pto/wsp/abi/Plan.h"
#include "pto/wsp/runtime/DeadlockReport.h"

#include <string>
#include <vector>

namespace pto::wsp::detail {

// For a Clock::Semantic report: re-runs the plan as a dry run (same symbols and slot
// values as `in`) with each knob raised, searching from the knob's minimal value
// upwards (doubling, then bisection) for the smallest value with which the re-run gets
// past this deadlock: it finishes, or it deadlocks with no process blocked on that knob
// again. Values are tried up to a bound (docs/runtime.md, "Deadlock advice"). Knobs
// that get past are kept with that value (Check::Unblocks); the others are dropped if
// any knob gets past, else kept as Check::Fails naming the largest value tried.
// A host-clock report is left as it is.
void checkDeadlockAdvice(rt::DeadlockReport& r, const abi::Plan& plan, const std::vector<rt::KernelBinding>& kernels,
                         const std::vector<std::string>& kernelNames, const RunInputs& in);

}  // namespace pto::wsp::detail
