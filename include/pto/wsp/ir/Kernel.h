// Kernel IR: a kernel is a list of SSA tile ops over tile parameters and scalars.
// Op vocabulary: TileOp.h; shape/dtype rules: inferTileOpTypes() below (also used by the
// verifier and the builder).
#pragma once

#include "pto/wsp/ir/DType.h"
#include "pto/wsp/ir/Expr.h"
#include "pto/wsp/ir/TileOp.h"
#include "pto/wsp/support/Diagnostic.h"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace pto::wsp::ir {

// [rows, cols] tile of dtype.
struct TileType {
  int64_t rows = 0, cols = 0;
  DType dtype = DType::F32;
  std::string str() const;  // "16x128xf32"
  friend bool operator==(const TileType&, const TileType&) = default;
};

enum class ParamDir : uint8_t { In, Out, InOut };
std::string_view paramDirName(ParamDir d);  // "in", "out", "inout"
std::optional<ParamDir> parseParamDir(std::string_view s);

// One kernel parameter: a tile (bound to a View at a call) or a scalar (bound to an Expr).
struct KernelParam {
  enum class Kind : uint8_t { Tile, Scalar };
  std::string name;
  Kind kind = Kind::Tile;
  ParamDir dir = ParamDir::In;    // scalars are always In
  TileType tile;                  // Tile only
  DType scalarType = DType::I64;  // Scalar only
  SourceLoc loc;

  static KernelParam makeTile(std::string name, ParamDir dir, TileType t, SourceLoc loc = {});
  static KernelParam makeScalar(std::string name, DType t, SourceLoc loc = {});
  bool isTile() const { return kind == Kind::Tile; }
  std::string typeStr() const;  // "in tile 16x128xf32" / "scalar f32"
};
bool operator==(const KernelParam& a, const KernelParam& b);  // ignores loc

// A scalar operand of a tile op: a literal/expression, or the name of a scalar param.
struct ScalarOperand {
  Expr value;         // set when not a param reference
  std::string param;  // set when referring to a scalar kernel parameter
  static ScalarOperand of(Expr v) { return {std::move(v), {}}; }
  static ScalarOperand ofParam(std::string p) { return {Expr(), std::move(p)}; }
  bool isParam() const { return !param.empty(); }
  friend bool operator==(const ScalarOperand&, const ScalarOperand&) = default;
};

// One SSA tile op: results = op(operands) {attributes}.
// Operand conventions by op (operands are SSA value names, `param` is a tile param name):
//   load:    param = source (In/InOut); results[0] has the param's tile type
//   store:   param = destination (Out/InOut); operands = [value]; no result
//   binary:  operands = [a, b] (broadcast none/row/col) or [a] + scalar (broadcast scalar)
//   unary, reductions, cast, transpose, sort: operands = [a]
//   matmul:  operands = [a, b] or [a, b, acc]
//   select:  operands = [mask, a, b]
//   fill:    scalar = value; iota: optional scalar = start; no operands
//   topk:    operands = [a]; k; results = [values, indices]
// resultTypes holds the declared type of every result; for cast it is the cast target,
// for fill/iota the produced tile. inferTileOpTypes() computes what it must be.
struct TileInst {
  TileOpKind op = TileOpKind::Add;
  std::vector<std::string> results;
  std::vector<TileType> resultTypes;
  std::vector<std::string> operands;
  std::string param;
  Broadcast broadcast = Broadcast::None;
  std::optional<ScalarOperand> scalar;
  bool descending = false;  // sort / topk
  int64_t k = 0;            // topk
  SourceLoc loc;
};
bool operator==(const TileInst& a, const TileInst& b);  // ignores loc

// A kernel: either a body of tile ops, or an external (escape hatch) kernel whose code is
// a C++ source file and whose cost is a declared cycle expression over scalar params.
struct Kernel {
  std::string name;
  std::vector<KernelParam> params;
  std::vector<TileInst> body;
  bool external = false;
  std::string source;  // external: path of the C++ source file
  Expr cycles;         // external: declared cycles per call (may read scalar params as vars)
  SourceLoc loc;

  static Kernel make(std::string name, std::vector<KernelParam> params, std::vector<TileInst> body, SourceLoc loc = {});
  static Kernel makeExternal(std::string name, std::vector<KernelParam> params, std::string source, Expr cycles,
                             SourceLoc loc = {});
  const KernelParam* findParam(std::string_view n) const;
};
bool operator==(const Kernel& a, const Kernel& b);  // ignores loc

// ---- shape / dtype rules of the tile op set ----
struct OpTypeError {
  std::string message;  // the broken rule with actual values
  std::string help;     // what to do
};
// Result types of `inst` given the types of its operands (same order as inst.operands)
// and of its tile parameter (load/store; nullptr otherwise), or the first broken rule.
// Ignores inst.resultTypes except where they carry the target (cast, fill, iota).
// Thread-safe, pure.
std::variant<std::vector<TileType>, OpTypeError> inferTileOpTypes(const TileInst& inst,
                                                                  std::span<const TileType> operandTypes,
                                                                  const TileType* paramType);

}  // namespace pto::wsp::ir
