// The kernel translation units of a plan and the compiler configuration they are built
// with (include root, tile-library fingerprint, flags). Internal to the cpu_sim target.
#pragma once

#include "pto/wsp/abi/Plan.h"
#include "pto/wsp/arch/ArchModel.h"
#include "pto/wsp/artifact/Manifest.h"
#include "pto/wsp/artifact/ObjectCache.h"
#include "pto/wsp/ir/Module.h"
#include "pto/wsp/target/Target.h"

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace pto::wsp::target::cpu_sim {

// Root of the PTO-WSP headers the generated kernels include (pto/wsp/tile/...,
// pto/wsp/abi/KernelAbi.h): $PTO_WSP_INCLUDE_DIR if set, else <source dir>/include of
// this build. Throws UserError when it does not contain the tile library.
std::filesystem::path kernelIncludeRoot();

// Fingerprint (16 hex digits) of the headers generated kernels depend on: every file
// under <root>/pto/wsp/tile plus abi/KernelAbi.h. Memoised per process by path, size and
// mtime, so a warm compile re-reads nothing unless a header changed. Thread-safe.
std::string tileHeadersFingerprint(const std::filesystem::path& root);

// Flags and key inputs of kernel objects; `jobs` = parallel compiles (0 = all cores).
artifact::CompilerConfig kernelCompilerConfig(unsigned jobs);

// One translation unit per plan kernel: generated code for tile-op kernels; the user's
// file (origin = its path, so compiler messages point there) plus a generated cycle
// function for external kernels. Throws one UserError listing every kernel that cannot
// be generated.
KernelUnits kernelSources(const ir::Module& m, const abi::Plan& plan, const arch::ArchModel& a,
                          const std::filesystem::path& sourceDir);

}  // namespace pto::wsp::target::cpu_sim
