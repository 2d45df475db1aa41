// The generated part of an external kernel's translation unit: when the user's file has
// no cycle function, the compiler appends one computing the kernel's declared `cycles`
// expression (docs/lowering.md). Pure and thread-safe.
#pragma once

#include "pto/wsp/ir/Kernel.h"

#include <string>

namespace pto::wsp::lower {

// extern "C" cycle function of an external kernel: its declared expression over the
// scalar arguments (decoded per abi/KernelAbi.h), clamped at 0.
std::string externalCyclesFunction(const ir::Kernel& k);

}  // namespace pto::wsp::lower
