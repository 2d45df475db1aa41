// The aie target module (target/Target.h): internal to src/target/aie/.
#pragma once

#include "pto/wsp/target/Target.h"

namespace pto::wsp::target::aie {

arch::CapabilityMatrix capabilityMatrix();

}  // namespace pto::wsp::target::aie
