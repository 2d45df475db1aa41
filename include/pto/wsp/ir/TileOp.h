// The tile op set of the kernel language: the vocabulary shared by the kernel IR,
// the verifier, the cost model and every code generator. Shape/dtype rules per op
// live in the verifier (docs/kernel-language.md); costs in cost/ (docs/cost-model.md).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace pto::wsp::ir {

// Which execution unit class an op occupies (the cost model maps classes to units).
enum class OpClass : uint8_t {
  Memory,  // load/store between global memory and local tile buffers (MTE / DMA)
  Vector,  // elementwise, unary, reductions, cast, fill, iota, select, transpose, sort
  Matrix,  // matmul on the cube / matrix unit
};

enum class TileOpKind : uint8_t {
  // memory
  Load, Store,
  // binary elementwise (broadcast mode is an attribute, see Broadcast)
  Add, Sub, Mul, Div, Max, Min,
  // unary elementwise
  Exp, Log, Sqrt, Rsqrt, Tanh, Sigmoid, Relu, Gelu, Silu, Neg, Abs, Sin, Cos,
  // reductions: row* produce [H,1], col* produce [1,W]
  RowSum, RowMax, RowMin, RowMean, ColSum, ColMax,
  // matrix: C[M,N] = A[M,K] x B[K,N] (+ optional accumulator), f32 accumulate
  Matmul,
  // misc
  Cast, Fill, Iota, Select, Transpose,
  // stable ascending/descending sort along rows; top-k with indices along rows
  Sort, TopK,
};
inline constexpr int kNumTileOps = static_cast<int>(TileOpKind::TopK) + 1;

// Operand shape relation of a binary elementwise op.
enum class Broadcast : uint8_t {
  None,    // tile (H,W) op tile (H,W)
  Scalar,  // tile (H,W) op scalar
  Row,     // tile (H,W) op tile (H,1): each row's value broadcast along the row
  Col,     // tile (H,W) op tile (1,W): each column's value broadcast down the column
};

struct TileOpInfo {
  TileOpKind kind;
  std::string_view name;  // spelling in .wsp text and diagnostics, e.g. "rowsum"
  OpClass cls;
  uint8_t numTileOperands;  // tile inputs (not counting scalar attributes)
  bool hasResult;           // store has none
};

const TileOpInfo& tileOpInfo(TileOpKind k);
std::optional<TileOpKind> parseTileOp(std::string_view name);
std::span<const TileOpInfo> allTileOps();
std::string_view broadcastName(Broadcast b);  // "none", "scalar", "row", "col"
std::optional<Broadcast> parseBroadcast(std::string_view name);

inline bool isBinaryElementwise(TileOpKind k) {
  return k >= TileOpKind::Add && k <= TileOpKind::Min;
}
inline bool isUnaryElementwise(TileOpKind k) {
  return k >= TileOpKind::Exp && k <= TileOpKind::Cos;
}
inline bool isReduction(TileOpKind k) {
  return k >= TileOpKind::RowSum && k <= TileOpKind::ColMax;
}
inline bool isRowReduction(TileOpKind k) {
  return k >= TileOpKind::RowSum && k <= TileOpKind::RowMean;
}

}  // namespace pto::wsp::ir
