// Round trip: parse(print(m)) == m and print(parse(print(m))) == print(m), over every
// example and over a module built in C++ that uses every IR construct.
#include "TextTestUtil.h"

#include "pto/wsp/ir/Verifier.h"
#include "pto/wsp/ir/text/Parser.h"
#include "pto/wsp/ir/text/Printer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace pto::wsp::ir::text {
namespace {

using testing::readFile;
using testing::sourceDir;

void expectRoundTrip(const Module& m) {
  std::string once = print(m);
  Module back;
  try {
    back = parse(once, "printed.wsp");
  } catch (const UserError& e) {
    FAIL() << "printed text does not parse:\n" << e.what() << "\n--- text:\n" << once;
  }
  EXPECT_TRUE(back == m) << "parse(print(m)) != m; printed:\n" << once;
  if (!(back == m)) {  // narrow the difference down for the failure message
    EXPECT_EQ(back.name, m.name);
    EXPECT_TRUE(back.symbols == m.symbols) << "symbols differ";
    EXPECT_TRUE(back.slots == m.slots) << "slots differ";
    EXPECT_TRUE(back.tensors == m.tensors) << "tensors differ";
    ASSERT_EQ(back.kernels.size(), m.kernels.size());
    for (size_t i = 0; i < m.kernels.size(); ++i) {
      EXPECT_TRUE(back.kernels[i].params == m.kernels[i].params) << "params of kernel " << i;
      ASSERT_EQ(back.kernels[i].body.size(), m.kernels[i].body.size());
      for (size_t j = 0; j < m.kernels[i].body.size(); ++j)
        EXPECT_TRUE(back.kernels[i].body[j] == m.kernels[i].body[j]) << "kernel " << i << " op " << j;
      EXPECT_TRUE(back.kernels[i] == m.kernels[i]) << "kernel " << i;
    }
    ASSERT_EQ(back.workloads.size(), m.workloads.size());
    for (size_t i = 0; i < m.workloads.size(); ++i) {
      EXPECT_TRUE(back.workloads[i].body == m.workloads[i].body) << "body of workload " << i;
      const auto* b1 = back.workloads[i].body.as<Block>();
      const auto* b2 = m.workloads[i].body.as<Block>();
      if (b1 && b2 && b1->stmts.size() == b2->stmts.size()) {
        for (size_t j = 0; j < b1->stmts.size(); ++j) {
          EXPECT_TRUE(b1->stmts[j] == b2->stmts[j]) << "workload " << i << " stmt " << j;
        }
      }
      EXPECT_TRUE(back.workloads[i].schedule == m.workloads[i].schedule) << "schedule of workload " << i;
    }
  }
  EXPECT_EQ(print(back), once);
}

std::vector<std::string> exampleNames() {
  std::vector<std::string> names;
  for (const auto& p : testing::wspFiles(sourceDir() / "examples", true)) names.push_back(p.stem().string());
  return names;
}

class Example : public ::testing::TestWithParam<std::string> {};

TEST_P(Example, ParsesVerifiesAndRoundTrips) {
  auto path = sourceDir() / "examples" / GetParam() / (GetParam() + ".wsp");
  Module m = parse(readFile(path), path.string());
  DiagnosticList d = verify(m);
  EXPECT_FALSE(d.hasErrors()) << d.render();
  expectRoundTrip(m);
  // The file's own text, formatted, is a fixed point too.
  std::string canon = print(m);
  EXPECT_EQ(print(parse(canon, "canon.wsp")), canon);
}

TEST_P(Example, NodesCarrySourceLocations) {
  auto path = sourceDir() / "examples" / GetParam() / (GetParam() + ".wsp");
  Module m = parse(readFile(path), path.string());
  EXPECT_EQ(m.loc.file, path.string());
  EXPECT_GT(m.loc.line, 0u);
  for (const Tensor& t : m.tensors) EXPECT_GT(t.loc.line, 0u) << t.name;
  for (const Kernel& k : m.kernels) {
    EXPECT_GT(k.loc.line, 0u) << k.name;
    for (const KernelParam& p : k.params) EXPECT_GT(p.loc.col, 0u) << k.name << "." << p.name;
    for (const TileInst& i : k.body) EXPECT_GT(i.loc.line, 0u) << k.name;
  }
  ASSERT_FALSE(m.workloads.empty());
  EXPECT_GT(m.workloads[0].body.loc().line, 0u);
  for (const Directive& d : m.workloads[0].schedule.directives) EXPECT_GT(d.loc.line, 0u);
}

INSTANTIATE_TEST_SUITE_P(Examples, Example, ::testing::ValuesIn(exampleNames()),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

TEST(Examples, AllFivePresent) {
  auto names = exampleNames();
  for (const char* n : {"rmsnorm", "softmax", "bgemm", "pipeline", "moe"})
    EXPECT_NE(std::find(names.begin(), names.end(), n), names.end()) << n;
}

// ---- a module that uses every construct ----

TileInst inst(TileOpKind op, std::vector<std::string> results, std::vector<std::string> operands,
              std::vector<TileType> types = {}) {
  TileInst i;
  i.op = op;
  i.results = std::move(results);
  i.operands = std::move(operands);
  i.resultTypes = std::move(types);
  return i;
}

Module everything() {
  Module m;
  m.name = "everything";
  m.symbols.push_back({"N", 64, {}});
  m.symbols.push_back({"D", std::nullopt, {}});
  m.symbols.push_back({"NEG", std::numeric_limits<int64_t>::min(), {}});
  m.slots.push_back({"e0", 0, {}});
  m.slots.push_back({"e1", UINT64_MAX, {}});

  Tensor x = Tensor::make("X", {symbol("N"), intConst(128)}, DType::F16, TensorRole::Input);
  x.dist = {DimDist::S("tp"), DimDist::R()};
  x.strides = {1, 64};
  x.dimOrder = {1, 0};
  m.tensors.push_back(x);
  m.tensors.push_back(Tensor::make("Y", {intConst(4), intConst(64), intConst(128)}, DType::BF16, TensorRole::Output));
  m.tensors.push_back(Tensor::make("T", {intConst(64)}, DType::I32, TensorRole::Temp));
  m.tensors.push_back(Tensor::make("Z", {intConst(64), intConst(64)}, DType::F32, TensorRole::InOut));
  Tensor odd = Tensor::make("weird name", {intConst(8), intConst(8)}, DType::U8, TensorRole::Input);
  odd.dist = {DimDist::S("0"), DimDist::S("007")};
  m.tensors.push_back(odd);

  TileType t16{16, 128, DType::F32}, col{16, 1, DType::F32}, row{1, 128, DType::F32};
  std::vector<KernelParam> ps = {
      KernelParam::makeTile("a", ParamDir::In, t16), KernelParam::makeTile("b", ParamDir::InOut, t16),
      KernelParam::makeTile("o", ParamDir::Out, t16), KernelParam::makeScalar("s", DType::F32),
      KernelParam::makeScalar("desc", DType::I64)};
  std::vector<TileInst> body;
  body.push_back([] { TileInst i = inst(TileOpKind::Load, {"x"}, {}, {{16, 128, DType::F32}}); i.param = "a"; return i; }());
  body.push_back(inst(TileOpKind::Exp, {"e"}, {"x"}, {t16}));
  body.push_back(inst(TileOpKind::RowMax, {"m"}, {"e"}, {col}));
  body.push_back([&] { TileInst i = inst(TileOpKind::Sub, {"d"}, {"e", "m"}, {t16}); i.broadcast = Broadcast::Row; return i; }());
  body.push_back([&] { TileInst i = inst(TileOpKind::Mul, {"p"}, {"d"}, {t16}); i.broadcast = Broadcast::Scalar; i.scalar = ScalarOperand::ofParam("s"); return i; }());
  body.push_back([&] { TileInst i = inst(TileOpKind::Add, {"q"}, {"p"}, {t16}); i.broadcast = Broadcast::Scalar; i.scalar = ScalarOperand::of(floatConst(-1.5e-7)); return i; }());
  body.push_back([&] { TileInst i = inst(TileOpKind::Add, {"q2"}, {"q"}, {t16}); i.broadcast = Broadcast::Scalar; i.scalar = ScalarOperand::of(var("s") * 2); return i; }());
  body.push_back([&] { TileInst i = inst(TileOpKind::Add, {"q3"}, {"q2"}, {t16}); i.broadcast = Broadcast::Scalar; i.scalar = ScalarOperand::of(var("s")); return i; }());
  body.push_back([&] { TileInst i = inst(TileOpKind::Add, {"q4"}, {"q3"}, {t16}); i.broadcast = Broadcast::Scalar; i.scalar = ScalarOperand::ofParam("desc"); return i; }());
  body.push_back(inst(TileOpKind::ColSum, {"cs"}, {"q4"}, {row}));
  body.push_back([&] { TileInst i = inst(TileOpKind::Div, {"r"}, {"q4", "cs"}, {t16}); i.broadcast = Broadcast::Col; return i; }());
  body.push_back([&] { TileInst i = inst(TileOpKind::Fill, {"f"}, {}, {t16}); i.scalar = ScalarOperand::of(floatConst(-std::numeric_limits<double>::infinity())); return i; }());
  body.push_back([&] { TileInst i = inst(TileOpKind::Iota, {"io"}, {}, {{16, 128, DType::I32}}); return i; }());
  body.push_back(inst(TileOpKind::Cast, {"c"}, {"io"}, {{16, 128, DType::F32}}));
  body.push_back(inst(TileOpKind::Transpose, {"tr"}, {"c"}, {{128, 16, DType::F32}}));
  body.push_back(inst(TileOpKind::Matmul, {"mm"}, {"r", "tr"}, {{16, 16, DType::F32}}));
  body.push_back([&] { TileInst i = inst(TileOpKind::Sort, {"so"}, {"r"}, {t16}); i.descending = true; return i; }());
  body.push_back([&] { TileInst i = inst(TileOpKind::TopK, {"tv", "ti"}, {"r"}, {{16, 4, DType::F32}, {16, 4, DType::I32}}); i.k = 4; return i; }());
  body.push_back(inst(TileOpKind::Select, {"se"}, {"r", "r", "r"}, {}));  // broken rule: kept as is
  body.push_back([&] { TileInst i = inst(TileOpKind::Store, {}, {"r"}); i.param = "o"; return i; }());
  m.kernels.push_back(Kernel::make("k", ps, body));
  m.kernels.push_back(Kernel::makeExternal("ext", {KernelParam::makeTile("a", ParamDir::In, t16), KernelParam::makeScalar("n", DType::I64)},
                                           "kernels/ext \"v2\".cpp", var("n") * 100 + 7));
  m.kernels.push_back(Kernel::make("empty", {}, {}));

  View v1 = View::make("X", {var("i") * 16, intConst(0)}, 16, 128);
  View v2 = View::make("Y", {var("i"), var("j") * 16 + 1, intConst(0)}, 16, 128).withSteps(2, 1).transpose();
  View v3 = View::make("T", {var("j")}, 1, 16);
  View v4 = View::make("T", {var("j")}, 4, 16).withSteps(1, 3);  // only the .shape form can hold it
  View v5 = View::make("weird name", {intConst(0), intConst(0)}, 8, 8);

  Stmt call1 = Call::make("k", {CallArg::ofView(v1), CallArg::ofView(v2), CallArg::ofView(v5),
                                CallArg::ofValue(floatConst(0.5)), CallArg::ofValue(symbol("N") - 1)});
  Stmt call2 = Call::make("ext", {CallArg::ofView(v3), CallArg::ofValue(intConst(-3))});
  Stmt call3 = Call::make("ext", {CallArg::ofView(v4), CallArg::ofValue(-intConst(3))});
  // Outside any loop: names are symbols.
  Stmt call0 = Call::make("ext", {CallArg::ofView(View::make("T", {symbol("N") - 64}, 1, 16)), CallArg::ofValue(symbol("D"))});

  Expr pred = (var("i") < 4 && !eq(slotRef("e0"), 1)) || boolConst(false);
  Stmt inner = Block::make({
      call1,
      Cond::make({{pred, call2}}),
      Cond::make({{eq(slotRef("e1"), 0), Block::make({call2})}}, Block::make({call3})),
      Cond::make({{var("j") > 1, call2}, {var("j") >= 0, Block::make({})}}, call3),
      Cond::make({{ne(var("j"), 2), call2}}, call3),
      SlotLoad::make("e0", v3, intConst(0), var("j") % 4),
      SlotSet::make("e1", select(var("i") <= 2, min(var("i"), 3), max(symbol("D"), -var("j")))),
  });
  Stmt loops = Loop::make(
      LoopKind::Parallel,
      {{"i", Axis::dense(4)}, {"j", Axis::denseDyn(symbol("D") / 16)}},
      Sequential::make({inner, Loop::make(LoopKind::Seq, {{"r", Axis::ragged("i", "T")}}, call2),
                        Loop::make(LoopKind::Sel, {{"q", Axis::sparse("i", "T", "T")}}, Scope::make(call2))}));
  Stmt csp = Combine::make({
      ChannelDecl::make("c1", ChannelElem::Task),
      ChannelDecl::make("c2", ChannelElem::Index),
      Process::make("prod", {"c1", "c2"}, {}, Block::make({Send::makeCall("c1", call0), Send::makeValue("c2", intConst(3))})),
      Process::make("cons", {}, {"c1", "c2"}, Consume::make("c1", "tok", Block::make({Consume::make("c2", "v", Call::make("ext", {CallArg::ofView(View::make("T", {var("v") + var("tok")}, 1, 16)), CallArg::ofValue(var("tok"))}))}))),
      Connect::make("c1", "prod", "cons"),
      Replicate::make("cons", symbol("N") / 32),
  });
  Schedule sched;
  sched.directives = {
      Directive::dispatch("round_robin", {{"workers", intConst(4)}}),
      Directive::dispatch("custom", {{"workers", intConst(8)}, {"seed", intConst(1)}}, (var("i") * 2 + var("j")) % 8),
      Directive::taskWindow(64, "tasks", "stall"),
      Directive::channelDefaults(2, 5),
      Directive::channel("c1", 4, 10),
      Directive::pool("tensormap", 4096),
      Directive::streams(2),
      Directive::streamBy(var("i")),
      Directive::timing({{"trace", intConst(1)}}),
  };
  m.workloads.push_back(Workload::make("main", Block::make({loops, csp}), sched));
  m.workloads.push_back(Workload::make("second", call0));
  return m;
}

TEST(RoundTrip, EveryConstruct) { expectRoundTrip(everything()); }

// tests/text/everything.wsp writes every construct of the text format by hand (quoted
// names, strided transposed views, cond blocks, ...); it seeds the fuzz corpus, which is
// generated from the test and example .wsp files. It parses and round-trips.
TEST(RoundTrip, EveryConstructFile) {
  auto path = sourceDir() / "tests" / "text" / "everything.wsp";
  Module m = parse(readFile(path), path.string());
  EXPECT_EQ(m.name, "everything");
  expectRoundTrip(m);
}

// An inner one-branch `when` at the tail of a branch that an `otherwise` follows must not
// take that `otherwise` when read back (dangling else).
TEST(RoundTrip, DanglingOtherwise) {
  Stmt k = Call::make("k", {});
  Stmt open = Cond::make({{var("i") > 0, Block::make({k})}});
  Stmt openInLoop = Loop::make(LoopKind::Parallel, {{"q", Axis::dense(2)}}, Cond::make({{var("q") > 0, k}}));
  std::vector<Stmt> cases = {
      Cond::make({{var("i") > 1, open}}, k),
      Cond::make({{var("i") > 1, openInLoop}}, k),
      Cond::make({{var("i") > 1, Block::make({k})}}, Cond::make({{var("i") > 2, open}}, k)),
      Cond::make({{var("i") > 1, k}, {var("i") > 2, open}}, open),
      Cond::make({{var("i") > 1, Cond::make({{var("i") > 3, open}}, open)}}, k),
  };
  for (const Stmt& c : cases) {
    Module m;
    m.name = "m";
    m.kernels.push_back(Kernel::make("k", {}, {}));
    m.workloads.push_back(Workload::make("w", Loop::make(LoopKind::Parallel, {{"i", Axis::dense(4)}}, c)));
    expectRoundTrip(m);
  }
}

TEST(RoundTrip, EmptyModule) {
  Module m;
  m.name = "m";
  expectRoundTrip(m);
}

// Expressions that stress precedence, associativity and literal signs.
TEST(RoundTrip, Expressions) {
  Expr a = var("i"), b = var("j"), c = symbol("N");
  std::vector<Expr> es = {
      (a + b) * c, a + b * c, a - (b - c), (a - b) - c, a / (b * c), (a % b) % c, a % (b % c),
      -(a + b), -a * b, -(a * b), -intConst(5), intConst(-5), -(intConst(-5)), intConst(-5) * a,
      a * intConst(-5), a - intConst(-5), floatConst(-0.0), floatConst(1e300), floatConst(5e-324),
      floatConst(std::nan("")), floatConst(0.1), !(a < b), !!boolConst(true), eq(a < b, b < c),
      a < eq(b, c), (a || b) && c, a || (b && c), select(a, b, c) + 1, min(a, max(b, c)) * 2,
      intConst(std::numeric_limits<int64_t>::min()), intConst(std::numeric_limits<int64_t>::max()),
      -(-a), symbol("true") + var("min"), slotRef("x y") + 1};
  for (const Expr& e : es) {
    Module m;
    m.name = "m";
    m.slots.push_back({"s", 0, {}});
    m.symbols.push_back({"N", std::nullopt, {}});
    m.symbols.push_back({"true", std::nullopt, {}});
    Stmt body = Loop::make(LoopKind::Parallel, {{"i", Axis::dense(2)}, {"j", Axis::dense(2)}, {"min", Axis::dense(1)}},
                           SlotSet::make("s", e));
    m.workloads.push_back(Workload::make("w", body));
    SCOPED_TRACE(printExpr(e));
    expectRoundTrip(m);
  }
}

TEST(Printer, ParenthesisesOnlyWhereNeeded) {
  Expr a = var("a"), b = var("b"), c = var("c");
  EXPECT_EQ(printExpr((a + b) * c), "(a + b) * c");
  EXPECT_EQ(printExpr(a + b * c), "a + b * c");
  EXPECT_EQ(printExpr(a - (b - c)), "a - (b - c)");
  EXPECT_EQ(printExpr((a - b) - c), "a - b - c");
  EXPECT_EQ(printExpr(-intConst(5)), "-(5)");
  EXPECT_EQ(printExpr(intConst(-5)), "-5");
  EXPECT_EQ(printExpr((a < b) && !eq(c, 1)), "a < b and not (c == 1)");
  EXPECT_EQ(printExpr(select(a, min(b, c), slotRef("s"))), "select(a, min(b, c), $s)");
  EXPECT_EQ(printExpr(floatConst(1e-6)), "1e-6");
  EXPECT_EQ(printExpr(floatConst(2.0)), "2.0");
}

}  // namespace
}  // namespace pto::wsp::ir::text
