// Kernels in PTO-ISA: one ir::Kernel -> one self-contained C++ translation unit for a
// pto-runtime incore (docs/ascend.md). A kernel with a matmul runs on the cube core (AIC:
// GM -> L1 (Mat) -> L0A/L0B (TMOV) -> TMATMUL into L0C -> TSTORE), every other kernel on
// a vector core (AIV: GM -> UB -> vector ops -> GM). The unit defines exactly one
// `extern "C" void kernel_entry(int64_t* args)` and compiles under `__CPU_SIM` (a2a3sim)
// and for the device compiler. Internal to the ascend target.
//
// Argument words (both runtimes): one word per tile parameter in parameter order (host_build_graph:
// the device address of the tile's first element; tensormap_and_ringbuffer: a Tensor*
// whose buffer.addr + start_offset is that address), then one word per tile parameter
// with its row stride in elements, then one word per scalar parameter (value bits,
// f32 in the low 32 bits).
#pragma once

#include "pto/wsp/arch/Capability.h"
#include "pto/wsp/ir/Kernel.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pto::wsp::target::ascend {

enum class CoreKind : uint8_t { Aic, Aiv };
std::string_view coreName(CoreKind c);  // "aic" / "aiv"

// How a tile argument word names its memory.
enum class ArgStyle : uint8_t { DeviceAddress, TensorPointer };

struct PtoIsaKernel {
  std::string name;
  CoreKind core = CoreKind::Aiv;
  std::string text;
  uint32_t numTiles = 0, numScalars = 0;
  uint32_t numArgs() const { return 2 * numTiles + numScalars; }
};

// The ascend capability matrix's [ops] row of `k`: unsupported with the reason
// unsupported() reports for the op, else enforced with the PTO-ISA instructions it lowers
// to (one source for the emitter's refusal and the matrix).
arch::OpCapability opCapability(ir::TileOpKind k);

// Why the target cannot lower `k` (the first problem, located at the op), or nullopt.
std::optional<Diagnostic> unsupported(const ir::Kernel& k);

// Throws one UserError listing every kernel problem (unsupported op or dtype, a kernel
// mixing cube and vector work, tiles that do not fit the core's buffers).
PtoIsaKernel emitPtoIsaKernel(const ir::Kernel& k, ArgStyle style);

}  // namespace pto::wsp::target::ascend
