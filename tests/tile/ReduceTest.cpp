// Reductions against double-precision references.
//
// Tolerances: max/min exact (NaN if any element is NaN). sum/mean: the library sums in
// f32 in a different order than a sequential loop, so |got - want| <= (n+2) * 2^-24 *
// sum|x| (the standard bound for any summation order) plus, for f16/bf16 outputs, one
// ulp of the type on |want|.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "TileTestUtil.h"
#include "pto/wsp/tile/TileLib.h"

namespace {

using namespace tiletest;
namespace pt = pto::tile;

enum class Kind { Sum, Mean, Max, Min };

double refReduce(Kind k, const double* v, int n, int stride, double* absSum) {
  double acc = (k == Kind::Max || k == Kind::Min) ? v[0] : 0.0;
  double as = 0;
  bool nan = false;
  for (int i = 0; i < n; ++i) {
    const double x = v[i * stride];
    nan |= std::isnan(x);
    as += std::fabs(x);
    if (k == Kind::Sum || k == Kind::Mean) acc += x;
    if (k == Kind::Max) acc = x > acc ? x : acc;
    if (k == Kind::Min) acc = x < acc ? x : acc;
  }
  *absSum = as;
  if (nan) return kNaN;
  return k == Kind::Mean ? acc / n : acc;
}

template <class T>
::testing::AssertionResult reduceClose(Kind k, double got, double want, double absSum, int n) {
  if (k == Kind::Max || k == Kind::Min) {
    if (sameValue(got, roundTo<T>(static_cast<float>(want)))) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "got " << got << " want " << want;
  }
  double bound = (n + 2) * 0x1p-24 * absSum;
  if (k == Kind::Mean) bound /= n;
  const double rtol = std::is_same_v<T, float> ? 0x1p-23 : Dt<T>::kUlp;
  return close(got, want, bound, rtol);
}

template <class T, int H, int W>
void checkReductions(bool specials) {
  SCOPED_TRACE(std::string(Dt<T>::kName) + " " + std::to_string(H) + "x" + std::to_string(W) +
               (specials ? " with NaN/Inf" : ""));
  Tile<T, H, W> s;
  randomFill(s, -3.0, 5.0, 7 + H);
  if (specials) {
    s(0, 0) = make<T>(kNaN);
    s(H - 1, W - 1) = make<T>(kInf);
    if (H > 2 && W > 2) s(H / 2, W / 2) = make<T>(-kInf);
  }
  double v[H * W];
  for (int i = 0; i < H * W; ++i) v[i] = dec(s.data[i]);
  Tile<T, H, 1> rs, rmax, rmin, rmean;
  pt::rowsum(rs, s);
  pt::rowmax(rmax, s);
  pt::rowmin(rmin, s);
  pt::rowmean(rmean, s);
  for (int r = 0; r < H; ++r) {
    double as;
    double want = refReduce(Kind::Sum, v + r * W, W, 1, &as);
    ASSERT_TRUE(reduceClose<T>(Kind::Sum, dec(rs(r, 0)), want, as, W)) << "rowsum r=" << r;
    want = refReduce(Kind::Mean, v + r * W, W, 1, &as);
    ASSERT_TRUE(reduceClose<T>(Kind::Mean, dec(rmean(r, 0)), want, as, W)) << "rowmean r=" << r;
    want = refReduce(Kind::Max, v + r * W, W, 1, &as);
    ASSERT_TRUE(reduceClose<T>(Kind::Max, dec(rmax(r, 0)), want, as, W)) << "rowmax r=" << r;
    want = refReduce(Kind::Min, v + r * W, W, 1, &as);
    ASSERT_TRUE(reduceClose<T>(Kind::Min, dec(rmin(r, 0)), want, as, W)) << "rowmin r=" << r;
  }
  Tile<T, 1, W> cs, cmax;
  pt::colsum(cs, s);
  pt::colmax(cmax, s);
  for (int c = 0; c < W; ++c) {
    double as;
    double want = refReduce(Kind::Sum, v + c, H, W, &as);
    ASSERT_TRUE(reduceClose<T>(Kind::Sum, dec(cs(0, c)), want, as, H)) << "colsum c=" << c;
    want = refReduce(Kind::Max, v + c, H, W, &as);
    ASSERT_TRUE(reduceClose<T>(Kind::Max, dec(cmax(0, c)), want, as, H)) << "colmax c=" << c;
  }
}

template <class T>
void checkAllShapes() {
  for (bool sp : {false, true}) {
    checkReductions<T, 1, 1>(sp);
    checkReductions<T, 1, 37>(sp);
    checkReductions<T, 37, 1>(sp);
    checkReductions<T, 3, 5>(sp);
    checkReductions<T, 17, 33>(sp);
    checkReductions<T, 16, 64>(sp);
    checkReductions<T, 5, 1000>(sp);
  }
}

TEST(Reduce, F32) { checkAllShapes<float>(); }
TEST(Reduce, F16) { checkAllShapes<f16>(); }
TEST(Reduce, Bf16) { checkAllShapes<bf16>(); }

TEST(Reduce, MaxOfNegativeRowAndSignedZero) {
  Tile<float, 2, 20> s;
  for (int i = 0; i < 40; ++i) s.data[i] = -100.0f - i;
  Tile<float, 2, 1> m;
  pt::rowmax(m, s);
  EXPECT_EQ(m(0, 0), -100.0f);
  EXPECT_EQ(m(1, 0), -120.0f);
  Tile<float, 1, 20> cm;
  pt::colmax(cm, s);
  for (int c = 0; c < 20; ++c) EXPECT_EQ(cm(0, c), -100.0f - c);
  // +inf and -inf in the same row: sum is NaN, max +inf, min -inf.
  s(0, 3) = INFINITY;
  s(0, 17) = -INFINITY;
  Tile<float, 2, 1> sum, mn;
  pt::rowsum(sum, s);
  pt::rowmax(m, s);
  pt::rowmin(mn, s);
  EXPECT_TRUE(std::isnan(sum(0, 0)));
  EXPECT_EQ(m(0, 0), INFINITY);
  EXPECT_EQ(mn(0, 0), -INFINITY);
}

}  // namespace
