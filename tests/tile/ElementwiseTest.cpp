// Binary elementwise ops (tile-tile, tile-scalar, row/col broadcast) and the memory/misc
// ops (load/store with strides and transposed views, partial tiles, fill, iota, select,
// transpose) against scalar references.
//
// Tolerance: exact. +,-,*,/ in f32 are correctly rounded, and rounding an f32 result once
// more into f16/bf16 equals rounding the exact result (f32 has >= 2p+2 bits for both), so
// the library must match (float)(a op b) rounded to the dtype bit for bit (NaN == NaN).
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "TileTestUtil.h"
#include "pto/wsp/tile/TileLib.h"

namespace {

using namespace tiletest;
namespace pt = pto::tile;

double refMax(double a, double b) { return (std::isnan(a) || std::isnan(b)) ? kNaN : (a > b ? a : b); }
double refMin(double a, double b) { return (std::isnan(a) || std::isnan(b)) ? kNaN : (a < b ? a : b); }

struct AddCase { static double ref(double a, double b) { return a + b; } };
struct SubCase { static double ref(double a, double b) { return a - b; } };
struct MulCase { static double ref(double a, double b) { return a * b; } };
struct DivCase { static double ref(double a, double b) { return a / b; } };
struct MaxCase { static double ref(double a, double b) { return refMax(a, b); } };
struct MinCase { static double ref(double a, double b) { return refMin(a, b); } };

#define LIB_OPS(Case, op)                                                                      \
  struct Case##Lib : Case {                                                                    \
    template <class D, class A, class B> static void tt(D& d, const A& a, const B& b) { pt::op(d, a, b); } \
    template <class D, class A> static void ts(D& d, const A& a, float s) { pt::op(d, a, s); }  \
    template <class D, class A, class B> static void row(D& d, const A& a, const B& b) { pt::op##_row(d, a, b); } \
    template <class D, class A, class B> static void col(D& d, const A& a, const B& b) { pt::op##_col(d, a, b); } \
  };
LIB_OPS(AddCase, add)
LIB_OPS(SubCase, sub)
LIB_OPS(MulCase, mul)
LIB_OPS(DivCase, div)
LIB_OPS(MaxCase, max)
LIB_OPS(MinCase, min)
#undef LIB_OPS

template <class T>
double expect(double ref) {
  return roundTo<T>(static_cast<float>(ref));
}

// Plants NaN/Inf/zero in the operands so that propagation is covered for every shape.
template <class T, int H, int W>
void plantSpecials(Tile<T, H, W>& t, uint32_t salt) {
  const double specials[] = {kNaN, kInf, -kInf, 0.0, -0.0};
  for (int i = 0; i < 5 && i < H * W; ++i)
    t.data[(i * 7 + salt) % (H * W)] = make<T>(specials[(i + salt) % 5]);
}

template <class Op, class T, int H, int W>
void checkBinary() {
  SCOPED_TRACE(std::string(Dt<T>::kName) + " " + std::to_string(H) + "x" + std::to_string(W));
  Tile<T, H, W> a, b, d;
  Tile<T, H, 1> rb;
  Tile<T, 1, W> cb;
  randomFill(a, -4.0, 4.0, 1);
  randomFill(b, -4.0, 4.0, 2);
  randomFill(rb, -4.0, 4.0, 3);
  randomFill(cb, -4.0, 4.0, 4);
  plantSpecials(a, 1);
  plantSpecials(b, 3);
  b.data[0] = make<T>(0.0);  // division by zero
  Op::tt(d, a, b);
  for (int r = 0; r < H; ++r)
    for (int c = 0; c < W; ++c)
      ASSERT_TRUE(sameValue(dec(d(r, c)), expect<T>(Op::ref(dec(a(r, c)), dec(b(r, c))))))
          << where("tile-tile", r, c) << " got " << dec(d(r, c));
  for (float s : {1.75f, -0.0f, NAN, INFINITY}) {
    Op::ts(d, a, s);
    for (int r = 0; r < H; ++r)
      for (int c = 0; c < W; ++c)
        ASSERT_TRUE(sameValue(dec(d(r, c)), expect<T>(Op::ref(dec(a(r, c)), s))))
            << where("tile-scalar", r, c) << " s=" << s;
  }
  Op::row(d, a, rb);
  for (int r = 0; r < H; ++r)
    for (int c = 0; c < W; ++c)
      ASSERT_TRUE(sameValue(dec(d(r, c)), expect<T>(Op::ref(dec(a(r, c)), dec(rb(r, 0))))))
          << where("row-broadcast", r, c);
  Op::col(d, a, cb);
  for (int r = 0; r < H; ++r)
    for (int c = 0; c < W; ++c)
      ASSERT_TRUE(sameValue(dec(d(r, c)), expect<T>(Op::ref(dec(a(r, c)), dec(cb(0, c))))))
          << where("col-broadcast", r, c);
  // In place: dst is the first operand.
  Tile<T, H, W> inPlace = a;
  Op::tt(inPlace, inPlace, b);
  for (int i = 0; i < H * W; ++i)
    ASSERT_TRUE(sameValue(dec(inPlace.data[i]), expect<T>(Op::ref(dec(a.data[i]), dec(b.data[i]))))) << i;
}

template <class Op, class T>
void checkBinaryShapes() {
  checkBinary<Op, T, 1, 1>();
  checkBinary<Op, T, 1, 37>();
  checkBinary<Op, T, 37, 1>();
  checkBinary<Op, T, 3, 5>();
  checkBinary<Op, T, 17, 33>();
  checkBinary<Op, T, 16, 64>();
}

template <class T>
class BinaryTest : public ::testing::Test {};
using ElemTypes = ::testing::Types<float, f16, bf16>;
TYPED_TEST_SUITE(BinaryTest, ElemTypes);

TYPED_TEST(BinaryTest, Add) { checkBinaryShapes<AddCaseLib, TypeParam>(); }
TYPED_TEST(BinaryTest, Sub) { checkBinaryShapes<SubCaseLib, TypeParam>(); }
TYPED_TEST(BinaryTest, Mul) { checkBinaryShapes<MulCaseLib, TypeParam>(); }
TYPED_TEST(BinaryTest, Div) { checkBinaryShapes<DivCaseLib, TypeParam>(); }
TYPED_TEST(BinaryTest, Max) { checkBinaryShapes<MaxCaseLib, TypeParam>(); }
TYPED_TEST(BinaryTest, Min) { checkBinaryShapes<MinCaseLib, TypeParam>(); }

TEST(BinaryInt, Int32AddMulMax) {
  Tile<int32_t, 3, 5> a, b, d;
  for (int i = 0; i < 15; ++i) {
    a.data[i] = i * 37 - 200;
    b.data[i] = 7 - i * 3;
  }
  pt::add(d, a, b);
  for (int i = 0; i < 15; ++i) EXPECT_EQ(d.data[i], a.data[i] + b.data[i]);
  pt::mul(d, a, 3);
  for (int i = 0; i < 15; ++i) EXPECT_EQ(d.data[i], a.data[i] * 3);
  pt::max(d, a, b);
  for (int i = 0; i < 15; ++i) EXPECT_EQ(d.data[i], std::max(a.data[i], b.data[i]));
}

// ---- load / store ----

template <class T, int H, int W>
void checkLoadStore() {
  SCOPED_TRACE(std::string(Dt<T>::kName) + " " + std::to_string(H) + "x" + std::to_string(W));
  const int ld = W + 3;
  std::vector<T> g((H + 2) * ld + (W + 2) * (H + 5));
  for (size_t i = 0; i < g.size(); ++i) g[i] = make<T>(static_cast<double>(i % 1000) - 300.0);
  // Row-major view with a leading dimension.
  Tile<T, H, W> t;
  pt::load(t, pt::rowMajor(g.data() + 1, ld));
  for (int r = 0; r < H; ++r)
    for (int c = 0; c < W; ++c) ASSERT_EQ(dec(t(r, c)), dec(g[1 + r * ld + c])) << where("load", r, c);
  // Transposed view: element (r, c) = g[c*ldT + r].
  const int ldT = H + 5;
  pt::load(t, pt::transposed(static_cast<const T*>(g.data()), ldT));
  for (int r = 0; r < H; ++r)
    for (int c = 0; c < W; ++c) ASSERT_EQ(dec(t(r, c)), dec(g[c * ldT + r])) << where("loadT", r, c);
  // General strides.
  pt::GlobalView<const T> gv{g.data(), 2, 3};
  if constexpr (H * 2 + W * 3 < 60) {
    pt::load(t, gv);
    for (int r = 0; r < H; ++r)
      for (int c = 0; c < W; ++c) ASSERT_EQ(dec(t(r, c)), dec(g[r * 2 + c * 3]));
  }
  // Store into a row-major and a transposed destination; elements outside stay untouched.
  randomFill(t, -10, 10, 9);
  std::vector<T> out((H + 1) * ld, make<T>(-99.0));
  pt::store(pt::rowMajor(out.data(), ld), t);
  for (int r = 0; r < H; ++r)
    for (int c = 0; c < ld; ++c)
      ASSERT_EQ(dec(out[r * ld + c]), c < W ? dec(t(r, c)) : -99.0) << where("store", r, c);
  std::vector<T> outT(W * ldT, make<T>(-99.0));
  pt::store(pt::transposed(outT.data(), ldT), t);
  for (int c = 0; c < W; ++c)
    for (int r = 0; r < ldT; ++r)
      ASSERT_EQ(dec(outT[c * ldT + r]), r < H ? dec(t(r, c)) : -99.0) << where("storeT", r, c);
}

TEST(LoadStore, ShapesAndViews) {
  checkLoadStore<float, 1, 1>();
  checkLoadStore<float, 1, 37>();
  checkLoadStore<float, 37, 1>();
  checkLoadStore<float, 3, 5>();
  checkLoadStore<float, 17, 33>();
  checkLoadStore<f16, 17, 33>();
  checkLoadStore<bf16, 3, 5>();
  checkLoadStore<int32_t, 3, 5>();
}

TEST(LoadStore, ConvertsDtypeOnTheWay) {
  std::vector<f16> g(3 * 7);
  for (int i = 0; i < 21; ++i) g[i] = make<f16>(i * 0.3 - 2.0);
  Tile<float, 3, 5> t;
  pt::load(t, pt::rowMajor(static_cast<const f16*>(g.data()), 7));
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 5; ++c) EXPECT_EQ(t(r, c), dec(g[r * 7 + c]));
  std::vector<bf16> o(15);
  t(1, 1) = 1.0f + 0x1p-8f;  // tie in bf16 -> 1.0
  pt::store(pt::rowMajor(o.data(), 5), t);
  for (int i = 0; i < 15; ++i) EXPECT_EQ(dec(o[i]), roundTo<bf16>(t.data[i]));
}

TEST(LoadStore, PartialEdgeTiles) {
  std::vector<float> g(10 * 10);
  for (int i = 0; i < 100; ++i) g[i] = static_cast<float>(i);
  Tile<float, 4, 8> t;
  pt::loadPartial(t, pt::GlobalView<const float>{g.data() + 8 * 10 + 6, 10, 1}, 2, 4, -1.0f);
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 8; ++c)
      EXPECT_EQ(t(r, c), (r < 2 && c < 4) ? g[(8 + r) * 10 + 6 + c] : -1.0f) << where("lp", r, c);
  std::vector<float> o(100, 7.0f);
  pt::storePartial(pt::rowMajor(o.data() + 8 * 10 + 6, 10), t, 2, 4);
  for (int i = 0; i < 100; ++i) {
    const int r = i / 10, c = i % 10;
    EXPECT_EQ(o[i], (r >= 8 && c >= 6) ? g[i] : 7.0f) << i;
  }
  // Out-of-range counts are clamped, never overrun.
  pt::loadPartial(t, pt::GlobalView<const float>{g.data(), 10, 1}, 99, -3, 5.0f);
  for (int i = 0; i < 32; ++i) EXPECT_EQ(t.data[i], 5.0f);
}

// ---- fill / iota / select / transpose ----

TEST(Misc, FillAndIota) {
  Tile<bf16, 17, 33> b;
  pt::fill(b, 1.0f + 0x1p-8f);
  for (auto v : b.data) EXPECT_EQ(dec(v), 1.0);
  Tile<float, 3, 5> f;
  pt::fill(f, NAN);
  for (auto v : f.data) EXPECT_TRUE(std::isnan(v));
  Tile<int32_t, 3, 37> i;
  pt::iota(i, 5, 2);
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 37; ++c) EXPECT_EQ(i(r, c), 5 + 2 * c);
  Tile<f16, 1, 2049> h;  // 2049 is not representable in f16: rounds to even (2048)
  pt::iota(h);
  for (int c = 0; c < 2049; ++c) ASSERT_EQ(dec(h(0, c)), roundTo<f16>(static_cast<float>(c))) << c;
  Tile<float, 37, 1> col;
  pt::iota(col, -1.5f, 0.5f);
  for (int r = 0; r < 37; ++r) EXPECT_EQ(col(r, 0), -1.5f);
}

template <class T, int H, int W>
void checkSelectTranspose() {
  Tile<T, H, W> a, b, d;
  Tile<uint8_t, H, W> m;
  Tile<float, H, W> fm;
  randomFill(a, -5, 5, 11);
  randomFill(b, -5, 5, 12);
  plantSpecials(a, 2);
  for (int i = 0; i < H * W; ++i) {
    m.data[i] = static_cast<uint8_t>((i * 7) % 3 == 0 ? 0 : i % 5 + 1);
    fm.data[i] = (i % 4 == 0) ? 0.0f : (i % 4 == 1 ? -0.0f : (i % 4 == 2 ? NAN : 2.0f));
  }
  pt::select(d, m, a, b);
  for (int i = 0; i < H * W; ++i)
    ASSERT_TRUE(sameValue(dec(d.data[i]), m.data[i] ? dec(a.data[i]) : dec(b.data[i]))) << i;
  pt::select(d, fm, a, b);  // -0 is false, NaN is true
  for (int i = 0; i < H * W; ++i)
    ASSERT_TRUE(sameValue(dec(d.data[i]), (i % 4 >= 2) ? dec(a.data[i]) : dec(b.data[i]))) << i;
  Tile<T, W, H> t;
  pt::transpose(t, a);
  for (int r = 0; r < H; ++r)
    for (int c = 0; c < W; ++c) ASSERT_TRUE(sameValue(dec(t(c, r)), dec(a(r, c)))) << where("T", r, c);
}

TEST(Misc, SelectAndTranspose) {
  checkSelectTranspose<float, 1, 1>();
  checkSelectTranspose<float, 1, 37>();
  checkSelectTranspose<float, 37, 1>();
  checkSelectTranspose<float, 3, 5>();
  checkSelectTranspose<float, 17, 33>();
  checkSelectTranspose<f16, 17, 33>();
  checkSelectTranspose<bf16, 64, 16>();
}

}  // namespace
