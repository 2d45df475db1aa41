// A tile region of a tensor: what a kernel's tile parameter is bound to at a call.
#pragma once

#include "pto/wsp/ir/Expr.h"
#include "pto/wsp/support/Diagnostic.h"

#include <cstdint>
#include <string>
#include <vector>

namespace pto::wsp::ir {

// tensor[offsets...] viewed as a rows x cols tile.
// With rank r, the tile spans the last two tensor dims (r-2: row dim, r-1: col dim); the
// leading dims are fixed at their offsets. For rank 1 the tile must have rows == 1 and
// spans dim 0. Element (i, j) of the tile is, with o = offsets and s = steps:
//   not transposed: T[..., o[r-2] + i*s[0], o[r-1] + j*s[1]]
//   transposed:     T[..., o[r-2] + j*s[0], o[r-1] + i*s[1]]   (tile = region^T)
// Offsets are expressions, normally affine in loop variables.
struct View {
  std::string tensor;
  std::vector<Expr> offsets;         // one per tensor dim
  int64_t rows = 0, cols = 0;        // static tile shape [H, W]
  int64_t rowStep = 1, colStep = 1;  // element steps along the tensor's row / col dims
  bool transposed = false;
  SourceLoc loc;

  static View make(std::string tensor, std::vector<Expr> offsets, int64_t rows, int64_t cols, SourceLoc loc = {});
  View withSteps(int64_t rowStep, int64_t colStep) const;
  View transpose() const;  // flips `transposed`
  // Number of tensor elements spanned along tensor dim d (1 for leading dims):
  // the inclusive index range is [offset, offset + span - 1].
  int64_t span(size_t d) const;
  std::string shapeStr() const;  // "16x128" (+ " transposed")
};
// Structural, ignoring SourceLoc.
bool operator==(const View& a, const View& b);

}  // namespace pto::wsp::ir
