// The C++ authoring API: structure it builds, chaining, and located errors.
#include "pto/wsp/api/Builder.h"

#include <gtest/gtest.h>

using namespace pto::wsp;
using ir::DType;
using ir::TensorRole;

namespace {
// rmsnorm kernel used by several tests.
KernelRef addRms(ModuleBuilder& M) {
  return M.kernel("rms", [](KernelBuilder& k) {
    auto x = k.in("x", 16, 128, DType::F32);
    auto y = k.out("y", 16, 128, DType::F32);
    auto t = k.load(x);
    k.store(y, t * rsqrt(rowmean(t * t) + 1e-6));
  });
}

bool contains(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

// The statement of a one-statement body (the builder braces every body); null otherwise.
ir::Stmt only(const ir::Stmt& body) {
  const auto* b = body.as<ir::Block>();
  return b && b->stmts.size() == 1 ? b->stmts[0] : ir::Stmt();
}
}  // namespace

TEST(Builder, RmsnormInTenLines) {
  // --- the ~10 lines a user writes ---
  ModuleBuilder M("rms");
  auto X = M.tensor("x", {64, 4096}, DType::F32);
  auto Y = M.tensor("y", {64, 4096}, DType::F32, TensorRole::Output);
  auto rms = addRms(M);
  Var b("b"), t("t");
  M.workload("main")
      .P({b.in(Dense(4)), t.in(Dense(32))},
         [&](WorkloadBuilder& w) {
           w.call(rms, {X.at({b * 16, t * 128}), Y.at({b * 16, t * 128})});
         })
      .dispatch("round_robin", {{"workers", 4}})
      .task_window(64);
  ir::Module m = M.buildVerified();
  // --- what it built ---
  ASSERT_EQ(m.workloads.size(), 1u);
  ir::Stmt top = only(m.workloads[0].body);
  const auto* loop = top.as<ir::Loop>();
  ASSERT_NE(loop, nullptr);
  EXPECT_EQ(loop->loopKind, ir::LoopKind::Parallel);
  ASSERT_EQ(loop->vars.size(), 2u);
  EXPECT_EQ(loop->vars[1].name, "t");
  EXPECT_TRUE(loop->vars[1].axis == ir::Axis::dense(32));
  ir::Stmt inner = only(loop->body);
  const auto* call = inner.as<ir::Call>();
  ASSERT_NE(call, nullptr);
  EXPECT_EQ(call->kernel, "rms");
  ASSERT_EQ(call->args.size(), 2u);
  EXPECT_EQ(call->args[0].view.rows, 16);  // tile shape taken from the kernel parameter
  EXPECT_EQ(call->args[0].view.cols, 128);
  EXPECT_TRUE(call->args[0].view.offsets[1] == ir::var("t") * 128);
  const auto& ds = m.workloads[0].schedule.directives;
  ASSERT_EQ(ds.size(), 2u);
  EXPECT_EQ(ds[0].name(), "dispatch");
  EXPECT_EQ(ds[0].policy, "round_robin");
  EXPECT_EQ(ds[1].name(), "task_window");
  EXPECT_EQ(ds[1].size, 64);
  // Kernel body: load, mul, mul(row mean), ... every result typed.
  const ir::Kernel& k = *m.findKernel("rms");
  EXPECT_EQ(k.body.front().op, ir::TileOpKind::Load);
  EXPECT_EQ(k.body.back().op, ir::TileOpKind::Store);
  for (const ir::TileInst& i : k.body) EXPECT_EQ(i.resultTypes.size(), i.results.size());
  bool sawRow = false;
  for (const ir::TileInst& i : k.body) sawRow |= i.broadcast == ir::Broadcast::Row;
  EXPECT_TRUE(sawRow) << "t * [16,1] is a row broadcast";
}

TEST(Builder, VerifierErrorPointsAtUserLine) {
  ModuleBuilder M("oob");
  auto X = M.tensor("x", {64, 4096}, DType::F32);
  auto Y = M.tensor("y", {64, 4096}, DType::F32, TensorRole::Output);
  auto rms = addRms(M);
  Var b("b"), t("t");
  const int line = __LINE__ + 2;
  M.workload("main").P({b.in(Dense(4)), t.in(Dense(33))}, [&](WorkloadBuilder& w) {
    w.call(rms, {X.at({b * 16, t * 128}), Y.at({b * 16, t * 128})});
  });
  ir::Module m = M.build();
  std::string r = ir::verify(m).render();
  EXPECT_TRUE(contains(r, "BuilderTest.cpp:" + std::to_string(line) + ":")) << r;
  EXPECT_TRUE(contains(r,
                       "(in workload 'main' > P b, t > call rms > argument 0): error: call 'rms' argument 0 ('x'): "
                       "view of 'x' out of bounds in dim 1"))
      << r;
  try {
    M.buildVerified();
    FAIL() << "expected UserError";
  } catch (const UserError& e) {
    EXPECT_EQ(e.diagnostics().size(), 2u);  // x and y views
  }
}

TEST(Builder, ExplicitViewShapeMismatch) {
  ModuleBuilder M("shape");
  auto X = M.tensor("x", {64, 4096}, DType::F32);
  auto Y = M.tensor("y", {64, 4096}, DType::F32, TensorRole::Output);
  auto rms = addRms(M);
  M.workload("main").call(rms, {X.view({0, 0}, 16, 64), Y.at({0, 0})});
  std::string r = ir::verify(M.build()).render();
  EXPECT_TRUE(contains(r, "call 'rms' argument 0 ('x'): expected tile 16x128, got 16x64 (view of 'x')")) << r;
}

TEST(Builder, TileRuleViolationThrowsAtTheOp) {
  ModuleBuilder M("bad");
  const int line = __LINE__ + 4;
  auto build = [&] {
    M.kernel("k", [](KernelBuilder& k) {
      auto a = k.load(k.in("a", 16, 32, DType::F16));
      auto c = k.matmul(a, a);
      (void)c;
    });
  };
  try {
    build();
    FAIL() << "expected UserError";
  } catch (const UserError& e) {
    std::string w = e.what();
    EXPECT_TRUE(contains(w, "BuilderTest.cpp:" + std::to_string(line) + ":")) << w;
    EXPECT_TRUE(contains(w,
                         "(in kernel 'k' > op 1 ('matmul')): error: kernel 'k' op 1 ('matmul'): 'matmul' inner dims "
                         "differ: [16,32] x [16,32] (K 32 != 16)"))
        << w;
    EXPECT_TRUE(contains(w, "help: matmul takes [M,K] x [K,N]")) << w;
  }
}

TEST(Builder, KernelOps) {
  ModuleBuilder M("ops");
  M.kernel("all", [](KernelBuilder& k) {
    auto a = k.load(k.in("a", 8, 16, DType::F32));
    auto mask = k.load(k.in("m", 8, 16, DType::Bool));
    auto s = k.scalar("s", DType::F32);
    auto o = k.out("o", 8, 16, DType::F32);
    auto x = max(a, min(a, a)) - a / (a + 1.0) * s;
    x = exp(log(sqrt(abs(x)))) + tanh(sigmoid(relu(gelu(silu(sin(cos(-x)))))));
    x = x - rowmax(x);  // row broadcast
    x = x / colsum(x);  // column broadcast
    x = k.select(mask, x, k.fill(8, 16, DType::F32, 0.0));
    auto tt = k.transpose(k.transpose(x));
    auto [v, idx] = k.topk(k.sort(tt, true), 4);
    auto i16 = k.cast(idx, DType::F32);
    (void)v;
    (void)i16;
    (void)k.iota(1, 16, DType::I32);
    (void)rowsum(x);
    (void)rowmin(x);
    (void)colmax(x);
    k.store(o, tt);
  });
  ir::Module m = M.build();
  const ir::Kernel& k = m.kernels[0];
  EXPECT_GT(k.body.size(), 30u);
  DiagnosticList d = ir::verify(m);
  EXPECT_FALSE(d.hasErrors()) << d.render();
  bool topk = false;
  for (const ir::TileInst& i : k.body)
    if (i.op == ir::TileOpKind::TopK) {
      topk = true;
      EXPECT_EQ(i.resultTypes[1], (ir::TileType{8, 4, DType::I32}));
      EXPECT_TRUE(i.descending);
    }
  EXPECT_TRUE(topk);
}

TEST(Builder, WhenOtherwiseAndSlots) {
  ModuleBuilder M("moe");
  auto X = M.tensor("x", {64, 4096}, DType::F32);
  auto Y = M.tensor("y", {64, 4096}, DType::F32, TensorRole::Output);
  auto R = M.tensor("r", {4, 4}, DType::I32, TensorRole::Temp);
  auto e = M.slot("e");
  auto rms = addRms(M);
  WorkloadBuilder& W = M.workload("main");
  W.slot_load(e, R.at({0, 0}), 0, 0).slot_set(e, e + 1);
  W.when(eq(e, 0),
         [&](WorkloadBuilder& w) {
           w.call(rms, {X.at({0, 0}), Y.at({0, 0})});
         })
      .when(eq(e, 1),
            [&](WorkloadBuilder& w) {
              w.call(rms, {X.at({16, 0}), Y.at({16, 0})});
            })
      .otherwise([&](WorkloadBuilder& w) {
        w.scope([&](WorkloadBuilder& s) { s.call(rms, {X.at({32, 0}), Y.at({32, 0})}); });
      });
  ir::Module m = M.buildVerified();
  const auto* blk = m.workloads[0].body.as<ir::Block>();
  ASSERT_NE(blk, nullptr);
  ASSERT_EQ(blk->stmts.size(), 3u);
  EXPECT_EQ(blk->stmts[0].kind(), ir::StmtKind::SlotLoad);
  EXPECT_EQ(blk->stmts[0].as<ir::SlotLoad>()->view.rows, 1);
  EXPECT_EQ(blk->stmts[1].kind(), ir::StmtKind::SlotSet);
  const auto* cond = blk->stmts[2].as<ir::Cond>();
  ASSERT_NE(cond, nullptr);
  EXPECT_EQ(cond->branches.size(), 2u);
  EXPECT_TRUE(cond->branches[1].pred == eq(ir::slotRef("e"), 1));
  ASSERT_TRUE(cond->otherwise.defined());
  EXPECT_EQ(only(cond->otherwise).kind(), ir::StmtKind::Scope);
}

TEST(Builder, StructureAndLoops) {
  ModuleBuilder M("s");
  auto X = M.tensor("x", {64, 4096}, DType::F32);
  auto Y = M.tensor("y", {64, 4096}, DType::F32, TensorRole::Output);
  auto lens = M.tensor("lens", {4}, DType::I32);
  auto S = M.symbol("S", 32);
  auto rms = addRms(M);
  Var b("b"), t("t"), k("k");
  M.workload("main")
      .combine([&](WorkloadBuilder& w) {
        w.call(rms, {X.at({0, 0}), Y.at({0, 0})});
        w.call(rms, {X.at({16, 0}), Y.at({16, 0})});
      })
      .sequential([&](WorkloadBuilder& w) {
        w.seq(k.in(DenseDyn(S)), [&](WorkloadBuilder& s) { s.call(rms, {X.at({0, k * 128}), Y.at({0, k * 128})}); });
        w.P({b.in(Dense(4))}, [&](WorkloadBuilder& p) {
          p.sel(t.in(Ragged(b, "lens")), [&](WorkloadBuilder& s) {
            s.call(rms, {X.at({b * 16, t * 128}), Y.at({b * 16, t * 128})});
          });
        });
      });
  (void)lens;
  ir::Module m = M.buildVerified();
  const auto* blk = m.workloads[0].body.as<ir::Block>();
  ASSERT_NE(blk, nullptr);
  EXPECT_EQ(blk->stmts[0].kind(), ir::StmtKind::Combine);
  EXPECT_EQ(blk->stmts[0].as<ir::Combine>()->stmts.size(), 2u);
  const auto* seq = blk->stmts[1].as<ir::Sequential>();
  ASSERT_NE(seq, nullptr);
  EXPECT_EQ(seq->stmts[0].as<ir::Loop>()->loopKind, ir::LoopKind::Seq);
  EXPECT_EQ(seq->stmts[0].as<ir::Loop>()->vars[0].axis.kind, ir::AxisKind::DenseDyn);
  ir::Stmt selStmt = only(seq->stmts[1].as<ir::Loop>()->body);
  const auto* sel = selStmt.as<ir::Loop>();
  ASSERT_NE(sel, nullptr);
  EXPECT_EQ(sel->loopKind, ir::LoopKind::Sel);
  EXPECT_EQ(sel->vars[0].axis.lengths, "lens");
  EXPECT_TRUE(contains(sel->loc.context, "workload 'main' > sequential > P b > P.sel t")) << sel->loc.context;
}

TEST(Builder, CspPipeline) {
  ModuleBuilder M("csp");
  auto X = M.tensor("x", {64, 4096}, DType::F32);
  auto Y = M.tensor("y", {64, 4096}, DType::F32, TensorRole::Output);
  auto rms = addRms(M);
  Var i("i"), v("v");
  M.workload("main")
      .channel("c")
      .channel("idx", ir::ChannelElem::Index)
      .process("p", {"c", "idx"}, {},
               [&](WorkloadBuilder& w) {
                 w.P({i.in(Dense(4))}, [&](WorkloadBuilder& p) {
                   p.send("c", rms, {X.at({i * 16, 0}), Y.at({i * 16, 0})});
                   p.sendValue("idx", i);
                 });
               })
      .process("q", {}, {"c", "idx"},
               [&](WorkloadBuilder& w) {
                 w.consume("c", v, [&](WorkloadBuilder& c) { c.call(rms, {X.at({0, 128}), Y.at({0, 128})}); });
               })
      .connect("c", "p", "q")
      .replicate("q", 2)
      .channel_defaults(2, 0)
      .channel_config("c", 4, 10)
      .pool("ready_queue", 64)
      .streams(2)
      .stream_by(ir::Expr(0))
      .timing({{"trace", 1}});
  ir::Module m = M.buildVerified();
  const auto* blk = m.workloads[0].body.as<ir::Block>();
  ASSERT_NE(blk, nullptr);
  std::vector<ir::StmtKind> kinds;
  for (const ir::Stmt& s : blk->stmts) kinds.push_back(s.kind());
  EXPECT_EQ(kinds,
            (std::vector<ir::StmtKind>{ir::StmtKind::ChannelDecl, ir::StmtKind::ChannelDecl, ir::StmtKind::Process,
                                       ir::StmtKind::Process, ir::StmtKind::Connect, ir::StmtKind::Replicate}));
  const auto& ds = m.workloads[0].schedule.directives;
  std::vector<std::string_view> names;
  for (const ir::Directive& d : ds) names.push_back(d.name());
  EXPECT_EQ(names,
            (std::vector<std::string_view>{"channel_defaults", "channel", "pool", "streams", "stream_by", "timing"}));
}

TEST(Builder, CspErrorsAreLocated) {
  ModuleBuilder M("csp");
  auto X = M.tensor("x", {64, 4096}, DType::F32);
  auto Y = M.tensor("y", {64, 4096}, DType::F32, TensorRole::Output);
  auto rms = addRms(M);
  Var v("v");
  const int line = __LINE__ + 2;
  M.workload("main").channel("c").process("q", {}, {"c"}, [&](WorkloadBuilder& w) {
    w.consume("c", v, [&](WorkloadBuilder& c) { c.call(rms, {X.at({0, 0}), Y.at({0, 0})}); });
  });
  std::string r = ir::verify(M.build()).render();
  EXPECT_TRUE(contains(r, "BuilderTest.cpp:" + std::to_string(line) + ":")) << r;
  EXPECT_TRUE(contains(
      r, "(in workload 'main' > process q > consume c as v): error: channel 'c' is consumed but never produced\n"))
      << r;
}

TEST(Builder, ScheduleErrorsAreLocated) {
  ModuleBuilder M("s");
  auto X = M.tensor("x", {64, 4096}, DType::F32);
  auto Y = M.tensor("y", {64, 4096}, DType::F32, TensorRole::Output);
  auto rms = addRms(M);
  const int line = __LINE__ + 1;
  M.workload("main").call(rms, {X.at({0, 0}), Y.at({0, 0})}).dispatch("fastest").task_window(0);
  DiagnosticList d = ir::verify(M.build());
  ASSERT_EQ(d.size(), 2u) << d.render();
  EXPECT_EQ(d.all()[0].loc.line, static_cast<uint32_t>(line));
  EXPECT_TRUE(contains(d.render(), "unknown dispatch policy 'fastest'")) << d.render();
  EXPECT_TRUE(contains(d.render(), "legal policies: round_robin, hash, affinity, least_loaded, custom")) << d.render();
  EXPECT_TRUE(contains(d.render(), "task_window: window size 0 < 1")) << d.render();
}

TEST(Builder, UnknownKernelAndArity) {
  ModuleBuilder M("k");
  auto X = M.tensor("x", {64, 4096}, DType::F32);
  auto rms = addRms(M);
  M.workload("main").call(KernelRef{"nope"}, {X.at({0, 0})}).call(rms, {X.at({0, 0})});
  std::string r = ir::verify(M.build()).render();
  EXPECT_TRUE(contains(r, "call 'nope': unknown kernel 'nope'")) << r;
  EXPECT_TRUE(contains(r, "call 'rms': kernel 'rms' takes 2 argument(s), got 1")) << r;
}

TEST(Builder, TensorLayoutAndViews) {
  ModuleBuilder M("l");
  auto A = M.tensor("a", {128, 128}, DType::F32);
  A.dist({ir::DimDist::R(), ir::DimDist::S("x")}).strides({1, 128}).dimOrder({1, 0});
  ViewArg v = A.at({0, 0}).T().step(1, 2).shape(16, 32);
  ir::View iv = v.toView();
  EXPECT_TRUE(iv.transposed);
  EXPECT_EQ(iv.colStep, 2);
  EXPECT_EQ(iv.rows, 16);
  ir::Module m = M.build();
  EXPECT_EQ(m.tensors[0].dist[1].str(), "S(x)");
  EXPECT_EQ(m.tensors[0].strides, (std::vector<int64_t>{1, 128}));
  EXPECT_EQ(m.tensors[0].dimOrder, (std::vector<int>{1, 0}));
  EXPECT_TRUE(ir::verify(m).empty()) << ir::verify(m).render();
}

TEST(Builder, ExternalKernel) {
  ModuleBuilder M("e");
  auto X = M.tensor("x", {64, 64}, DType::F32);
  auto ext = M.externalKernel(
      "fft",
      [](KernelBuilder& k) {
        k.in("x", 16, 16, DType::F32);
        k.scalar("n", DType::I64);
      },
      "kernels/fft.cpp", ir::Expr(100) + ir::var("n") * 8);
  M.workload("main").call(ext, {X.at({0, 0}), 16});
  ir::Module m = M.buildVerified();
  EXPECT_TRUE(m.kernels[0].external);
  EXPECT_EQ(m.kernels[0].source, "kernels/fft.cpp");
}

TEST(Builder, NamedValuesAndStaleHandles) {
  ModuleBuilder M("names");
  M.kernel("k", [](KernelBuilder& k) {
    auto x = k.in("x", 16, 128, DType::F32);
    auto y = k.out("y", 16, 128, DType::F32);
    auto t = k.load(x);
    Tile old = t;          // a copy taken before the rename
    t.named("xt");
    auto t1 = k.load(x);   // fresh names skip the ones the user gave: t1 (t0 was renamed)
    auto sum = (old + t1).named("t2");
    auto next = exp(sum);  // t3: t2 is taken
    k.store(y, next);
  });
  ir::Module m = M.build();
  const ir::Kernel& k = m.kernels.at(0);
  ASSERT_EQ(k.body.size(), 5u);
  EXPECT_EQ(k.body[0].results, std::vector<std::string>{"xt"});
  EXPECT_EQ(k.body[1].results, std::vector<std::string>{"t1"});
  EXPECT_EQ(k.body[2].operands, (std::vector<std::string>{"xt", "t1"}));
  EXPECT_EQ(k.body[2].results, std::vector<std::string>{"t2"});
  EXPECT_EQ(k.body[3].results, std::vector<std::string>{"t3"});
  EXPECT_EQ(k.body[4].operands, std::vector<std::string>{"t3"});
}

TEST(Builder, NamingTwoValuesAlikeIsLocated) {
  ModuleBuilder M("dup");
  const int line = __LINE__ + 5;
  try {
    M.kernel("k", [](KernelBuilder& k) {
      auto x = k.in("x", 16, 128, DType::F32);
      auto a = k.load(x).named("a");
      auto b = k.load(x).named("a");
      (void)a;
      (void)b;
    });
    FAIL() << "expected UserError";
  } catch (const UserError& e) {
    std::string w = e.what();
    EXPECT_TRUE(contains(w, "BuilderTest.cpp:" + std::to_string(line) + ":")) << w;
    EXPECT_TRUE(contains(w, "error: kernel 'k': value name '%a' is already taken")) << w;
    EXPECT_TRUE(contains(w, "help: each value of a kernel needs its own name")) << w;
  }
}

// Every body is a block, as the parser gives for `{ ... }`, even with one statement.
TEST(Builder, BodiesAreBraced) {
  ModuleBuilder M("braces");
  auto X = M.tensor("X", {16, 128}, DType::F32);
  auto Y = M.tensor("Y", {16, 128}, DType::F32, TensorRole::Output);
  auto rms = addRms(M);
  Var b("b");
  M.workload("w").P({b.in(Dense(1))}, [&](WorkloadBuilder& w) { w.call(rms, {X.at({0, 0}), Y.at({0, 0})}); });
  ir::Module m = M.build();
  const auto* top = m.workloads.at(0).body.as<ir::Block>();
  ASSERT_NE(top, nullptr);
  ASSERT_EQ(top->stmts.size(), 1u);
  const auto* loop = top->stmts[0].as<ir::Loop>();
  ASSERT_NE(loop, nullptr);
  const auto* body = loop->body.as<ir::Block>();
  ASSERT_NE(body, nullptr);
  EXPECT_EQ(body->stmts.size(), 1u);
}
