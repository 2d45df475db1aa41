// Affine analysis of ScalarExprs: affine forms, interval bounds over loop-variable
// ranges (the verifier's out-of-bounds check) and free-name collection.
#include "pto/wsp/ir/Expr.h"

#include "pto/wsp/support/Assert.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

namespace pto::wsp::ir {

// ---- affine analysis ----
namespace {
// Checked 64-bit arithmetic: analysis gives up (nullopt) instead of overflowing, so
// hostile constants never cause undefined behaviour or a wrong bound.
bool mulTo(int64_t a, int64_t b, int64_t& out) { return !__builtin_mul_overflow(a, b, &out); }
bool addTo(int64_t& acc, int64_t v) { return !__builtin_add_overflow(acc, v, &acc); }

// into += k * f; false on overflow.
[[nodiscard]] bool addScaled(AffineForm& into, const AffineForm& f, int64_t k) {
  int64_t t = 0;
  if (!mulTo(k, f.constant, t) || !addTo(into.constant, t)) return false;
  for (const auto& [v, c] : f.coeffs) {
    int64_t& slot = into.coeffs[v];
    if (!mulTo(k, c, t) || !addTo(slot, t)) return false;
    if (slot == 0) into.coeffs.erase(v);
  }
  return true;
}
}  // namespace

std::optional<AffineForm> affineForm(const Expr& e, const Env& env) {
  if (!e.defined()) return std::nullopt;
  switch (e.kind()) {
    case ExprKind::IntConst:
      return AffineForm{e.as<IntConst>()->value, {}};
    case ExprKind::Var:
      return AffineForm{0, {{e.as<NameRef>()->name, 1}}};
    case ExprKind::Symbol:
    case ExprKind::Slot: {
      const auto& table = e.kind() == ExprKind::Symbol ? env.symbols : env.slots;
      auto it = table.find(e.as<NameRef>()->name);
      if (it == table.end()) return std::nullopt;
      return AffineForm{it->second, {}};
    }
    case ExprKind::Unary: {
      const auto* u = e.as<UnaryExpr>();
      if (u->op != UnOp::Neg) return std::nullopt;
      auto a = affineForm(u->a, env);
      if (!a) return std::nullopt;
      AffineForm r;
      if (!addScaled(r, *a, -1)) return std::nullopt;
      return r;
    }
    case ExprKind::Binary: {
      const auto* b = e.as<BinaryExpr>();
      auto x = affineForm(b->a, env);
      auto y = affineForm(b->b, env);
      if (!x || !y) return std::nullopt;
      AffineForm r;
      switch (b->op) {
        case BinOp::Add:
          if (!addScaled(r, *x, 1) || !addScaled(r, *y, 1)) return std::nullopt;
          return r;
        case BinOp::Sub:
          if (!addScaled(r, *x, 1) || !addScaled(r, *y, -1)) return std::nullopt;
          return r;
        case BinOp::Mul:
          if (x->coeffs.empty()) {
            if (!addScaled(r, *y, x->constant)) return std::nullopt;
            return r;
          }
          if (y->coeffs.empty()) {
            if (!addScaled(r, *x, y->constant)) return std::nullopt;
            return r;
          }
          return std::nullopt;
        case BinOp::Div:
        case BinOp::Mod:
        case BinOp::Min:
        case BinOp::Max:
          if (x->coeffs.empty() && y->coeffs.empty()) {
            if ((b->op == BinOp::Div || b->op == BinOp::Mod) && y->constant == 0) return std::nullopt;
            // Both sides are constants: fold with the evaluator's exact integer rules.
            return AffineForm{evalExpr(BinaryExpr::make(b->op, intConst(x->constant, e.loc()),
                                                        intConst(y->constant, e.loc()), e.loc()),
                                       Env{}),
                              {}};
          }
          return std::nullopt;
        default:
          return std::nullopt;
      }
    }
    default:
      return std::nullopt;
  }
}

namespace {
std::optional<Interval> intervalOf(const Expr& e, const VarRanges& ranges, const Env& env) {
  if (auto a = affineForm(e, env)) {
    Interval r{a->constant, a->constant};
    for (const auto& [v, c] : a->coeffs) {
      auto it = ranges.find(v);
      if (it == ranges.end()) {
        auto ev = env.vars.find(v);
        if (ev == env.vars.end()) return std::nullopt;
        int64_t t = 0;
        if (!mulTo(c, ev->second, t) || !addTo(r.lo, t) || !addTo(r.hi, t)) return std::nullopt;
        continue;
      }
      int64_t lo = 0, hi = 0;
      if (!mulTo(c, c > 0 ? it->second.lo : it->second.hi, lo) || !mulTo(c, c > 0 ? it->second.hi : it->second.lo, hi) ||
          !addTo(r.lo, lo) || !addTo(r.hi, hi))
        return std::nullopt;
    }
    return r;
  }
  const auto* b = e.as<BinaryExpr>();
  if (b) {
    auto x = intervalOf(b->a, ranges, env), y = intervalOf(b->b, ranges, env);
    if (!x || !y) return std::nullopt;
    switch (b->op) {
      case BinOp::Min:
        return Interval{std::min(x->lo, y->lo), std::min(x->hi, y->hi)};
      case BinOp::Max:
        return Interval{std::max(x->lo, y->lo), std::max(x->hi, y->hi)};
      case BinOp::Mul: {
        int64_t c[4];
        if (!mulTo(x->lo, y->lo, c[0]) || !mulTo(x->lo, y->hi, c[1]) || !mulTo(x->hi, y->lo, c[2]) ||
            !mulTo(x->hi, y->hi, c[3]))
          return std::nullopt;
        return Interval{*std::min_element(c, c + 4), *std::max_element(c, c + 4)};
      }
      case BinOp::Div:
        if (y->lo > 0) {
          int64_t c[4] = {x->lo / y->lo, x->lo / y->hi, x->hi / y->lo, x->hi / y->hi};
          return Interval{*std::min_element(c, c + 4), *std::max_element(c, c + 4)};
        }
        return std::nullopt;
      case BinOp::Mod:
        if (y->lo > 0 && x->lo >= 0) return Interval{0, std::min(x->hi, y->hi - 1)};
        return std::nullopt;
      case BinOp::Add: {
        Interval r{x->lo, x->hi};
        if (!addTo(r.lo, y->lo) || !addTo(r.hi, y->hi)) return std::nullopt;
        return r;
      }
      case BinOp::Sub: {
        Interval r;
        if (__builtin_sub_overflow(x->lo, y->hi, &r.lo) || __builtin_sub_overflow(x->hi, y->lo, &r.hi))
          return std::nullopt;
        return r;
      }
      default:
        return Interval{0, 1};  // comparisons / logic
    }
  }
  if (const auto* s = e.as<SelectExpr>()) {
    auto x = intervalOf(s->a, ranges, env), y = intervalOf(s->b, ranges, env);
    if (!x || !y) return std::nullopt;
    return Interval{std::min(x->lo, y->lo), std::max(x->hi, y->hi)};
  }
  if (const auto* u = e.as<UnaryExpr>(); u && u->op == UnOp::Not) return Interval{0, 1};
  if (e.defined() && e.kind() == ExprKind::BoolConst) return Interval{0, 1};
  return std::nullopt;
}
}  // namespace

std::optional<Interval> exprBounds(const Expr& e, const VarRanges& ranges, const Env& env) {
  return intervalOf(e, ranges, env);
}

namespace {
void collect(const Expr& e, ExprKind kind, std::set<std::string>& out) {
  if (!e.defined()) return;
  switch (e.kind()) {
    case ExprKind::Symbol:
    case ExprKind::Slot:
    case ExprKind::Var:
      if (e.kind() == kind) out.insert(e.as<NameRef>()->name);
      return;
    case ExprKind::Binary:
      collect(e.as<BinaryExpr>()->a, kind, out);
      collect(e.as<BinaryExpr>()->b, kind, out);
      return;
    case ExprKind::Unary:
      collect(e.as<UnaryExpr>()->a, kind, out);
      return;
    case ExprKind::Select:
      collect(e.as<SelectExpr>()->cond, kind, out);
      collect(e.as<SelectExpr>()->a, kind, out);
      collect(e.as<SelectExpr>()->b, kind, out);
      return;
    default:
      return;
  }
}
}  // namespace

std::set<std::string> freeNames(const Expr& e, ExprKind kind) {
  std::set<std::string> out;
  collect(e, kind, out);
  return out;
}

}  // namespace pto::wsp::ir
