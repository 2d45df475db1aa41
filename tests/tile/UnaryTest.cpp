// Unary elementwise ops against double-precision std:: references.
//
// Tolerances (|got - want| <= atol + rtol*|want|, want = exact result in double):
//   f32:  rtol = kRtolF32 of the op (table below, a few f32 ulps), atol covers results
//         near zero (sin/cos: absolute error of the range reduction) and subnormals.
//   f16/bf16: the f32 result is rounded once more, so rtol = 1 ulp of the type
//         (2^-10 / 2^-7) plus the f32 tolerance; atol = the type's smallest subnormal.
// Inputs are first rounded to the dtype; the reference uses the rounded inputs.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <string>

#include "TileTestUtil.h"
#include "pto/wsp/tile/TileLib.h"

namespace {

using namespace tiletest;
namespace pt = pto::tile;

struct OpSpec {
  const char* name;
  double lo, hi;       // random input range
  double rtolF32;      // relative tolerance in f32
  double atolF32;      // absolute tolerance in f32
};

double refGelu(double x) {
  if (x == -kInf) return -0.0;
  return 0.5 * x * std::erfc(-x / std::sqrt(2.0));
}
double refSilu(double x) {
  if (x == -kInf) return -0.0;
  return x / (1.0 + std::exp(-x));
}
double refRelu(double x) { return std::isnan(x) ? x : (x > 0 ? x : 0.0); }

#define UNARY_CASE(Name, libcall, refexpr, lo, hi, rtol, atol)                 \
  struct Name {                                                                \
    static constexpr OpSpec spec{#Name, lo, hi, rtol, atol};                   \
    template <class D, class S> static void lib(D& d, const S& s) { libcall; } \
    static double ref(double x) { return refexpr; }                            \
  };
UNARY_CASE(Exp, pt::exp(d, s), std::exp(x), -100.0, 88.0, 3e-7, 1e-45)
UNARY_CASE(Log, pt::log(d, s), std::log(x), 1e-6, 1e4, 3e-7, 0)
UNARY_CASE(Sqrt, pt::sqrt(d, s), std::sqrt(x), 0.0, 1e4, 0x1p-24, 0)
UNARY_CASE(Rsqrt, pt::rsqrt(d, s), 1.0 / std::sqrt(x), 1e-3, 1e4, 0x1p-23, 0)
UNARY_CASE(Tanh, pt::tanh(d, s), std::tanh(x), -10.0, 10.0, 5e-7, 1e-38)
UNARY_CASE(Sigmoid, pt::sigmoid(d, s), 1.0 / (1.0 + std::exp(-x)), -30.0, 30.0, 5e-7, 1e-38)
UNARY_CASE(Relu, pt::relu(d, s), refRelu(x), -5.0, 5.0, 0, 0)
UNARY_CASE(Gelu, pt::gelu(d, s), refGelu(x), -12.0, 12.0, 1e-6, 1e-37)
UNARY_CASE(Silu, pt::silu(d, s), refSilu(x), -30.0, 30.0, 5e-7, 1e-38)
UNARY_CASE(Neg, pt::neg(d, s), -x, -5.0, 5.0, 0, 0)
UNARY_CASE(Abs, pt::abs(d, s), std::fabs(x), -5.0, 5.0, 0, 0)
UNARY_CASE(Sin, pt::sin(d, s), std::sin(x), -100.0, 100.0, 2e-7, 2e-7)
UNARY_CASE(Cos, pt::cos(d, s), std::cos(x), -100.0, 100.0, 2e-7, 2e-7)
#undef UNARY_CASE

// Special inputs checked for every op (NaN/Inf propagation and edge values).
const double kSpecialInputs[] = {kNaN, -kNaN, kInf, -kInf, 0.0, -0.0, 1.0, -1.0,
                                 1e-40, -1e-40, 88.7, -88.7, 89.0, -104.0, 1e5, -1e5,
                                 8192.0, 8193.0, 1e20, -3.0e38};

// The exact result as the dtype can hold it where that matters for the comparison:
// beyond the largest finite value it is +-Inf.
template <class T>
double refIn(double want) {
  const double r = roundTo<T>(static_cast<float>(want));
  return std::isinf(r) ? r : want;
}

template <class Op, class T, int H, int W>
void checkUnary() {
  SCOPED_TRACE(std::string(Op::spec.name) + " " + Dt<T>::kName + " " + std::to_string(H) + "x" +
               std::to_string(W));
  const double rtol = std::is_same_v<T, float> ? Op::spec.rtolF32 : Dt<T>::kUlp + Op::spec.rtolF32;
  const double atol = std::is_same_v<T, float> ? Op::spec.atolF32 : Dt<T>::kMinSub + Op::spec.atolF32;
  Tile<T, H, W> s, d;
  randomFill(s, Op::spec.lo, Op::spec.hi, 100 + H * W);
  // Overwrite a few positions with special values (cycled by shape).
  for (int i = 0; i < H * W && i < 20; ++i) {
    if ((i * 3 + H) % 4 == 0) s.data[i] = make<T>(kSpecialInputs[(i + W) % 20]);
  }
  Op::lib(d, s);
  for (int r = 0; r < H; ++r)
    for (int c = 0; c < W; ++c) {
      const double x = dec(s(r, c));
      ASSERT_TRUE(close(dec(d(r, c)), refIn<T>(Op::ref(x)), atol, rtol)) << where("", r, c) << " x=" << x;
    }
  // In place.
  Tile<T, H, W> ip = s;
  Op::lib(ip, ip);
  for (int i = 0; i < H * W; ++i) ASSERT_TRUE(sameValue(dec(ip.data[i]), dec(d.data[i]))) << i;
}

template <class Op, class T>
void checkUnaryAll() {
  checkUnary<Op, T, 1, 1>();
  checkUnary<Op, T, 1, 37>();
  checkUnary<Op, T, 37, 1>();
  checkUnary<Op, T, 3, 5>();
  checkUnary<Op, T, 17, 33>();
  checkUnary<Op, T, 64, 64>();
  // Every special input in one tile.
  Tile<T, 1, 20> s, d;
  for (int i = 0; i < 20; ++i) s.data[i] = make<T>(kSpecialInputs[i]);
  Op::lib(d, s);
  const double rtol = std::is_same_v<T, float> ? Op::spec.rtolF32 : Dt<T>::kUlp + Op::spec.rtolF32;
  const double atol = std::is_same_v<T, float> ? Op::spec.atolF32 : Dt<T>::kMinSub + Op::spec.atolF32;
  for (int i = 0; i < 20; ++i) {
    const double x = dec(s.data[i]);
    EXPECT_TRUE(close(dec(d.data[i]), refIn<T>(Op::ref(x)), atol, rtol))
        << Op::spec.name << " " << Dt<T>::kName << " special x=" << x;
  }
}

template <class T>
class UnaryTest : public ::testing::Test {};
using ElemTypes = ::testing::Types<float, f16, bf16>;
TYPED_TEST_SUITE(UnaryTest, ElemTypes);

TYPED_TEST(UnaryTest, Exp) { checkUnaryAll<Exp, TypeParam>(); }
TYPED_TEST(UnaryTest, Log) { checkUnaryAll<Log, TypeParam>(); }
TYPED_TEST(UnaryTest, Sqrt) { checkUnaryAll<Sqrt, TypeParam>(); }
TYPED_TEST(UnaryTest, Rsqrt) { checkUnaryAll<Rsqrt, TypeParam>(); }
TYPED_TEST(UnaryTest, Tanh) { checkUnaryAll<Tanh, TypeParam>(); }
TYPED_TEST(UnaryTest, Sigmoid) { checkUnaryAll<Sigmoid, TypeParam>(); }
TYPED_TEST(UnaryTest, Relu) { checkUnaryAll<Relu, TypeParam>(); }
TYPED_TEST(UnaryTest, Gelu) { checkUnaryAll<Gelu, TypeParam>(); }
TYPED_TEST(UnaryTest, Silu) { checkUnaryAll<Silu, TypeParam>(); }
TYPED_TEST(UnaryTest, Neg) { checkUnaryAll<Neg, TypeParam>(); }
TYPED_TEST(UnaryTest, Abs) { checkUnaryAll<Abs, TypeParam>(); }
TYPED_TEST(UnaryTest, Sin) { checkUnaryAll<Sin, TypeParam>(); }
TYPED_TEST(UnaryTest, Cos) { checkUnaryAll<Cos, TypeParam>(); }

// Dense sweeps of the f32 kernels over their whole useful range, with the worst error
// reported (so a regression shows by how much it broke the documented bound).
template <class Op>
void sweepF32(double lo, double hi, int n, double rtol, double atol) {
  constexpr int N = 4096;
  Tile<float, 1, N> s, d;
  double worst = 0;
  for (int base = 0; base < n; base += N) {
    for (int i = 0; i < N; ++i)
      s.data[i] = static_cast<float>(lo + (hi - lo) * (base + i) / static_cast<double>(n));
    Op::lib(d, s);
    for (int i = 0; i < N; ++i) {
      const double want = refIn<float>(Op::ref(s.data[i]));
      const double err = std::fabs(d.data[i] - want) / (atol + rtol * std::fabs(want));
      worst = err > worst ? err : worst;
      ASSERT_TRUE(close(d.data[i], want, atol, rtol)) << Op::spec.name << " x=" << s.data[i];
    }
  }
  ::testing::Test::RecordProperty(std::string(Op::spec.name) + "_worst_fraction_of_tol", std::to_string(worst));
  std::printf("%s: worst error = %.3f of tolerance\n", Op::spec.name, worst);
}

TEST(UnarySweep, F32Transcendentals) {
  sweepF32<Exp>(-104.0, 89.0, 1 << 20, 3e-7, 1e-45);
  sweepF32<Log>(1e-38, 3e38, 1 << 16, 3e-7, 0);
  sweepF32<Log>(0.5, 2.0, 1 << 20, 3e-7, 0);
  sweepF32<Tanh>(-12.0, 12.0, 1 << 20, 5e-7, 1e-38);
  sweepF32<Sigmoid>(-100.0, 100.0, 1 << 20, 5e-7, 1e-38);
  sweepF32<Silu>(-100.0, 100.0, 1 << 20, 5e-7, 1e-38);
  sweepF32<Gelu>(-14.0, 14.0, 1 << 20, 1e-6, 1e-37);
  sweepF32<Sin>(-8192.0, 8192.0, 1 << 20, 2e-7, 2e-7);
  sweepF32<Cos>(-8192.0, 8192.0, 1 << 20, 2e-7, 2e-7);
  sweepF32<Sin>(-1e6, 1e6, 1 << 16, 2e-7, 2e-7);  // beyond 8192: libm fallback
}

}  // namespace
