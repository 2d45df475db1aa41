// Mixed cube + vector kernels, split into single-core units (docs/ascend.md, "Mixed
// kernels: the split"). A kernel whose body has both matmul (cube) and vector work is cut
// at every cube/vector boundary into units that each run on one core type: a value one
// unit computes and a later unit uses goes through a GM intermediate (the producer stores
// it into an `out` tile parameter, the consumer loads it from an `in` one); loads of the
// kernel's parameters are repeated in every unit that reads them. A matmul with an
// accumulator becomes a matmul and a vector add (`matmul a, b, acc` = `add (matmul a, b),
// acc`), so it splits the same way.
//
// The plan is rewritten before it is expanded: each call of a split kernel becomes
// consecutive calls of its units (a Combine: no structural order; the TensorMap orders
// them through the intermediate), and every intermediate of every call site is a temp
// tensor with one tile per iteration of the loops around the call, so independent calls
// never share (and never serialise on) an intermediate. Both orchestration forms and the
// conformance tests then see ordinary tasks. Internal to the ascend target.
#pragma once

#include "pto/wsp/abi/Plan.h"
#include "pto/wsp/ir/Module.h"

#include <vector>

namespace pto::wsp::target::ascend {

// True for a kernel the ascend target runs as several units: cube and vector work in one
// body, or a matmul with an accumulator operand.
bool needsSplit(const ir::Kernel& k);

// One single-core unit of a split kernel.
struct KernelUnit {
  ir::Kernel kernel;  // named "<kernel>_<i>_<aic|aiv>"
  // Per parameter of `kernel`: the original parameter index (>= 0), or -(j + 1) for
  // intermediate j.
  std::vector<int> source;
};

struct SplitKernel {
  std::vector<KernelUnit> units;        // in issue order
  std::vector<ir::TileType> intermediates;
  std::vector<std::string> intermediateNames;  // the SSA value each one carries (without '%')
};

// Cuts `k` (needsSplit(k)) into units. Throws a UserError located at the op the split
// cannot place.
SplitKernel splitKernel(const ir::Kernel& k);

struct SplitProgram {
  ir::Module module;  // the input's, plus every unit kernel (intermediates are plan temps only)
  abi::Plan plan;     // split kernels replaced by their units, call sites rewritten
};

// Splits every plan kernel that needsSplit; then a cube kernel's `in` tile that every
// call passes as a transposed view and that only feeds matmuls becomes the untransposed
// tile plus `transpose` after its load (the cube's DN-layout TLOAD, PtoIsaKernel.cpp),
// its views untransposed (column stride 1). Throws a UserError located at a call site
// whose intermediates cannot be indexed (a loop whose extent is not a constant, a call
// inside a send).
SplitProgram splitMixedKernels(const ir::Module& m, const abi::Plan& plan);

}  // namespace pto::wsp::target::ascend
