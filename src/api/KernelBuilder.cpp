// The kernel half of the C++ builder (api/Builder.h): tile params, SSA tile ops and the
// operator / free-function spellings of them. Workloads and modules: Builder.cpp.
#include "pto/wsp/api/Builder.h"

#include "BuilderLoc.h"

#include "pto/wsp/support/Assert.h"

#include <fmt/format.h>

namespace pto::wsp {

// ---------------------------------------------------------------- kernels
KernelBuilder::KernelBuilder(std::string name, SourceLoc loc) {
  k_ = ir::Kernel::make(std::move(name), {}, {}, std::move(loc));
}

SourceLoc KernelBuilder::at(SrcLoc sl, std::string_view what) const {
  return detail::builderLoc(sl, fmt::format("kernel '{}' > {}", k_.name, what));
}

// Skips names the user gave (or gave up) so that a fresh value never aliases one.
std::string KernelBuilder::fresh() {
  for (;;) {
    std::string n = fmt::format("t{}", next_++);
    if (!types_.contains(n) && !renamed_.contains(n)) return n;
  }
}

const std::string& KernelBuilder::resolve(const std::string& name) const {
  const std::string* n = &name;
  for (auto it = renamed_.find(*n); it != renamed_.end(); it = renamed_.find(*n)) n = &it->second;
  return *n;
}

void KernelBuilder::rename(const std::string& from, const std::string& to, SrcLoc sl) {
  const std::string cur = resolve(from);
  if (cur == to) return;
  SourceLoc loc = at(sl, fmt::format("name '%{}'", to));
  if (to.empty()) {
    Diagnostic d = makeError(loc, fmt::format("kernel '{}': value '%{}' renamed to an empty name", k_.name, cur));
    d.help("give the value a non-empty name, e.g. .named(\"x\")");
    throw UserError(std::move(d));
  }
  if (types_.contains(to) || renamed_.contains(to)) {
    Diagnostic d = makeError(loc, fmt::format("kernel '{}': value name '%{}' is already taken", k_.name, to));
    d.help("each value of a kernel needs its own name");
    throw UserError(std::move(d));
  }
  auto node = types_.extract(cur);
  PTO_INTERNAL_ASSERT(!node.empty(), "builder value '{}' has no type", cur);
  node.key() = to;
  types_.insert(std::move(node));
  for (ir::TileInst& inst : k_.body) {
    for (std::string& o : inst.operands)
      if (o == cur) o = to;
    for (std::string& r : inst.results)
      if (r == cur) r = to;
  }
  renamed_[cur] = to;
}

Tile& Tile::named(std::string name, SrcLoc sl) {
  kb_->rename(name_, name, sl);
  name_ = std::move(name);
  return *this;
}

TileParam KernelBuilder::param(std::string name, ir::ParamDir d, int64_t rows, int64_t cols, ir::DType t, SrcLoc sl) {
  ir::TileType ty{rows, cols, t};
  k_.params.push_back(ir::KernelParam::makeTile(name, d, ty, at(sl, fmt::format("param '{}'", name))));
  return TileParam{std::move(name), ty, d};
}
TileParam KernelBuilder::in(std::string n, int64_t r, int64_t c, ir::DType t, SrcLoc sl) {
  return param(std::move(n), ir::ParamDir::In, r, c, t, sl);
}
TileParam KernelBuilder::out(std::string n, int64_t r, int64_t c, ir::DType t, SrcLoc sl) {
  return param(std::move(n), ir::ParamDir::Out, r, c, t, sl);
}
TileParam KernelBuilder::inout(std::string n, int64_t r, int64_t c, ir::DType t, SrcLoc sl) {
  return param(std::move(n), ir::ParamDir::InOut, r, c, t, sl);
}
ScalarParam KernelBuilder::scalar(std::string name, ir::DType t, SrcLoc sl) {
  k_.params.push_back(ir::KernelParam::makeScalar(name, t, at(sl, fmt::format("param '{}'", name))));
  return ScalarParam{std::move(name), t};
}

std::vector<Tile> KernelBuilder::emit(ir::TileInst inst, SrcLoc sl) {
  std::string_view opName = ir::tileOpInfo(inst.op).name;
  inst.loc = at(sl, fmt::format("op {} ('{}')", k_.body.size(), opName));
  std::vector<ir::TileType> opTypes;
  for (std::string& o : inst.operands) {
    o = resolve(o);
    auto it = types_.find(o);
    PTO_INTERNAL_ASSERT(it != types_.end(), "builder value '{}' has no type", o);
    opTypes.push_back(it->second);
  }
  const ir::TileType* paramType = nullptr;
  if (!inst.param.empty()) {
    const ir::KernelParam* p = k_.findParam(inst.param);
    PTO_INTERNAL_ASSERT(p && p->isTile(), "builder param '{}' missing", inst.param);
    paramType = &p->tile;
  }
  auto r = ir::inferTileOpTypes(inst, opTypes, paramType);
  if (auto* e = std::get_if<ir::OpTypeError>(&r)) {
    Diagnostic d =
        makeError(inst.loc, fmt::format("kernel '{}' op {} ('{}'): {}", k_.name, k_.body.size(), opName, e->message));
    d.help(e->help);
    throw UserError(std::move(d));
  }
  inst.resultTypes = std::get<std::vector<ir::TileType>>(r);
  std::vector<Tile> out;
  for (size_t i = 0; i < inst.results.size(); ++i) {
    types_[inst.results[i]] = inst.resultTypes[i];
    out.push_back(Tile(this, inst.results[i], inst.resultTypes[i]));
  }
  k_.body.push_back(std::move(inst));
  return out;
}

namespace {
ir::TileInst mk(ir::TileOpKind op, std::vector<std::string> operands, size_t nres, KernelBuilder&) {
  ir::TileInst i;
  i.op = op;
  i.operands = std::move(operands);
  i.results.resize(nres);
  return i;
}
}  // namespace

Tile KernelBuilder::load(const TileParam& p, SrcLoc sl) {
  ir::TileInst i = mk(ir::TileOpKind::Load, {}, 1, *this);
  i.results[0] = fresh();
  i.param = p.name;
  return emit(std::move(i), sl)[0];
}

void KernelBuilder::store(const TileParam& p, const Tile& v, SrcLoc sl) {
  ir::TileInst i = mk(ir::TileOpKind::Store, {v.name()}, 0, *this);
  i.param = p.name;
  emit(std::move(i), sl);
}

Tile KernelBuilder::binary(ir::TileOpKind op, const Tile& a, const Tile& b, ir::Broadcast bc, SrcLoc sl) {
  PTO_INTERNAL_ASSERT(ir::isBinaryElementwise(op), "binary() with op '{}'", ir::tileOpInfo(op).name);
  if (bc == ir::Broadcast::None && (a.type().rows != b.type().rows || a.type().cols != b.type().cols)) {
    if (b.type().cols == 1 && b.type().rows == a.type().rows)
      bc = ir::Broadcast::Row;
    else if (b.type().rows == 1 && b.type().cols == a.type().cols)
      bc = ir::Broadcast::Col;
  }
  ir::TileInst i = mk(op, {a.name(), b.name()}, 1, *this);
  i.results[0] = fresh();
  i.broadcast = bc;
  return emit(std::move(i), sl)[0];
}

Tile KernelBuilder::binary(ir::TileOpKind op, const Tile& a, Scalar s, SrcLoc sl) {
  PTO_INTERNAL_ASSERT(ir::isBinaryElementwise(op), "binary() with op '{}'", ir::tileOpInfo(op).name);
  ir::TileInst i = mk(op, {a.name()}, 1, *this);
  i.results[0] = fresh();
  i.broadcast = ir::Broadcast::Scalar;
  i.scalar = s.op;
  return emit(std::move(i), sl)[0];
}

Tile KernelBuilder::unary(ir::TileOpKind op, const Tile& a, SrcLoc sl) {
  ir::TileInst i = mk(op, {a.name()}, 1, *this);
  i.results[0] = fresh();
  return emit(std::move(i), sl)[0];
}

Tile KernelBuilder::matmul(const Tile& a, const Tile& b, SrcLoc sl) {
  ir::TileInst i = mk(ir::TileOpKind::Matmul, {a.name(), b.name()}, 1, *this);
  i.results[0] = fresh();
  return emit(std::move(i), sl)[0];
}
Tile KernelBuilder::matmul(const Tile& a, const Tile& b, const Tile& acc, SrcLoc sl) {
  ir::TileInst i = mk(ir::TileOpKind::Matmul, {a.name(), b.name(), acc.name()}, 1, *this);
  i.results[0] = fresh();
  return emit(std::move(i), sl)[0];
}
Tile KernelBuilder::cast(const Tile& a, ir::DType to, SrcLoc sl) {
  ir::TileInst i = mk(ir::TileOpKind::Cast, {a.name()}, 1, *this);
  i.results[0] = fresh();
  i.resultTypes = {{a.type().rows, a.type().cols, to}};
  return emit(std::move(i), sl)[0];
}
Tile KernelBuilder::fill(int64_t rows, int64_t cols, ir::DType t, Scalar value, SrcLoc sl) {
  ir::TileInst i = mk(ir::TileOpKind::Fill, {}, 1, *this);
  i.results[0] = fresh();
  i.resultTypes = {{rows, cols, t}};
  i.scalar = value.op;
  return emit(std::move(i), sl)[0];
}
Tile KernelBuilder::iota(int64_t rows, int64_t cols, ir::DType t, SrcLoc sl) {
  ir::TileInst i = mk(ir::TileOpKind::Iota, {}, 1, *this);
  i.results[0] = fresh();
  i.resultTypes = {{rows, cols, t}};
  return emit(std::move(i), sl)[0];
}
Tile KernelBuilder::select(const Tile& mask, const Tile& a, const Tile& b, SrcLoc sl) {
  ir::TileInst i = mk(ir::TileOpKind::Select, {mask.name(), a.name(), b.name()}, 1, *this);
  i.results[0] = fresh();
  return emit(std::move(i), sl)[0];
}
Tile KernelBuilder::transpose(const Tile& a, SrcLoc sl) { return unary(ir::TileOpKind::Transpose, a, sl); }
Tile KernelBuilder::sort(const Tile& a, bool descending, SrcLoc sl) {
  ir::TileInst i = mk(ir::TileOpKind::Sort, {a.name()}, 1, *this);
  i.results[0] = fresh();
  i.descending = descending;
  return emit(std::move(i), sl)[0];
}
std::pair<Tile, Tile> KernelBuilder::topk(const Tile& a, int64_t k, bool descending, SrcLoc sl) {
  ir::TileInst i = mk(ir::TileOpKind::TopK, {a.name()}, 2, *this);
  i.results[0] = fresh();
  i.results[1] = fresh();
  i.k = k;
  i.descending = descending;
  auto r = emit(std::move(i), sl);
  return {r[0], r[1]};
}

namespace {
// Operators carry no call site; they are located at the kernel with the op in context.
const SrcLoc kOperatorLoc = SrcLoc::current();
}  // namespace

Tile operator+(const Tile& a, const Tile& b) {
  return a.builder().binary(ir::TileOpKind::Add, a, b, ir::Broadcast::None, kOperatorLoc);
}
Tile operator-(const Tile& a, const Tile& b) {
  return a.builder().binary(ir::TileOpKind::Sub, a, b, ir::Broadcast::None, kOperatorLoc);
}
Tile operator*(const Tile& a, const Tile& b) {
  return a.builder().binary(ir::TileOpKind::Mul, a, b, ir::Broadcast::None, kOperatorLoc);
}
Tile operator/(const Tile& a, const Tile& b) {
  return a.builder().binary(ir::TileOpKind::Div, a, b, ir::Broadcast::None, kOperatorLoc);
}
Tile operator+(const Tile& a, Scalar s) {
  return a.builder().binary(ir::TileOpKind::Add, a, std::move(s), kOperatorLoc);
}
Tile operator-(const Tile& a, Scalar s) {
  return a.builder().binary(ir::TileOpKind::Sub, a, std::move(s), kOperatorLoc);
}
Tile operator*(const Tile& a, Scalar s) {
  return a.builder().binary(ir::TileOpKind::Mul, a, std::move(s), kOperatorLoc);
}
Tile operator/(const Tile& a, Scalar s) {
  return a.builder().binary(ir::TileOpKind::Div, a, std::move(s), kOperatorLoc);
}
Tile operator-(const Tile& a) { return a.builder().unary(ir::TileOpKind::Neg, a, kOperatorLoc); }
Tile max(const Tile& a, const Tile& b, SrcLoc sl) {
  return a.builder().binary(ir::TileOpKind::Max, a, b, ir::Broadcast::None, sl);
}
Tile min(const Tile& a, const Tile& b, SrcLoc sl) {
  return a.builder().binary(ir::TileOpKind::Min, a, b, ir::Broadcast::None, sl);
}

#define PTO_WSP_UNARY(fn, kind) \
  Tile fn(const Tile& a, SrcLoc sl) { return a.builder().unary(ir::TileOpKind::kind, a, sl); }
PTO_WSP_UNARY(exp, Exp)
PTO_WSP_UNARY(log, Log)
PTO_WSP_UNARY(sqrt, Sqrt)
PTO_WSP_UNARY(rsqrt, Rsqrt)
PTO_WSP_UNARY(tanh, Tanh)
PTO_WSP_UNARY(sigmoid, Sigmoid)
PTO_WSP_UNARY(relu, Relu)
PTO_WSP_UNARY(gelu, Gelu)
PTO_WSP_UNARY(silu, Silu)
PTO_WSP_UNARY(abs, Abs)
PTO_WSP_UNARY(sin, Sin)
PTO_WSP_UNARY(cos, Cos)
PTO_WSP_UNARY(rowsum, RowSum)
PTO_WSP_UNARY(rowmax, RowMax)
PTO_WSP_UNARY(rowmin, RowMin)
PTO_WSP_UNARY(rowmean, RowMean)
PTO_WSP_UNARY(colsum, ColSum)
PTO_WSP_UNARY(colmax, ColMax)
#undef PTO_WSP_UNARY

}  // namespace pto::wsp
