// The portable (non-intrinsic) code paths, compiled in this translation unit only by
// defining PTO_TILE_GENERIC: the ISA-dependent functions live in a separate inline
// namespace (isa_generic), so this TU does not clash with the AVX-512 ones.
#define PTO_TILE_GENERIC 1

#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <vector>

#include "TileTestUtil.h"
#include "pto/wsp/tile/TileLib.h"

namespace {

using namespace tiletest;
namespace pt = pto::tile;

TEST(GenericPath, UsesPortableNamespace) {
  // Compile-time proof that the functions resolve into the generic namespace.
  void (*fn)(Tile<float, 3, 5>&, const Tile<float, 3, 5>&) = &pt::isa_generic::sqrt<float, 3, 5>;
  EXPECT_NE(fn, nullptr);
}

TEST(GenericPath, MatmulAndSqrt) {
  auto a = std::make_unique<Tile<float, 17, 300>>();
  auto b = std::make_unique<Tile<bf16, 300, 33>>();
  auto c = std::make_unique<Tile<float, 17, 33>>();
  randomFill(*a, -1, 1, 1);
  randomFill(*b, -1, 1, 2);
  pt::fill(*c, 1.0f);
  pt::matmulAcc(*c, *a, *b);
  for (int i = 0; i < 17; ++i)
    for (int j = 0; j < 33; ++j) {
      double want = 1.0, mag = 1.0;
      for (int k = 0; k < 300; ++k) {
        want += dec((*a)(i, k)) * dec((*b)(k, j));
        mag += std::fabs(dec((*a)(i, k)) * dec((*b)(k, j)));
      }
      ASSERT_TRUE(close((*c)(i, j), want, 302 * 0x1p-24 * mag, 0)) << where("", i, j);
    }
  Tile<float, 3, 7> s, d;
  randomFill(s, 0, 100, 3);
  s.data[0] = -1.0f;
  s.data[1] = INFINITY;
  pt::sqrt(d, s);
  EXPECT_TRUE(std::isnan(d.data[0]));
  EXPECT_EQ(d.data[1], INFINITY);
  for (int i = 2; i < 21; ++i) EXPECT_EQ(d.data[i], std::sqrt(s.data[i]));
  pt::rsqrt(d, s);
  for (int i = 2; i < 21; ++i) EXPECT_EQ(d.data[i], 1.0f / std::sqrt(s.data[i]));
}

// matmul_global stages every operand on this path: the tile matmul's result, bit for bit.
TEST(GenericPath, MatmulGlobalIsTheStagedChain) {
  constexpr int M = 9, N = 20, K = 33, ld = 40;
  std::vector<float> A(M * ld), B(K * ld), C(M * ld, 0.5f);
  for (size_t i = 0; i < A.size(); ++i) A[i] = static_cast<float>(i % 13) * 0.37f - 2.0f;
  for (size_t i = 0; i < B.size(); ++i) B[i] = static_cast<float>(i % 11) * 0.29f - 1.5f;
  Tile<float, M, K> ta;
  Tile<float, K, N> tb;
  Tile<float, M, N> tc;
  pt::load(ta, pt::rowMajor(static_cast<const float*>(A.data()), ld));
  pt::load(tb, pt::rowMajor(static_cast<const float*>(B.data()), ld));
  pt::load(tc, pt::rowMajor(static_cast<const float*>(C.data()), ld));
  pt::matmulAcc(tc, ta, tb);
  const auto vc = pt::rowMajor(C.data(), ld);
  pt::matmul_global<M, N, K>(vc, pt::rowMajor(A.data(), ld), pt::rowMajor(B.data(), ld), vc);
  for (int i = 0; i < M; ++i)
    for (int j = 0; j < N; ++j) ASSERT_EQ(C[i * ld + j], tc(i, j)) << where("", i, j);
}

}  // namespace
