#include "pto/wsp/ir/Expr.h"

#include <gtest/gtest.h>

using namespace pto::wsp;
using namespace pto::wsp::ir;

TEST(Expr, BuildAndPrint) {
  Expr i = var("i"), j = var("j");
  EXPECT_EQ(toString(i * 16 + 4), "i * 16 + 4");
  EXPECT_EQ(toString((i + 1) * j), "(i + 1) * j");
  EXPECT_EQ(toString(i - (j - 1)), "i - (j - 1)");
  EXPECT_EQ(toString(min(i, symbol("S"))), "min(i, S)");
  EXPECT_EQ(toString(eq(slotRef("e0"), 1)), "$e0 == 1");
  EXPECT_EQ(toString(select(i < 2, i, j)), "select(i < 2, i, j)");
  EXPECT_EQ(toString(!(i > 0) && j >= 1), "not (i > 0) and j >= 1");
  EXPECT_EQ(toString(-i), "-i");
  EXPECT_EQ(toString(Expr(1.5)), "1.5");
  EXPECT_EQ(toString(Expr(2.0)), "2.0");
  EXPECT_EQ(toString(boolConst(true)), "true");
}

TEST(Expr, NodeKindsAndDowncast) {
  Expr e = var("i") + 2;
  ASSERT_EQ(e.kind(), ExprKind::Binary);
  const auto* b = e.as<BinaryExpr>();
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->op, BinOp::Add);
  EXPECT_EQ(b->a.as<NameRef>()->name, "i");
  EXPECT_EQ(b->b.as<IntConst>()->value, 2);
  EXPECT_EQ(e.as<IntConst>(), nullptr);
  EXPECT_EQ(symbol("S").kind(), ExprKind::Symbol);
  EXPECT_EQ(slotRef("s").kind(), ExprKind::Slot);
  EXPECT_NE(slotRef("s").as<NameRef>(), nullptr);
  EXPECT_FALSE(Expr().defined());
}

TEST(Expr, StructuralEqualityIgnoresLoc) {
  Expr a = NameRef::make(ExprKind::Var, "i", SourceLoc{"a.wsp", 1, 2, {}}) * 3;
  Expr b = var("i") * 3;
  EXPECT_TRUE(a == b);
  EXPECT_FALSE(a == var("i") * 4);
  EXPECT_FALSE(var("i") == symbol("i"));  // same name, different kind
  EXPECT_TRUE(Expr() == Expr());
  EXPECT_FALSE(Expr() == Expr(1));
}

TEST(Expr, Evaluate) {
  Env env;
  env.vars["i"] = 3;
  env.symbols["S"] = 10;
  env.slots["e"] = 7;
  EXPECT_EQ(evalExpr(var("i") * 16 + 4, env), 52);
  EXPECT_EQ(evalExpr(symbol("S") / 3, env), 3);
  EXPECT_EQ(evalExpr(Expr(-7) / 2, env), -3);  // truncation
  EXPECT_EQ(evalExpr(Expr(-7) % 2, env), -1);
  EXPECT_EQ(evalExpr(min(var("i"), slotRef("e")), env), 3);
  EXPECT_EQ(evalExpr(max(var("i"), slotRef("e")), env), 7);
  EXPECT_EQ(evalExpr(eq(slotRef("e"), 7), env), 1);
  EXPECT_EQ(evalExpr(ne(slotRef("e"), 7), env), 0);
  EXPECT_EQ(evalExpr(var("i") < 4 && var("i") >= 3, env), 1);
  EXPECT_EQ(evalExpr(var("i") <= 2 || var("i") > 5, env), 0);
  EXPECT_EQ(evalExpr(!boolConst(false), env), 1);
  EXPECT_EQ(evalExpr(select(var("i") > 1, Expr(10), Expr(20)), env), 10);
  EXPECT_EQ(evalExpr(-var("i"), env), -3);
  EXPECT_DOUBLE_EQ(evalExprF(Expr(1.5) * 2, env), 3.0);
}

TEST(Expr, EvaluateErrors) {
  Env env;
  try {
    evalExpr(NameRef::make(ExprKind::Symbol, "N", SourceLoc{"f.wsp", 3, 9, {}}) + 1, env);
    FAIL() << "expected UserError";
  } catch (const UserError& e) {
    EXPECT_EQ(std::string(e.what()),
              "f.wsp:3:9: error: unknown symbol 'N' in expression\n"
              "f.wsp:3:9: note: help: declare the symbol or give it a value before evaluating");
  }
  EXPECT_THROW(evalExpr(slotRef("s"), env), UserError);
  EXPECT_THROW(evalExpr(var("i"), env), UserError);
  try {
    evalExpr(Expr(4) / (Expr(2) - 2), env);
    FAIL();
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("division by zero in '4 / (2 - 2)'"), std::string::npos) << e.what();
  }
  EXPECT_THROW(evalExpr(Expr(4) % 0, env), UserError);
  EXPECT_THROW(evalExpr(Expr(1.5) + 1, env), UserError);
}

TEST(Expr, ConstantsAndSimplify) {
  EXPECT_EQ(asConstInt(Expr(3) * 4 + 1), 13);
  EXPECT_EQ(asConstInt(var("i")), std::nullopt);
  EXPECT_EQ(asConstInt(Expr(1) / 0), std::nullopt);
  EXPECT_TRUE(simplify(Expr(3) * 4 + 1) == Expr(13));
  EXPECT_TRUE(simplify(var("i") * 1 + 0) == var("i"));
  EXPECT_TRUE(simplify(var("i") * 0) == Expr(0));
  EXPECT_TRUE(simplify(Expr(2) < 3) == boolConst(true));
  EXPECT_TRUE(simplify(select(boolConst(false), var("a"), var("b"))) == var("b"));
  EXPECT_TRUE(simplify(var("i") + (Expr(2) * 3)) == var("i") + 6);
  Expr untouched = var("i") + var("j");
  EXPECT_EQ(simplify(untouched).get(), untouched.get());
}

TEST(Expr, AffineForm) {
  Env env;
  env.symbols["T"] = 128;
  auto f = affineForm(var("i") * 16 + var("j") * symbol("T") - var("i") + 4, env);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->constant, 4);
  EXPECT_EQ(f->coeffs.at("i"), 15);
  EXPECT_EQ(f->coeffs.at("j"), 128);
  EXPECT_FALSE(isAffine(var("i") * var("j")));
  EXPECT_FALSE(isAffine(var("i") / 2));
  EXPECT_FALSE(isAffine(symbol("U")));  // not in env
  EXPECT_TRUE(isAffine(Expr(8) / 2 * var("i")));
  auto g = affineForm(var("i") - var("i"));
  ASSERT_TRUE(g);
  EXPECT_TRUE(g->coeffs.empty());
}

TEST(Expr, Bounds) {
  VarRanges r{{"i", {0, 3}}, {"j", {0, 31}}};
  EXPECT_EQ(exprBounds(var("i") * 16, r), (Interval{0, 48}));
  EXPECT_EQ(exprBounds(var("j") * 128 + 4, r), (Interval{4, 3972}));
  EXPECT_EQ(exprBounds(Expr(10) - var("i") * 2, r), (Interval{4, 10}));
  EXPECT_EQ(exprBounds(var("i") - var("i"), r), (Interval{0, 0}));  // exact for affine
  EXPECT_EQ(exprBounds(min(var("i"), Expr(2)), r), (Interval{0, 2}));
  EXPECT_EQ(exprBounds(var("j") / 4, r), (Interval{0, 7}));
  EXPECT_EQ(exprBounds(var("j") % 4, r), (Interval{0, 3}));
  EXPECT_EQ(exprBounds(var("k"), r), std::nullopt);
  EXPECT_EQ(exprBounds(slotRef("s") + var("i"), r), std::nullopt);
}

TEST(Expr, FreeNames) {
  Expr e = var("i") * symbol("S") + select(eq(slotRef("x"), 1), var("j"), Expr(0));
  EXPECT_EQ(freeNames(e, ExprKind::Var), (std::set<std::string>{"i", "j"}));
  EXPECT_EQ(freeNames(e, ExprKind::Symbol), (std::set<std::string>{"S"}));
  EXPECT_EQ(freeNames(e, ExprKind::Slot), (std::set<std::string>{"x"}));
}

TEST(Expr, OpNames) {
  EXPECT_EQ(binOpName(BinOp::And), "and");
  EXPECT_EQ(binOpName(BinOp::Le), "<=");
  EXPECT_EQ(unOpName(UnOp::Not), "not");
  EXPECT_TRUE(isComparison(BinOp::Ne));
  EXPECT_FALSE(isComparison(BinOp::Add));
  EXPECT_TRUE(isLogical(BinOp::Or));
}
