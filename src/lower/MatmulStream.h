// The cpu_sim code generator's rule for matmul chains (KernelCodegen.cpp): a kernel's
// `%a = load pa; %b = load pb; [%acc = load pacc;] %c = matmul %a, %b[, %acc]; store pc, %c`
// whose tiles have no other use becomes one tile-library call between the global views,
// `pto::tile::matmul_global<M, N, K>(pc, pa, pb[, pacc])`, which reads A and C in place
// instead of copying every operand into a local tile (include/pto/wsp/tile/MatmulGlobal.h;
// the result is the same, bit for bit).
#pragma once

#include "pto/wsp/ir/Kernel.h"

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace pto::wsp::lower::detail {

struct KernelDefUse;

struct MatmulStream {
  size_t store = 0;           // body index of the chain's store
  size_t matmul = 0;          // ... of its matmul
  std::vector<size_t> loads;  // ... of the operands' loads (a, b[, acc])
  std::string out;            // param stored to
  std::vector<std::string> in;  // params loaded, in operand order (a, b[, acc])
  int64_t m = 0, n = 0, k = 0;
};

// Every chain of the kernel's body (du.kernel) that streams: each operand tile is a load used by that matmul
// only, loaded with its param's exact tile type; the result is used by one store to a
// param of the result's tile type; no store lies between the first load and that store
// (so the loads read the memory they read at their place). Any overlap between the
// views is the library's to handle, at run time.
std::vector<MatmulStream> findMatmulStreams(const KernelDefUse& du);

// The chain's call; paramVar maps each param name to its C++ GlobalView variable.
std::string matmulStreamCall(const MatmulStream& s, const std::map<std::string, std::string, std::less<>>& paramVar);

}  // namespace pto::wsp::lower::detail
