// The verifier: every user-facing rule of the IR. Each diagnostic names the construct,
// its location, the broken rule with actual values and a `help:` note. The full rule list
// is in docs/ir.md ("Verifier rules").
#pragma once

#include "pto/wsp/ir/Kernel.h"
#include "pto/wsp/ir/Module.h"
#include "pto/wsp/support/Diagnostic.h"

#include <cstddef>
#include <cstdint>

namespace pto::wsp::ir {

// Limits on counts that size memory or time (docs/wsp-format.md, "Limits"); larger
// values are located verifier errors, so nothing is allocated for them.
inline constexpr uint64_t kMaxTensorBytes = uint64_t(1) << 40;  // one tensor, at the symbols' defaults
inline constexpr size_t kMaxTensorRank = 8;                     // dims of one tensor (abi::kMaxTensorRank)
inline constexpr int64_t kMaxAxisExtent = int64_t(1) << 32;     // a dense(N) axis
inline constexpr int64_t kMaxReplicas = 65536;                  // replicate P N
inline constexpr int64_t kMaxDispatchWorkers = 65536;           // dispatch ...(workers = N)

// All errors (and warnings) of `m`, in a deterministic order. Never throws for bad input.
// Thread-safe (pure function of m).
DiagnosticList verify(const Module& m);
// Throws UserError with every diagnostic if any is an error.
void verifyOrThrow(const Module& m);

// Only the kernel rules (params, SSA, op shape/dtype rules) of one kernel.
void verifyKernel(const Kernel& k, DiagnosticList& out);

}  // namespace pto::wsp::ir
