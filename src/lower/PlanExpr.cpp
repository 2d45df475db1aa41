// ir::Expr -> abi::Bytecode, and scalar kernel arguments in the kernel ABI encoding.
#include "PlanLoweringImpl.h"

#include "pto/wsp/support/Assert.h"
#include "pto/wsp/support/Diagnostic.h"

#include <fmt/format.h>

namespace pto::wsp::lower::detail {

namespace {
abi::BytecodeOp binOp(ir::BinOp op) {
  switch (op) {
    case ir::BinOp::Add: return abi::BytecodeOp::Add;
    case ir::BinOp::Sub: return abi::BytecodeOp::Sub;
    case ir::BinOp::Mul: return abi::BytecodeOp::Mul;
    case ir::BinOp::Div: return abi::BytecodeOp::Div;
    case ir::BinOp::Mod: return abi::BytecodeOp::Mod;
    case ir::BinOp::Min: return abi::BytecodeOp::Min;
    case ir::BinOp::Max: return abi::BytecodeOp::Max;
    case ir::BinOp::Eq: return abi::BytecodeOp::Eq;
    case ir::BinOp::Ne: return abi::BytecodeOp::Ne;
    case ir::BinOp::Lt: return abi::BytecodeOp::Lt;
    case ir::BinOp::Le: return abi::BytecodeOp::Le;
    case ir::BinOp::Gt: return abi::BytecodeOp::Gt;
    case ir::BinOp::Ge: return abi::BytecodeOp::Ge;
    case ir::BinOp::And: return abi::BytecodeOp::And;
    case ir::BinOp::Or: return abi::BytecodeOp::Or;
  }
  PTO_UNREACHABLE("binary op {}", static_cast<int>(op));
}

bool hasFloat(const ir::Expr& e) {
  if (!e.defined()) return false;
  switch (e.kind()) {
    case ir::ExprKind::FloatConst: return true;
    case ir::ExprKind::Binary: {
      const auto* b = e.as<ir::BinaryExpr>();
      return hasFloat(b->a) || hasFloat(b->b);
    }
    case ir::ExprKind::Unary: return hasFloat(e.as<ir::UnaryExpr>()->a);
    case ir::ExprKind::Select: {
      const auto* s = e.as<ir::SelectExpr>();
      return hasFloat(s->cond) || hasFloat(s->a) || hasFloat(s->b);
    }
    default: return false;
  }
}

struct Converter {
  PlanLowerer& L;
  std::string_view what;
  bool symbolsOnly;

  abi::Bytecode go(const ir::Expr& e) {
    PTO_INTERNAL_ASSERT(e.defined(), "undefined expression in {}", what);
    switch (e.kind()) {
      case ir::ExprKind::IntConst: return abi::Bytecode::constant(e.as<ir::IntConst>()->value);
      case ir::ExprKind::BoolConst: return abi::Bytecode::constant(e.as<ir::BoolConst>()->value ? 1 : 0);
      case ir::ExprKind::FloatConst:
        throw UserError(makeError(e.loc(), fmt::format("float value {} in the integer expression of {}",
                                                       e.as<ir::FloatConst>()->value, what))
                            .help("loop bounds, offsets, predicates and keys are integer expressions"));
      case ir::ExprKind::Symbol: {
        const auto& n = e.as<ir::NameRef>()->name;
        auto it = L.symbolIdx.find(n);
        PTO_INTERNAL_ASSERT(it != L.symbolIdx.end(), "unknown symbol '{}' in a verified module", n);
        return abi::Bytecode::sym(it->second);
      }
      case ir::ExprKind::Slot: {
        const auto& n = e.as<ir::NameRef>()->name;
        if (symbolsOnly)
          throw UserError(makeError(e.loc(), fmt::format("{} reads slot ${}", what, n))
                              .help("tensor sizes may read symbols only (they are fixed for a run)"));
        auto it = L.slotIdx.find(n);
        PTO_INTERNAL_ASSERT(it != L.slotIdx.end(), "unknown slot '{}' in a verified module", n);
        return abi::Bytecode::slot(it->second);
      }
      case ir::ExprKind::Var: {
        const auto& n = e.as<ir::NameRef>()->name;
        const uint32_t* b = symbolsOnly ? nullptr : L.lookupVar(n);
        if (!b)
          throw UserError(makeError(e.loc(), fmt::format("{} reads variable '{}', which is not bound here", what, n))
                              .help("only loop and consume variables enclosing this point can be read"));
        return abi::Bytecode::var(*b);
      }
      case ir::ExprKind::Binary: {
        const auto* b = e.as<ir::BinaryExpr>();
        return abi::Bytecode::binary(binOp(b->op), go(b->a), go(b->b));
      }
      case ir::ExprKind::Unary: {
        const auto* u = e.as<ir::UnaryExpr>();
        return abi::Bytecode::unary(u->op == ir::UnOp::Not ? abi::BytecodeOp::Not : abi::BytecodeOp::Neg, go(u->a));
      }
      case ir::ExprKind::Select: {
        const auto* s = e.as<ir::SelectExpr>();
        return abi::Bytecode::select(go(s->cond), go(s->a), go(s->b));
      }
    }
    PTO_UNREACHABLE("expression kind {}", static_cast<int>(e.kind()));
  }
};
}  // namespace

abi::Bytecode PlanLowerer::expr(const ir::Expr& e, std::string_view what) {
  return Converter{*this, what, false}.go(ir::simplify(e));
}

abi::Bytecode PlanLowerer::symbolExpr(const ir::Expr& e, std::string_view what) {
  return Converter{*this, what, true}.go(ir::simplify(e));
}

uint32_t PlanLowerer::bindVar(const std::string& name) {
  uint32_t b = numVars++;
  vars.emplace_back(name, b);
  return b;
}

const uint32_t* PlanLowerer::lookupVar(std::string_view name) const {
  for (auto it = vars.rbegin(); it != vars.rend(); ++it)
    if (it->first == name) return &it->second;
  return nullptr;
}

// abi/KernelAbi.h: integers as their int64 value (sign-extended), bool 0/1, floats as
// the bit pattern of their format in the low bits. Constant floats fold here; a
// non-constant float argument must be an integer expression, converted at run time.
abi::Bytecode PlanLowerer::scalarArg(const ir::Expr& e, ir::DType t, const SourceLoc& loc, std::string_view what) {
  if (!ir::isFloat(t)) {
    abi::Bytecode v = expr(e, what);
    return t == ir::DType::Bool ? abi::Bytecode::binary(abi::BytecodeOp::Ne, v, abi::Bytecode::constant(0)) : v;
  }
  const auto fmtOf = [&] {
    switch (t) {
      case ir::DType::F16: return abi::FloatFormat::F16;
      case ir::DType::BF16: return abi::FloatFormat::BF16;
      case ir::DType::F32: return abi::FloatFormat::F32;
      default: return abi::FloatFormat::F64;
    }
  }();
  const bool constant = ir::freeNames(e, ir::ExprKind::Symbol).empty() && ir::freeNames(e, ir::ExprKind::Slot).empty() &&
                        ir::freeNames(e, ir::ExprKind::Var).empty();
  if (constant) {
    double v = ir::evalExprF(e, {});
    return abi::Bytecode::constant(static_cast<int64_t>(abi::floatBits(v, fmtOf)));
  }
  if (hasFloat(e))
    throw UserError(makeError(loc, fmt::format("{} mixes float literals with run-time values ({})", what,
                                               ir::toString(e)))
                        .help("a non-constant float argument must be an integer expression (converted at run "
                              "time) or a constant"));
  auto op = static_cast<abi::BytecodeOp>(static_cast<uint8_t>(abi::BytecodeOp::CvtF16) + static_cast<uint8_t>(fmtOf));
  return abi::Bytecode::unary(op, expr(e, what));
}

}  // namespace pto::wsp::lower::detail
