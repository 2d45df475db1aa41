// The C++ external kernels an aie module links (`link_with` on every core): one unit per
// kernel the module declares, defining extern "C" void <kernel>(...) with exactly the
// argument list of the module's func.func declaration (a memref<RxCxT> is a T* to R*C
// contiguous elements, as mlir-aie passes memrefs to external functions; a scalar is a
// value). The body is the project's cpu_sim kernel for the same ir::Kernel, reached
// through its ABI entry point, so the unit builds for the host against the tile library
// (the sanity build) and computes what the cpu_sim target computes. The cpu_sim body is
// generated against the host arch `hostArch` (its cycle function is never used by the
// aie artifact; aie_npu1's vector unit has no f16, yet the host build of an f16 kernel is
// still a useful check of the interface). A build for the AIE
// core itself needs the AIE compiler (Peano / xchesscc) and aie_api kernels; it is not
// done here.
#pragma once

#include "pto/wsp/arch/ArchModel.h"
#include "pto/wsp/ir/Module.h"
#include "pto/wsp/target/aie/AieMapping.h"

#include <filesystem>
#include <string>
#include <vector>

namespace pto::wsp::target::aie {

struct KernelUnit {
  std::string kernel;     // the func.func symbol
  std::string fileName;   // "<kernel>.cpp"
  std::string prototype;  // "extern \"C\" void compute(float* a, float* b)"
  std::string text;
};

// One unit per mapping.kernels entry, in that order. `sourceDir` resolves relative
// external-kernel paths. Without `withBody` the unit only declares the cpu_sim entry
// point it calls: for linking next to the cpu_sim kernels of the same module.
std::vector<KernelUnit> emitKernelUnits(const ir::Module& m, const Mapping& map, const arch::ArchModel& hostArch,
                                        const std::filesystem::path& sourceDir = {}, bool withBody = true);
// The same for explicit declarations (e.g. every kernel a plan calls).
std::vector<KernelUnit> emitKernelUnits(const ir::Module& m, const std::vector<KernelDecl>& decls,
                                        const std::string& kernelObject, const arch::ArchModel& hostArch,
                                        const std::filesystem::path& sourceDir = {}, bool withBody = true);

// The C++ parameter type of one func.func argument type ("memref<16x128xf32>" -> "float*").
std::string cppArgType(std::string_view mlirType);

}  // namespace pto::wsp::target::aie
