// Kernel code generation: one ir::Kernel -> one self-contained C++ translation unit that
// calls the header-only CPU tile library (pto::tile) and
// defines two extern "C" entry points (abi/KernelAbi.h):
//
//   void     <symbol>(const uint64_t* args, uint32_t num_args);         // pto_kernel_fn
//   uint64_t <symbol>_cycles(const uint64_t* args, uint32_t num_args);  // pto_cycles_fn
//
// The scheme (ABI decoding, locals, one tile-library call per op, symbol naming, cycles)
// is documented in docs/lowering.md. All functions are pure and thread-safe.
#pragma once

#include "pto/wsp/arch/ArchModel.h"
#include "pto/wsp/ir/Kernel.h"
#include "pto/wsp/support/Diagnostic.h"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace pto::wsp::lower {

struct CodegenOptions {
  // The target the unit is for, as named in its header comment and in diagnostics (the
  // target module that calls the emitter sets it; the emitter never branches on it).
  std::string target = "cpu_sim";
  // Umbrella header of the tile library, as written in the #include.
  std::string tileHeader = "pto/wsp/tile/TileLib.h";
  // A local tile of at least this many bytes is `static thread_local` instead of a stack
  // variable (worker-thread stacks are small; several 128x128 f32 tiles would not fit).
  uint64_t stackTileLimitBytes = 16 * 1024;
  // External kernels: a relative `source` path is resolved against this directory
  // (empty: the current directory).
  std::filesystem::path sourceDir;
};

// Entry-point symbol of kernel `name`: "pto_k_" + name with every character outside
// [A-Za-z0-9_] replaced by '_'; when any character was replaced (so two names could
// collide), "_" + the first 8 hex digits of XXH3(name) is appended. Always a valid C
// identifier; distinct names that are already identifiers never collide.
std::string kernelSymbol(std::string_view kernelName);
// kernelSymbol(name) + "_cycles".
std::string cyclesSymbol(std::string_view kernelName);

// Capability check: why `target` cannot lower `inst` with these operand types (IR order,
// as for ir::inferTileOpTypes), or nullopt when it can (`target` only names it in the
// message). Pure; used by checkLowerable() and by tests.
std::optional<std::string> unsupportedReason(std::string_view target, const ir::TileInst& inst,
                                             std::span<const ir::TileType> operandTypes);

// Throws one UserError listing every op of `k` that `target` cannot lower (each located at
// the op, naming the op, dtype and target, with a help note).
// External kernels are always lowerable (their code is the user's).
void checkLowerable(const ir::Kernel& k, std::string_view target);

// The C++ translation unit of a tile-op kernel for opts.target. Preconditions: `k` passed
// the verifier (SSA names defined before use, result types filled in); violations are
// internal errors. Throws UserError for ops the target cannot lower and for ops the arch
// cannot cost (the cycle function is evaluated here, at codegen time). Deterministic: the
// same kernel, arch and options give byte-identical text.
// External kernels: validates them (validateExternalKernel) and returns "" (their code is
// the user's file, compiled as is).
std::string emitCpuKernel(const ir::Kernel& k, const arch::ArchModel& a, const CodegenOptions& opts = {});

// External (file-based) kernel checks, each a located UserError: a source path is given and
// the file is readable; its text mentions kernelSymbol(name) (the entry point it must
// define extern "C"); a cycle expression is declared and reads only the kernel's integer/
// bool scalar parameters (checked by evaluating it with every such parameter = 1).
void validateExternalKernel(const ir::Kernel& k, const CodegenOptions& opts = {});

}  // namespace pto::wsp::lower
