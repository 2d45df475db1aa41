// 16-bit floating-point storage types of the tile library: IEEE binary16 (f16) and
// bfloat16 (bf16). They are storage only: every op converts to f32, computes in f32 and
// converts back with round-to-nearest-even. NaN stays NaN (f32->f16 returns the quiet NaN
// 0x7E00 with the input's sign; f32->bf16 keeps the payload's top bits and sets the quiet
// bit), +-Inf stays +-Inf, values beyond the f16 range round to +-Inf, and subnormals are
// produced and consumed exactly. The conversions are branch-free so that GCC vectorises
// the loops that use them. They assume the default floating-point environment (round to
// nearest, no flush-to-zero), i.e. no -ffast-math.
#pragma once

#include <bit>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "pto/wsp/tile/Config.h"

namespace pto::tile {

namespace detail {

PTO_TILE_INLINE float f16BitsToF32(uint16_t h) {
  // Shift the f16 fields into f32 position and rescale the exponent with one multiply
  // (normals, Inf, NaN); subnormals are rebuilt exactly with the "magic 0.5" subtraction.
  const uint32_t w = static_cast<uint32_t>(h) << 16;
  const uint32_t sign = w & 0x80000000u;
  const uint32_t twoW = w + w;
  const uint32_t expOffset = 0xE0u << 23;
  const float normalized = std::bit_cast<float>((twoW >> 4) + expOffset) * 0x1.0p-112f;
  const uint32_t magicMask = 126u << 23;
  const float denormalized = std::bit_cast<float>((twoW >> 17) | magicMask) - 0.5f;
  const uint32_t denormCutoff = 1u << 27;
  const uint32_t bits = twoW < denormCutoff ? std::bit_cast<uint32_t>(denormalized)
                                            : std::bit_cast<uint32_t>(normalized);
  return std::bit_cast<float>(sign | bits);
}

PTO_TILE_INLINE uint16_t f32ToF16Bits(float f) {
  // Scale so that the hardware f32 addition performs the round-to-nearest-even at the
  // f16 mantissa position (including the subnormal range), then repack the fields.
  float base = (std::bit_cast<float>(std::bit_cast<uint32_t>(f) & 0x7FFFFFFFu) * 0x1.0p+112f) *
               0x1.0p-110f;
  const uint32_t w = std::bit_cast<uint32_t>(f);
  const uint32_t shl1W = w + w;
  const uint32_t sign = w & 0x80000000u;
  uint32_t bias = shl1W & 0xFF000000u;
  bias = bias < 0x71000000u ? 0x71000000u : bias;
  base = std::bit_cast<float>((bias >> 1) + 0x07800000u) + base;
  const uint32_t bits = std::bit_cast<uint32_t>(base);
  const uint32_t expBits = (bits >> 13) & 0x00007C00u;
  const uint32_t mantBits = bits & 0x00000FFFu;
  const uint32_t nonsign = expBits + mantBits;
  return static_cast<uint16_t>((sign >> 16) | (shl1W > 0xFF000000u ? 0x7E00u : nonsign));
}

PTO_TILE_INLINE float bf16BitsToF32(uint16_t h) {
  return std::bit_cast<float>(static_cast<uint32_t>(h) << 16);
}

PTO_TILE_INLINE uint16_t f32ToBf16Bits(float f) {
  const uint32_t u = std::bit_cast<uint32_t>(f);
  const uint32_t rounded = (u + 0x7FFFu + ((u >> 16) & 1u)) >> 16;
  const bool isNan = (u & 0x7FFFFFFFu) > 0x7F800000u;
  return static_cast<uint16_t>(isNan ? ((u >> 16) | 0x0040u) : rounded);
}

}  // namespace detail

// IEEE 754 binary16 storage. Trivially copyable; `bits` is the raw encoding.
struct f16 {
  uint16_t bits;
  static PTO_TILE_INLINE f16 fromBits(uint16_t b) { return f16{b}; }
  static PTO_TILE_INLINE f16 fromFloat(float v) { return f16{detail::f32ToF16Bits(v)}; }
  PTO_TILE_INLINE float toFloat() const { return detail::f16BitsToF32(bits); }
};

// bfloat16 storage (the top half of an f32). Trivially copyable; `bits` is the encoding.
struct bf16 {
  uint16_t bits;
  static PTO_TILE_INLINE bf16 fromBits(uint16_t b) { return bf16{b}; }
  static PTO_TILE_INLINE bf16 fromFloat(float v) { return bf16{detail::f32ToBf16Bits(v)}; }
  PTO_TILE_INLINE float toFloat() const { return detail::bf16BitsToF32(bits); }
};

static_assert(sizeof(f16) == 2 && sizeof(bf16) == 2);

// Compute type of an element type: f32 for the 16-bit float types, the type itself
// otherwise.
template <class T> struct ComputeOf { using type = T; };
template <> struct ComputeOf<f16> { using type = float; };
template <> struct ComputeOf<bf16> { using type = float; };
template <class T> using Compute = typename ComputeOf<T>::type;

template <class T>
inline constexpr bool kIsFloatLike =
    std::is_same_v<T, float> || std::is_same_v<T, double> || std::is_same_v<T, f16> ||
    std::is_same_v<T, bf16>;

// Element -> compute type.
template <class T>
PTO_TILE_INLINE Compute<T> toCompute(T v) {
  if constexpr (std::is_same_v<T, f16> || std::is_same_v<T, bf16>) {
    return v.toFloat();
  } else {
    return v;
  }
}

// Any arithmetic value -> element type T (round-to-nearest-even for the 16-bit types;
// float -> integer truncates toward zero, saturates, and maps NaN to 0).
template <class T, class C>
PTO_TILE_INLINE T fromCompute(C v) {
  if constexpr (std::is_same_v<T, f16> || std::is_same_v<T, bf16>) {
    return T::fromFloat(static_cast<float>(v));
  } else if constexpr (std::is_integral_v<T> && std::is_floating_point_v<C>) {
    // Saturating, NaN -> 0; the comparisons keep this branch-free and UB-free.
    constexpr C lo = static_cast<C>(std::numeric_limits<T>::min());
    constexpr C hi = static_cast<C>(std::numeric_limits<T>::max());
    C c = v == v ? v : C(0);
    c = c < lo ? lo : c;
    // hi may round up to 2^31 in f32: clamp strictly below it.
    const bool over = !(c < hi);
    return over ? std::numeric_limits<T>::max() : static_cast<T>(c);
  } else {
    return static_cast<T>(v);
  }
}

// Element -> element conversion (used by load/store with a dtype change and by cast).
template <class To, class From>
PTO_TILE_INLINE To convert(From v) {
  if constexpr (std::is_same_v<To, From>) {
    return v;
  } else {
    return fromCompute<To>(toCompute(v));
  }
}

}  // namespace pto::tile
