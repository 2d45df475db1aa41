// Global tensor declarations of a module: shape, dtype, role and layout.
#pragma once

#include "pto/wsp/ir/DType.h"
#include "pto/wsp/ir/Expr.h"
#include "pto/wsp/support/Diagnostic.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pto::wsp::ir {

// How the program uses a tensor: read only, written, both, or scratch between tasks.
enum class TensorRole : uint8_t { Input, Output, InOut, Temp };
std::string_view tensorRoleName(TensorRole r);  // "input", "output", "inout", "temp"
std::optional<TensorRole> parseTensorRole(std::string_view s);

// Distribution facet of one tensor dim: replicated (R) or sharded over a mesh axis (S(ax)).
struct DimDist {
  enum class Kind : uint8_t { Replicated, Sharded };
  Kind kind = Kind::Replicated;
  std::string meshAxis;  // only for Sharded
  static DimDist R() { return {}; }
  static DimDist S(std::string axis) { return {Kind::Sharded, std::move(axis)}; }
  std::string str() const;  // "R" or "S(x)"
  friend bool operator==(const DimDist&, const DimDist&) = default;
};

// A named global tensor. shape[d] is an integer constant or an expression over symbols
// (dynamic size). Value type; immutable by convention once in a Module.
struct Tensor {
  std::string name;
  std::vector<Expr> shape;  // outermost first; rank = shape.size() >= 1
  DType dtype = DType::F32;
  TensorRole role = TensorRole::Input;
  std::vector<DimDist> dist;     // empty = every dim R; else one per dim
  std::vector<int64_t> strides;  // element strides per dim; empty = row-major contiguous
  std::vector<int> dimOrder;     // memory order of dims, outermost first; empty = 0..rank-1
  SourceLoc loc;

  static Tensor make(std::string name, std::vector<Expr> shape, DType dtype, TensorRole role, SourceLoc loc = {});
  size_t rank() const { return shape.size(); }
  // The shape as integers with symbols resolved from env; nullopt if a dim is unknown.
  std::optional<std::vector<int64_t>> staticShape(const Env& env = {}) const;
  // "[64, S] f32" style rendering for diagnostics.
  std::string shapeStr() const;
};
// Structural, ignoring SourceLoc.
bool operator==(const Tensor& a, const Tensor& b);

}  // namespace pto::wsp::ir
