// The golden machinery itself: f16/bf16 encodings against known bit patterns and an
// exhaustive oracle, host tensor conversions, matmul, deterministic random data and
// compare() messages.
#include "Golden.h"
#include "Matmul.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

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

// The textbook conversion, through frexp / ldexp / nearbyint in double: the oracle the
// bit-level conversions are checked against.
uint16_t oracleEncode(double v, int ebits, int mbits) {
  const uint16_t signBit = std::signbit(v) ? uint16_t(1u << (ebits + mbits)) : uint16_t(0);
  const uint32_t expAllOnes = (1u << ebits) - 1;
  if (std::isnan(v)) return uint16_t(signBit | (expAllOnes << mbits) | (1u << (mbits - 1)));
  const double a = std::fabs(v);
  if (std::isinf(a)) return uint16_t(signBit | (expAllOnes << mbits));
  if (a == 0) return signBit;
  const int bias = (1 << (ebits - 1)) - 1;
  int e = 0;
  std::frexp(a, &e);
  int exp = std::max(e - 1, 1 - bias);
  double q = std::nearbyint(std::ldexp(a, mbits - exp));
  if (q >= std::ldexp(1.0, mbits + 1)) q /= 2, ++exp;
  const uint64_t qi = static_cast<uint64_t>(q);
  if (qi < (uint64_t(1) << mbits)) return uint16_t(signBit | qi);
  if (exp + bias >= int(expAllOnes)) return uint16_t(signBit | (expAllOnes << mbits));
  return uint16_t(signBit | (uint32_t(exp + bias) << mbits) | uint32_t(qi - (uint64_t(1) << mbits)));
}
double oracleDecode(uint16_t bits, int ebits, int mbits) {
  const uint32_t field = (bits >> mbits) & ((1u << ebits) - 1), mant = bits & ((1u << mbits) - 1);
  const int bias = (1 << (ebits - 1)) - 1;
  double v = field == (1u << ebits) - 1 ? (mant ? std::nan("") : std::numeric_limits<double>::infinity())
             : field == 0               ? std::ldexp(double(mant), 1 - bias - mbits)
                                        : std::ldexp(double(mant | (1u << mbits)), int(field) - bias - mbits);
  return (bits >> (ebits + mbits)) & 1 ? -v : v;
}

// Every pattern decodes as the oracle does, and every value that matters for rounding
// (each representable value, each half-way point between neighbours, one double ulp
// either side of both, the same scaled far below the smallest subnormal and beyond
// the largest finite) encodes as the oracle does.
void checkFormat(int ebits, int mbits, uint16_t (*enc)(double), double (*dec)(uint16_t)) {
  const uint32_t signShift = uint32_t(ebits + mbits), expAllOnes = (1u << ebits) - 1;
  std::vector<double> values = {0.0, -0.0, std::numeric_limits<double>::denorm_min(), 1e-300, 1e300,
                                std::numeric_limits<double>::infinity(), std::nan("")};
  for (uint32_t b = 0; b < 0x10000; ++b) {
    const uint16_t bits = uint16_t(b);
    const double d = dec(bits), o = oracleDecode(bits, ebits, mbits);
    ASSERT_TRUE(std::isnan(o) ? std::isnan(d) : std::bit_cast<uint64_t>(d) == std::bit_cast<uint64_t>(o))
        << std::hex << b;
    if (((b >> mbits) & expAllOnes) == expAllOnes || (b >> signShift)) continue;  // positive finite only
    const double next = oracleDecode(uint16_t(b + 1), ebits, mbits);  // inf after the largest finite
    const double mid = std::isinf(next) ? d + (d - oracleDecode(uint16_t(b - 1), ebits, mbits)) / 2 : (d + next) / 2;
    for (double v : {d, mid})
      for (double w : {v, std::nextafter(v, 0.0), std::nextafter(v, INFINITY)})
        values.insert(values.end(), {w, -w, w * 0x1p-40, w * 0x1p+40});
  }
  for (double v : values) ASSERT_EQ(enc(v), oracleEncode(v, ebits, mbits)) << v;
}

TEST(GoldenF16, MatchesOracleOnEveryPatternAndHalfWayPoint) { checkFormat(5, 10, f16FromDouble, f16ToDouble); }
TEST(GoldenBf16, MatchesOracleOnEveryPatternAndHalfWayPoint) { checkFormat(8, 7, bf16FromDouble, bf16ToDouble); }

TEST(GoldenHostTensor, AssignAndToDoublesEveryDtype) {
  const std::vector<double> v = {-2.5, -1, 0, 0.1, 1, 3.75, 300};
  for (const char* dt : {"f16", "bf16", "f32", "f64", "i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64", "bool"}) {
    HostTensor a = HostTensor::make(dt, {int64_t(v.size())}), b = a;
    a.assign(v);
    for (size_t i = 0; i < v.size(); ++i) b.set(i, v[i]);
    EXPECT_EQ(a.bytes, b.bytes) << dt;  // assign is set on every element
    const std::vector<double> d = a.toDoubles();
    for (size_t i = 0; i < v.size(); ++i) EXPECT_EQ(d[i], a.get(i)) << dt << " " << i;
  }
  HostTensor t = HostTensor::make("f32", {2, 2});
  EXPECT_THROW(t.assign({1, 2, 3}), std::invalid_argument);
}

TEST(GoldenMatmul, BitIdenticalToTheTripleLoop) {
  // Odd sizes exercise the row and column tails; inputs spanning magnitudes make any
  // change of summation order visible in the last bits.
  for (auto [n, k, m] : {std::array<size_t, 3>{1, 1, 1}, {3, 5, 11}, {2, 7, 8}, {5, 64, 17}, {4, 33, 24}}) {
    std::vector<double> a(n * k), b(k * m);
    for (size_t i = 0; i < a.size(); ++i) a[i] = std::sin(double(i) + 1) * std::pow(10.0, double(i % 7) - 3);
    for (size_t i = 0; i < b.size(); ++i) b[i] = std::cos(double(i) * 0.7) * std::pow(10.0, double(i % 5) - 2);
    const std::vector<double> c = matmul(a, b, n, k, m);
    ASSERT_EQ(c.size(), n * m);
    for (size_t i = 0; i < n; ++i)
      for (size_t j = 0; j < m; ++j) {
        double acc = 0;
        for (size_t p = 0; p < k; ++p) acc += a[i * k + p] * b[p * m + j];
        ASSERT_EQ(std::bit_cast<uint64_t>(c[i * m + j]), std::bit_cast<uint64_t>(acc)) << n << "x" << k << "x" << m;
      }
  }
  EXPECT_THROW(matmul({1, 2}, {1, 2, 3}, 1, 2, 2), std::invalid_argument);
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

TEST(GoldenCompare, WorstElementAcrossChunks) {
  // compare decodes a chunk of elements at a time: the worst one is found (and named by
  // its index) past the first chunk, and every mismatch is counted.
  const size_t n = 5000;
  std::vector<double> w(n), g(n);
  for (size_t i = 0; i < n; ++i) w[i] = g[i] = double(i % 97) / 8;
  g[1500] += 0.5;
  g[4321] += 2;
  g[4999] += 1;
  HostTensor gt = HostTensor::make("f32", {int64_t(n)}), wt = gt;
  gt.assign(g);
  wt.assign(w);
  CheckResult r = compare({{"Y", gt}}, {{"Y", wt}}, {0, 0.25});
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.index, 4321u);
  EXPECT_EQ(r.mismatches, 3u);
  EXPECT_EQ(r.maxError, 2);
  // An infinite expected value with a relative tolerance allows any value, as before;
  // its infinite error is not a max error.
  const double inf = std::numeric_limits<double>::infinity();
  CheckResult i = compare({{"Y", f32({2}, {5, 1.0625})}}, {{"Y", f32({2}, {inf, 1})}}, {0.1, 0});
  EXPECT_TRUE(i.ok);
  EXPECT_EQ(i.maxError, 0.0625);
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
