// Shape / dtype rules of every tile op (inferTileOpTypes), success and failure per rule.
#include "pto/wsp/ir/Kernel.h"

#include <gtest/gtest.h>

using namespace pto::wsp;
using namespace pto::wsp::ir;

namespace {
constexpr TileType F32{16, 128, DType::F32};

TileInst op(TileOpKind k, size_t nres = 1) {
  TileInst i;
  i.op = k;
  for (size_t r = 0; r < nres; ++r) i.results.push_back("r" + std::to_string(r));
  return i;
}

std::vector<TileType> ok(const TileInst& i, std::vector<TileType> ops, const TileType* param = nullptr) {
  auto r = inferTileOpTypes(i, ops, param);
  if (auto* e = std::get_if<OpTypeError>(&r)) {
    ADD_FAILURE() << "unexpected error: " << e->message;
    return {};
  }
  return std::get<std::vector<TileType>>(r);
}

std::string fail(const TileInst& i, std::vector<TileType> ops, const TileType* param = nullptr) {
  auto r = inferTileOpTypes(i, ops, param);
  if (auto* e = std::get_if<OpTypeError>(&r)) {
    EXPECT_FALSE(e->help.empty()) << "every rule has a help text: " << e->message;
    return e->message;
  }
  ADD_FAILURE() << "expected a type error";
  return {};
}
}  // namespace

TEST(TileOpRules, LoadStore) {
  EXPECT_EQ(ok(op(TileOpKind::Load), {}, &F32), (std::vector<TileType>{F32}));
  EXPECT_TRUE(ok(op(TileOpKind::Store, 0), {F32}, &F32).empty());
  TileType h{16, 128, DType::F16};
  EXPECT_EQ(fail(op(TileOpKind::Store, 0), {h}, &F32),
            "'store' of a 16x128xf16 value into parameter of type 16x128xf32");
  EXPECT_EQ(fail(op(TileOpKind::Store, 1), {F32}, &F32), "'store' produces 0 result(s), got 1");
}

TEST(TileOpRules, BinaryBroadcastModes) {
  for (TileOpKind k :
       {TileOpKind::Add, TileOpKind::Sub, TileOpKind::Mul, TileOpKind::Div, TileOpKind::Max, TileOpKind::Min}) {
    TileInst i = op(k);
    EXPECT_EQ(ok(i, {F32, F32}), (std::vector<TileType>{F32}));
    i.broadcast = Broadcast::Row;
    EXPECT_EQ(ok(i, {F32, {16, 1, DType::F32}}), (std::vector<TileType>{F32}));
    i.broadcast = Broadcast::Col;
    EXPECT_EQ(ok(i, {F32, {1, 128, DType::F32}}), (std::vector<TileType>{F32}));
    i.broadcast = Broadcast::Scalar;
    i.scalar = ScalarOperand::of(Expr(1.0));
    EXPECT_EQ(ok(i, {F32}), (std::vector<TileType>{F32}));
  }
  TileInst i = op(TileOpKind::Add);
  EXPECT_EQ(fail(i, {F32, {16, 64, DType::F32}}), "'add' shape mismatch: 16x128 vs 16x64");
  EXPECT_EQ(fail(i, {F32, {16, 128, DType::BF16}}), "'add' dtype mismatch: f32 vs bf16");
  EXPECT_EQ(fail(i, {F32}), "'add' takes 2 tile operand(s), got 1");
  EXPECT_EQ(fail(i, {{16, 128, DType::Bool}, {16, 128, DType::Bool}}), "'add' on bool tiles");
  i.broadcast = Broadcast::Row;
  EXPECT_EQ(fail(i, {F32, {1, 128, DType::F32}}), "'add' broadcast row expects second operand 16x1, got 1x128");
  i.broadcast = Broadcast::Col;
  EXPECT_EQ(fail(i, {F32, {16, 1, DType::F32}}), "'add' broadcast col expects second operand 1x128, got 16x1");
  i.broadcast = Broadcast::Scalar;
  EXPECT_EQ(fail(i, {F32}), "'add' with broadcast scalar has no scalar operand");
  EXPECT_EQ(fail(i, {F32, F32}), "'add' takes 1 (tile) with broadcast scalar tile operand(s), got 2");
}

TEST(TileOpRules, Unary) {
  for (TileOpKind k : {TileOpKind::Exp, TileOpKind::Log, TileOpKind::Sqrt, TileOpKind::Rsqrt, TileOpKind::Tanh,
                       TileOpKind::Sigmoid, TileOpKind::Relu, TileOpKind::Gelu, TileOpKind::Silu, TileOpKind::Neg,
                       TileOpKind::Abs, TileOpKind::Sin, TileOpKind::Cos})
    EXPECT_EQ(ok(op(k), {F32}), (std::vector<TileType>{F32})) << tileOpInfo(k).name;
  TileType i32{8, 8, DType::I32};
  EXPECT_EQ(ok(op(TileOpKind::Relu), {i32}), (std::vector<TileType>{i32}));
  EXPECT_EQ(ok(op(TileOpKind::Abs), {i32}), (std::vector<TileType>{i32}));
  EXPECT_EQ(fail(op(TileOpKind::Exp), {i32}), "'exp' needs a float tile, got i32");
  EXPECT_EQ(fail(op(TileOpKind::Neg), {{8, 8, DType::U8}}), "'neg' on unsigned tile u8");
  EXPECT_EQ(fail(op(TileOpKind::Abs), {{8, 8, DType::Bool}}), "'abs' on a bool tile");
}

TEST(TileOpRules, Reductions) {
  for (TileOpKind k : {TileOpKind::RowSum, TileOpKind::RowMax, TileOpKind::RowMin, TileOpKind::RowMean})
    EXPECT_EQ(ok(op(k), {F32}), (std::vector<TileType>{{16, 1, DType::F32}})) << tileOpInfo(k).name;
  for (TileOpKind k : {TileOpKind::ColSum, TileOpKind::ColMax})
    EXPECT_EQ(ok(op(k), {F32}), (std::vector<TileType>{{1, 128, DType::F32}})) << tileOpInfo(k).name;
  EXPECT_EQ(fail(op(TileOpKind::RowMean), {{4, 4, DType::I32}}), "'rowmean' needs a float tile, got i32");
  EXPECT_EQ(fail(op(TileOpKind::RowSum), {{4, 4, DType::Bool}}), "'rowsum' on a bool tile");
}

TEST(TileOpRules, Matmul) {
  TileType a{16, 32, DType::F16}, b{32, 64, DType::F16}, c{16, 64, DType::F32};
  EXPECT_EQ(ok(op(TileOpKind::Matmul), {a, b}), (std::vector<TileType>{c}));
  EXPECT_EQ(ok(op(TileOpKind::Matmul), {a, b, c}), (std::vector<TileType>{c}));
  EXPECT_EQ(ok(op(TileOpKind::Matmul), {{16, 32, DType::BF16}, {32, 64, DType::BF16}}), (std::vector<TileType>{c}));
  EXPECT_EQ(fail(op(TileOpKind::Matmul), {a, {16, 64, DType::F16}}),
            "'matmul' inner dims differ: [16,32] x [16,64] (K 32 != 16)");
  EXPECT_EQ(fail(op(TileOpKind::Matmul), {a, {32, 64, DType::F32}}), "'matmul' dtype mismatch: f16 vs f32");
  EXPECT_EQ(fail(op(TileOpKind::Matmul), {{16, 32, DType::I8}, {32, 64, DType::I8}}),
            "'matmul' inputs must be f16, bf16 or f32, got i8 x i8");
  EXPECT_EQ(fail(op(TileOpKind::Matmul), {a, b, {16, 64, DType::F16}}),
            "'matmul' accumulator must be 16x64xf32, got 16x64xf16");
  EXPECT_EQ(fail(op(TileOpKind::Matmul), {a}), "'matmul' takes 2 or 3 (a, b[, acc]) tile operand(s), got 1");
}

TEST(TileOpRules, CastFillIota) {
  TileInst c = op(TileOpKind::Cast);
  c.resultTypes = {{16, 128, DType::F16}};
  EXPECT_EQ(ok(c, {F32}), (std::vector<TileType>{{16, 128, DType::F16}}));
  EXPECT_EQ(fail(op(TileOpKind::Cast), {F32}), "'cast' has no target dtype");

  TileInst f = op(TileOpKind::Fill);
  f.resultTypes = {{8, 8, DType::F32}};
  EXPECT_EQ(fail(f, {}), "'fill' has no value");
  f.scalar = ScalarOperand::of(Expr(0.0));
  EXPECT_EQ(ok(f, {}), (std::vector<TileType>{{8, 8, DType::F32}}));
  f.resultTypes = {{0, 8, DType::F32}};
  EXPECT_EQ(fail(f, {}), "'fill' result 0x8 has a non-positive dim");

  TileInst i = op(TileOpKind::Iota);
  i.resultTypes = {{1, 64, DType::I32}};
  EXPECT_EQ(ok(i, {}), (std::vector<TileType>{{1, 64, DType::I32}}));
  i.resultTypes = {{1, 64, DType::Bool}};
  EXPECT_EQ(fail(i, {}), "'iota' of bool");
  EXPECT_EQ(fail(op(TileOpKind::Iota), {}), "'iota' has no result type");
}

TEST(TileOpRules, SelectTranspose) {
  TileType m{16, 128, DType::Bool};
  EXPECT_EQ(ok(op(TileOpKind::Select), {m, F32, F32}), (std::vector<TileType>{F32}));
  EXPECT_EQ(fail(op(TileOpKind::Select), {F32, F32, F32}), "'select' mask must be bool, got f32");
  EXPECT_EQ(fail(op(TileOpKind::Select), {m, F32, {16, 128, DType::F16}}), "'select' dtype mismatch: f32 vs f16");
  EXPECT_EQ(fail(op(TileOpKind::Select), {{16, 64, DType::Bool}, F32, F32}),
            "'select' shape mismatch: mask 16x64, a 16x128, b 16x128");
  EXPECT_EQ(ok(op(TileOpKind::Transpose), {F32}), (std::vector<TileType>{{128, 16, DType::F32}}));
}

TEST(TileOpRules, SortTopK) {
  EXPECT_EQ(ok(op(TileOpKind::Sort), {F32}), (std::vector<TileType>{F32}));
  EXPECT_EQ(fail(op(TileOpKind::Sort), {{4, 4, DType::Bool}}), "'sort' of a bool tile");
  TileInst t = op(TileOpKind::TopK, 2);
  t.k = 8;
  t.descending = true;
  EXPECT_EQ(ok(t, {F32}), (std::vector<TileType>{{16, 8, DType::F32}, {16, 8, DType::I32}}));
  t.k = 129;
  EXPECT_EQ(fail(t, {F32}), "'topk' k = 129 out of range for a row of 128 elements (1 <= k <= 128)");
  t.k = 0;
  EXPECT_EQ(fail(t, {F32}), "'topk' k = 0 out of range for a row of 128 elements (1 <= k <= 128)");
  TileInst one = op(TileOpKind::TopK, 1);
  one.k = 2;
  EXPECT_EQ(fail(one, {F32}), "'topk' produces 2 results (values, indices), got 1");
}

TEST(TileOpRules, EveryOpHasARule) {
  // Each op, given plausible operands, yields either types or an error: never an internal abort.
  for (const TileOpInfo& info : allTileOps()) {
    TileInst i = op(info.kind, info.kind == TileOpKind::TopK ? 2 : info.hasResult ? 1 : 0);
    i.resultTypes = {F32};
    i.k = 1;
    std::vector<TileType> ops(info.numTileOperands, F32);
    auto r = inferTileOpTypes(i, ops, &F32);
    EXPECT_TRUE(std::holds_alternative<std::vector<TileType>>(r) || std::holds_alternative<OpTypeError>(r));
  }
}
