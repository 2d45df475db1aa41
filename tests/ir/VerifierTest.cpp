// One test per verifier rule; each asserts the message text (and location / help).
#include "Fixtures.h"

#include <gtest/gtest.h>

#include <limits>

using namespace pto::wsp;
using namespace pto::wsp::ir;
using namespace pto::wsp::ir::test;

namespace {
Stmt grid(Stmt body, int64_t nb = 4, int64_t nt = 32) {
  return Loop::make(LoopKind::Parallel, {{"b", Axis::dense(nb)}, {"t", Axis::dense(nt)}}, std::move(body), L(10));
}
Module withKernel(Kernel k) {
  Module m = baseModule();
  m.kernels.push_back(std::move(k));
  return m;
}
Module withSchedule(std::vector<Directive> ds) {
  Module m = baseModule();
  m.workloads[0].schedule.directives = std::move(ds);
  return m;
}
}  // namespace

TEST(Verifier, BaseModuleIsClean) {
  DiagnosticList d = verify(baseModule());
  EXPECT_TRUE(d.empty()) << d.render();
  EXPECT_NO_THROW(verifyOrThrow(baseModule()));
}

// ---- names that become file names ----
TEST(Verifier, ModuleAndTensorNamesHoldNoPathOrControlCharacter) {
  Module m = baseModule();
  m.name = "../up";
  DiagnosticList d = verify(m);
  ASSERT_EQ(d.size(), 1u) << d.render();
  EXPECT_NE(d.render().find("module name '../up' holds '/', which a module name cannot"), std::string::npos);
  m = baseModule();
  m.tensors[0].name = std::string("a\nb");
  d = verify(m);
  EXPECT_NE(d.render().find("tensor name 'a\\x0ab' holds control character 0x0a"), std::string::npos) << d.render();
  m = baseModule();
  m.tensors[0].name = "say \"hi\"";
  EXPECT_NE(verify(m).render().find("holds '\"'"), std::string::npos);
  m = baseModule();
  m.name = "my module-2.v";  // spaces, dashes and dots are fine
  EXPECT_TRUE(verify(m).empty());
}

// ---- views ----
TEST(Verifier, ViewOutOfBoundsUsesAffineRange) {
  Module m = baseModule(grid(scaleCall(var("b") * 16, var("t") * 128), 4, 33));
  DiagnosticList d = verify(m);
  ASSERT_TRUE(d.hasErrors());
  const std::string r = d.render();
  EXPECT_NE(r.find("t.wsp:20:1: error: call 'scale' argument 0 ('x'): view of 'x' out of bounds in dim 1: offset "
                   "'t * 128' ranges over [0, 4096], so indices reach [0, 4223], but the dim has size 4096 (workload "
                   "'main')"),
            std::string::npos)
      << r;
  EXPECT_NE(r.find("help: keep offset + 128 <= 4096 for every iteration"), std::string::npos) << r;
  EXPECT_THROW(verifyOrThrow(m), UserError);
}

TEST(Verifier, ViewOutOfBoundsNegativeOffset) {
  Module m = baseModule(grid(scaleCall(var("b") * 16 - 1, var("t") * 128)));
  EXPECT_TRUE(hasError(m, "offset 'b * 16 - 1' ranges over [-1, 47], so indices reach [-1, 62]"));
}

TEST(Verifier, ViewInBoundsAtTheEdge) {
  // Last tile ends exactly at the edge: (3*16 + 15) = 63 < 64.
  EXPECT_TRUE(verify(baseModule(grid(scaleCall(var("b") * 16, var("t") * 128)))).empty());
}

TEST(Verifier, HugeOffsetsNeverOverflow) {
  // Offsets and steps near the int64 limits: reported as out of bounds or left unbounded,
  // never undefined behaviour (the sanitizer build runs this).
  const int64_t big = std::numeric_limits<int64_t>::max() / 2;
  Module m = baseModule(grid(scaleCall(var("b") + big, var("t") * 128)));
  EXPECT_TRUE(hasError(m, "view of 'x' out of bounds in dim 0"));
  // b * big + big leaves int64 for b = 3 (a static overflow): a located compile error,
  // not a wrapped index that passes the checks.
  Module o = baseModule(grid(scaleCall(var("b") * big + big, var("t") * 128)));
  EXPECT_TRUE(hasError(o, "offset 'b * 4611686018427387903 + 4611686018427387903' of 'x' in dim 0 overflows 64-bit"));
  Module n = baseModule(grid(scaleCall(var("b") * big * 4, var("t") * 128)));
  EXPECT_TRUE(hasError(n, "offset 'b * 4611686018427387903 * 4' of 'x' in dim 0 overflows 64-bit integers"));
  Module s = baseModule(Call::make("scale", {CallArg::ofView(View::make("x", {Expr(0), Expr(0)}, 16, 128).withSteps(big, big)),
                                             CallArg::ofView(View::make("y", {Expr(0), Expr(0)}, 16, 128))}, L(27)));
  EXPECT_TRUE(hasError(s, "so indices reach [0, 9223372036854775806], but the dim has size 64"));
  EXPECT_EQ(exprBounds(var("b") * big * 4, {{"b", {0, 3}}}), std::nullopt);
  EXPECT_EQ(affineForm(Expr(big) * 4 + var("b")), std::nullopt);
}

TEST(Verifier, TransposedViewSpansSwapped) {
  Module m = baseModule();
  View v = View::make("x", {Expr(0), Expr(0)}, 16, 128, L(21)).transpose();  // spans 128 rows of x (size 64)
  m.workloads[0] = Workload::make(
      "main",
      Call::make("scale", {CallArg::ofView(v), CallArg::ofView(View::make("y", {Expr(0), Expr(0)}, 16, 128))}, L(21)));
  EXPECT_TRUE(hasError(m,
                       "view of 'x' out of bounds in dim 0: offset '0' ranges over [0, 0], so indices reach [0, 127], "
                       "but the dim has size 64"));
}

TEST(Verifier, TileShapeMismatchViewVsParam) {
  Module m =
      baseModule(grid(Call::make("scale",
                                 {CallArg::ofView(View::make("x", {var("b") * 16, var("t") * 128}, 16, 64, L(22))),
                                  CallArg::ofView(View::make("y", {var("b") * 16, var("t") * 128}, 16, 128))},
                                 L(22))));
  EXPECT_TRUE(
      hasError(m, "t.wsp:22:1: error: call 'scale' argument 0 ('x'): expected tile 16x128, got 16x64 (view of 'x')"));
  EXPECT_TRUE(hasError(m, "help: make the view 16x128 or change the kernel parameter"));
}

TEST(Verifier, ViewRankMismatch) {
  Module m = baseModule(grid(Call::make("scale",
                                        {CallArg::ofView(View::make("x", {var("b")}, 16, 128)),
                                         CallArg::ofView(View::make("y", {Expr(0), Expr(0)}, 16, 128))},
                                        L(23))));
  EXPECT_TRUE(hasError(m, "call 'scale' argument 0 ('x'): 1 offsets for tensor 'x' of rank 2"));
}

TEST(Verifier, ViewDtypeMismatch) {
  Module m = baseModule();
  m.tensors[0].dtype = DType::F16;
  EXPECT_TRUE(hasError(m, "call 'scale' argument 0 ('x'): expected dtype f32, tensor 'x' is f16"));
}

TEST(Verifier, OutParamWritesInputTensor) {
  Module m = baseModule();
  m.tensors[1].role = TensorRole::Input;
  EXPECT_TRUE(hasError(m, "call 'scale' argument 1 ('y'): out parameter writes tensor 'y', which is declared input"));
}

TEST(Verifier, BadViewShapeAndSteps) {
  Module m = baseModule(Call::make("scale",
                                   {CallArg::ofView(View::make("x", {Expr(0), Expr(0)}, 16, 128).withSteps(0, 1)),
                                    CallArg::ofView(View::make("y", {Expr(0), Expr(0)}, 0, 128))},
                                   L(24)));
  EXPECT_TRUE(hasError(m, "steps 0x1 must be >= 1"));
  EXPECT_TRUE(hasError(m, "tile 0x128 has a non-positive dim"));
}

TEST(Verifier, OneDimensionalViewNeedsOneRow) {
  Module m = baseModule();
  m.tensors.push_back(Tensor::make("v", {Expr(128)}, DType::F32, TensorRole::Input));
  m.workloads[0] = Workload::make("main", Call::make("scale",
                                                     {CallArg::ofView(View::make("v", {Expr(0)}, 16, 128)),
                                                      CallArg::ofView(View::make("y", {Expr(0), Expr(0)}, 16, 128))},
                                                     L(25)));
  EXPECT_TRUE(hasError(m, "tile 16x128 of the 1-D tensor 'v' must have one row"));
}

TEST(Verifier, StepsWidenTheFootprint) {
  // colStep 2 over 128 columns spans 255 elements: t in [0,31] -> up to 31*128 + 254 = 4222.
  Module m = baseModule(
      grid(Call::make("scale",
                      {CallArg::ofView(View::make("x", {var("b") * 16, var("t") * 128}, 16, 128).withSteps(1, 2)),
                       CallArg::ofView(View::make("y", {var("b") * 16, var("t") * 128}, 16, 128))},
                      L(26))));
  EXPECT_TRUE(hasError(m, "so indices reach [0, 4222], but the dim has size 4096"));
}

// ---- names ----
TEST(Verifier, UnknownKernel) {
  Module m = baseModule(Call::make("rmsnorm", {}, L(30)));
  EXPECT_TRUE(hasError(m, "t.wsp:30:1: error: call 'rmsnorm': unknown kernel 'rmsnorm' (workload 'main')"));
  EXPECT_TRUE(hasError(m, "help: declared kernels: scale"));
}

TEST(Verifier, UnknownTensor) {
  Module m = baseModule(Call::make("scale",
                                   {CallArg::ofView(View::make("z", {Expr(0), Expr(0)}, 16, 128, L(31))),
                                    CallArg::ofView(View::make("y", {Expr(0), Expr(0)}, 16, 128))},
                                   L(31)));
  EXPECT_TRUE(hasError(m, "call 'scale' argument 0 ('x'): unknown tensor 'z'"));
  EXPECT_TRUE(hasError(m, "help: declared tensors: x, y"));
}

TEST(Verifier, UnknownSymbol) {
  Module m = baseModule();
  m.tensors[0].shape[1] = symbol("N");
  EXPECT_TRUE(hasError(m, "tensor 'x' dim 1: unknown symbol 'N'"));
  EXPECT_TRUE(hasError(m, "help: declare it with `symbol N`; declared symbols: S"));
}

TEST(Verifier, UnknownSlotInCondition) {
  Module m = baseModule(Cond::make({{eq(slotRef("e9"), 1), scaleCall(0, 0)}}, {}, L(32)));
  EXPECT_TRUE(hasError(m, "condition: unknown slot 'e9'"));
  EXPECT_TRUE(hasError(m, "declared slots: e0"));
}

TEST(Verifier, UnknownVariable) {
  Module m = baseModule(grid(scaleCall(var("q") * 16, var("t") * 128)));
  EXPECT_TRUE(hasError(m, "call 'scale' argument 0 ('x'): unknown variable 'q'"));
  EXPECT_TRUE(hasError(m, "help: variables in scope: b, t"));
}

TEST(Verifier, SlotNotAllowedInTensorShape) {
  Module m = baseModule();
  m.tensors[0].shape[0] = slotRef("e0");
  EXPECT_TRUE(hasError(m, "tensor 'x' dim 0: slot 'e0' is not allowed here"));
}

TEST(Verifier, DuplicateNames) {
  Module m = baseModule();
  m.tensors.push_back(Tensor::make("x", {Expr(4)}, DType::F32, TensorRole::Temp, L(40)));
  m.kernels.push_back(scaleKernel());
  m.workloads.push_back(m.workloads[0]);
  m.symbols.push_back({"S", 1, L(41)});
  m.slots.push_back({"e0", 0, L(42)});
  EXPECT_TRUE(
      hasError(m, "t.wsp:40:1: error: duplicate tensor name 'x'\nt.wsp:6:1: note: first tensor 'x' declared here"));
  EXPECT_TRUE(hasError(m, "duplicate kernel name 'scale'"));
  EXPECT_TRUE(hasError(m, "duplicate workload name 'main'"));
  EXPECT_TRUE(hasError(m, "duplicate symbol name 'S'"));
  EXPECT_TRUE(hasError(m, "duplicate slot name 'e0'"));
}

TEST(Verifier, NamesShareOneNamespace) {
  Module m = baseModule();
  m.slots.push_back({"x", 0, L(45)});
  EXPECT_TRUE(hasError(
      m,
      "t.wsp:6:1: error: name 'x' is declared as both a slot and a tensor\nt.wsp:45:1: note: slot 'x' declared here"));
}

TEST(Verifier, ArityMismatch) {
  Module m = baseModule(Call::make("scale", {CallArg::ofView(View::make("x", {Expr(0), Expr(0)}, 16, 128))}, L(43)));
  EXPECT_TRUE(hasError(m, "call 'scale': kernel 'scale' takes 2 argument(s), got 1"));
  EXPECT_TRUE(hasError(m, "help: signature: scale(x in tile 16x128xf32, y out tile 16x128xf32)"));
}

TEST(Verifier, ArgumentKindMismatch) {
  Module m = baseModule(
      Call::make("scale", {CallArg::ofValue(3), CallArg::ofView(View::make("y", {Expr(0), Expr(0)}, 16, 128))}, L(44)));
  EXPECT_TRUE(hasError(m, "call 'scale' argument 0 ('x'): expected a tensor view, got a scalar value"));
}

TEST(Verifier, ShadowedLoopVariable) {
  Module m = baseModule(Loop::make(LoopKind::Parallel, {{"b", Axis::dense(4)}},
                                   Loop::make(LoopKind::Seq, {{"b", Axis::dense(2)}}, scaleCall(0, 0), L(46)), L(45)));
  EXPECT_TRUE(hasError(m, "t.wsp:46:1: error: P.seq variable 'b' shadows an enclosing variable of the same name"));
}

// ---- loops and axes ----
TEST(Verifier, SeqLoopTakesOneVariable) {
  Module m =
      baseModule(Loop::make(LoopKind::Seq, {{"b", Axis::dense(4)}, {"t", Axis::dense(2)}}, scaleCall(0, 0), L(47)));
  EXPECT_TRUE(hasError(m, "P.seq loop over 2 variables"));
}

TEST(Verifier, SelNeedsSparseAxis) {
  Module m = baseModule(Loop::make(LoopKind::Sel, {{"b", Axis::dense(4)}}, scaleCall(0, 0), L(48)));
  EXPECT_TRUE(hasError(m, "P.sel over variable 'b' with a dense axis"));
}

TEST(Verifier, DenseExtentMustBePositive) {
  Module m = baseModule(Loop::make(LoopKind::Parallel, {{"b", Axis::dense(0)}}, scaleCall(0, 0), L(49)));
  EXPECT_TRUE(hasError(m, "axis of loop variable 'b': extent 0 < 1"));
}

TEST(Verifier, DynamicAxisUsesSymbolDefault) {
  // dense_dyn(S / 128) with S = 4096 -> t in [0, 31]: in bounds; S / 64 -> out of bounds.
  Module ok = baseModule(
      Loop::make(LoopKind::Parallel, {{"t", Axis::denseDyn(symbol("S") / 128)}}, scaleCall(0, var("t") * 128), L(50)));
  EXPECT_TRUE(verify(ok).empty()) << errors(ok);
  Module bad = baseModule(
      Loop::make(LoopKind::Parallel, {{"t", Axis::denseDyn(symbol("S") / 64)}}, scaleCall(0, var("t") * 128), L(50)));
  EXPECT_TRUE(hasError(bad, "view of 'x' out of bounds in dim 1"));
  Module unknown =
      baseModule(Loop::make(LoopKind::Parallel, {{"t", Axis::denseDyn(symbol("Q"))}}, scaleCall(0, 0), L(50)));
  EXPECT_TRUE(hasError(unknown, "axis of loop variable 't': unknown symbol 'Q'"));
}

TEST(Verifier, RaggedAndSparseAxes) {
  Module m = baseModule(Loop::make(
      LoopKind::Parallel, {{"b", Axis::dense(4)}},
      Loop::make(LoopKind::Sel, {{"t", Axis::ragged("b", "lens")}}, scaleCall(var("b") * 16, var("t") * 128), L(52)),
      L(51)));
  m.tensors.push_back(Tensor::make("lens", {Expr(4)}, DType::I32, TensorRole::Input));
  EXPECT_TRUE(verify(m).empty()) << errors(m);
  m.tensors.back().dtype = DType::F32;
  EXPECT_TRUE(hasError(m, "axis of loop variable 't': tensor 'lens' must be a 1-D integer tensor, got [4] f32"));

  Module s = baseModule(Loop::make(LoopKind::Sel, {{"t", Axis::sparse("z", "ptr", "idx")}}, scaleCall(0, 0), L(53)));
  EXPECT_TRUE(hasError(s, "outer variable 'z' is not an enclosing loop variable"));
  EXPECT_TRUE(hasError(s, "unknown tensor 'ptr'"));
  EXPECT_TRUE(hasError(s, "unknown tensor 'idx'"));
}

// ---- CSP ----
namespace {
Stmt pipelineBody(bool produce = true, bool declare = true) {
  std::vector<Stmt> s;
  if (declare) s.push_back(ChannelDecl::make("c", ChannelElem::Task, L(60)));
  s.push_back(Process::make(
      "p", produce ? std::vector<std::string>{"c"} : std::vector<std::string>{}, {},
      Loop::make(LoopKind::Parallel, {{"i", Axis::dense(4)}},
                 produce ? Send::makeCall("c", scaleCall(var("i") * 16, 0), L(62)) : scaleCall(0, 0), L(61)),
      L(61)));
  s.push_back(Process::make("q", {}, {"c"}, Consume::make("c", "tok", scaleCall(0, 0), L(64)), L(63)));
  s.push_back(Connect::make("c", "p", "q", L(65)));
  s.push_back(Replicate::make("q", 2, L(66)));
  return Block::make(std::move(s), L(59));
}
}  // namespace

TEST(Verifier, PipelineIsClean) {
  Module m = baseModule(pipelineBody());
  EXPECT_TRUE(verify(m).empty()) << errors(m);
}

TEST(Verifier, ChannelConsumedButNeverProduced) {
  Module m = baseModule(pipelineBody(/*produce=*/false));
  EXPECT_TRUE(hasError(m, "t.wsp:64:1: error: channel 'c' is consumed but never produced (workload 'main')"));
  EXPECT_TRUE(hasError(m, "help: list 'c' in the produces of a process that sends on it"));
}

TEST(Verifier, DeclaredProducerThatNeverSendsIsAWarning) {
  // Producers are the senders: 'p' does not close 'c', so 'q' would wait forever.
  Stmt body = Block::make({ChannelDecl::make("c", ChannelElem::Task, L(60)),
                           Process::make("p", {"c"}, {}, scaleCall(0, 0), L(61)),
                           Process::make("q", {}, {"c"}, Consume::make("c", "tok", scaleCall(0, 0), L(64)), L(63))});
  const DiagnosticList d = verify(baseModule(body));
  EXPECT_FALSE(d.hasErrors()) << d.render();
  EXPECT_NE(d.render().find("t.wsp:61:1: warning: process 'p' lists 'c' in produces but never sends on it; it "
                            "does not close 'c', so a consumer waits for it forever (workload 'main')"),
            std::string::npos)
      << d.render();
  EXPECT_NE(d.render().find("help: send on 'c' in 'p', or drop it from the produces list"), std::string::npos);
}

TEST(Verifier, SendOnUndeclaredChannel) {
  Module m = baseModule(pipelineBody(true, /*declare=*/false));
  EXPECT_TRUE(hasError(m, "t.wsp:62:1: error: send on 'c': channel 'c' is not declared"));
  EXPECT_TRUE(hasError(m, "consume of 'c': channel 'c' is not declared"));
  EXPECT_TRUE(hasError(m, "process 'p': channel 'c' is not declared"));
}

TEST(Verifier, SendAndConsumeMustMatchProcessLists) {
  Stmt body = Block::make({ChannelDecl::make("c"), ChannelDecl::make("d"),
                           Process::make("p", {"d"}, {"d"},
                                         Block::make({Send::makeCall("c", scaleCall(0, 0), L(70)),
                                                      Consume::make("c", "v", scaleCall(0, 0), L(71))}),
                                         L(69))});
  Module m = baseModule(body);
  EXPECT_TRUE(hasError(m, "send on 'c': process 'p' does not list 'c' in produces"));
  EXPECT_TRUE(hasError(m, "consume of 'c': process 'p' does not list 'c' in consumes"));
}

TEST(Verifier, ChannelElementKind) {
  Stmt body = Block::make({ChannelDecl::make("c", ChannelElem::Index), ChannelDecl::make("d", ChannelElem::Task),
                           Send::makeCall("c", scaleCall(0, 0), L(72)), Send::makeValue("d", Expr(3), L(73))});
  Module m = baseModule(body);
  EXPECT_TRUE(hasError(m, "send on 'c': channel carries index values, got a task"));
  EXPECT_TRUE(hasError(m, "send on 'd': channel carries task tokens, got a value"));
}

TEST(Verifier, DuplicateChannelAndProcess) {
  Stmt body = Block::make(
      {ChannelDecl::make("c", ChannelElem::Task, L(74)), ChannelDecl::make("c", ChannelElem::Task, L(75)),
       Process::make("p", {}, {}, scaleCall(0, 0), L(76)), Process::make("p", {}, {}, scaleCall(0, 0), L(77))});
  Module m = baseModule(body);
  EXPECT_TRUE(hasError(m, "t.wsp:75:1: error: duplicate channel name 'c'"));
  EXPECT_TRUE(hasError(m, "t.wsp:77:1: error: duplicate process name 'p'"));
}

TEST(Verifier, ConnectAndReplicate) {
  Stmt body = Block::make({ChannelDecl::make("c"), Process::make("p", {}, {"c"}, scaleCall(0, 0)),
                           Connect::make("c", "p", "zz", L(78)), Replicate::make("p", 0, L(79)),
                           Replicate::make("nope", 1, L(80))});
  Module m = baseModule(body);
  EXPECT_TRUE(hasError(m, "connect 'c': process 'p' does not produce 'c'"));
  EXPECT_TRUE(hasError(m, "connect 'c': unknown process 'zz'"));
  EXPECT_TRUE(hasError(m, "replicate 'p': count 0 < 1"));
  EXPECT_TRUE(hasError(m, "replicate 'nope': unknown process 'nope'"));
}

TEST(Verifier, NestedProcess) {
  Module m = baseModule(Process::make("a", {}, {}, Process::make("b", {}, {}, scaleCall(0, 0), L(82)), L(81)));
  EXPECT_TRUE(hasError(m, "process 'b' is nested inside process 'a'"));
}

// ---- slots ----
TEST(Verifier, SlotLoadAndSet) {
  Module ok = baseModule(Block::make({SlotLoad::make("e0", View::make("y", {Expr(0), Expr(0)}, 1, 4), 0, 3, L(83)),
                                      SlotSet::make("e0", slotRef("e0") + 1, L(84))}));
  DiagnosticList d = verify(ok);
  EXPECT_FALSE(d.hasErrors()) << d.render();
  ASSERT_EQ(d.size(), 1u);  // f32 element into a u64 slot
  EXPECT_NE(d.render().find("warning: slot_load 'e0': loads a f32 element into a u64 slot"), std::string::npos);

  Module bad = baseModule(Block::make(
      {SlotLoad::make("zz", View::make("y", {Expr(0), Expr(0)}, 1, 4), 0, 4, L(85)), SlotSet::make("qq", 1, L(86))}));
  EXPECT_TRUE(hasError(bad, "slot_load: unknown slot 'zz'"));
  EXPECT_TRUE(hasError(bad, "slot_load 'zz': col index '4' ranges over [4, 4], outside the 1x4 tile [0, 3]"));
  EXPECT_TRUE(hasError(bad, "slot_set: unknown slot 'qq'"));
}

TEST(Verifier, ConditionWithOtherwise) {
  Module m = baseModule(Cond::make({{eq(slotRef("e0"), 0), scaleCall(0, 0)}, {eq(slotRef("e0"), 1), scaleCall(16, 0)}},
                                   Scope::make(scaleCall(32, 0)), L(87)));
  EXPECT_TRUE(verify(m).empty()) << errors(m);
  Module f = baseModule(Cond::make({{slotRef("e0") > 0.5, scaleCall(0, 0)}}, {}, L(88)));
  EXPECT_TRUE(hasError(f, "condition: float literal in integer expression '$e0 > 0.5'"));
}

// ---- schedule ----
TEST(Verifier, UnknownDispatchPolicy) {
  Module m = withSchedule({Directive::dispatch("random", {}, {}, L(90))});
  EXPECT_TRUE(
      hasError(m, "t.wsp:90:1: error: schedule of workload 'main': dispatch: unknown dispatch policy 'random'"));
  EXPECT_TRUE(hasError(m, "help: legal policies: round_robin, hash, affinity, least_loaded, custom"));
}

TEST(Verifier, DispatchParams) {
  EXPECT_TRUE(verify(withSchedule({Directive::dispatch("round_robin", {{"workers", 4}})})).empty());
  EXPECT_TRUE(
      hasError(withSchedule({Directive::dispatch("round_robin", {{"workers", 0}})}), "dispatch: workers = 0 < 1"));
  EXPECT_TRUE(
      hasError(withSchedule({Directive::dispatch("custom")}), "dispatch: policy 'custom' needs a key expression"));
  EXPECT_TRUE(verify(withSchedule({Directive::dispatch("custom", {}, var("b") * 2 + var("t"))})).empty());
  EXPECT_TRUE(
      hasError(withSchedule({Directive::dispatch("custom", {}, var("zz"))}), "dispatch key: unknown variable 'zz'"));
  EXPECT_TRUE(hasError(withSchedule({Directive::dispatch("hash", {{"workers", symbol("W")}})}),
                       "dispatch parameter 'workers': unknown symbol 'W'"));
}

TEST(Verifier, KeyVariablesMustBeBoundAtEveryCall) {
  Module m = baseModule(Block::make({grid(scaleCall(var("b") * 16, var("t") * 128)), scaleCall(0, 0, 93)}));
  m.workloads[0].schedule.directives = {Directive::dispatch("custom", {}, var("b") % 2, L(92))};
  EXPECT_TRUE(hasError(m, "t.wsp:92:1: error: schedule of workload 'main': dispatch key reads variable 'b', which is "
                          "not bound at call 'scale'\nt.wsp:93:1: note: call 'scale' here is outside the scope of 'b'"));
  m.workloads[0].schedule.directives = {Directive::streamBy(var("t"), L(94))};
  EXPECT_TRUE(hasError(m, "stream_by key reads variable 't', which is not bound at call 'scale'"));
}

TEST(Verifier, BadScheduleValues) {
  EXPECT_TRUE(hasError(withSchedule({Directive::taskWindow(0)}), "task_window: window size 0 < 1"));
  EXPECT_TRUE(hasError(withSchedule({Directive::taskWindow(8, "bytes")}), "task_window: unknown unit 'bytes'"));
  EXPECT_TRUE(hasError(withSchedule({Directive::taskWindow(8, "tasks", "grow")}), "help: legal modes: stall"));
  EXPECT_TRUE(hasError(withSchedule({Directive::channelDefaults(0, 0)}), "channel_defaults: capacity 0 < 1"));
  EXPECT_TRUE(hasError(withSchedule({Directive::channelDefaults(1, -2)}), "channel_defaults: latency -2 < 0"));
  EXPECT_TRUE(hasError(withSchedule({Directive::channel("nope", 2, 0)}), "channel: unknown channel 'nope'"));
  EXPECT_TRUE(hasError(withSchedule({Directive::pool("gpu", 4)}),
                       "help: legal resources: tensormap, deplist, heap, ready_queue"));
  EXPECT_TRUE(hasError(withSchedule({Directive::pool("heap", 0)}), "pool: size 0 < 1"));
  EXPECT_TRUE(hasError(withSchedule({Directive::streams(0)}), "streams: 0 streams < 1"));
  EXPECT_TRUE(hasError(withSchedule({Directive::streamBy({})}), "stream_by: missing key expression"));
  EXPECT_TRUE(verify(withSchedule({Directive::taskWindow(64), Directive::channelDefaults(2, 10),
                                   Directive::pool("tensormap", 1024), Directive::streams(2),
                                   Directive::streamBy(var("b")), Directive::timing({{"trace", 1}})}))
                  .empty());
}

TEST(Verifier, ChannelDirectiveOnDeclaredChannel) {
  Module m = baseModule(pipelineBody());
  m.workloads[0].schedule.directives.push_back(Directive::channel("c", 4, 100));
  EXPECT_TRUE(verify(m).empty()) << errors(m);
}

// ---- tensors ----
TEST(Verifier, TensorLayoutRules) {
  Module m = baseModule();
  m.tensors[0].dist = {DimDist::S("x")};
  m.tensors[0].strides = {1, 0};
  m.tensors[0].dimOrder = {0, 0};
  m.tensors.push_back(Tensor::make("r0", {}, DType::F32, TensorRole::Temp, L(91)));
  m.tensors.push_back(Tensor::make("neg", {Expr(-3)}, DType::F32, TensorRole::Temp, L(92)));
  EXPECT_TRUE(hasError(m, "tensor 'x': 1 distribution facets for rank 2"));
  EXPECT_TRUE(hasError(m, "tensor 'x': stride 0 < 1"));
  EXPECT_TRUE(hasError(m, "tensor 'x': dim order is not a permutation of 0..1"));
  EXPECT_TRUE(hasError(m, "tensor 'r0': rank 0"));
  EXPECT_TRUE(hasError(m, "tensor 'neg': dim 0 has size -3"));
  Module ok = baseModule();
  ok.tensors[0].dist = {DimDist::R(), DimDist::S("x")};
  ok.tensors[0].strides = {4096, 1};
  ok.tensors[0].dimOrder = {1, 0};
  EXPECT_TRUE(verify(ok).empty()) << errors(ok);
}

// ---- kernels ----
TEST(Verifier, StoreToInParameter) {
  Kernel k =
      Kernel::make("bad", {KernelParam::makeTile("x", ParamDir::In, kT, L(100))},
                   {inst(TileOpKind::Load, {"a"}, {kT}, {}, "x"), inst(TileOpKind::Store, {}, {}, {"a"}, "x")}, L(99));
  k.body[1].loc = L(101);
  EXPECT_TRUE(
      hasError(withKernel(k),
               "t.wsp:101:1: error: kernel 'bad' op 1 ('store'): store to parameter 'x', which is declared 'in'"));
  EXPECT_TRUE(hasError(withKernel(k), "help: declare 'x' as out or inout if the kernel writes it"));
}

TEST(Verifier, LoadFromOutParameter) {
  Kernel k = Kernel::make("bad", {KernelParam::makeTile("y", ParamDir::Out, kT)},
                          {inst(TileOpKind::Load, {"a"}, {kT}, {}, "y"), inst(TileOpKind::Store, {}, {}, {"a"}, "y")});
  EXPECT_TRUE(hasError(withKernel(k), "kernel 'bad' op 0 ('load'): load from parameter 'y', which is declared 'out'"));
}

TEST(Verifier, DtypeMismatchInTileOp) {
  TileType h{16, 128, DType::F16};
  Kernel k =
      Kernel::make("bad",
                   {KernelParam::makeTile("a", ParamDir::In, kT), KernelParam::makeTile("b", ParamDir::In, h),
                    KernelParam::makeTile("c", ParamDir::Out, kT)},
                   {inst(TileOpKind::Load, {"x"}, {kT}, {}, "a"), inst(TileOpKind::Load, {"y"}, {h}, {}, "b"),
                    inst(TileOpKind::Add, {"z"}, {kT}, {"x", "y"}), inst(TileOpKind::Store, {}, {}, {"z"}, "c")});
  Module m = withKernel(k);
  EXPECT_TRUE(hasError(m, "kernel 'bad' op 2 ('add'): 'add' dtype mismatch: f32 vs f16"));
  EXPECT_TRUE(hasError(m, "help: cast one operand so both have the same dtype"));
  // The broken value is poisoned: no cascade error on the store.
  EXPECT_EQ(verify(m).size(), 1u) << errors(m);
}

TEST(Verifier, DeclaredResultTypeMustMatch) {
  Kernel k = Kernel::make(
      "bad",
      {KernelParam::makeTile("a", ParamDir::In, kT), KernelParam::makeTile("c", ParamDir::Out, {16, 1, DType::F32})},
      {inst(TileOpKind::Load, {"x"}, {kT}, {}, "a"), inst(TileOpKind::RowSum, {"s"}, {{1, 128, DType::F32}}, {"x"}),
       inst(TileOpKind::Store, {}, {}, {"s"}, "c")});
  EXPECT_TRUE(hasError(withKernel(k),
                       "kernel 'bad' op 1 ('rowsum'): result 's' declared 1x128xf32, but the op produces 16x1xf32"));
  k.body[1].resultTypes.clear();
  EXPECT_TRUE(hasError(withKernel(k), "op 1 ('rowsum'): 1 result(s) but 0 declared result type(s)"));
}

TEST(Verifier, SsaRules) {
  Kernel k =
      Kernel::make("bad", {KernelParam::makeTile("a", ParamDir::In, kT), KernelParam::makeTile("c", ParamDir::Out, kT)},
                   {inst(TileOpKind::Load, {"x"}, {kT}, {}, "a"), inst(TileOpKind::Exp, {"x"}, {kT}, {"x"}),
                    inst(TileOpKind::Exp, {"y"}, {kT}, {"nope"}), inst(TileOpKind::Exp, {"z"}, {kT}, {"a"}),
                    inst(TileOpKind::Store, {}, {}, {"x"}, "q")});
  Module m = withKernel(k);
  EXPECT_TRUE(hasError(m, "op 1 ('exp'): value 'x' is defined twice"));
  EXPECT_TRUE(hasError(m, "op 2 ('exp'): unknown value 'nope'"));
  EXPECT_TRUE(hasError(m, "op 3 ('exp'): operand 'a' is a tile parameter, not a value"));
  EXPECT_TRUE(hasError(m, "op 4 ('store'): unknown tile parameter 'q'"));
  EXPECT_TRUE(hasError(m, "help: tile parameters of 'bad': a, c"));
}

TEST(Verifier, KernelParams) {
  Kernel k = Kernel::make("bad",
                          {KernelParam::makeTile("a", ParamDir::In, {0, 4, DType::F32}),
                           KernelParam::makeScalar("a", DType::F32), KernelParam::makeTile("o", ParamDir::Out, kT)},
                          {inst(TileOpKind::Load, {"x"}, {{0, 4, DType::F32}}, {}, "a")});
  DiagnosticList d = verify(withKernel(k));
  EXPECT_TRUE(hasError(withKernel(k), "kernel 'bad': duplicate parameter 'a'"));
  EXPECT_TRUE(hasError(withKernel(k), "kernel 'bad' parameter 'a': tile 0x4 has a non-positive dim"));
  EXPECT_NE(d.render().find("warning: kernel 'bad': out parameter 'o' is never stored"), std::string::npos)
      << d.render();
}

TEST(Verifier, ScalarOperands) {
  TileInst bad = inst(TileOpKind::Add, {"y"}, {kT}, {"x"});
  bad.broadcast = Broadcast::Scalar;
  bad.scalar = ScalarOperand::ofParam("nope");
  TileInst nonConst = inst(TileOpKind::Mul, {"z"}, {kT}, {"x"});
  nonConst.broadcast = Broadcast::Scalar;
  nonConst.scalar = ScalarOperand::of(var("i"));
  TileInst good = inst(TileOpKind::Mul, {"w"}, {kT}, {"x"});
  good.broadcast = Broadcast::Scalar;
  good.scalar = ScalarOperand::ofParam("eps");
  Kernel k =
      Kernel::make("bad", {KernelParam::makeTile("a", ParamDir::In, kT), KernelParam::makeScalar("eps", DType::F32)},
                   {inst(TileOpKind::Load, {"x"}, {kT}, {}, "a"), bad, nonConst, good});
  Module m = withKernel(k);
  EXPECT_TRUE(hasError(m, "op 1 ('add'): scalar operand 'nope' is not a scalar parameter"));
  EXPECT_TRUE(hasError(m, "op 2 ('mul'): scalar operand 'i' is not a constant"));
  EXPECT_EQ(verify(m).size(), 2u) << errors(m);
}

TEST(Verifier, ScalarCallArguments) {
  Kernel k = Kernel::make("s", {KernelParam::makeTile("a", ParamDir::In, kT), KernelParam::makeScalar("n", DType::I32)},
                          {inst(TileOpKind::Load, {"x"}, {kT}, {}, "a")});
  Module m = withKernel(k);
  m.workloads[0] = Workload::make("main", Call::make("s",
                                                     {CallArg::ofView(View::make("x", {Expr(0), Expr(0)}, 16, 128)),
                                                      CallArg::ofValue(symbol("S") / 128 + slotRef("e0"))},
                                                     L(110)));
  EXPECT_TRUE(verify(m).empty()) << errors(m);
  m.workloads[0] = Workload::make(
      "main",
      Call::make("s", {CallArg::ofView(View::make("x", {Expr(0), Expr(0)}, 16, 128)), CallArg::ofValue(Expr(0.5))},
                 L(111)));
  EXPECT_TRUE(hasError(m, "call 's' argument 1 ('n'): float literal in integer expression '0.5'"));
}

TEST(Verifier, ExternalKernel) {
  Kernel ok = Kernel::makeExternal(
      "ext", {KernelParam::makeTile("a", ParamDir::In, kT), KernelParam::makeScalar("n", DType::I64)},
      "kernels/ext.cpp", Expr(100) + var("n") * 4);
  EXPECT_TRUE(verify(withKernel(ok)).empty()) << errors(withKernel(ok));
  Kernel bad = Kernel::makeExternal("ext", {KernelParam::makeTile("a", ParamDir::In, kT)}, "", var("a") * 2, L(120));
  EXPECT_TRUE(hasError(withKernel(bad), "external kernel 'ext' has no source file"));
  EXPECT_TRUE(
      hasError(withKernel(bad), "external kernel 'ext': cycle cost reads 'a', which is not a scalar parameter"));
  Kernel noCost = Kernel::makeExternal("ext", {}, "k.cpp", {}, L(121));
  EXPECT_TRUE(hasError(withKernel(noCost), "external kernel 'ext' has no cycle cost"));
}

TEST(Verifier, ErrorsAreDeterministicAndAllReported) {
  Module m = baseModule(Block::make({Call::make("nope", {}, L(130)), Call::make("nope2", {}, L(131))}));
  m.workloads[0].schedule.directives = {Directive::taskWindow(0, "tasks", "stall", L(132))};
  DiagnosticList a = verify(m), b = verify(m);
  EXPECT_EQ(a.size(), 3u);
  EXPECT_EQ(a.render(), b.render());
}
