// Iteration domains of loop variables.
#pragma once

#include "pto/wsp/ir/Expr.h"
#include "pto/wsp/support/Diagnostic.h"

#include <cstdint>
#include <string>
#include <string_view>

namespace pto::wsp::ir {

enum class AxisKind : uint8_t {
  Dense,     // 0 .. n-1, n a compile-time constant
  DenseDyn,  // 0 .. n-1, n an expression over symbols / slots read at run time
  Ragged,    // 0 .. lengths[outer]-1: per-outer-index length from a tensor
  Sparse,    // indices[indptr[outer] .. indptr[outer+1]-1]: CSR-selected indices
};
std::string_view axisKindName(AxisKind k);  // "dense", "dense_dyn", "ragged", "sparse"

struct Axis {
  AxisKind kind = AxisKind::Dense;
  Expr extent;          // Dense: IntConst; DenseDyn: any integer expr (usually a symbol)
  std::string outer;    // Ragged / Sparse: the enclosing loop variable indexing the tensors
  std::string lengths;  // Ragged: 1-D integer tensor of lengths
  std::string indptr;   // Sparse: 1-D integer tensor, CSR row pointers
  std::string indices;  // Sparse: 1-D integer tensor, CSR column indices
  SourceLoc loc;

  static Axis dense(int64_t n, SourceLoc loc = {});
  static Axis denseDyn(Expr extent, SourceLoc loc = {});
  static Axis ragged(std::string outer, std::string lengths, SourceLoc loc = {});
  static Axis sparse(std::string outer, std::string indptr, std::string indices, SourceLoc loc = {});
  std::string str() const;  // "dense(4)", "dense_dyn(S)", "ragged(b, lens)", ...
};
// Structural, ignoring SourceLoc.
bool operator==(const Axis& a, const Axis& b);

}  // namespace pto::wsp::ir
