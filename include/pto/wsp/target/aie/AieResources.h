// Placement and resource rules of the aie target, checked on the mapping before any
// text is emitted (docs/aie.md, "Rules"): tiles inside the device and of the right kind,
// data memory per compute tile and per memtile, DMA channels per tile, buffer
// descriptor ids per shim, shim DMA transfer rules, every memtile FIFO linked. Each
// violation is a located error with the actual numbers and the limit.
#pragma once

#include "pto/wsp/support/Diagnostic.h"
#include "pto/wsp/target/aie/AieDevice.h"
#include "pto/wsp/target/aie/AieMapping.h"

#include <vector>

namespace pto::wsp::target::aie {

// Every violation, in rule order.
std::vector<Diagnostic> resourceViolations(const Mapping& m, const AieDevice& d);
// Throws one UserError listing every violation; returns when there is none.
void checkResources(const Mapping& m, const AieDevice& d);

// Bytes a core keeps for its stack (mlir-aie's default stack_size 0x400).
inline constexpr uint64_t kCoreStackBytes = 0x400;

}  // namespace pto::wsp::target::aie
