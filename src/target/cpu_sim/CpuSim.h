// The cpu_sim target: kernels become C++ units over the header-only tile library,
// compiled by the host compiler into one shared library; the runtime core runs the plan
// on host threads. Internal to the target.
#pragma once

#include "pto/wsp/target/Target.h"

namespace pto::wsp::target::cpu_sim {

arch::CapabilityMatrix capabilityMatrix();

}  // namespace pto::wsp::target::cpu_sim
