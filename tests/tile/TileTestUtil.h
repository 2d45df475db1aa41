// Shared helpers of the tile-library numeric tests: an independent scalar view of the
// element types (decode/encode via the compiler's _Float16 and a separately written
// bf16 rounding, not the library's conversions), random tiles and tolerance checks.
#pragma once

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>

#include "pto/wsp/tile/TileLib.h"

namespace tiletest {

using pto::tile::bf16;
using pto::tile::f16;
using pto::tile::Tile;

inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
inline constexpr double kInf = std::numeric_limits<double>::infinity();

// Reference decode of an element to double.
inline double dec(float v) { return v; }
inline double dec(f16 v) { return static_cast<double>(std::bit_cast<_Float16>(v.bits)); }
inline double dec(bf16 v) { return std::bit_cast<float>(static_cast<uint32_t>(v.bits) << 16); }
inline double dec(int32_t v) { return v; }

// Reference round-to-nearest-even of an f32 into bf16, written from the definition:
// pick the nearer of the two neighbouring bf16 values, the even one on a tie.
inline uint16_t refBf16Bits(float f) {
  const uint32_t u = std::bit_cast<uint32_t>(f);
  if (std::isnan(f)) return static_cast<uint16_t>((u >> 16) | 0x40);
  if (std::isinf(f)) return static_cast<uint16_t>(u >> 16);
  const uint32_t loBits = u & 0xFFFF0000u;  // toward zero
  const uint32_t hiBits = loBits + 0x10000u;  // away from zero (may become Inf: fine)
  const double lo = std::bit_cast<float>(loBits);
  // Rounding up past the largest finite value: measure against 2^128 (the next value if
  // the exponent range were unbounded); the encoding is then Inf.
  const double hi = (hiBits & 0x7F800000u) == 0x7F800000u ? std::copysign(0x1p128, f)
                                                           : std::bit_cast<float>(hiBits);
  const double dl = std::fabs(static_cast<double>(f) - lo);
  const double dh = std::fabs(hi - static_cast<double>(f));
  if (dl < dh) return static_cast<uint16_t>(loBits >> 16);
  if (dh < dl) return static_cast<uint16_t>(hiBits >> 16);
  return static_cast<uint16_t>(((loBits >> 16) & 1u) ? (hiBits >> 16) : (loBits >> 16));
}

// Reference: round an f32 value into T and decode it again.
template <class T> double roundTo(float v);
template <> inline double roundTo<float>(float v) { return v; }
template <> inline double roundTo<f16>(float v) { return static_cast<double>(static_cast<_Float16>(v)); }
template <> inline double roundTo<bf16>(float v) {
  return std::bit_cast<float>(static_cast<uint32_t>(refBf16Bits(v)) << 16);
}

template <class T> struct Dt;
template <> struct Dt<float> {
  static constexpr const char* kName = "f32";
  static constexpr double kUlp = 0x1p-23;  // relative spacing at the bottom of a binade
  static constexpr double kMinSub = 0x1p-149;
};
template <> struct Dt<f16> {
  static constexpr const char* kName = "f16";
  static constexpr double kUlp = 0x1p-10;
  static constexpr double kMinSub = 0x1p-24;
};
template <> struct Dt<bf16> {
  static constexpr const char* kName = "bf16";
  static constexpr double kUlp = 0x1p-7;
  static constexpr double kMinSub = 0x1p-133;
};

template <> struct Dt<int32_t> {
  static constexpr const char* kName = "i32";
  static constexpr double kUlp = 0;
  static constexpr double kMinSub = 0;
};

template <class T>
inline T make(double v) {
  if constexpr (std::is_same_v<T, float>) {
    return static_cast<float>(v);
  } else if constexpr (std::is_integral_v<T>) {
    return static_cast<T>(v);
  } else if constexpr (std::is_same_v<T, f16>) {
    return f16{std::bit_cast<uint16_t>(static_cast<_Float16>(static_cast<float>(v)))};
  } else {
    return bf16{refBf16Bits(static_cast<float>(v))};
  }
}

template <class T, int H, int W>
void randomFill(Tile<T, H, W>& t, double lo, double hi, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> dist(lo, hi);
  for (int i = 0; i < H * W; ++i) t.data[i] = make<T>(dist(rng));
}

// Same value, treating all NaNs as equal and -0 == +0.
inline bool sameValue(double got, double want) {
  if (std::isnan(want)) return std::isnan(got);
  return got == want;
}

// |got - want| <= atol + rtol*|want|, with NaN matching NaN and Inf matching same-sign Inf.
inline ::testing::AssertionResult close(double got, double want, double atol, double rtol) {
  if (std::isnan(want)) {
    if (std::isnan(got)) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "got " << got << ", want NaN";
  }
  if (std::isinf(want) || std::isinf(got)) {
    if (got == want) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "got " << got << ", want " << want;
  }
  const double err = std::fabs(got - want);
  const double tol = atol + rtol * std::fabs(want);
  if (err <= tol) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << std::hexfloat << "got " << got << ", want " << want
                                       << std::defaultfloat << " (err " << err << " > tol "
                                       << tol << ")";
}

inline std::string where(const char* what, int r, int c) {
  return std::string(what) + " at (" + std::to_string(r) + "," + std::to_string(c) + ")";
}

}  // namespace tiletest
