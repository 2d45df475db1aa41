// Construction, structural equality (ignoring locations), visitors and mutators.
#include "Fixtures.h"
#include "pto/wsp/ir/Visitor.h"

#include <gtest/gtest.h>

using namespace pto::wsp;
using namespace pto::wsp::ir;
using namespace pto::wsp::ir::test;

TEST(IR, TensorAndLayout) {
  Tensor t = Tensor::make("x", {Expr(4), symbol("T")}, DType::BF16, TensorRole::InOut, L(1));
  t.dist = {DimDist::R(), DimDist::S("tp")};
  EXPECT_EQ(t.rank(), 2u);
  EXPECT_EQ(t.shapeStr(), "[4, T] bf16");
  EXPECT_EQ(t.dist[1].str(), "S(tp)");
  EXPECT_EQ(t.staticShape(), std::nullopt);
  Env env;
  env.symbols["T"] = 256;
  EXPECT_EQ(t.staticShape(env), (std::vector<int64_t>{4, 256}));
  EXPECT_EQ(tensorRoleName(TensorRole::Temp), "temp");
  EXPECT_EQ(parseTensorRole("inout"), TensorRole::InOut);
  EXPECT_EQ(parseTensorRole("bogus"), std::nullopt);
  Tensor u = t;
  u.loc = L(99);
  EXPECT_TRUE(t == u);
  u.dist[1] = DimDist::S("dp");
  EXPECT_FALSE(t == u);
}

TEST(IR, ViewFootprint) {
  View v = View::make("x", {var("i") * 16, Expr(0)}, 16, 128);
  EXPECT_EQ(v.span(0), 16);
  EXPECT_EQ(v.span(1), 128);
  View t = v.transpose();
  EXPECT_TRUE(t.transposed);
  EXPECT_EQ(t.span(0), 128);
  EXPECT_EQ(t.span(1), 16);
  EXPECT_EQ(t.shapeStr(), "16x128 transposed");
  View s = v.withSteps(2, 3);
  EXPECT_EQ(s.span(0), 31);
  EXPECT_EQ(s.span(1), 382);
  View r3 = View::make("z", {var("b"), Expr(0), Expr(0)}, 8, 8);
  EXPECT_EQ(r3.span(0), 1);
  EXPECT_FALSE(v == t);
  EXPECT_TRUE(v == View::make("x", {var("i") * 16, Expr(0)}, 16, 128, L(5)));
}

TEST(IR, Axes) {
  EXPECT_EQ(Axis::dense(4).str(), "dense(4)");
  EXPECT_EQ(Axis::denseDyn(symbol("S")).str(), "dense_dyn(S)");
  EXPECT_EQ(Axis::ragged("b", "lens").str(), "ragged(b, lens)");
  EXPECT_EQ(Axis::sparse("r", "ptr", "idx").str(), "sparse(r, ptr, idx)");
  EXPECT_TRUE(Axis::dense(4) == Axis::dense(4, L(3)));
  EXPECT_FALSE(Axis::dense(4) == Axis::dense(5));
  EXPECT_EQ(axisKindName(AxisKind::DenseDyn), "dense_dyn");
}

TEST(IR, KernelParamsAndLookup) {
  Kernel k = scaleKernel();
  ASSERT_NE(k.findParam("y"), nullptr);
  EXPECT_EQ(k.findParam("y")->typeStr(), "out tile 16x128xf32");
  EXPECT_EQ(KernelParam::makeScalar("eps", DType::F32).typeStr(), "scalar f32");
  EXPECT_EQ(k.findParam("nope"), nullptr);
  EXPECT_EQ(parseParamDir("inout"), ParamDir::InOut);
  Kernel k2 = scaleKernel();
  for (TileInst& i : k2.body) i.loc = L(77);
  EXPECT_TRUE(k == k2);
  k2.body[1].scalar = ScalarOperand::of(Expr(3.0));
  EXPECT_FALSE(k == k2);
  Kernel e = Kernel::makeExternal("ext", {}, "a.cpp", Expr(10));
  EXPECT_TRUE(e.external);
  EXPECT_FALSE(e == Kernel::makeExternal("ext", {}, "a.cpp", Expr(11)));
}

TEST(IR, StatementsAndKinds) {
  Stmt call = scaleCall(0, 0);
  EXPECT_EQ(call.kind(), StmtKind::Call);
  EXPECT_EQ(call.as<Call>()->args.size(), 2u);
  EXPECT_EQ(call.as<Loop>(), nullptr);
  Stmt all = Block::make({
      Loop::make(LoopKind::Seq, {{"k", Axis::dense(4)}}, call),
      Cond::make({{eq(slotRef("e0"), 1), call}}, call),
      Combine::make({call, call}),
      Sequential::make({call}),
      ChannelDecl::make("c", ChannelElem::Index),
      Process::make("p", {"c"}, {}, Send::makeValue("c", 3)),
      Process::make("q", {}, {"c"}, Consume::make("c", "v", call)),
      Connect::make("c", "p", "q"),
      Replicate::make("q", 2),
      SlotLoad::make("e0", View::make("y", {Expr(0), Expr(0)}, 1, 1), 0, 0),
      SlotSet::make("e0", 1),
      Scope::make(call),
  });
  std::vector<StmtKind> kinds;
  for (const Stmt& s : all.as<Block>()->stmts) kinds.push_back(s.kind());
  EXPECT_EQ(kinds.size(), 12u);
  EXPECT_EQ(stmtKindName(StmtKind::SlotLoad), "slot_load");
  EXPECT_EQ(loopKindName(LoopKind::Sel), "P.sel");
  EXPECT_EQ(channelElemName(ChannelElem::Index), "index");
  // The same tree built again (different locs) is equal; a changed leaf is not.
  Stmt again = Block::make(
      {Loop::make(LoopKind::Seq, {{"k", Axis::dense(4)}}, scaleCall(0, 0, 99), L(1)),
       Cond::make({{eq(slotRef("e0"), 1), call}}, call, L(2)), Combine::make({call, call}), Sequential::make({call}),
       ChannelDecl::make("c", ChannelElem::Index, L(3)), Process::make("p", {"c"}, {}, Send::makeValue("c", 3)),
       Process::make("q", {}, {"c"}, Consume::make("c", "v", call)), Connect::make("c", "p", "q"),
       Replicate::make("q", 2), SlotLoad::make("e0", View::make("y", {Expr(0), Expr(0)}, 1, 1), 0, 0),
       SlotSet::make("e0", 1), Scope::make(call)});
  EXPECT_TRUE(all == again);
  Stmt changed = Block::make({Replicate::make("q", 3)});
  EXPECT_FALSE(all == changed);
  EXPECT_FALSE(Replicate::make("q", 2) == Replicate::make("q", 3));
  EXPECT_FALSE(Combine::make({call}) == Sequential::make({call}));
  // The whole statement verifies clean inside the base module.
  Module m = baseModule(all);
  EXPECT_FALSE(verify(m).hasErrors()) << verify(m).render();
}

TEST(IR, ScheduleDirectives) {
  Directive d = Directive::dispatch("hash", {{"workers", 8}}, var("b"));
  EXPECT_EQ(d.name(), "dispatch");
  EXPECT_EQ(directiveName(DirectiveKind::ChannelDefaults), "channel_defaults");
  EXPECT_EQ(parseDirectiveKind("task_window"), DirectiveKind::TaskWindow);
  EXPECT_EQ(parseDirectiveKind("nope"), std::nullopt);
  EXPECT_EQ(dispatchPolicies().size(), 5u);
  Schedule a{{d, Directive::taskWindow(16)}},
      b{{Directive::dispatch("hash", {{"workers", 8}}, var("b"), L(3)), Directive::taskWindow(16)}};
  EXPECT_TRUE(a == b);
  b.directives[1] = Directive::taskWindow(17);
  EXPECT_FALSE(a == b);
}

TEST(IR, ModuleLookupAndEquality) {
  Module a = baseModule(), b = baseModule();
  EXPECT_TRUE(a == b);
  EXPECT_NE(a.findTensor("x"), nullptr);
  EXPECT_EQ(a.findTensor("q"), nullptr);
  EXPECT_NE(a.findKernel("scale"), nullptr);
  EXPECT_NE(a.findWorkload("main"), nullptr);
  EXPECT_NE(a.findSymbol("S"), nullptr);
  EXPECT_NE(a.findSlot("e0"), nullptr);
  Env env = a.defaultEnv();
  EXPECT_EQ(env.symbols.at("S"), 4096);
  EXPECT_EQ(env.slots.at("e0"), 0);
  b.tensors[0].loc = L(1000);
  b.workloads[0].loc = L(1001);
  EXPECT_TRUE(a == b);
  b.workloads[0].schedule.directives.push_back(Directive::streams(2));
  EXPECT_FALSE(a == b);
  Module c = baseModule();
  c.symbols[0].value = 1;
  EXPECT_FALSE(a == c);
}

TEST(IR, VisitorRecursesEverywhere) {
  struct Count : IRVisitor {
    int vars = 0, calls = 0, consts = 0;
    using IRVisitor::visit;
    void visit(const NameRef& n) override { vars += n.kind == ExprKind::Var; }
    void visit(const IntConst&) override { ++consts; }
    void visit(const Call& c) override {
      ++calls;
      IRVisitor::visit(c);
    }
  } c;
  c.visitModule(baseModule());
  EXPECT_EQ(c.calls, 1);
  EXPECT_EQ(c.vars, 4);  // b, t in both views
  EXPECT_GT(c.consts, 0);
}

TEST(IR, MutatorRebuildsOnlyChanges) {
  struct Rename : IRMutator {
    using IRMutator::mutate;
    Expr mutate(const NameRef& n, const Expr& self) override {
      return n.kind == ExprKind::Var && n.name == "b" ? var("bb", n.loc) : self;
    }
  } r;
  Module m = baseModule();
  Module out = r.mutateModule(m);
  EXPECT_FALSE(out == m);
  const auto* loop = out.workloads[0].body.as<Loop>();
  ASSERT_NE(loop, nullptr);
  EXPECT_TRUE(loop->body.as<Call>()->args[0].view.offsets[0] == var("bb") * 16);
  struct Nothing : IRMutator {
  } n;
  Stmt body = m.workloads[0].body;
  EXPECT_EQ(n.mutate(body).get(), body.get());  // untouched subtree is shared
}
