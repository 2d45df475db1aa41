#include "pto/wsp/ir/TileOp.h"

#include <array>

namespace pto::wsp::ir {

namespace {
using K = TileOpKind;
using C = OpClass;
constexpr std::array<TileOpInfo, kNumTileOps> kOps{{
    {K::Load, "load", C::Memory, 0, true},
    {K::Store, "store", C::Memory, 1, false},
    {K::Add, "add", C::Vector, 2, true},
    {K::Sub, "sub", C::Vector, 2, true},
    {K::Mul, "mul", C::Vector, 2, true},
    {K::Div, "div", C::Vector, 2, true},
    {K::Max, "max", C::Vector, 2, true},
    {K::Min, "min", C::Vector, 2, true},
    {K::Exp, "exp", C::Vector, 1, true},
    {K::Log, "log", C::Vector, 1, true},
    {K::Sqrt, "sqrt", C::Vector, 1, true},
    {K::Rsqrt, "rsqrt", C::Vector, 1, true},
    {K::Tanh, "tanh", C::Vector, 1, true},
    {K::Sigmoid, "sigmoid", C::Vector, 1, true},
    {K::Relu, "relu", C::Vector, 1, true},
    {K::Gelu, "gelu", C::Vector, 1, true},
    {K::Silu, "silu", C::Vector, 1, true},
    {K::Neg, "neg", C::Vector, 1, true},
    {K::Abs, "abs", C::Vector, 1, true},
    {K::Sin, "sin", C::Vector, 1, true},
    {K::Cos, "cos", C::Vector, 1, true},
    {K::RowSum, "rowsum", C::Vector, 1, true},
    {K::RowMax, "rowmax", C::Vector, 1, true},
    {K::RowMin, "rowmin", C::Vector, 1, true},
    {K::RowMean, "rowmean", C::Vector, 1, true},
    {K::ColSum, "colsum", C::Vector, 1, true},
    {K::ColMax, "colmax", C::Vector, 1, true},
    {K::Matmul, "matmul", C::Matrix, 2, true},  // + optional accumulator operand
    {K::Cast, "cast", C::Vector, 1, true},
    {K::Fill, "fill", C::Vector, 0, true},
    {K::Iota, "iota", C::Vector, 0, true},
    {K::Select, "select", C::Vector, 3, true},  // mask, a, b
    {K::Transpose, "transpose", C::Vector, 1, true},
    {K::Sort, "sort", C::Vector, 1, true},
    {K::TopK, "topk", C::Vector, 1, true},  // results: values and indices
}};
}  // namespace

const TileOpInfo& tileOpInfo(TileOpKind k) { return kOps[static_cast<size_t>(k)]; }

std::optional<TileOpKind> parseTileOp(std::string_view name) {
  for (const TileOpInfo& i : kOps)
    if (i.name == name) return i.kind;
  return std::nullopt;
}

std::span<const TileOpInfo> allTileOps() { return kOps; }

std::string_view broadcastName(Broadcast b) {
  switch (b) {
    case Broadcast::None: return "none";
    case Broadcast::Scalar: return "scalar";
    case Broadcast::Row: return "row";
    case Broadcast::Col: return "col";
  }
  return "none";
}

std::optional<Broadcast> parseBroadcast(std::string_view name) {
  for (Broadcast b : {Broadcast::None, Broadcast::Scalar, Broadcast::Row, Broadcast::Col})
    if (broadcastName(b) == name) return b;
  return std::nullopt;
}

}  // namespace pto::wsp::ir
