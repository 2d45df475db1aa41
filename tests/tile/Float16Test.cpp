// f16/bf16 conversions of the tile library against references that do not share its
// code: the compiler's _Float16 (IEEE conversions) and a definition-level bf16 rounding.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <vector>

#include "TileTestUtil.h"
#include "pto/wsp/tile/TileLib.h"

namespace {

using namespace tiletest;
using pto::tile::detail::bf16BitsToF32;
using pto::tile::detail::f16BitsToF32;
using pto::tile::detail::f32ToBf16Bits;
using pto::tile::detail::f32ToF16Bits;

uint16_t refF16Bits(float f) { return std::bit_cast<uint16_t>(static_cast<_Float16>(f)); }

bool sameF16(uint16_t a, uint16_t b) {
  const bool an = (a & 0x7C00) == 0x7C00 && (a & 0x3FF);
  const bool bn = (b & 0x7C00) == 0x7C00 && (b & 0x3FF);
  if (an || bn) return an && bn && ((a ^ b) & 0x8000) == 0;  // NaN with the same sign
  return a == b;
}

TEST(Float16, F16ToF32IsExactForEveryEncoding) {
  for (uint32_t h = 0; h < 0x10000; ++h) {
    const float got = f16BitsToF32(static_cast<uint16_t>(h));
    const float want = static_cast<float>(std::bit_cast<_Float16>(static_cast<uint16_t>(h)));
    if (std::isnan(want)) {
      ASSERT_TRUE(std::isnan(got)) << std::hex << h;
      ASSERT_EQ(std::signbit(got), std::signbit(want)) << std::hex << h;
    } else {
      ASSERT_EQ(std::bit_cast<uint32_t>(got), std::bit_cast<uint32_t>(want)) << std::hex << h;
    }
  }
}

TEST(Float16, F32ToF16RoundTripsEveryEncoding) {
  for (uint32_t h = 0; h < 0x10000; ++h) {
    const float f = std::bit_cast<_Float16>(static_cast<uint16_t>(h));
    ASSERT_TRUE(sameF16(f32ToF16Bits(f), static_cast<uint16_t>(h))) << std::hex << h;
  }
}

// Every midpoint between adjacent f16 values (ties -> even), and one f32 ulp either side.
TEST(Float16, F32ToF16RoundsTiesToEvenAndNeighbours) {
  for (uint32_t h = 0; h < 0x7C00; ++h) {
    const double lo = static_cast<double>(std::bit_cast<_Float16>(static_cast<uint16_t>(h)));
    const double hi = h + 1 == 0x7C00 ? 65536.0  // the overflow rounding boundary is 65520
                                      : static_cast<double>(std::bit_cast<_Float16>(static_cast<uint16_t>(h + 1)));
    const float mid = static_cast<float>((lo + hi) / 2);  // exact in f32
    ASSERT_EQ(static_cast<double>(mid), (lo + hi) / 2);
    for (float x : {mid, std::nextafter(mid, 0.0f), std::nextafter(mid, 1e30f)}) {
      for (float s : {x, -x}) {
        ASSERT_EQ(f32ToF16Bits(s), refF16Bits(s)) << std::hexfloat << s;
      }
    }
  }
}

TEST(Float16, F32ToF16EdgeCases) {
  EXPECT_EQ(f32ToF16Bits(0.0f), 0x0000);
  EXPECT_EQ(f32ToF16Bits(-0.0f), 0x8000);
  EXPECT_EQ(f32ToF16Bits(65504.0f), 0x7BFF);             // max finite
  EXPECT_EQ(f32ToF16Bits(65519.99f), 0x7BFF);            // below the tie: stays finite
  EXPECT_EQ(f32ToF16Bits(65520.0f), 0x7C00);             // tie to even -> Inf
  EXPECT_EQ(f32ToF16Bits(1e10f), 0x7C00);                // overflow -> Inf
  EXPECT_EQ(f32ToF16Bits(-1e10f), 0xFC00);
  EXPECT_EQ(f32ToF16Bits(INFINITY), 0x7C00);
  EXPECT_EQ(f32ToF16Bits(-INFINITY), 0xFC00);
  EXPECT_EQ(f32ToF16Bits(0x1p-24f), 0x0001);             // smallest subnormal
  EXPECT_EQ(f32ToF16Bits(0x1p-25f), 0x0000);             // tie between 0 and 2^-24 -> 0 (even)
  EXPECT_EQ(f32ToF16Bits(0x1.8p-24f), 0x0002);           // tie between 1 and 2 -> 2 (even)
  EXPECT_EQ(f32ToF16Bits(std::nextafter(0x1p-25f, 1.0f)), 0x0001);
  EXPECT_EQ(f32ToF16Bits(0x1p-14f), 0x0400);             // smallest normal
  EXPECT_EQ(f32ToF16Bits(0x1.ff8p-15f), 0x03FF);         // largest subnormal
  EXPECT_EQ(f32ToF16Bits(1e-30f), 0x0000);               // underflow -> 0
  EXPECT_EQ(f32ToF16Bits(-1e-30f), 0x8000);
  EXPECT_EQ(f32ToF16Bits(1.0f + 0x1p-11f), 0x3C00);      // tie -> even (1.0)
  EXPECT_EQ(f32ToF16Bits(1.0f + 3 * 0x1p-11f), 0x3C02);  // tie -> even (1 + 2^-9)
  const uint16_t qnan = f32ToF16Bits(NAN);
  EXPECT_EQ(qnan & 0x7C00, 0x7C00);
  EXPECT_NE(qnan & 0x03FF, 0);
  EXPECT_EQ(f32ToF16Bits(-NAN) & 0x8000, 0x8000);
  // A signalling-NaN payload that would truncate to Inf must still give a NaN.
  EXPECT_NE(f32ToF16Bits(std::bit_cast<float>(0x7F800001u)) & 0x03FF, 0);
}

TEST(Float16, F32ToF16SampledAgainstCompiler) {
  // A stride coprime to 2^32 visits every exponent and many mantissa patterns.
  uint32_t u = 0;
  for (int i = 0; i < 4000000; ++i, u += 1073u * 997u) {
    const float f = std::bit_cast<float>(u);
    ASSERT_TRUE(sameF16(f32ToF16Bits(f), refF16Bits(f))) << std::hex << u;
  }
}

TEST(Bfloat16, F32ToBf16SampledAgainstDefinition) {
  uint32_t u = 12345;
  for (int i = 0; i < 4000000; ++i, u += 1073u * 997u) {
    const float f = std::bit_cast<float>(u);
    ASSERT_EQ(f32ToBf16Bits(f), refBf16Bits(f)) << std::hex << u;
  }
}

TEST(Bfloat16, TiesNaNInfSubnormals) {
  // Ties: low half exactly 0x8000 rounds to even.
  EXPECT_EQ(f32ToBf16Bits(std::bit_cast<float>(0x3F808000u)), 0x3F80);
  EXPECT_EQ(f32ToBf16Bits(std::bit_cast<float>(0x3F818000u)), 0x3F82);
  EXPECT_EQ(f32ToBf16Bits(std::bit_cast<float>(0x3F808001u)), 0x3F81);
  EXPECT_EQ(f32ToBf16Bits(std::bit_cast<float>(0x3F807FFFu)), 0x3F80);
  // Overflow of the largest finite values to Inf, and Inf itself.
  EXPECT_EQ(f32ToBf16Bits(std::bit_cast<float>(0x7F7FFFFFu)), 0x7F80);
  EXPECT_EQ(f32ToBf16Bits(std::bit_cast<float>(0x7F7F7FFFu)), 0x7F7F);
  EXPECT_EQ(f32ToBf16Bits(INFINITY), 0x7F80);
  EXPECT_EQ(f32ToBf16Bits(-INFINITY), 0xFF80);
  // NaNs stay NaN, including payloads that would round to Inf.
  for (uint32_t nan : {0x7F800001u, 0x7FFFFFFFu, 0xFF800001u, 0x7FC00000u}) {
    const uint16_t b = f32ToBf16Bits(std::bit_cast<float>(nan));
    EXPECT_EQ(b & 0x7F80, 0x7F80) << std::hex << nan;
    EXPECT_NE(b & 0x007F, 0) << std::hex << nan;
    EXPECT_EQ(b & 0x8000, (nan >> 16) & 0x8000) << std::hex << nan;
  }
  // Subnormals round like any other value.
  EXPECT_EQ(f32ToBf16Bits(std::bit_cast<float>(0x00008000u)), 0x0000);
  EXPECT_EQ(f32ToBf16Bits(std::bit_cast<float>(0x00018000u)), 0x0002);
  EXPECT_EQ(f32ToBf16Bits(std::bit_cast<float>(0x00010001u)), 0x0001);
  for (uint32_t h = 0; h < 0x10000; ++h) {
    const float f = bf16BitsToF32(static_cast<uint16_t>(h));
    EXPECT_EQ(std::bit_cast<uint32_t>(f), h << 16);
    if (!std::isnan(f)) {
      ASSERT_EQ(f32ToBf16Bits(f), h);
    }
  }
}

TEST(Cast, BetweenAllTypesWithSaturation) {
  Tile<float, 3, 5> src;
  const float vals[15] = {0.0f,    -0.0f, 1.5f,     -2.5f,  65520.0f, 1e10f, -1e10f, NAN,
                          INFINITY, -INFINITY, 0x1p-25f, 3.99f, -3.99f, 2147483648.0f, 1e-3f};
  for (int i = 0; i < 15; ++i) src.data[i] = vals[i];
  Tile<f16, 3, 5> h;
  Tile<bf16, 3, 5> b;
  Tile<int32_t, 3, 5> n;
  Tile<float, 3, 5> back;
  pto::tile::cast(h, src);
  pto::tile::cast(b, src);
  pto::tile::cast(n, src);
  for (int i = 0; i < 15; ++i) {
    EXPECT_TRUE(sameF16(h.data[i].bits, refF16Bits(vals[i]))) << i;
    EXPECT_EQ(b.data[i].bits, refBf16Bits(vals[i])) << i;
  }
  const int32_t wantInt[15] = {0, 0, 1, -2, 65520, 2147483647, -2147483647 - 1, 0,
                               2147483647, -2147483647 - 1, 0, 3, -3, 2147483647, 0};
  for (int i = 0; i < 15; ++i) EXPECT_EQ(n.data[i], wantInt[i]) << i;
  pto::tile::cast(back, h);
  for (int i = 0; i < 15; ++i) EXPECT_TRUE(sameValue(back.data[i], dec(h.data[i]))) << i;
  Tile<f16, 3, 5> h2;
  pto::tile::cast(h2, b);  // bf16 -> f16 goes through f32
  for (int i = 0; i < 15; ++i)
    EXPECT_TRUE(sameF16(h2.data[i].bits, refF16Bits(static_cast<float>(dec(b.data[i]))))) << i;
}

}  // namespace
