// matmul_global against the staged chain it replaces (load a, load b, [load acc,] matmul,
// store c), bit for bit: every C element is the same fused multiply-add chain over k,
// whatever the blocking, the panel packing or the operands read in place. Shapes cover
// the row blocks (M = 1..8, tails merged or kept), masked panels (N not a multiple of 16
// or 64), k passes (K beyond 128), leading dimensions of 4 KiB multiples, 16-bit and
// transposed operands, and the overlaps that must stage.
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "TileTestUtil.h"
#include "pto/wsp/tile/TileLib.h"

namespace {

using namespace tiletest;
namespace pt = pto::tile;

template <class T>
std::vector<T> randomVector(size_t n, uint32_t seed, double lo = -1.0, double hi = 1.0) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(static_cast<float>(lo), static_cast<float>(hi));
  std::vector<T> v(n);
  for (auto& x : v) x = pt::fromCompute<T>(d(rng));
  return v;
}

// C = (acc +) A x B with A, B, C (and acc) windows of row-major matrices with leading
// dimensions lda, ldb, ldc (acc: the C window itself, or a separate matrix).
template <class TA, class TB, int M, int N, int K>
void checkAgainstStaged(std::ptrdiff_t lda, std::ptrdiff_t ldb, std::ptrdiff_t ldc, int mode) {
  SCOPED_TRACE(std::string(Dt<TA>::kName) + "x" + Dt<TB>::kName + " M=" + std::to_string(M) + " N=" +
               std::to_string(N) + " K=" + std::to_string(K) + " ld " + std::to_string(lda) + "/" +
               std::to_string(ldb) + "/" + std::to_string(ldc) + " mode " + std::to_string(mode));
  const std::vector<TA> A = randomVector<TA>(size_t(M) * lda, 41 + M);
  const std::vector<TB> B = randomVector<TB>(size_t(K) * ldb, 42 + N);
  const std::vector<float> Acc = randomVector<float>(size_t(M) * ldc, 43 + K, -4.0, 4.0);
  std::vector<float> C = Acc;  // mode 1 accumulates into C in place
  std::vector<float> want = Acc;
  const auto va = pt::rowMajor(A.data(), lda);
  const auto vb = pt::rowMajor(B.data(), ldb);
  const auto vacc = pt::rowMajor(Acc.data(), ldc);
  const auto vc = pt::rowMajor(C.data(), ldc);
  auto ta = std::make_unique<pt::Tile<TA, M, K>>();
  auto tb = std::make_unique<pt::Tile<TB, K, N>>();
  auto tc = std::make_unique<pt::Tile<float, M, N>>();
  auto tacc = std::make_unique<pt::Tile<float, M, N>>();
  pt::load(*ta, va);
  pt::load(*tb, vb);
  pt::load(*tacc, vacc);
  if (mode == 0)
    pt::matmul(*tc, *ta, *tb);
  else
    pt::matmul(*tc, *ta, *tb, *tacc);
  pt::store(pt::rowMajor(want.data(), ldc), *tc);
  if (mode == 0)
    pt::matmul_global<M, N, K>(vc, va, vb);
  else if (mode == 1)
    pt::matmul_global<M, N, K>(vc, va, vb, vc);
  else
    pt::matmul_global<M, N, K>(vc, va, vb, vacc);
  ASSERT_EQ(std::memcmp(C.data(), want.data(), C.size() * sizeof(float)), 0);
}

template <class TA, class TB, int M, int N, int K>
void checkShape(std::ptrdiff_t lda = K, std::ptrdiff_t ldb = N, std::ptrdiff_t ldc = N) {
  for (int mode = 0; mode < 3; ++mode) checkAgainstStaged<TA, TB, M, N, K>(lda, ldb, ldc, mode);
}

TEST(MatmulGlobal, F32ShapesMatchTheStagedChain) {
  checkShape<float, float, 1, 1, 1>();
  checkShape<float, float, 1, 37, 5>();
  checkShape<float, float, 37, 1, 5>();
  checkShape<float, float, 3, 5, 7>();
  checkShape<float, float, 5, 64, 9>();
  checkShape<float, float, 7, 80, 16>();     // 7 = 3 + 4 (merged tail)
  checkShape<float, float, 8, 65, 16>();     // 8 = 4 + 4; a 1-column panel
  checkShape<float, float, 9, 100, 17>();    // 9 = 6 + 3 (tail kept)
  checkShape<float, float, 17, 33, 19>();
  checkShape<float, float, 16, 128, 64>();
  checkShape<float, float, 13, 47, 300>();   // k passes 128 + 128 + 44
  checkShape<float, float, 64, 64, 64>();
  checkShape<float, float, 128, 128, 128>();
  checkShape<float, float, 20, 200, 129>();
}

TEST(MatmulGlobal, WindowsOfLargerMatrices) {
  checkShape<float, float, 128, 128, 128>(1024, 1024, 1024);  // 4 KiB rows: the bench's case
  checkShape<float, float, 64, 256, 256>(1024, 1024, 1024);
  checkShape<float, float, 14, 40, 33>(35, 41, 47);
}

TEST(MatmulGlobal, HalfInputsAreStaged) {
  checkShape<f16, f16, 64, 64, 64>();
  checkShape<bf16, bf16, 17, 33, 19>();
  checkShape<f16, float, 5, 20, 9>(16, 24, 20);
  checkShape<float, bf16, 9, 70, 130>();
}

// A transposed B view (B stored as Bt[N][K]) is staged; the result is the staged chain's.
TEST(MatmulGlobal, TransposedOperand) {
  constexpr int M = 10, N = 40, K = 24;
  const std::vector<float> A = randomVector<float>(M * K, 1), Bt = randomVector<float>(N * K, 2);
  std::vector<float> C(M * N), want(M * N);
  Tile<float, M, K> ta;
  Tile<float, K, N> tb;
  Tile<float, M, N> tc;
  pt::load(ta, pt::rowMajor(A.data(), K));
  pt::load(tb, pt::transposed(Bt.data(), K));
  pt::matmul(tc, ta, tb);
  pt::store(pt::rowMajor(want.data(), N), tc);
  pt::matmul_global<M, N, K>(pt::rowMajor(C.data(), N), pt::rowMajor(A.data(), K), pt::transposed(Bt.data(), K));
  EXPECT_EQ(std::memcmp(C.data(), want.data(), C.size() * sizeof(float)), 0);
}

// C overlapping A or B, and acc partially overlapping C: the staged chain reads every
// operand before it writes C, and so must the fused call. Views are windows (offsets in
// floats) of one 64 x 16 buffer; accOff < 0: no accumulator.
TEST(MatmulGlobal, OverlappingViewsReadBeforeWrite) {
  constexpr int M = 8, N = 16, K = 16;
  const std::vector<float> buf = randomVector<float>(64 * 16, 3);
  auto check = [&](std::ptrdiff_t cOff, std::ptrdiff_t aOff, std::ptrdiff_t bOff, std::ptrdiff_t accOff) {
    SCOPED_TRACE("c " + std::to_string(cOff) + " a " + std::to_string(aOff) + " b " + std::to_string(bOff) +
                 " acc " + std::to_string(accOff));
    std::vector<float> want = buf, got = buf;
    auto at = [](std::vector<float>& m, std::ptrdiff_t off) { return pt::rowMajor(m.data() + off, 16); };
    Tile<float, M, K> ta;
    Tile<float, K, N> tb;
    Tile<float, M, N> tc, tacc;
    pt::load(ta, at(want, aOff));
    pt::load(tb, at(want, bOff));
    if (accOff >= 0) {
      pt::load(tacc, at(want, accOff));
      pt::matmul(tc, ta, tb, tacc);
      pt::matmul_global<M, N, K>(at(got, cOff), at(got, aOff), at(got, bOff), at(got, accOff));
    } else {
      pt::matmul(tc, ta, tb);
      pt::matmul_global<M, N, K>(at(got, cOff), at(got, aOff), at(got, bOff));
    }
    pt::store(at(want, cOff), tc);
    EXPECT_EQ(std::memcmp(got.data(), want.data(), got.size() * sizeof(float)), 0);
  };
  check(0, 0, 64, -1);       // C is A's window; B (rows 4..19) partially overlaps C
  check(64, 0, 256, -1);     // C (rows 4..11) partially overlaps A (rows 0..7)
  check(0, 256, 512, 32);    // acc (rows 2..9) partially overlaps C (rows 0..7)
  check(0, 256, 512, 0);     // acc is C: in place
  check(0, 256, 512, 640);   // acc disjoint from C
}

TEST(MatmulGlobal, NaNAndInfPropagate) {
  std::vector<float> A(3 * 4, 1.0f), B(4 * 18, 2.0f), C(3 * 18, 0.0f);
  A[1 * 4 + 2] = NAN;
  B[3 * 18 + 17] = INFINITY;
  B[0 * 18 + 16] = -INFINITY;
  A[2 * 4 + 0] = 0.0f;
  pt::matmul_global<3, 18, 4>(pt::rowMajor(C.data(), 18), pt::rowMajor(A.data(), 4), pt::rowMajor(B.data(), 18));
  for (int j = 0; j < 18; ++j) EXPECT_TRUE(std::isnan(C[18 + j])) << j;
  EXPECT_EQ(C[17], INFINITY);
  EXPECT_EQ(C[2 * 18 + 17], INFINITY);
  EXPECT_EQ(C[16], -INFINITY);
  EXPECT_TRUE(std::isnan(C[2 * 18 + 16]));
  EXPECT_EQ(C[0], 8.0f);
  EXPECT_EQ(C[2 * 18], 6.0f);
}

}  // namespace
