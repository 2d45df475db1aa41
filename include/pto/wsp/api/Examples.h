// The five reference workloads written with the C++ builder. The same workloads exist as
// text in examples/<name>/<name>.wsp (text stream). Each returns a module that verifies
// clean (tests/api/ExamplesTest.cpp). Thread-safe: each call builds a fresh module.
#pragma once

#include "pto/wsp/ir/Module.h"

#include <functional>
#include <span>
#include <string_view>

namespace pto::wsp::examples {

// rmsnorm over [B,T] tiles: P b, t { rmsnorm(x[b,t], w[t], y[b,t], eps) }.
ir::Module rmsnorm();
// Row softmax in three phases (row max, sum of exp, normalise), sequential between phases,
// P.seq over column tiles inside the reductions.
ir::Module softmax();
// Batched gemm: P b, m, n { zero(C); P.seq k { C += A[b,m,k] x B[b,k,n] } } with an InOut tile.
ir::Module bgemm();
// 3-stage CSP pipeline: loader -> compute -> storer over channels c_ld, c_st.
ir::Module pipeline();
// MoE-style routing: a gate kernel writes each block's expert id, slot_load moves it into a
// slot, and when/otherwise picks the expert kernel per block.
ir::Module moe();

struct Example {
  std::string_view name;
  ir::Module (*build)();
};
// All five, in the order above; names are rmsnorm, softmax, bgemm, pipeline, moe.
std::span<const Example> all();

}  // namespace pto::wsp::examples
