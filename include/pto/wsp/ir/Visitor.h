// Visitors and mutators over expressions, statements and the values embedding them.
// Default implementations recurse into every child; override a node's method to act on
// it and call the base method to keep recursing. Not thread-safe per instance.
// Subclasses overriding some overloads should write `using IRVisitor::visit;` (or
// `using IRMutator::mutate;`) so the other overloads stay visible.
#pragma once

#include "pto/wsp/ir/Expr.h"
#include "pto/wsp/ir/Module.h"
#include "pto/wsp/ir/Workload.h"

namespace pto::wsp::ir {

class IRVisitor {
 public:
  virtual ~IRVisitor() = default;
  // Dispatchers: undefined handles are skipped.
  virtual void visit(const Expr& e);
  virtual void visit(const Stmt& s);
  // Module: every tensor shape, kernel scalar exprs, workload body and schedule exprs.
  virtual void visitModule(const Module& m);

  virtual void visit(const IntConst&) {}
  virtual void visit(const FloatConst&) {}
  virtual void visit(const BoolConst&) {}
  virtual void visit(const NameRef&) {}
  virtual void visit(const BinaryExpr& e);
  virtual void visit(const UnaryExpr& e);
  virtual void visit(const SelectExpr& e);

  virtual void visit(const View& v);  // offsets
  virtual void visit(const Axis& a);  // extent
  virtual void visit(const Loop& s);
  virtual void visit(const Cond& s);
  virtual void visit(const Call& s);
  virtual void visit(const Combine& s);
  virtual void visit(const Sequential& s);
  virtual void visit(const Block& s);
  virtual void visit(const ChannelDecl&) {}
  virtual void visit(const Process& s);
  virtual void visit(const Send& s);
  virtual void visit(const Consume& s);
  virtual void visit(const Connect&) {}
  virtual void visit(const Replicate& s);
  virtual void visit(const SlotLoad& s);
  virtual void visit(const SlotSet& s);
  virtual void visit(const Scope& s);
  virtual void visit(const Directive& d);  // params / key
};

// Rebuilds only what changed: if no child changes, the original handle is returned
// (pointer-identical), so mutators are cheap on untouched subtrees.
class IRMutator {
 public:
  virtual ~IRMutator() = default;
  virtual Expr mutate(const Expr& e);  // dispatcher; undefined -> undefined
  virtual Stmt mutate(const Stmt& s);
  virtual Module mutateModule(const Module& m);

  virtual Expr mutate(const IntConst&, const Expr& self) { return self; }
  virtual Expr mutate(const FloatConst&, const Expr& self) { return self; }
  virtual Expr mutate(const BoolConst&, const Expr& self) { return self; }
  virtual Expr mutate(const NameRef&, const Expr& self) { return self; }
  virtual Expr mutate(const BinaryExpr& e, const Expr& self);
  virtual Expr mutate(const UnaryExpr& e, const Expr& self);
  virtual Expr mutate(const SelectExpr& e, const Expr& self);

  virtual View mutate(const View& v);
  virtual Axis mutate(const Axis& a);
  virtual Directive mutate(const Directive& d);
  virtual Stmt mutate(const Loop& s, const Stmt& self);
  virtual Stmt mutate(const Cond& s, const Stmt& self);
  virtual Stmt mutate(const Call& s, const Stmt& self);
  virtual Stmt mutate(const Combine& s, const Stmt& self);
  virtual Stmt mutate(const Sequential& s, const Stmt& self);
  virtual Stmt mutate(const Block& s, const Stmt& self);
  virtual Stmt mutate(const ChannelDecl&, const Stmt& self) { return self; }
  virtual Stmt mutate(const Process& s, const Stmt& self);
  virtual Stmt mutate(const Send& s, const Stmt& self);
  virtual Stmt mutate(const Consume& s, const Stmt& self);
  virtual Stmt mutate(const Connect&, const Stmt& self) { return self; }
  virtual Stmt mutate(const Replicate& s, const Stmt& self);
  virtual Stmt mutate(const SlotLoad& s, const Stmt& self);
  virtual Stmt mutate(const SlotSet& s, const Stmt& self);
  virtual Stmt mutate(const Scope& s, const Stmt& self);
};

}  // namespace pto::wsp::ir
