// The five reference workloads written with the C++ builder. Each returns exactly the module
// that parsing examples/<name>/<name>.wsp gives (structural equality, source locations
// ignored) and verifies clean (tests/api/ExamplesTest.cpp asserts both). Thread-safe: each
// call builds a fresh module.
#pragma once

#include "pto/wsp/ir/Module.h"

#include <functional>
#include <span>
#include <string_view>

namespace pto::wsp::examples {

// rmsnorm over [B,T] tiles (f16 in/out, f32 math): P b, t { rmsnorm(X[b,t], W, Y[b,t], eps) }.
ir::Module rmsnorm();
// Row softmax in three phases (row max, sum of exp, normalise), sequential between phases,
// P.seq over column tiles inside the reductions.
ir::Module softmax();
// Batched gemm: P b, m, n { zero(C); P.seq k { C += A[b,m,k] x B[b,k,n] } } with an InOut tile.
ir::Module bgemm();
// 3-stage CSP pipeline: loader -> worker (replicated 2x) -> storer over index channels l2c, c2s.
ir::Module pipeline();
// MoE-style routing: per block, a gate kernel writes the winning expert's id, slot_load moves
// it into slot $expert, and when/otherwise picks the expert kernel.
ir::Module moe();

struct Example {
  std::string_view name;
  ir::Module (*build)();
};
// All five, in the order above; names are rmsnorm, softmax, bgemm, pipeline, moe.
std::span<const Example> all();

}  // namespace pto::wsp::examples
