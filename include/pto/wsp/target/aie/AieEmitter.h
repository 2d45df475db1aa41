// MLIR text of a mapping, in generic form for mlir-aie 78da3d91 (device enum npu1_4col
// = 8, no terminator in the device body; ../shared/design/MLIR-AIE.md). Generic form so
// that Debian's mlir-opt-19 parses it without the aie dialects and verifies the upstream
// ops inside. Deterministic: the same mapping gives the same bytes.
#pragma once

#include "pto/wsp/target/aie/AieMapping.h"

#include <string>

namespace pto::wsp::target::aie {

std::string emitMlir(const Mapping& m);

}  // namespace pto::wsp::target::aie
