// The golden machinery itself: f16/bf16 encodings against known bit patterns, host
// tensor conversions, deterministic random data and compare() messages.
#include "Golden.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>

namespace pto::wsp::golden {
namespace {

TEST(GoldenF16, KnownEncodings) {
  EXPECT_EQ(f16FromDouble(1.0), 0x3C00);
  EXPECT_EQ(f16FromDouble(-2.0), 0xC000);
  EXPECT_EQ(f16FromDouble(0.5), 0x3800);
  EXPECT_EQ(f16FromDouble(0.1), 0x2E66);
  EXPECT_EQ(f16FromDouble(1.0 / 3.0), 0x3555);
  EXPECT_EQ(f16FromDouble(65504.0), 0x7BFF);             // largest finite
  EXPECT_EQ(f16FromDouble(65519.0), 0x7BFF);             // below the half-way point
  EXPECT_EQ(f16FromDouble(65520.0), 0x7C00);             // half-way to 65536 -> inf (even)
  EXPECT_EQ(f16FromDouble(1e6), 0x7C00);
  EXPECT_EQ(f16FromDouble(-1e6), 0xFC00);
  EXPECT_EQ(f16FromDouble(std::ldexp(1.0, -14)), 0x0400);  // smallest normal
  EXPECT_EQ(f16FromDouble(std::ldexp(1.0, -24)), 0x0001);  // smallest subnormal
  EXPECT_EQ(f16FromDouble(std::ldexp(1.0, -25)), 0x0000);  // tie -> even (zero)
  EXPECT_EQ(f16FromDouble(std::ldexp(3.0, -26)), 0x0001);  // 0.75 ulp -> 1 ulp
  EXPECT_EQ(f16FromDouble(std::ldexp(1023.5, -24)), 0x0400);  // subnormal rounds up to normal
  EXPECT_EQ(f16FromDouble(-0.0), 0x8000);
  EXPECT_EQ(f16FromDouble(std::numeric_limits<double>::infinity()), 0x7C00);
  const uint16_t nan = f16FromDouble(std::numeric_limits<double>::quiet_NaN());
  EXPECT_EQ(nan & 0x7C00, 0x7C00);
  EXPECT_NE(nan & 0x03FF, 0);
}

TEST(GoldenF16, RoundsToNearestEvenOnce) {
  EXPECT_EQ(f16FromDouble(1.0 + std::ldexp(1.0, -11)), 0x3C00);      // tie -> even
  EXPECT_EQ(f16FromDouble(1.0 + std::ldexp(3.0, -11)), 0x3C02);      // tie -> even (up)
  // Just above a tie: rounding to float first would make it a tie and round down.
  EXPECT_EQ(f16FromDouble(1.0 + std::ldexp(1.0, -11) + std::ldexp(1.0, -40)), 0x3C01);
  EXPECT_EQ(f16FromDouble(2047.5), 0x6800);  // 2047.5 -> 2048 (ulp 1 at [1024, 2048))
}

TEST(GoldenF16, Decodes) {
  EXPECT_EQ(f16ToDouble(0x3C00), 1.0);
  EXPECT_EQ(f16ToDouble(0x7BFF), 65504.0);
  EXPECT_EQ(f16ToDouble(0x0001), std::ldexp(1.0, -24));
  EXPECT_EQ(f16ToDouble(0x3555), 0.333251953125);
  EXPECT_EQ(f16ToDouble(0xC000), -2.0);
  EXPECT_TRUE(std::isinf(f16ToDouble(0xFC00)) && f16ToDouble(0xFC00) < 0);
  EXPECT_TRUE(std::isnan(f16ToDouble(0x7E00)));
  EXPECT_TRUE(std::signbit(f16ToDouble(0x8000)));
  // Every finite pattern round-trips.
  for (uint32_t b = 0; b < 0x10000; ++b) {
    if ((b & 0x7C00) == 0x7C00) continue;
    ASSERT_EQ(f16FromDouble(f16ToDouble(uint16_t(b))), b) << std::hex << b;
  }
}

TEST(GoldenBf16, KnownEncodings) {
  EXPECT_EQ(bf16FromDouble(1.0), 0x3F80);
  EXPECT_EQ(bf16FromDouble(-1.0), 0xBF80);
  EXPECT_EQ(bf16FromDouble(3.0), 0x4040);
  EXPECT_EQ(bf16FromDouble(1.0 + std::ldexp(1.0, -8)), 0x3F80);  // tie -> even
  EXPECT_EQ(bf16FromDouble(1.0 + std::ldexp(3.0, -8)), 0x3F82);
  EXPECT_EQ(bf16FromDouble(3.3895313892515355e38), 0x7F7F);  // largest finite
  EXPECT_EQ(bf16FromDouble(1e39), 0x7F80);
  EXPECT_EQ(bf16ToDouble(0x4049), 3.140625);
  for (uint32_t b = 0; b < 0x10000; ++b) {
    if ((b & 0x7F80) == 0x7F80) continue;
    ASSERT_EQ(bf16FromDouble(bf16ToDouble(uint16_t(b))), b) << std::hex << b;
  }
}

TEST(GoldenHostTensor, ConvertsAndSaturates) {
  HostTensor t = HostTensor::make("i8", {4});
  EXPECT_EQ(t.bytes.size(), 4u);
  t.set(0, -3.7);
  t.set(1, 300);
  t.set(2, -300);
  t.set(3, std::nan(""));
  EXPECT_EQ(t.toDoubles(), (std::vector<double>{-3, 127, -128, 0}));
  HostTensor u = HostTensor::make("u16", {2});
  u.set(0, -1);
  u.set(1, 70000);
  EXPECT_EQ(u.toDoubles(), (std::vector<double>{0, 65535}));
  HostTensor h = HostTensor::make("f16", {2, 3});
  EXPECT_EQ(h.numel(), 6u);
  EXPECT_EQ(h.elemBytes(), 2u);
  h.set(5, 0.1);
  uint16_t bits;
  std::memcpy(&bits, h.bytes.data() + 10, 2);
  EXPECT_EQ(bits, 0x2E66);
  HostTensor b = HostTensor::make("bool", {2});
  b.set(0, 0.5);
  EXPECT_EQ(b.get(0), 1.0);
  EXPECT_EQ(b.get(1), 0.0);
  EXPECT_THROW(HostTensor::make("f128", {1}), std::invalid_argument);
  EXPECT_THROW(h.get(6), std::out_of_range);
}

TEST(GoldenRandom, DeterministicAndInRange) {
  HostTensor a = HostTensor::make("f32", {64, 64}), b = a, c = a;
  fillRandom(a, "X", 1);
  fillRandom(b, "X", 1);
  fillRandom(c, "W", 1);
  EXPECT_EQ(a.bytes, b.bytes);
  EXPECT_NE(a.bytes, c.bytes);
  HostTensor d = a;
  fillRandom(d, "X", 2);
  EXPECT_NE(a.bytes, d.bytes);
  double lo = 1, hi = -1;
  for (double v : a.toDoubles()) lo = std::min(lo, v), hi = std::max(hi, v);
  EXPECT_GE(lo, -1.0);
  EXPECT_LT(hi, 1.0);
  EXPECT_LT(lo, -0.9);  // actually spread over the range
  EXPECT_GT(hi, 0.9);
  HostTensor i = HostTensor::make("i32", {1000});
  fillRandom(i, "idx", 7);
  bool seen[8] = {};
  for (double v : i.toDoubles()) {
    ASSERT_GE(v, 0);
    ASSERT_LT(v, 8);
    seen[int(v)] = true;
  }
  for (bool s : seen) EXPECT_TRUE(s);
}

HostTensor f32(std::vector<int64_t> shape, std::vector<double> values) {
  HostTensor t = HostTensor::make("f32", std::move(shape));
  for (size_t i = 0; i < values.size(); ++i) t.set(i, values[i]);
  return t;
}

TEST(GoldenCompare, PassSummary) {
  CheckResult r = compare({{"Y", f32({2, 2}, {1, 2, 3, 4.05})}}, {{"Y", f32({2, 2}, {1, 2, 3, 4})}}, {0, 0.1});
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.mismatches, 0u);
  EXPECT_NEAR(r.maxError, 0.05, 1e-6);
  EXPECT_EQ(r.summary.rfind("check passed: Y (4 elements, max abs err 0.05", 0), 0u) << r.summary;
}

TEST(GoldenCompare, FailureNamesWorstElement) {
  CheckResult r = compare({{"Y", f32({2, 2}, {1, 2.5, 3, 5})}}, {{"Y", f32({2, 2}, {1, 2, 3, 4})}}, {0.01, 0.1});
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.tensor, "Y");
  EXPECT_EQ(r.index, 3u);
  EXPECT_EQ(r.mismatches, 2u);
  EXPECT_EQ(r.got, 5);
  EXPECT_EQ(r.want, 4);
  EXPECT_EQ(r.summary, "check FAILED: Y[1, 1] = 5, expected 4 (|err| 1 > 0.14); 2 of 4 elements out of tolerance");
}

TEST(GoldenCompare, RelativeToleranceScalesWithValue) {
  EXPECT_TRUE(compare({{"Y", f32({1}, {1010})}}, {{"Y", f32({1}, {1000})}}, {0.01, 0}).ok);
  EXPECT_FALSE(compare({{"Y", f32({1}, {1011})}}, {{"Y", f32({1}, {1000})}}, {0.01, 0}).ok);
}

TEST(GoldenCompare, NanOnlyMatchesNan) {
  const double nan = std::nan("");
  EXPECT_TRUE(compare({{"Y", f32({1}, {nan})}}, {{"Y", f32({1}, {nan})}}, {}).ok);
  CheckResult r = compare({{"Y", f32({2}, {0, nan})}}, {{"Y", f32({2}, {0, 1})}}, {1, 1});
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.index, 1u);
  EXPECT_FALSE(compare({{"Y", f32({1}, {1})}}, {{"Y", f32({1}, {nan})}}, {1, 1}).ok);
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_TRUE(compare({{"Y", f32({1}, {inf})}}, {{"Y", f32({1}, {inf})}}, {}).ok);
}

TEST(GoldenCompare, MissingAndMisshapedTensors) {
  CheckResult missing = compare({}, {{"Y", f32({1}, {1})}}, {});
  EXPECT_FALSE(missing.ok);
  EXPECT_EQ(missing.summary, "check FAILED: output Y was not produced");
  CheckResult shape = compare({{"Y", f32({2, 1}, {1, 1})}}, {{"Y", f32({1, 2}, {1, 1})}}, {});
  EXPECT_FALSE(shape.ok);
  EXPECT_EQ(shape.summary, "check FAILED: Y has shape 2x1, expected 1x2");
}

TEST(GoldenCompare, ComparesAcrossDtypes) {
  // The run's f16 output against a golden computed in f64.
  HostTensor got = HostTensor::make("f16", {2});
  got.set(0, 0.1);
  got.set(1, 1.0 / 3.0);
  HostTensor want = HostTensor::make("f64", {2});
  want.set(0, 0.1);
  want.set(1, 1.0 / 3.0);
  EXPECT_TRUE(compare({{"Y", got}}, {{"Y", want}}, {1e-3, 0}).ok);
  EXPECT_FALSE(compare({{"Y", got}}, {{"Y", want}}, {1e-5, 0}).ok);
}

}  // namespace
}  // namespace pto::wsp::golden
