// Tile matmul against a double-precision reference, for f32/f16/bf16 inputs, with and
// without accumulator, over shapes that exercise every micro-kernel edge case (M not a
// multiple of the 14-row block, tails merged into the last block or not, N not a multiple
// of 16/32, K beyond the 256-deep k-pass).
//
// Tolerance: the f16/bf16 inputs widen exactly to f32, so every case is an f32 dot
// product of length K (+ the accumulator): |got - want| <= (K+2) * 2^-24 * sum_k |a*b|
// (+ |acc|), the standard bound for any summation order.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <string>

#include "TileTestUtil.h"
#include "pto/wsp/tile/TileLib.h"

namespace {

using namespace tiletest;
namespace pt = pto::tile;

template <class TA, class TB, int M, int N, int K>
void checkMatmul() {
  SCOPED_TRACE(std::string(Dt<TA>::kName) + "x" + Dt<TB>::kName + " M=" + std::to_string(M) +
               " N=" + std::to_string(N) + " K=" + std::to_string(K));
  // Heap-allocated: some shapes are large for a test thread's stack.
  auto a = std::make_unique<Tile<TA, M, K>>();
  auto b = std::make_unique<Tile<TB, K, N>>();
  auto c = std::make_unique<Tile<float, M, N>>();
  auto acc = std::make_unique<Tile<float, M, N>>();
  randomFill(*a, -1.0, 1.0, 21 + M);
  randomFill(*b, -1.0, 1.0, 22 + N);
  randomFill(*acc, -4.0, 4.0, 23 + K);
  for (int mode = 0; mode < 3; ++mode) {
    if (mode == 0) {
      pt::matmul(*c, *a, *b);
    } else if (mode == 1) {
      *c = *acc;
      pt::matmulAcc(*c, *a, *b);
    } else {
      pt::matmul(*c, *a, *b, *acc);
    }
    for (int i = 0; i < M; ++i)
      for (int j = 0; j < N; ++j) {
        double want = mode == 0 ? 0.0 : static_cast<double>((*acc)(i, j));
        double mag = std::fabs(want);
        for (int k = 0; k < K; ++k) {
          const double p = dec((*a)(i, k)) * dec((*b)(k, j));
          want += p;
          mag += std::fabs(p);
        }
        ASSERT_TRUE(close((*c)(i, j), want, (K + 2) * 0x1p-24 * mag, 0))
            << "mode " << mode << where("", i, j);
      }
  }
}

TEST(Matmul, F32Shapes) {
  checkMatmul<float, float, 1, 1, 1>();
  checkMatmul<float, float, 1, 37, 5>();
  checkMatmul<float, float, 37, 1, 5>();
  checkMatmul<float, float, 3, 5, 7>();
  checkMatmul<float, float, 17, 33, 19>();
  checkMatmul<float, float, 12, 32, 8>();
  checkMatmul<float, float, 24, 64, 64>();
  checkMatmul<float, float, 13, 47, 300>();
  checkMatmul<float, float, 64, 64, 64>();
  checkMatmul<float, float, 128, 128, 128>();
  checkMatmul<float, float, 11, 16, 513>();
  // Row blocking: 16 = 8 + 8 and 30 = 14 + 8 + 8 (2-row tail merged and split), 32 =
  // 14 + 9 + 9, 20 = 10 + 10, 21 = 14 + 7 (tail kept), 256 = 17 x 14 + 9 + 9.
  checkMatmul<float, float, 16, 32, 16>();
  checkMatmul<float, float, 30, 40, 20>();
  checkMatmul<float, float, 32, 32, 33>();
  checkMatmul<float, float, 20, 17, 8>();
  checkMatmul<float, float, 21, 64, 9>();
  checkMatmul<float, float, 256, 48, 260>();
}

// Every element of C is one sequential sum over k, whatever row block of the micro-kernel
// computes it: a row of a blocked product equals, bit for bit, the 1-row product of that
// row. Generated kernels' results (and the examples' goldens) therefore do not depend on
// the blocking.
template <int M, int N, int K>
void checkRowsMatchOneRowProducts() {
  SCOPED_TRACE("M=" + std::to_string(M) + " N=" + std::to_string(N) + " K=" + std::to_string(K));
  auto a = std::make_unique<Tile<float, M, K>>();
  auto b = std::make_unique<Tile<float, K, N>>();
  auto c = std::make_unique<Tile<float, M, N>>();
  randomFill(*a, -1.0, 1.0, 31 + M);
  randomFill(*b, -1.0, 1.0, 32 + N);
  pt::matmul(*c, *a, *b);
  Tile<float, 1, K> row;
  Tile<float, 1, N> one;
  for (int i = 0; i < M; ++i) {
    for (int k = 0; k < K; ++k) row(0, k) = (*a)(i, k);
    pt::matmul(one, row, *b);
    for (int j = 0; j < N; ++j) ASSERT_EQ((*c)(i, j), one(0, j)) << where("", i, j);
  }
}

TEST(Matmul, ResultsDoNotDependOnRowBlocking) {
  checkRowsMatchOneRowProducts<128, 64, 128>();
  checkRowsMatchOneRowProducts<30, 40, 300>();
  checkRowsMatchOneRowProducts<64, 256, 256>();
}

TEST(Matmul, HalfInputs) {
  checkMatmul<f16, f16, 3, 5, 7>();
  checkMatmul<f16, f16, 17, 33, 19>();
  checkMatmul<bf16, bf16, 17, 33, 19>();
  checkMatmul<bf16, bf16, 64, 64, 64>();
  checkMatmul<f16, bf16, 16, 48, 32>();
  checkMatmul<float, f16, 5, 20, 9>();
}

TEST(Matmul, NaNAndInfPropagate) {
  Tile<float, 3, 4> a;
  Tile<float, 4, 18> b;
  Tile<float, 3, 18> c;
  pt::fill(a, 1.0f);
  pt::fill(b, 2.0f);
  a(1, 2) = NAN;           // row 1 of C becomes NaN
  b(3, 17) = INFINITY;     // column 17 becomes +inf (rows 0 and 2)
  b(0, 16) = -INFINITY;
  a(2, 0) = 0.0f;          // 0 * -inf = NaN in (2, 16)
  pt::matmul(c, a, b);
  for (int j = 0; j < 18; ++j) EXPECT_TRUE(std::isnan(c(1, j))) << j;
  EXPECT_EQ(c(0, 17), INFINITY);
  EXPECT_EQ(c(2, 17), INFINITY);
  EXPECT_EQ(c(0, 16), -INFINITY);
  EXPECT_TRUE(std::isnan(c(2, 16)));
  EXPECT_EQ(c(0, 0), 8.0f);
  EXPECT_EQ(c(2, 0), 6.0f);
}

// A 96x96x96 product assembled from 32x32x32 tiles loaded from global row-major and
// transposed views, the way generated kernels use the library.
TEST(Matmul, BlockedFromGlobalViews) {
  constexpr int S = 96, T = 32;
  std::vector<float> A(S * S), Bt(S * S), C(S * S);
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> dist(-1, 1);
  for (auto& x : A) x = dist(rng);
  for (auto& x : Bt) x = dist(rng);  // B stored transposed: B(k, j) = Bt[j*S + k]
  for (int i0 = 0; i0 < S; i0 += T)
    for (int j0 = 0; j0 < S; j0 += T) {
      Tile<float, T, T> c, a, b;
      pt::fill(c, 0.0f);
      for (int k0 = 0; k0 < S; k0 += T) {
        pt::load(a, pt::rowMajor(static_cast<const float*>(A.data()), S).offset(i0, k0));
        pt::load(b, pt::transposed(static_cast<const float*>(Bt.data()), S).offset(k0, j0));
        pt::matmulAcc(c, a, b);
      }
      pt::store(pt::rowMajor(C.data(), S).offset(i0, j0), c);
    }
  for (int i = 0; i < S; ++i)
    for (int j = 0; j < S; ++j) {
      double want = 0, mag = 0;
      for (int k = 0; k < S; ++k) {
        want += static_cast<double>(A[i * S + k]) * Bt[j * S + k];
        mag += std::fabs(static_cast<double>(A[i * S + k]) * Bt[j * S + k]);
      }
      ASSERT_TRUE(close(C[i * S + j], want, (S + 2) * 0x1p-24 * mag, 0)) << where("", i, j);
    }
}

}  // namespace
