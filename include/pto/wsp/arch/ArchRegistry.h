// Built-in architecture instances and lookup by name or JSON file.
//
// Built-in instances (numbers and their sources: docs/arch-json.md):
//   ascend910b  Ascend 910B-class: 24 AIC (cube) + 48 AIV (vector) cores, 1.8 GHz
//   aie_npu1    AMD AIE-ML NPU1 (npu1_4col): 4 columns x 4 compute tiles
//   host_cpu    the host machine class (2 cores, AVX-512)
// Built-ins are created once, on first use (thread-safe static init); references stay
// valid for the life of the process.
#pragma once

#include "pto/wsp/arch/ArchModel.h"
#include "pto/wsp/support/Diagnostic.h"

#include <span>
#include <string>
#include <string_view>

namespace pto::wsp::arch {

ArchModel makeAscend910b();
ArchModel makeAieNpu1();
ArchModel makeHostCpu();

// Names of the built-in instances, in a fixed order.
std::span<const std::string_view> builtinArchNames();
// nullptr when `name` is not a built-in.
const ArchModel* findBuiltinArch(std::string_view name);
// The built-in `name`; unknown name -> UserError at `loc` (where the name was written,
// e.g. {"<command line>"}) listing the known ones.
const ArchModel& builtinArch(std::string_view name, const SourceLoc& loc = {"<arch registry>", 0, 0, {}});
// `spec` is a built-in name, or a path to a JSON file (anything ending in ".json" or
// containing a '/'). Errors: unknown name (lists the known ones), unreadable file,
// invalid JSON (located, see ArchJson.h).
ArchModel resolveArch(std::string_view spec, const SourceLoc& loc = {"<arch registry>", 0, 0, {}});

}  // namespace pto::wsp::arch
