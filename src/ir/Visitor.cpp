#include "pto/wsp/ir/Visitor.h"

#include "pto/wsp/support/Assert.h"

namespace pto::wsp::ir {

// ---------------- IRVisitor ----------------
void IRVisitor::visit(const Expr& e) {
  if (!e.defined()) return;
  switch (e.kind()) {
    case ExprKind::IntConst:
      return visit(*e.as<IntConst>());
    case ExprKind::FloatConst:
      return visit(*e.as<FloatConst>());
    case ExprKind::BoolConst:
      return visit(*e.as<BoolConst>());
    case ExprKind::Symbol:
    case ExprKind::Slot:
    case ExprKind::Var:
      return visit(*e.as<NameRef>());
    case ExprKind::Binary:
      return visit(*e.as<BinaryExpr>());
    case ExprKind::Unary:
      return visit(*e.as<UnaryExpr>());
    case ExprKind::Select:
      return visit(*e.as<SelectExpr>());
  }
}

void IRVisitor::visit(const Stmt& s) {
  if (!s.defined()) return;
  switch (s.kind()) {
    case StmtKind::Loop:
      return visit(*s.as<Loop>());
    case StmtKind::Cond:
      return visit(*s.as<Cond>());
    case StmtKind::Call:
      return visit(*s.as<Call>());
    case StmtKind::Combine:
      return visit(*s.as<Combine>());
    case StmtKind::Sequential:
      return visit(*s.as<Sequential>());
    case StmtKind::Block:
      return visit(*s.as<Block>());
    case StmtKind::ChannelDecl:
      return visit(*s.as<ChannelDecl>());
    case StmtKind::Process:
      return visit(*s.as<Process>());
    case StmtKind::Send:
      return visit(*s.as<Send>());
    case StmtKind::Consume:
      return visit(*s.as<Consume>());
    case StmtKind::Connect:
      return visit(*s.as<Connect>());
    case StmtKind::Replicate:
      return visit(*s.as<Replicate>());
    case StmtKind::SlotLoad:
      return visit(*s.as<SlotLoad>());
    case StmtKind::SlotSet:
      return visit(*s.as<SlotSet>());
    case StmtKind::Scope:
      return visit(*s.as<Scope>());
  }
}

void IRVisitor::visitModule(const Module& m) {
  for (const Tensor& t : m.tensors)
    for (const Expr& d : t.shape) visit(d);
  for (const Kernel& k : m.kernels) {
    for (const TileInst& i : k.body)
      if (i.scalar && i.scalar->value.defined()) visit(i.scalar->value);
    visit(k.cycles);
  }
  for (const Workload& w : m.workloads) {
    visit(w.body);
    for (const Directive& d : w.schedule.directives) visit(d);
  }
}

void IRVisitor::visit(const BinaryExpr& e) {
  visit(e.a);
  visit(e.b);
}
void IRVisitor::visit(const UnaryExpr& e) { visit(e.a); }
void IRVisitor::visit(const SelectExpr& e) {
  visit(e.cond);
  visit(e.a);
  visit(e.b);
}
void IRVisitor::visit(const View& v) {
  for (const Expr& o : v.offsets) visit(o);
}
void IRVisitor::visit(const Axis& a) { visit(a.extent); }
void IRVisitor::visit(const Loop& s) {
  for (const LoopVar& v : s.vars) visit(v.axis);
  visit(s.body);
}
void IRVisitor::visit(const Cond& s) {
  for (const CondBranch& b : s.branches) {
    visit(b.pred);
    visit(b.body);
  }
  visit(s.otherwise);
}
void IRVisitor::visit(const Call& s) {
  for (const CallArg& a : s.args) {
    if (a.isView)
      visit(a.view);
    else
      visit(a.value);
  }
}
void IRVisitor::visit(const Combine& s) {
  for (const Stmt& x : s.stmts) visit(x);
}
void IRVisitor::visit(const Sequential& s) {
  for (const Stmt& x : s.stmts) visit(x);
}
void IRVisitor::visit(const Block& s) {
  for (const Stmt& x : s.stmts) visit(x);
}
void IRVisitor::visit(const Process& s) { visit(s.body); }
void IRVisitor::visit(const Send& s) {
  visit(s.call);
  visit(s.value);
}
void IRVisitor::visit(const Consume& s) { visit(s.body); }
void IRVisitor::visit(const Replicate& s) { visit(s.count); }
void IRVisitor::visit(const SlotLoad& s) {
  visit(s.view);
  visit(s.row);
  visit(s.col);
}
void IRVisitor::visit(const SlotSet& s) { visit(s.value); }
void IRVisitor::visit(const Scope& s) { visit(s.body); }
void IRVisitor::visit(const Directive& d) {
  for (const NamedExpr& p : d.params) visit(p.value);
  visit(d.key);
}

// ---------------- IRMutator ----------------
Expr IRMutator::mutate(const Expr& e) {
  if (!e.defined()) return e;
  switch (e.kind()) {
    case ExprKind::IntConst:
      return mutate(*e.as<IntConst>(), e);
    case ExprKind::FloatConst:
      return mutate(*e.as<FloatConst>(), e);
    case ExprKind::BoolConst:
      return mutate(*e.as<BoolConst>(), e);
    case ExprKind::Symbol:
    case ExprKind::Slot:
    case ExprKind::Var:
      return mutate(*e.as<NameRef>(), e);
    case ExprKind::Binary:
      return mutate(*e.as<BinaryExpr>(), e);
    case ExprKind::Unary:
      return mutate(*e.as<UnaryExpr>(), e);
    case ExprKind::Select:
      return mutate(*e.as<SelectExpr>(), e);
  }
  PTO_UNREACHABLE("bad ExprKind");
}

Stmt IRMutator::mutate(const Stmt& s) {
  if (!s.defined()) return s;
  switch (s.kind()) {
    case StmtKind::Loop:
      return mutate(*s.as<Loop>(), s);
    case StmtKind::Cond:
      return mutate(*s.as<Cond>(), s);
    case StmtKind::Call:
      return mutate(*s.as<Call>(), s);
    case StmtKind::Combine:
      return mutate(*s.as<Combine>(), s);
    case StmtKind::Sequential:
      return mutate(*s.as<Sequential>(), s);
    case StmtKind::Block:
      return mutate(*s.as<Block>(), s);
    case StmtKind::ChannelDecl:
      return mutate(*s.as<ChannelDecl>(), s);
    case StmtKind::Process:
      return mutate(*s.as<Process>(), s);
    case StmtKind::Send:
      return mutate(*s.as<Send>(), s);
    case StmtKind::Consume:
      return mutate(*s.as<Consume>(), s);
    case StmtKind::Connect:
      return mutate(*s.as<Connect>(), s);
    case StmtKind::Replicate:
      return mutate(*s.as<Replicate>(), s);
    case StmtKind::SlotLoad:
      return mutate(*s.as<SlotLoad>(), s);
    case StmtKind::SlotSet:
      return mutate(*s.as<SlotSet>(), s);
    case StmtKind::Scope:
      return mutate(*s.as<Scope>(), s);
  }
  PTO_UNREACHABLE("bad StmtKind");
}

namespace {
bool same(const Expr& a, const Expr& b) { return a.get() == b.get(); }
bool same(const Stmt& a, const Stmt& b) { return a.get() == b.get(); }
template <class T>
bool sameVec(const std::vector<T>& a, const std::vector<T>& b) {
  for (size_t i = 0; i < a.size(); ++i)
    if (!same(a[i], b[i])) return false;
  return true;
}
}  // namespace

Module IRMutator::mutateModule(const Module& m) {
  Module out = m;
  for (Tensor& t : out.tensors)
    for (Expr& d : t.shape) d = mutate(d);
  for (Kernel& k : out.kernels) {
    for (TileInst& i : k.body)
      if (i.scalar && i.scalar->value.defined()) i.scalar->value = mutate(i.scalar->value);
    k.cycles = mutate(k.cycles);
  }
  for (Workload& w : out.workloads) {
    w.body = mutate(w.body);
    for (Directive& d : w.schedule.directives) d = mutate(d);
  }
  return out;
}

Expr IRMutator::mutate(const BinaryExpr& e, const Expr& self) {
  Expr a = mutate(e.a), b = mutate(e.b);
  if (same(a, e.a) && same(b, e.b)) return self;
  return BinaryExpr::make(e.op, a, b, e.loc);
}
Expr IRMutator::mutate(const UnaryExpr& e, const Expr& self) {
  Expr a = mutate(e.a);
  if (same(a, e.a)) return self;
  return UnaryExpr::make(e.op, a, e.loc);
}
Expr IRMutator::mutate(const SelectExpr& e, const Expr& self) {
  Expr c = mutate(e.cond), a = mutate(e.a), b = mutate(e.b);
  if (same(c, e.cond) && same(a, e.a) && same(b, e.b)) return self;
  return SelectExpr::make(c, a, b, e.loc);
}

View IRMutator::mutate(const View& v) {
  View out = v;
  for (Expr& o : out.offsets) o = mutate(o);
  return out;
}
Axis IRMutator::mutate(const Axis& a) {
  Axis out = a;
  out.extent = mutate(a.extent);
  return out;
}
Directive IRMutator::mutate(const Directive& d) {
  Directive out = d;
  for (NamedExpr& p : out.params) p.value = mutate(p.value);
  out.key = mutate(d.key);
  return out;
}

Stmt IRMutator::mutate(const Loop& s, const Stmt& self) {
  std::vector<LoopVar> vars = s.vars;
  bool changed = false;
  for (LoopVar& v : vars) {
    Axis a = mutate(v.axis);
    changed |= !same(a.extent, v.axis.extent);
    v.axis = std::move(a);
  }
  Stmt body = mutate(s.body);
  if (!changed && same(body, s.body)) return self;
  return Loop::make(s.loopKind, std::move(vars), body, s.loc);
}
Stmt IRMutator::mutate(const Cond& s, const Stmt& self) {
  std::vector<CondBranch> br = s.branches;
  bool changed = false;
  for (CondBranch& b : br) {
    Expr p = mutate(b.pred);
    Stmt body = mutate(b.body);
    changed |= !same(p, b.pred) || !same(body, b.body);
    b.pred = p;
    b.body = body;
  }
  Stmt o = mutate(s.otherwise);
  if (!changed && same(o, s.otherwise)) return self;
  return Cond::make(std::move(br), o, s.loc);
}
Stmt IRMutator::mutate(const Call& s, const Stmt& self) {
  std::vector<CallArg> args = s.args;
  bool changed = false;
  for (CallArg& a : args) {
    if (a.isView) {
      View v = mutate(a.view);
      changed |= !sameVec(v.offsets, a.view.offsets);
      a.view = std::move(v);
    } else {
      Expr e = mutate(a.value);
      changed |= !same(e, a.value);
      a.value = e;
    }
  }
  if (!changed) return self;
  return Call::make(s.kernel, std::move(args), s.loc);
}

namespace {
template <class L>
Stmt mutateList(IRMutator& m, const L& s, const Stmt& self) {
  std::vector<Stmt> out;
  out.reserve(s.stmts.size());
  for (const Stmt& x : s.stmts) out.push_back(m.mutate(x));
  if (sameVec(out, s.stmts)) return self;
  return L::make(std::move(out), s.loc);
}
}  // namespace

Stmt IRMutator::mutate(const Combine& s, const Stmt& self) { return mutateList(*this, s, self); }
Stmt IRMutator::mutate(const Sequential& s, const Stmt& self) { return mutateList(*this, s, self); }
Stmt IRMutator::mutate(const Block& s, const Stmt& self) { return mutateList(*this, s, self); }
Stmt IRMutator::mutate(const Process& s, const Stmt& self) {
  Stmt b = mutate(s.body);
  if (same(b, s.body)) return self;
  return Process::make(s.name, s.produces, s.consumes, b, s.loc);
}
Stmt IRMutator::mutate(const Send& s, const Stmt& self) {
  Stmt c = mutate(s.call);
  Expr v = mutate(s.value);
  if (same(c, s.call) && same(v, s.value)) return self;
  return c.defined() ? Send::makeCall(s.channel, c, s.loc) : Send::makeValue(s.channel, v, s.loc);
}
Stmt IRMutator::mutate(const Consume& s, const Stmt& self) {
  Stmt b = mutate(s.body);
  if (same(b, s.body)) return self;
  return Consume::make(s.channel, s.var, b, s.loc);
}
Stmt IRMutator::mutate(const Replicate& s, const Stmt& self) {
  Expr n = mutate(s.count);
  if (same(n, s.count)) return self;
  return Replicate::make(s.process, n, s.loc);
}
Stmt IRMutator::mutate(const SlotLoad& s, const Stmt& self) {
  View v = mutate(s.view);
  Expr r = mutate(s.row), c = mutate(s.col);
  if (sameVec(v.offsets, s.view.offsets) && same(r, s.row) && same(c, s.col)) return self;
  return SlotLoad::make(s.slot, std::move(v), r, c, s.loc);
}
Stmt IRMutator::mutate(const SlotSet& s, const Stmt& self) {
  Expr v = mutate(s.value);
  if (same(v, s.value)) return self;
  return SlotSet::make(s.slot, v, s.loc);
}
Stmt IRMutator::mutate(const Scope& s, const Stmt& self) {
  Stmt b = mutate(s.body);
  if (same(b, s.body)) return self;
  return Scope::make(b, s.loc);
}

}  // namespace pto::wsp::ir
