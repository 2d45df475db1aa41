// The kernel call ABI between generated/user kernels and the runtime core.
//
// Shaped like pto-runtime's `kernel_entry(int64_t* args)`: a kernel receives a flat
// array of raw 64-bit argument words (pointers and scalar bit patterns). The layout
// of the words for a kernel is fixed by the plan's kernel signature (abi/Plan.h):
// for each tile parameter, in order: base pointer of the tile's first element, row
// stride in elements, column stride in elements; for each scalar parameter: its
// value bits (integers sign/zero-extended, f32/f64 bit-cast into the low bits).
#pragma once

#include <cstdint>

extern "C" {

// Runs the kernel. Must be thread-safe with respect to other tasks (it touches only
// the memory its arguments name).
typedef void (*pto_kernel_fn)(const uint64_t* args, uint32_t num_args);

// Semantic cost in cycles, a pure function of static shapes (baked in) and the
// scalar argument words; never runs the kernel (SEMANTICS.md section 2).
typedef uint64_t (*pto_cycles_fn)(const uint64_t* args, uint32_t num_args);

}  // extern "C"

namespace pto::wsp::abi {

// At most this many argument words per task (pto-runtime allows 16 args per task;
// a tile parameter takes 3 words here).
inline constexpr uint32_t kMaxTaskArgs = 48;

// Version of the calling convention above (argument words and their layout); a package
// records it (manifest host.kernel_abi) and a loader refuses another one.
inline constexpr uint32_t kKernelAbiVersion = 1;

}  // namespace pto::wsp::abi
