// IRVisitor / IRMutator reach every child of every node kind.
#include "Fixtures.h"
#include "pto/wsp/ir/Visitor.h"

#include <gtest/gtest.h>

using namespace pto::wsp;
using namespace pto::wsp::ir;
using namespace pto::wsp::ir::test;

namespace {
// One statement of every kind, each reading the variable `v` somewhere.
Stmt everything(const std::string& v) {
  Expr x = var(v);
  Stmt call = Call::make("scale", {CallArg::ofView(View::make("x", {x * 16, Expr(0)}, 16, 128)),
                                   CallArg::ofView(View::make("y", {x * 16, Expr(0)}, 16, 128))});
  return Block::make({
      Loop::make(LoopKind::Parallel, {{"p", Axis::denseDyn(x + 1)}}, call),
      Cond::make({{x > 0, call}}, Sequential::make({call})),
      Combine::make({call}),
      Process::make("pr", {"c"}, {}, Send::makeValue("c", x)),
      Consume::make("c", "tok", Scope::make(call)),
      Replicate::make("pr", x),
      SlotLoad::make("e0", View::make("y", {x, Expr(0)}, 1, 1), x, 0),
      SlotSet::make("e0", select(x < 2, x, Expr(0)) + min(x, Expr(1)) - (-x)),
      Send::makeCall("c", call),
  });
}

struct CountVar : IRVisitor {
  std::string name;
  int n = 0;
  using IRVisitor::visit;
  void visit(const NameRef& r) override { n += r.kind == ExprKind::Var && r.name == name; }
};

struct Rename : IRMutator {
  using IRMutator::mutate;
  Expr mutate(const NameRef& r, const Expr& self) override {
    return r.kind == ExprKind::Var && r.name == "i" ? var("j", r.loc) : self;
  }
};
}  // namespace

TEST(Visitor, ReachesEveryStatementKind) {
  CountVar c;
  c.name = "i";
  c.visit(everything("i"));
  // loop extent, 2 views x 8 calls... count occurrences by construction:
  // calls: loop, cond, sequential, combine, scope, send = 6 calls x 2 views = 12
  // + extent 1 + pred 1 + send value 1 + replicate 1 + slot_load view/row 2 + slot_set 4 = 22
  EXPECT_EQ(c.n, 22);
}

TEST(Mutator, RewritesEveryStatementKind) {
  Rename r;
  Stmt in = everything("i");
  Stmt out = r.mutate(in);
  EXPECT_TRUE(out == everything("j"));
  EXPECT_FALSE(out == in);
  CountVar c;
  c.name = "i";
  c.visit(out);
  EXPECT_EQ(c.n, 0);
}

TEST(Mutator, ModuleScheduleAndKernelExprs) {
  Module m = baseModule();
  m.workloads[0].schedule.directives = {Directive::dispatch("custom", {{"workers", var("i")}}, var("i") % 4),
                                        Directive::streamBy(var("i"))};
  m.kernels.push_back(Kernel::makeExternal("ext", {KernelParam::makeScalar("i", DType::I64)}, "e.cpp", var("i") * 3));
  Rename r;
  Module out = r.mutateModule(m);
  EXPECT_TRUE(out.workloads[0].schedule.directives[0].key == var("j") % 4);
  EXPECT_TRUE(out.workloads[0].schedule.directives[0].params[0].value == var("j"));
  EXPECT_TRUE(out.workloads[0].schedule.directives[1].key == var("j"));
  EXPECT_TRUE(out.kernels[1].cycles == var("j") * 3);
  CountVar c;
  c.name = "i";
  c.visitModule(m);
  EXPECT_EQ(c.n, 4);
}
