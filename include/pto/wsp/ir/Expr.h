// ScalarExpr: the scalar expression language of the IR (loop bounds, view offsets,
// predicates, dispatch keys, scalar kernel arguments, cycle formulas).
//
// Nodes are small immutable structs shared through the `Expr` handle
// (std::shared_ptr<const ExprNode>); handles are cheap to copy and safe to share between
// threads (nodes are never mutated after make()).
//
// Equality: `a == b` on handles is STRUCTURAL equality (ignores SourceLoc) and returns
// bool, so IR containers can compare with `==`. To BUILD a comparison expression use
// eq(a, b) / ne(a, b); the ordering operators < <= > >= build expressions directly.
#pragma once

#include "pto/wsp/support/Diagnostic.h"

#include <concepts>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>

namespace pto::wsp::ir {

enum class ExprKind : uint8_t {
  IntConst,
  FloatConst,
  BoolConst,
  Symbol,  // module symbol: a runtime-settable integer (e.g. a dynamic size)
  Slot,    // u64 slot written at run time by slot_load / slot_set
  Var,     // loop variable or consume-bound variable
  Binary,
  Unary,
  Select,
};

enum class BinOp : uint8_t { Add, Sub, Mul, Div, Mod, Min, Max, Eq, Ne, Lt, Le, Gt, Ge, And, Or };
enum class UnOp : uint8_t { Not, Neg };

// Spelling in text and diagnostics: "+", "-", "*", "/", "%", "min", "max", "==", "!=",
// "<", "<=", ">", ">=", "and", "or"; unary "not", "-".
std::string_view binOpName(BinOp op);
std::string_view unOpName(UnOp op);
bool isComparison(BinOp op);  // == != < <= > >=
bool isLogical(BinOp op);     // and or

struct ExprNode;

// Handle to an immutable expression node. Default-constructed = undefined (null).
class Expr {
 public:
  Expr() = default;
  explicit Expr(std::shared_ptr<const ExprNode> n) : node_(std::move(n)) {}
  // Implicit integer / float constants so that `i * 16 + 1` reads like math.
  template <std::integral T>
  requires(!std::same_as<T, bool>) Expr(T v) : Expr(fromInt(static_cast<int64_t>(v))) {}  // NOLINT(implicit)
  Expr(double v);                                                                         // NOLINT(implicit)
  Expr(bool) = delete;  // use boolConst(): an implicit bool would silently become 0/1

  bool defined() const { return node_ != nullptr; }
  const ExprNode* get() const { return node_.get(); }
  const ExprNode* operator->() const { return node_.get(); }
  const ExprNode& operator*() const { return *node_; }
  ExprKind kind() const;
  const SourceLoc& loc() const;
  // Downcast: nullptr when the node is not a T (T::kKind).
  template <class T>
  const T* as() const;

  // Structural equality, ignoring SourceLoc. Two undefined handles are equal.
  friend bool operator==(const Expr& a, const Expr& b);

 private:
  static Expr fromInt(int64_t v);
  std::shared_ptr<const ExprNode> node_;
};

struct ExprNode {
  ExprKind kind;
  SourceLoc loc;
  ExprNode(ExprKind k, SourceLoc l) : kind(k), loc(std::move(l)) {}
  virtual ~ExprNode() = default;
};

// An integer literal.
struct IntConst final : ExprNode {
  static constexpr ExprKind kKind = ExprKind::IntConst;
  int64_t value;
  IntConst(int64_t v, SourceLoc l) : ExprNode(kKind, std::move(l)), value(v) {}
  static Expr make(int64_t v, SourceLoc loc = {});
};

// A floating-point literal (fill values, scalar operands); not allowed in index math.
struct FloatConst final : ExprNode {
  static constexpr ExprKind kKind = ExprKind::FloatConst;
  double value;
  FloatConst(double v, SourceLoc l) : ExprNode(kKind, std::move(l)), value(v) {}
  static Expr make(double v, SourceLoc loc = {});
};

// true / false.
struct BoolConst final : ExprNode {
  static constexpr ExprKind kKind = ExprKind::BoolConst;
  bool value;
  BoolConst(bool v, SourceLoc l) : ExprNode(kKind, std::move(l)), value(v) {}
  static Expr make(bool v, SourceLoc loc = {});
};

// Reference by name to a module symbol (ExprKind::Symbol), slot (Slot) or variable (Var).
struct NameRef final : ExprNode {
  std::string name;
  NameRef(ExprKind k, std::string n, SourceLoc l) : ExprNode(k, std::move(l)), name(std::move(n)) {}
  // kind must be Symbol, Slot or Var; name non-empty (internal assert).
  static Expr make(ExprKind kind, std::string name, SourceLoc loc = {});
};

// a <op> b. Arithmetic on integers; comparisons and and/or yield bool (0/1).
struct BinaryExpr final : ExprNode {
  static constexpr ExprKind kKind = ExprKind::Binary;
  BinOp op;
  Expr a, b;
  BinaryExpr(BinOp o, Expr x, Expr y, SourceLoc l)
      : ExprNode(kKind, std::move(l)), op(o), a(std::move(x)), b(std::move(y)) {}
  static Expr make(BinOp op, Expr a, Expr b, SourceLoc loc = {});
};

// not a / -a.
struct UnaryExpr final : ExprNode {
  static constexpr ExprKind kKind = ExprKind::Unary;
  UnOp op;
  Expr a;
  UnaryExpr(UnOp o, Expr x, SourceLoc l) : ExprNode(kKind, std::move(l)), op(o), a(std::move(x)) {}
  static Expr make(UnOp op, Expr a, SourceLoc loc = {});
};

// cond ? a : b.
struct SelectExpr final : ExprNode {
  static constexpr ExprKind kKind = ExprKind::Select;
  Expr cond, a, b;
  SelectExpr(Expr c, Expr x, Expr y, SourceLoc l)
      : ExprNode(kKind, std::move(l)), cond(std::move(c)), a(std::move(x)), b(std::move(y)) {}
  static Expr make(Expr cond, Expr a, Expr b, SourceLoc loc = {});
};

template <class T>
const T* Expr::as() const {
  if (!node_) return nullptr;
  if constexpr (std::is_same_v<T, NameRef>) {
    ExprKind k = node_->kind;
    return (k == ExprKind::Symbol || k == ExprKind::Slot || k == ExprKind::Var)
               ? static_cast<const NameRef*>(node_.get())
               : nullptr;
  } else {
    return node_->kind == T::kKind ? static_cast<const T*>(node_.get()) : nullptr;
  }
}

// ---- construction helpers ----
Expr intConst(int64_t v, SourceLoc loc = {});
Expr floatConst(double v, SourceLoc loc = {});
Expr boolConst(bool v, SourceLoc loc = {});
Expr symbol(std::string name, SourceLoc loc = {});
Expr slotRef(std::string name, SourceLoc loc = {});
Expr var(std::string name, SourceLoc loc = {});
Expr min(Expr a, Expr b);
Expr max(Expr a, Expr b);
Expr eq(Expr a, Expr b);
Expr ne(Expr a, Expr b);
Expr select(Expr cond, Expr a, Expr b);
Expr operator+(Expr a, Expr b);
Expr operator-(Expr a, Expr b);
Expr operator*(Expr a, Expr b);
Expr operator/(Expr a, Expr b);  // truncates toward zero (C semantics)
Expr operator%(Expr a, Expr b);  // sign of the dividend (C semantics)
Expr operator<(Expr a, Expr b);
Expr operator<=(Expr a, Expr b);
Expr operator>(Expr a, Expr b);
Expr operator>=(Expr a, Expr b);
Expr operator&&(Expr a, Expr b);  // logical and (both sides always built; no short-circuit)
Expr operator||(Expr a, Expr b);
Expr operator!(Expr a);
Expr operator-(Expr a);

// ---- evaluation ----
// Values of the names an expression may read. Ordered maps: deterministic iteration.
struct Env {
  std::map<std::string, int64_t, std::less<>> symbols;
  std::map<std::string, int64_t, std::less<>> slots;
  std::map<std::string, int64_t, std::less<>> vars;
};

// Evaluates an integer/bool expression (bool -> 0/1). Throws UserError (located at the
// offending node) on an unknown name, division or modulo by zero, or a float literal.
int64_t evalExpr(const Expr& e, const Env& env);
// Same, but float literals allowed and the result is a double (fill values, scalar args).
double evalExprF(const Expr& e, const Env& env);

// The value if `e` folds to an integer/bool constant without any environment.
std::optional<int64_t> asConstInt(const Expr& e);
// Constant folding + trivial identities (x+0, x*1, x*0, min/max of constants ...).
// Never changes the value; keeps the root's SourceLoc.
Expr simplify(const Expr& e);

// ---- affine analysis (view bounds checks) ----
// e == constant + sum(coeffs[v] * v) over variables v.
struct AffineForm {
  int64_t constant = 0;
  std::map<std::string, int64_t> coeffs;  // zero coefficients are dropped
  friend bool operator==(const AffineForm&, const AffineForm&) = default;
};
// Symbols and slots present in `env` are substituted by their values; a symbol/slot not
// in env, a float, a comparison, or a non-constant product/division makes it non-affine.
std::optional<AffineForm> affineForm(const Expr& e, const Env& env = {});
inline bool isAffine(const Expr& e, const Env& env = {}) { return affineForm(e, env).has_value(); }

struct Interval {
  int64_t lo = 0, hi = 0;  // inclusive
  friend bool operator==(const Interval&, const Interval&) = default;
};
using VarRanges = std::map<std::string, Interval, std::less<>>;
// Inclusive [min, max] of `e` when each var ranges over `ranges`: exact for affine
// expressions, conservative (interval arithmetic) otherwise. nullopt when a variable has
// no range or a symbol/slot is not in env.
std::optional<Interval> exprBounds(const Expr& e, const VarRanges& ranges, const Env& env = {});

// Every name of `kind` (Symbol, Slot or Var) read by `e`.
std::set<std::string> freeNames(const Expr& e, ExprKind kind);

// Human-readable infix form, for diagnostics ("i * 16 + 4", "min(a, b)", "$e0 == 1").
// Symbols print bare, slots with a leading '$', vars bare.
std::string toString(const Expr& e);

}  // namespace pto::wsp::ir
