#include "pto/wsp/ir/text/Parser.h"
#include "pto/wsp/ir/text/Printer.h"

#include <gtest/gtest.h>

#include <string>

namespace pto::wsp::ir::text {
namespace {

std::string errorOf(const std::string& src) {
  try {
    parse(src, "t.wsp");
  } catch (const UserError& e) {
    const Diagnostic& d = e.diagnostics().at(0);
    return d.loc.str() + ": " + d.message;
  }
  return "<no error>";
}

const Stmt& onlyStmt(const Module& m) {
  const auto* b = m.workloads.at(0).body.as<Block>();
  EXPECT_NE(b, nullptr);
  return b->stmts.at(0);
}

TEST(Parser, NamesResolveByContext) {
  Module m = parse(R"(module m
symbol N = 4
slot $s
workload w {
  P i in dense(N) {
    slot_set $s = i + N
  }
}
schedule {
  dispatch custom(workers = 2) key i % N
}
)", "t.wsp");
  const auto* loop = onlyStmt(m).as<Loop>();
  ASSERT_NE(loop, nullptr);
  EXPECT_EQ(loop->vars[0].axis.extent.kind(), ExprKind::Symbol);
  const auto* set = loop->body.as<Block>()->stmts[0].as<SlotSet>();
  ASSERT_NE(set, nullptr);
  EXPECT_EQ(set->slot, "s");
  EXPECT_TRUE(set->value == var("i") + symbol("N"));
  const Directive& d = m.workloads[0].schedule.directives[0];
  EXPECT_TRUE(d.key == var("i") % symbol("N"));
  ASSERT_EQ(d.params.size(), 1u);
  EXPECT_EQ(d.params[0].name, "workers");
}

TEST(Parser, NegativeLiteralsVersusNegation) {
  Module m = parse("module m\nslot $s\nworkload w {\n slot_set $s = -5 * -(3) - -2\n}\n", "t.wsp");
  const auto* set = onlyStmt(m).as<SlotSet>();
  ASSERT_NE(set, nullptr);
  EXPECT_TRUE(set->value == intConst(-5) * (-intConst(3)) - intConst(-2));
  EXPECT_EQ(printExpr(set->value), "-5 * -(3) - -2");
}

TEST(Parser, KernelScalarOperandsAndInferredTypes) {
  Module m = parse(R"(module m
kernel k(in x : Tile[16, 128, f16], out y : Tile[16, 128, f16], s : Scalar[f16]) {
  %t = load x
  %a = add.scalar %t, s
  %b = mul.scalar %a, (s)
  %c = mul.scalar %b, s * 2
  %r = rowsum %c
  store y, %c
}
)", "t.wsp");
  const Kernel& k = m.kernels.at(0);
  ASSERT_EQ(k.body.size(), 6u);
  EXPECT_EQ(k.body[0].param, "x");
  EXPECT_TRUE((k.body[0].resultTypes == std::vector<TileType>{{16, 128, DType::F16}}));
  EXPECT_TRUE(k.body[1].scalar->isParam());
  EXPECT_EQ(k.body[1].scalar->param, "s");
  EXPECT_FALSE(k.body[2].scalar->isParam());
  EXPECT_TRUE(k.body[2].scalar->value == var("s"));
  EXPECT_TRUE(k.body[3].scalar->value == var("s") * 2);
  EXPECT_TRUE((k.body[4].resultTypes == std::vector<TileType>{{16, 1, DType::F16}}));
  EXPECT_EQ(k.body[5].param, "y");
  EXPECT_EQ(k.body[5].operands, std::vector<std::string>{"c"});
  EXPECT_EQ(k.body[4].loc.line, 7u);
  EXPECT_EQ(k.body[4].loc.col, 3u);
}

TEST(Parser, ViewsWithLeadingDimsStepsAndTranspose) {
  Module m = parse(R"(module m
input A : f32[4, 64, 64]
kernel k(in a : Tile[32, 16, f32]) {
}
workload w {
  call k(A[2, 0 : 16 : 2, 8 : 32].T)
}
)", "t.wsp");
  const auto* c = onlyStmt(m).as<Call>();
  ASSERT_NE(c, nullptr);
  const View& v = c->args.at(0).view;
  EXPECT_EQ(v.tensor, "A");
  ASSERT_EQ(v.offsets.size(), 3u);
  // The slices name the 16 x 32 tensor region; '.T' reads it as a 32 x 16 tile.
  EXPECT_EQ(v.rows, 32);
  EXPECT_EQ(v.cols, 16);
  EXPECT_EQ(v.rowStep, 2);
  EXPECT_EQ(v.colStep, 1);
  EXPECT_TRUE(v.transposed);
  EXPECT_EQ(v.loc.line, 6u);
  EXPECT_EQ(v.loc.col, 10u);
  EXPECT_EQ(c->loc.col, 3u);
}

TEST(Parser, WhenOtherwiseAndCondBlock) {
  Module m = parse(R"(module m
slot $e
workload w {
  cond {
    when ($e == 0) { }
    when ($e == 1) { }
    otherwise { }
  }
  when ($e > 1) { } otherwise { }
  when ($e > 2) { }
}
)", "t.wsp");
  const auto* b = m.workloads[0].body.as<Block>();
  ASSERT_EQ(b->stmts.size(), 3u);
  EXPECT_EQ(b->stmts[0].as<Cond>()->branches.size(), 2u);
  EXPECT_TRUE(b->stmts[0].as<Cond>()->otherwise.defined());
  EXPECT_TRUE(b->stmts[1].as<Cond>()->otherwise.defined());
  EXPECT_FALSE(b->stmts[2].as<Cond>()->otherwise.defined());
}

TEST(Parser, LimitsGiveLocatedErrors) {
  std::string chain = "module m\nslot $s\nworkload w { slot_set $s = 1";
  for (int i = 0; i < 150; ++i) chain += " + 1";
  EXPECT_EQ(errorOf(chain + " }"), "<no error>");
  for (int i = 0; i < 100; ++i) chain += " + 1";
  EXPECT_NE(errorOf(chain + " }").find("nesting deeper than 200 levels"), std::string::npos);

  std::string blocks = "module m\nworkload w ";
  for (int i = 0; i < 300; ++i) blocks += "{";
  EXPECT_NE(errorOf(blocks).find("nesting deeper than 200 levels"), std::string::npos);

  EXPECT_EQ(errorOf("module m\nkernel k(in x : Tile[9223372036854775808, 1, f32]) {}"),
            "t.wsp:2:22: integer 9223372036854775808 is out of range of i64");
  EXPECT_EQ(errorOf("module m\nsymbol \"\""), "t.wsp:2:8: empty symbol name");
}

TEST(Parser, ErrorsNameExpectedAndFound) {
  EXPECT_EQ(errorOf("module m\ninput X : f32[4, 4"),
            "t.wsp:2:19: expected ']' after tensor shape, found end of input");
  EXPECT_EQ(errorOf("module m\nworkload w { call k(X[0 : 4, 0 : 4) }"),
            "t.wsp:2:35: expected ']' to close the view of 'X', found ')'");
  EXPECT_EQ(errorOf("module m\nworkload w { P i dense(4) {} }"),
            "t.wsp:2:18: expected 'in' after loop variable 'i', found identifier 'dense'");
  EXPECT_EQ(errorOf("module m\nkernel k(in x : Tile[16, 16]) {}"),
            "t.wsp:2:28: expected ',' after tile columns, found ']'");
  EXPECT_EQ(errorOf("module m\nworkload w { send c }"),
            "t.wsp:2:21: expected 'value' or a call after 'send c', found '}'");
  EXPECT_EQ(errorOf("module m\nworkload w {}\nschedule {}\nschedule {}"),
            "t.wsp:4:1: workload 'w' already has a schedule");
}

}  // namespace
}  // namespace pto::wsp::ir::text
