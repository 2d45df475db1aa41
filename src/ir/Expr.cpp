#include "pto/wsp/ir/Expr.h"

#include "pto/wsp/support/Assert.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace pto::wsp::ir {

std::string_view binOpName(BinOp op) {
  switch (op) {
    case BinOp::Add:
      return "+";
    case BinOp::Sub:
      return "-";
    case BinOp::Mul:
      return "*";
    case BinOp::Div:
      return "/";
    case BinOp::Mod:
      return "%";
    case BinOp::Min:
      return "min";
    case BinOp::Max:
      return "max";
    case BinOp::Eq:
      return "==";
    case BinOp::Ne:
      return "!=";
    case BinOp::Lt:
      return "<";
    case BinOp::Le:
      return "<=";
    case BinOp::Gt:
      return ">";
    case BinOp::Ge:
      return ">=";
    case BinOp::And:
      return "and";
    case BinOp::Or:
      return "or";
  }
  PTO_UNREACHABLE("bad BinOp {}", static_cast<int>(op));
}

std::string_view unOpName(UnOp op) { return op == UnOp::Not ? "not" : "-"; }

bool isComparison(BinOp op) { return op >= BinOp::Eq && op <= BinOp::Ge; }
bool isLogical(BinOp op) { return op == BinOp::And || op == BinOp::Or; }

// ---- handle ----
Expr::Expr(double v) : Expr(FloatConst::make(v)) {}
Expr Expr::fromInt(int64_t v) { return IntConst::make(v); }
ExprKind Expr::kind() const {
  PTO_INTERNAL_ASSERT(node_, "kind() of an undefined Expr");
  return node_->kind;
}
const SourceLoc& Expr::loc() const {
  static const SourceLoc kNone;
  return node_ ? node_->loc : kNone;
}

bool operator==(const Expr& x, const Expr& y) {
  if (x.get() == y.get()) return true;
  if (!x.defined() || !y.defined() || x->kind != y->kind) return false;
  switch (x->kind) {
    case ExprKind::IntConst:
      return x.as<IntConst>()->value == y.as<IntConst>()->value;
    case ExprKind::FloatConst: {
      double a = x.as<FloatConst>()->value, b = y.as<FloatConst>()->value;
      return a == b || (std::isnan(a) && std::isnan(b));
    }
    case ExprKind::BoolConst:
      return x.as<BoolConst>()->value == y.as<BoolConst>()->value;
    case ExprKind::Symbol:
    case ExprKind::Slot:
    case ExprKind::Var:
      return x.as<NameRef>()->name == y.as<NameRef>()->name;
    case ExprKind::Binary: {
      auto *a = x.as<BinaryExpr>(), *b = y.as<BinaryExpr>();
      return a->op == b->op && a->a == b->a && a->b == b->b;
    }
    case ExprKind::Unary: {
      auto *a = x.as<UnaryExpr>(), *b = y.as<UnaryExpr>();
      return a->op == b->op && a->a == b->a;
    }
    case ExprKind::Select: {
      auto *a = x.as<SelectExpr>(), *b = y.as<SelectExpr>();
      return a->cond == b->cond && a->a == b->a && a->b == b->b;
    }
  }
  return false;
}

// ---- makers ----
Expr IntConst::make(int64_t v, SourceLoc loc) { return Expr(std::make_shared<const IntConst>(v, std::move(loc))); }
Expr FloatConst::make(double v, SourceLoc loc) { return Expr(std::make_shared<const FloatConst>(v, std::move(loc))); }
Expr BoolConst::make(bool v, SourceLoc loc) { return Expr(std::make_shared<const BoolConst>(v, std::move(loc))); }
Expr NameRef::make(ExprKind kind, std::string name, SourceLoc loc) {
  PTO_INTERNAL_ASSERT(kind == ExprKind::Symbol || kind == ExprKind::Slot || kind == ExprKind::Var, "NameRef of kind {}",
                      static_cast<int>(kind));
  PTO_INTERNAL_ASSERT(!name.empty(), "NameRef with empty name");
  return Expr(std::make_shared<const NameRef>(kind, std::move(name), std::move(loc)));
}
Expr BinaryExpr::make(BinOp op, Expr a, Expr b, SourceLoc loc) {
  PTO_INTERNAL_ASSERT(a.defined() && b.defined(), "binary '{}' with undefined operand", binOpName(op));
  if (!loc.valid()) loc = a.loc();
  return Expr(std::make_shared<const BinaryExpr>(op, std::move(a), std::move(b), std::move(loc)));
}
Expr UnaryExpr::make(UnOp op, Expr a, SourceLoc loc) {
  PTO_INTERNAL_ASSERT(a.defined(), "unary '{}' with undefined operand", unOpName(op));
  if (!loc.valid()) loc = a.loc();
  return Expr(std::make_shared<const UnaryExpr>(op, std::move(a), std::move(loc)));
}
Expr SelectExpr::make(Expr c, Expr a, Expr b, SourceLoc loc) {
  PTO_INTERNAL_ASSERT(c.defined() && a.defined() && b.defined(), "select with undefined operand");
  if (!loc.valid()) loc = c.loc();
  return Expr(std::make_shared<const SelectExpr>(std::move(c), std::move(a), std::move(b), std::move(loc)));
}

Expr intConst(int64_t v, SourceLoc loc) { return IntConst::make(v, std::move(loc)); }
Expr floatConst(double v, SourceLoc loc) { return FloatConst::make(v, std::move(loc)); }
Expr boolConst(bool v, SourceLoc loc) { return BoolConst::make(v, std::move(loc)); }
Expr symbol(std::string n, SourceLoc loc) { return NameRef::make(ExprKind::Symbol, std::move(n), std::move(loc)); }
Expr slotRef(std::string n, SourceLoc loc) { return NameRef::make(ExprKind::Slot, std::move(n), std::move(loc)); }
Expr var(std::string n, SourceLoc loc) { return NameRef::make(ExprKind::Var, std::move(n), std::move(loc)); }
Expr min(Expr a, Expr b) { return BinaryExpr::make(BinOp::Min, std::move(a), std::move(b)); }
Expr max(Expr a, Expr b) { return BinaryExpr::make(BinOp::Max, std::move(a), std::move(b)); }
Expr eq(Expr a, Expr b) { return BinaryExpr::make(BinOp::Eq, std::move(a), std::move(b)); }
Expr ne(Expr a, Expr b) { return BinaryExpr::make(BinOp::Ne, std::move(a), std::move(b)); }
Expr select(Expr c, Expr a, Expr b) { return SelectExpr::make(std::move(c), std::move(a), std::move(b)); }
Expr operator+(Expr a, Expr b) { return BinaryExpr::make(BinOp::Add, std::move(a), std::move(b)); }
Expr operator-(Expr a, Expr b) { return BinaryExpr::make(BinOp::Sub, std::move(a), std::move(b)); }
Expr operator*(Expr a, Expr b) { return BinaryExpr::make(BinOp::Mul, std::move(a), std::move(b)); }
Expr operator/(Expr a, Expr b) { return BinaryExpr::make(BinOp::Div, std::move(a), std::move(b)); }
Expr operator%(Expr a, Expr b) { return BinaryExpr::make(BinOp::Mod, std::move(a), std::move(b)); }
Expr operator<(Expr a, Expr b) { return BinaryExpr::make(BinOp::Lt, std::move(a), std::move(b)); }
Expr operator<=(Expr a, Expr b) { return BinaryExpr::make(BinOp::Le, std::move(a), std::move(b)); }
Expr operator>(Expr a, Expr b) { return BinaryExpr::make(BinOp::Gt, std::move(a), std::move(b)); }
Expr operator>=(Expr a, Expr b) { return BinaryExpr::make(BinOp::Ge, std::move(a), std::move(b)); }
Expr operator&&(Expr a, Expr b) { return BinaryExpr::make(BinOp::And, std::move(a), std::move(b)); }
Expr operator||(Expr a, Expr b) { return BinaryExpr::make(BinOp::Or, std::move(a), std::move(b)); }
Expr operator!(Expr a) { return UnaryExpr::make(UnOp::Not, std::move(a)); }
Expr operator-(Expr a) { return UnaryExpr::make(UnOp::Neg, std::move(a)); }

// ---- printing ----
namespace {
int precedence(const Expr& e) {
  const auto* b = e.as<BinaryExpr>();
  if (!b) return e.kind() == ExprKind::Select ? 0 : 10;
  switch (b->op) {
    case BinOp::Or:
      return 1;
    case BinOp::And:
      return 2;
    case BinOp::Eq:
    case BinOp::Ne:
      return 3;
    case BinOp::Lt:
    case BinOp::Le:
    case BinOp::Gt:
    case BinOp::Ge:
      return 4;
    case BinOp::Add:
    case BinOp::Sub:
      return 5;
    case BinOp::Mul:
    case BinOp::Div:
    case BinOp::Mod:
      return 6;
    case BinOp::Min:
    case BinOp::Max:
      return 10;  // printed as calls
  }
  return 10;
}
void print(const Expr& e, std::string& out);
void printChild(const Expr& c, int minPrec, std::string& out) {
  bool paren = precedence(c) < minPrec;
  if (paren) out += '(';
  print(c, out);
  if (paren) out += ')';
}
void print(const Expr& e, std::string& out) {
  if (!e.defined()) {
    out += "<undef>";
    return;
  }
  switch (e.kind()) {
    case ExprKind::IntConst:
      out += fmt::format("{}", e.as<IntConst>()->value);
      return;
    case ExprKind::FloatConst: {
      double v = e.as<FloatConst>()->value;
      std::string s = fmt::format("{}", v);
      if (s.find_first_of(".eEn") == std::string::npos) s += ".0";
      out += s;
      return;
    }
    case ExprKind::BoolConst:
      out += e.as<BoolConst>()->value ? "true" : "false";
      return;
    case ExprKind::Slot:
      out += '$';
      out += e.as<NameRef>()->name;
      return;
    case ExprKind::Symbol:
    case ExprKind::Var:
      out += e.as<NameRef>()->name;
      return;
    case ExprKind::Binary: {
      const auto* b = e.as<BinaryExpr>();
      if (b->op == BinOp::Min || b->op == BinOp::Max) {
        out += binOpName(b->op);
        out += '(';
        print(b->a, out);
        out += ", ";
        print(b->b, out);
        out += ')';
        return;
      }
      int p = precedence(e);
      printChild(b->a, p, out);
      out += fmt::format(" {} ", binOpName(b->op));
      printChild(b->b, p + 1, out);  // left-associative
      return;
    }
    case ExprKind::Unary: {
      const auto* u = e.as<UnaryExpr>();
      out += u->op == UnOp::Not ? "not " : "-";
      printChild(u->a, 10, out);
      return;
    }
    case ExprKind::Select: {
      const auto* s = e.as<SelectExpr>();
      out += "select(";
      print(s->cond, out);
      out += ", ";
      print(s->a, out);
      out += ", ";
      print(s->b, out);
      out += ')';
      return;
    }
  }
}
}  // namespace

std::string toString(const Expr& e) {
  std::string out;
  print(e, out);
  return out;
}

// ---- evaluation ----
namespace {
[[noreturn]] void evalError(const Expr& at, std::string msg, std::string help) {
  Diagnostic d = makeError(at.loc(), std::move(msg));
  d.help(help);
  throw UserError(std::move(d));
}

int64_t lookup(const Expr& e, const Env& env) {
  const auto* n = e.as<NameRef>();
  const auto& table = e.kind() == ExprKind::Symbol ? env.symbols : e.kind() == ExprKind::Slot ? env.slots : env.vars;
  auto it = table.find(n->name);
  if (it != table.end()) return it->second;
  const char* what = e.kind() == ExprKind::Symbol ? "symbol" : e.kind() == ExprKind::Slot ? "slot" : "variable";
  evalError(e, fmt::format("unknown {} '{}' in expression", what, n->name),
            fmt::format("declare the {} or give it a value before evaluating", what));
}

// The ops whose meaning is the same on integers and floats: min/max, comparisons
// (-> 0/1) and logic (non-zero is true).
template <class T>
T binOrderLogic(BinOp op, T a, T b) {
  switch (op) {
    case BinOp::Min:
      return a < b ? a : b;
    case BinOp::Max:
      return a > b ? a : b;
    case BinOp::Eq:
      return a == b;
    case BinOp::Ne:
      return a != b;
    case BinOp::Lt:
      return a < b;
    case BinOp::Le:
      return a <= b;
    case BinOp::Gt:
      return a > b;
    case BinOp::Ge:
      return a >= b;
    case BinOp::And:
      return (a != 0) && (b != 0);
    case BinOp::Or:
      return (a != 0) || (b != 0);
    default:
      break;
  }
  PTO_UNREACHABLE("arithmetic op {} is not an order/logic op", binOpName(op));
}

int64_t binInt(BinOp op, int64_t a, int64_t b, const Expr& at) {
  switch (op) {
    case BinOp::Add:
      return static_cast<int64_t>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
    case BinOp::Sub:
      return static_cast<int64_t>(static_cast<uint64_t>(a) - static_cast<uint64_t>(b));
    case BinOp::Mul:
      return static_cast<int64_t>(static_cast<uint64_t>(a) * static_cast<uint64_t>(b));
    case BinOp::Div:
    case BinOp::Mod:
      if (b == 0)
        evalError(at, fmt::format("{} by zero in '{}'", op == BinOp::Div ? "division" : "modulo", toString(at)),
                  "guard the divisor (e.g. with max(d, 1) or select)");
      if (a == std::numeric_limits<int64_t>::min() && b == -1) return op == BinOp::Div ? a : 0;
      return op == BinOp::Div ? a / b : a % b;
    default:
      return binOrderLogic(op, a, b);
  }
}

double binF(BinOp op, double a, double b) {
  switch (op) {
    case BinOp::Add:
      return a + b;
    case BinOp::Sub:
      return a - b;
    case BinOp::Mul:
      return a * b;
    case BinOp::Div:
      return a / b;
    case BinOp::Mod:
      return std::fmod(a, b);
    default:
      return binOrderLogic(op, a, b);
  }
}
}  // namespace

int64_t evalExpr(const Expr& e, const Env& env) {
  PTO_INTERNAL_ASSERT(e.defined(), "evalExpr of an undefined Expr");
  switch (e.kind()) {
    case ExprKind::IntConst:
      return e.as<IntConst>()->value;
    case ExprKind::BoolConst:
      return e.as<BoolConst>()->value ? 1 : 0;
    case ExprKind::FloatConst:
      evalError(e, fmt::format("float literal {} in an integer expression", toString(e)),
                "index, size and predicate expressions take integers only");
    case ExprKind::Symbol:
    case ExprKind::Slot:
    case ExprKind::Var:
      return lookup(e, env);
    case ExprKind::Binary: {
      const auto* b = e.as<BinaryExpr>();
      return binInt(b->op, evalExpr(b->a, env), evalExpr(b->b, env), e);
    }
    case ExprKind::Unary: {
      const auto* u = e.as<UnaryExpr>();
      int64_t v = evalExpr(u->a, env);
      return u->op == UnOp::Not ? (v == 0) : static_cast<int64_t>(0 - static_cast<uint64_t>(v));
    }
    case ExprKind::Select: {
      const auto* s = e.as<SelectExpr>();
      return evalExpr(s->cond, env) != 0 ? evalExpr(s->a, env) : evalExpr(s->b, env);
    }
  }
  PTO_UNREACHABLE("bad ExprKind");
}

double evalExprF(const Expr& e, const Env& env) {
  PTO_INTERNAL_ASSERT(e.defined(), "evalExprF of an undefined Expr");
  switch (e.kind()) {
    case ExprKind::FloatConst:
      return e.as<FloatConst>()->value;
    case ExprKind::Binary: {
      const auto* b = e.as<BinaryExpr>();
      return binF(b->op, evalExprF(b->a, env), evalExprF(b->b, env));
    }
    case ExprKind::Unary: {
      const auto* u = e.as<UnaryExpr>();
      double v = evalExprF(u->a, env);
      return u->op == UnOp::Not ? (v == 0) : -v;
    }
    case ExprKind::Select: {
      const auto* s = e.as<SelectExpr>();
      return evalExprF(s->cond, env) != 0 ? evalExprF(s->a, env) : evalExprF(s->b, env);
    }
    default:
      return static_cast<double>(evalExpr(e, env));
  }
}

std::optional<int64_t> asConstInt(const Expr& e) {
  if (!e.defined()) return std::nullopt;
  if (!freeNames(e, ExprKind::Symbol).empty() || !freeNames(e, ExprKind::Slot).empty() ||
      !freeNames(e, ExprKind::Var).empty())
    return std::nullopt;
  try {
    return evalExpr(e, Env{});
  } catch (const UserError&) {
    return std::nullopt;  // float literal or division by zero: not an integer constant
  }
}

Expr simplify(const Expr& e) {
  if (!e.defined()) return e;
  switch (e.kind()) {
    case ExprKind::Binary: {
      const auto* b = e.as<BinaryExpr>();
      Expr x = simplify(b->a), y = simplify(b->b);
      auto cx = x.as<IntConst>(), cy = y.as<IntConst>();
      if (cx && cy && !((b->op == BinOp::Div || b->op == BinOp::Mod) && cy->value == 0)) {
        int64_t v = binInt(b->op, cx->value, cy->value, e);
        return (isComparison(b->op) || isLogical(b->op)) ? boolConst(v != 0, e.loc()) : intConst(v, e.loc());
      }
      auto isC = [](const IntConst* c, int64_t v) { return c && c->value == v; };
      switch (b->op) {
        case BinOp::Add:
          if (isC(cx, 0)) return y;
          if (isC(cy, 0)) return x;
          break;
        case BinOp::Sub:
          if (isC(cy, 0)) return x;
          break;
        case BinOp::Mul:
          if (isC(cx, 1)) return y;
          if (isC(cy, 1)) return x;
          if (isC(cx, 0) || isC(cy, 0)) return intConst(0, e.loc());
          break;
        case BinOp::Div:
          if (isC(cy, 1)) return x;
          break;
        default:
          break;
      }
      if (x.get() == b->a.get() && y.get() == b->b.get()) return e;
      return BinaryExpr::make(b->op, x, y, e.loc());
    }
    case ExprKind::Unary: {
      const auto* u = e.as<UnaryExpr>();
      Expr x = simplify(u->a);
      if (auto c = x.as<IntConst>())
        return u->op == UnOp::Neg ? intConst(static_cast<int64_t>(0 - static_cast<uint64_t>(c->value)), e.loc()) : boolConst(c->value == 0, e.loc());
      if (auto c = x.as<BoolConst>(); c && u->op == UnOp::Not) return boolConst(!c->value, e.loc());
      if (x.get() == u->a.get()) return e;
      return UnaryExpr::make(u->op, x, e.loc());
    }
    case ExprKind::Select: {
      const auto* s = e.as<SelectExpr>();
      Expr c = simplify(s->cond), x = simplify(s->a), y = simplify(s->b);
      if (auto k = asConstInt(c)) return *k != 0 ? x : y;
      if (c.get() == s->cond.get() && x.get() == s->a.get() && y.get() == s->b.get()) return e;
      return SelectExpr::make(c, x, y, e.loc());
    }
    default:
      return e;
  }
}

}  // namespace pto::wsp::ir
