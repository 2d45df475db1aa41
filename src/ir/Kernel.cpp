#include "pto/wsp/ir/Kernel.h"

#include "pto/wsp/support/Assert.h"

#include <fmt/format.h>

namespace pto::wsp::ir {

std::string TileType::str() const { return fmt::format("{}x{}x{}", rows, cols, dtypeName(dtype)); }

std::string_view paramDirName(ParamDir d) {
  switch (d) {
    case ParamDir::In:
      return "in";
    case ParamDir::Out:
      return "out";
    case ParamDir::InOut:
      return "inout";
  }
  return "in";
}

std::optional<ParamDir> parseParamDir(std::string_view s) {
  for (ParamDir d : {ParamDir::In, ParamDir::Out, ParamDir::InOut})
    if (paramDirName(d) == s) return d;
  return std::nullopt;
}

KernelParam KernelParam::makeTile(std::string name, ParamDir dir, TileType t, SourceLoc loc) {
  PTO_INTERNAL_ASSERT(!name.empty(), "kernel param with empty name");
  KernelParam p;
  p.name = std::move(name);
  p.kind = Kind::Tile;
  p.dir = dir;
  p.tile = t;
  p.loc = std::move(loc);
  return p;
}

KernelParam KernelParam::makeScalar(std::string name, DType t, SourceLoc loc) {
  PTO_INTERNAL_ASSERT(!name.empty(), "kernel param with empty name");
  KernelParam p;
  p.name = std::move(name);
  p.kind = Kind::Scalar;
  p.dir = ParamDir::In;
  p.scalarType = t;
  p.loc = std::move(loc);
  return p;
}

std::string KernelParam::typeStr() const {
  if (kind == Kind::Scalar) return fmt::format("scalar {}", dtypeName(scalarType));
  return fmt::format("{} tile {}", paramDirName(dir), tile.str());
}

bool operator==(const KernelParam& a, const KernelParam& b) {
  if (a.name != b.name || a.kind != b.kind) return false;
  if (a.kind == KernelParam::Kind::Scalar) return a.scalarType == b.scalarType;
  return a.dir == b.dir && a.tile == b.tile;
}

bool operator==(const TileInst& a, const TileInst& b) {
  return a.op == b.op && a.results == b.results && a.resultTypes == b.resultTypes && a.operands == b.operands &&
         a.param == b.param && a.broadcast == b.broadcast && a.scalar == b.scalar && a.descending == b.descending &&
         a.k == b.k;
}

Kernel Kernel::make(std::string name, std::vector<KernelParam> params, std::vector<TileInst> body, SourceLoc loc) {
  PTO_INTERNAL_ASSERT(!name.empty(), "kernel with empty name");
  Kernel k;
  k.name = std::move(name);
  k.params = std::move(params);
  k.body = std::move(body);
  k.loc = std::move(loc);
  return k;
}

Kernel Kernel::makeExternal(std::string name, std::vector<KernelParam> params, std::string source, Expr cycles,
                            SourceLoc loc) {
  Kernel k = make(std::move(name), std::move(params), {}, std::move(loc));
  k.external = true;
  k.source = std::move(source);
  k.cycles = std::move(cycles);
  return k;
}

const KernelParam* Kernel::findParam(std::string_view n) const {
  for (const KernelParam& p : params)
    if (p.name == n) return &p;
  return nullptr;
}

bool operator==(const Kernel& a, const Kernel& b) {
  return a.name == b.name && a.params == b.params && a.body == b.body && a.external == b.external &&
         a.source == b.source && a.cycles == b.cycles;
}

// ---- type rules ----
namespace {
using Result = std::variant<std::vector<TileType>, OpTypeError>;

OpTypeError err(std::string msg, std::string help) { return {std::move(msg), std::move(help)}; }

bool isTranscendental(TileOpKind k) {
  switch (k) {
    case TileOpKind::Exp:
    case TileOpKind::Log:
    case TileOpKind::Sqrt:
    case TileOpKind::Rsqrt:
    case TileOpKind::Tanh:
    case TileOpKind::Sigmoid:
    case TileOpKind::Gelu:
    case TileOpKind::Silu:
    case TileOpKind::Sin:
    case TileOpKind::Cos:
      return true;
    default:
      return false;
  }
}

std::string shape(const TileType& t) { return fmt::format("{}x{}", t.rows, t.cols); }
}  // namespace

Result inferTileOpTypes(const TileInst& inst, std::span<const TileType> ops, const TileType* param) {
  const TileOpInfo& info = tileOpInfo(inst.op);
  std::string_view name = info.name;
  const TileOpKind k = inst.op;

  // Operand count.
  size_t want = info.numTileOperands, got = ops.size();
  bool countOk = got == want;
  if (isBinaryElementwise(k) && inst.broadcast == Broadcast::Scalar) countOk = got == 1;
  if (k == TileOpKind::Matmul) countOk = got == 2 || got == 3;
  if (!countOk) {
    std::string expect = fmt::format("{}", want);
    if (isBinaryElementwise(k) && inst.broadcast == Broadcast::Scalar) expect = "1 (tile) with broadcast scalar";
    if (k == TileOpKind::Matmul) expect = "2 or 3 (a, b[, acc])";
    return err(fmt::format("'{}' takes {} tile operand(s), got {}", name, expect, got),
               fmt::format("pass exactly the operands of '{}'", name));
  }
  if (inst.op == TileOpKind::TopK) {
    if (inst.results.size() != 2)
      return err(fmt::format("'topk' produces 2 results (values, indices), got {}", inst.results.size()),
                 "name two results: the values and the i32 indices");
  } else if (info.hasResult != (inst.results.size() == 1) || inst.results.size() > 1) {
    return err(fmt::format("'{}' produces {} result(s), got {}", name, info.hasResult ? 1 : 0, inst.results.size()),
               info.hasResult ? "name exactly one SSA result" : "'store' has no result");
  }
  auto declared = [&](size_t i) -> const TileType* {
    return i < inst.resultTypes.size() ? &inst.resultTypes[i] : nullptr;
  };
  for (const TileType& t : ops)
    if (t.rows < 1 || t.cols < 1)
      return err(fmt::format("'{}' operand tile {} has a non-positive dim", name, shape(t)), "tile dims must be >= 1");

  if (k == TileOpKind::Load) {
    PTO_INTERNAL_ASSERT(param, "load without param type");
    return std::vector<TileType>{*param};
  }
  if (k == TileOpKind::Store) {
    PTO_INTERNAL_ASSERT(param, "store without param type");
    if (ops[0] != *param)
      return err(fmt::format("'store' of a {} value into parameter of type {}", ops[0].str(), param->str()),
                 "store a value of exactly the parameter's tile shape and dtype (use cast to convert)");
    return std::vector<TileType>{};
  }
  if (isBinaryElementwise(k)) {
    const TileType& a = ops[0];
    if (a.dtype == DType::Bool)
      return err(fmt::format("'{}' on bool tiles", name), "use select for boolean logic, or cast to a numeric dtype");
    if (inst.broadcast == Broadcast::Scalar) {
      if (!inst.scalar)
        return err(fmt::format("'{}' with broadcast scalar has no scalar operand", name),
                   "give the scalar operand (a literal, expression or scalar param)");
      return std::vector<TileType>{a};
    }
    const TileType& b = ops[1];
    if (a.dtype != b.dtype)
      return err(fmt::format("'{}' dtype mismatch: {} vs {}", name, dtypeName(a.dtype), dtypeName(b.dtype)),
                 "cast one operand so both have the same dtype");
    switch (inst.broadcast) {
      case Broadcast::None:
        if (a.rows != b.rows || a.cols != b.cols)
          return err(fmt::format("'{}' shape mismatch: {} vs {}", name, shape(a), shape(b)),
                     "operands must have equal shapes; use broadcast row ([H,1]) or col ([1,W]) to broadcast");
        break;
      case Broadcast::Row:
        if (b.rows != a.rows || b.cols != 1)
          return err(fmt::format("'{}' broadcast row expects second operand {}x1, got {}", name, a.rows, shape(b)),
                     "a row broadcast operand is a [H,1] tile, e.g. the result of rowsum/rowmax");
        break;
      case Broadcast::Col:
        if (b.cols != a.cols || b.rows != 1)
          return err(fmt::format("'{}' broadcast col expects second operand 1x{}, got {}", name, a.cols, shape(b)),
                     "a column broadcast operand is a [1,W] tile, e.g. the result of colsum/colmax");
        break;
      case Broadcast::Scalar:
        break;
    }
    return std::vector<TileType>{a};
  }
  if (isUnaryElementwise(k)) {
    const TileType& a = ops[0];
    if (isTranscendental(k) && !isFloat(a.dtype))
      return err(fmt::format("'{}' needs a float tile, got {}", name, dtypeName(a.dtype)),
                 "cast the operand to f16, bf16 or f32 first");
    if (a.dtype == DType::Bool) return err(fmt::format("'{}' on a bool tile", name), "cast to a numeric dtype first");
    if (k == TileOpKind::Neg && isUnsignedInt(a.dtype))
      return err(fmt::format("'neg' on unsigned tile {}", dtypeName(a.dtype)), "cast to a signed or float dtype first");
    return std::vector<TileType>{a};
  }
  if (isReduction(k)) {
    const TileType& a = ops[0];
    if (a.dtype == DType::Bool) return err(fmt::format("'{}' on a bool tile", name), "cast to a numeric dtype first");
    if (k == TileOpKind::RowMean && !isFloat(a.dtype))
      return err(fmt::format("'rowmean' needs a float tile, got {}", dtypeName(a.dtype)), "cast to f32 first");
    if (isRowReduction(k)) return std::vector<TileType>{{a.rows, 1, a.dtype}};
    return std::vector<TileType>{{1, a.cols, a.dtype}};
  }
  switch (k) {
    case TileOpKind::Matmul: {
      const TileType &a = ops[0], &b = ops[1];
      auto okIn = [](DType t) { return t == DType::F16 || t == DType::BF16 || t == DType::F32; };
      if (!okIn(a.dtype) || !okIn(b.dtype))
        return err(fmt::format("'matmul' inputs must be f16, bf16 or f32, got {} x {}", dtypeName(a.dtype),
                               dtypeName(b.dtype)),
                   "cast the inputs to f16, bf16 or f32");
      if (a.dtype != b.dtype)
        return err(fmt::format("'matmul' dtype mismatch: {} vs {}", dtypeName(a.dtype), dtypeName(b.dtype)),
                   "cast one input so both have the same dtype");
      if (a.cols != b.rows)
        return err(fmt::format("'matmul' inner dims differ: [{},{}] x [{},{}] (K {} != {})", a.rows, a.cols, b.rows,
                               b.cols, a.cols, b.rows),
                   "matmul takes [M,K] x [K,N]; transpose or re-tile an operand");
      TileType c{a.rows, b.cols, DType::F32};
      if (ops.size() == 3 && ops[2] != c)
        return err(fmt::format("'matmul' accumulator must be {}, got {}", c.str(), ops[2].str()),
                   "the accumulator is the [M,N] f32 result of a previous matmul (or a loaded f32 tile)");
      return std::vector<TileType>{c};
    }
    case TileOpKind::Cast: {
      const TileType* d = declared(0);
      if (!d) return err("'cast' has no target dtype", "declare the result type, e.g. 16x128xf16");
      return std::vector<TileType>{{ops[0].rows, ops[0].cols, d->dtype}};
    }
    case TileOpKind::Fill:
    case TileOpKind::Iota: {
      const TileType* d = declared(0);
      if (!d) return err(fmt::format("'{}' has no result type", name), "declare the result tile type, e.g. 16x128xf32");
      if (d->rows < 1 || d->cols < 1)
        return err(fmt::format("'{}' result {} has a non-positive dim", name, shape(*d)), "tile dims must be >= 1");
      if (k == TileOpKind::Fill && !inst.scalar)
        return err("'fill' has no value", "give the fill value as the scalar operand");
      if (k == TileOpKind::Iota && d->dtype == DType::Bool)
        return err("'iota' of bool", "iota produces integer or float tiles");
      return std::vector<TileType>{*d};
    }
    case TileOpKind::Select: {
      const TileType &m = ops[0], &a = ops[1], &b = ops[2];
      if (m.dtype != DType::Bool)
        return err(fmt::format("'select' mask must be bool, got {}", dtypeName(m.dtype)),
                   "produce the mask with a comparison or cast it to bool");
      if (a.dtype != b.dtype)
        return err(fmt::format("'select' dtype mismatch: {} vs {}", dtypeName(a.dtype), dtypeName(b.dtype)),
                   "cast one branch so both have the same dtype");
      if (shape(m) != shape(a) || shape(a) != shape(b))
        return err(fmt::format("'select' shape mismatch: mask {}, a {}, b {}", shape(m), shape(a), shape(b)),
                   "mask and both branches must have the same shape");
      return std::vector<TileType>{a};
    }
    case TileOpKind::Transpose:
      return std::vector<TileType>{{ops[0].cols, ops[0].rows, ops[0].dtype}};
    case TileOpKind::Sort:
      if (ops[0].dtype == DType::Bool) return err("'sort' of a bool tile", "cast to a numeric dtype first");
      return std::vector<TileType>{ops[0]};
    case TileOpKind::TopK: {
      const TileType& a = ops[0];
      if (inst.k < 1 || inst.k > a.cols)
        return err(
            fmt::format("'topk' k = {} out of range for a row of {} elements (1 <= k <= {})", inst.k, a.cols, a.cols),
            "choose k between 1 and the tile width");
      if (a.dtype == DType::Bool) return err("'topk' of a bool tile", "cast to a numeric dtype first");
      return std::vector<TileType>{{a.rows, inst.k, a.dtype}, {a.rows, inst.k, DType::I32}};
    }
    default:
      break;
  }
  PTO_UNREACHABLE("no type rule for tile op '{}'", name);
}

}  // namespace pto::wsp::ir
