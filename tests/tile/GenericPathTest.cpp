// The portable (non-intrinsic) code paths, compiled in this translation unit only by
// defining PTO_TILE_GENERIC: the ISA-dependent functions live in a separate inline
// namespace (isa_generic), so this TU does not clash with the AVX-512 ones.
#define PTO_TILE_GENERIC 1

#include <gtest/gtest.h>

#include <cmath>
#include <memory>

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

}  // namespace
