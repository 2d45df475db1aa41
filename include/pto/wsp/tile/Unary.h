// Unary elementwise ops of the tile library: exp/log/sqrt/rsqrt/tanh/sigmoid/relu/gelu/
// silu/neg/abs/sin/cos.
//
// The transcendental functions are branch-free f32 polynomial kernels (Cephes-style
// range reduction) so that GCC vectorises them at -O2 without -ffast-math and without
// libmvec; accuracy per function is documented in docs/tile-library.md and checked in
// tests/tile against double-precision references. Special values follow IEEE/libm:
// NaN -> NaN for every op; exp(-inf)=0, exp(+inf)=inf, log(0)=-inf, log(x<0)=NaN,
// sqrt(x<0)=NaN, tanh(+-inf)=+-1, sigmoid(-inf)=0, silu(-inf)=gelu(-inf)=-0,
// sin/cos(+-inf)=NaN, relu(NaN)=NaN. f16/bf16 compute in f32.
#pragma once

#include <bit>
#include <cstdint>

#include "pto/wsp/tile/Config.h"
#include "pto/wsp/tile/Float16.h"
#include "pto/wsp/tile/Simd.h"
#include "pto/wsp/tile/Tile.h"

namespace pto::tile {
namespace math {

PTO_TILE_INLINE float bitsToFloat(uint32_t u) { return std::bit_cast<float>(u); }
PTO_TILE_INLINE uint32_t floatToBits(float f) { return std::bit_cast<uint32_t>(f); }
PTO_TILE_INLINE float absf(float x) { return bitsToFloat(floatToBits(x) & 0x7FFFFFFFu); }
// c ? a : b on the bit patterns. Both operands are always computed, so GCC cannot sink
// their (possibly trapping, under the default -ftrapping-math) FP arithmetic into a branch,
// which would stop if-conversion and thus vectorisation.
PTO_TILE_INLINE float sel(bool c, float a, float b) {
  const uint32_t m = 0u - static_cast<uint32_t>(c);
  return bitsToFloat((floatToBits(a) & m) | (floatToBits(b) & ~m));
}
PTO_TILE_INLINE float copySign(float mag, float sgn) {
  return bitsToFloat((floatToBits(mag) & 0x7FFFFFFFu) | (floatToBits(sgn) & 0x80000000u));
}

// e^x, max error about 1 ulp for normal results; subnormal results are rounded once.
PTO_TILE_INLINE float exp(float x) {
  float xc = sel(x != x, 0.0f, x);
  xc = sel(xc < -104.0f, -104.0f, xc);
  xc = sel(xc > 89.0f, 89.0f, xc);
  // n = round(x / ln2) with the 1.5*2^23 trick (no floor/rint libcall, vectorises on SSE2).
  const float t = xc * 1.44269504088896341f;
  const float nf = (t + 12582912.0f) - 12582912.0f;
  float r = xc - nf * 0.693359375f;
  r = r - nf * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * (r * r) + r + 1.0f;
  // 2^n as two normal factors so results down to the subnormal range and up to the
  // overflow threshold come out right (n in [-150, 129]).
  const int n = static_cast<int>(nf);
  const int n1 = n >> 1;
  const int n2 = n - n1;
  const float s1 = bitsToFloat(static_cast<uint32_t>(n1 + 127) << 23);
  const float s2 = bitsToFloat(static_cast<uint32_t>(n2 + 127) << 23);
  const float res = (p * s1) * s2;
  return sel(x != x, x, res);
}

// Natural logarithm, max error about 1 ulp.
PTO_TILE_INLINE float log(float x) {
  // Selects pick between values computed unconditionally: with the default
  // -ftrapping-math GCC will not if-convert (and so not vectorise) a conditional FP op.
  const bool sub = x < 1.17549435e-38f;  // also true for 0, negatives; fixed up below
  const float xScaled = x * 8388608.0f;
  const float xs = sel(sub, xScaled, x);
  const uint32_t u = floatToBits(xs);
  int e = static_cast<int>((u >> 23) & 0xFFu) - 126;
  e = sub ? e - 23 : e;
  const float m = bitsToFloat((u & 0x007FFFFFu) | 0x3F000000u);  // [0.5, 1)
  const bool small = m < 0.707106781186547524f;
  e = small ? e - 1 : e;
  const float f2 = (m + m) - 1.0f;
  const float f1 = m - 1.0f;
  const float f = sel(small, f2, f1);
  const float z = f * f;
  float y = 7.0376836292e-2f;
  y = y * f - 1.1514610310e-1f;
  y = y * f + 1.1676998740e-1f;
  y = y * f - 1.2420140846e-1f;
  y = y * f + 1.4249322787e-1f;
  y = y * f - 1.6668057665e-1f;
  y = y * f + 2.0000714765e-1f;
  y = y * f - 2.4999993993e-1f;
  y = y * f + 3.3333331174e-1f;
  y = y * f * z;
  const float fe = static_cast<float>(e);
  y = y + -2.12194440e-4f * fe;
  y = y - 0.5f * z;
  float res = f + y;
  res = res + 0.693359375f * fe;
  constexpr float kInf = std::numeric_limits<float>::infinity();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  res = sel(x == kInf, kInf, res);
  res = sel(x == 0.0f, -kInf, res);
  res = sel(x < 0.0f, nan, res);
  return sel(x != x, x, res);
}

// Shared sin/cos core for |x| <= kTrigMax (Cephes sinf/cosf range reduction: three-part
// pi/4, exact for |x| <= 8192). Larger or non-finite inputs are fixed up by the caller.
inline constexpr float kTrigMax = 8192.0f;

template <bool kCos>
PTO_TILE_INLINE float sinCosReduced(float x) {
  const float ax0 = absf(x);
  const float ax = sel(ax0 <= kTrigMax, ax0, 0.0f);  // keeps the int conversion defined
  int j = static_cast<int>(ax * 1.27323954473516f);
  j = (j + 1) & ~1;
  const float y = static_cast<float>(j);
  j &= 7;
  bool neg;
  if constexpr (kCos) {
    neg = (j > 3) != ((j & 3) > 1);
  } else {
    neg = (j > 3) != (x < 0.0f);
  }
  j &= 3;
  const float r = ((ax - y * 0.78515625f) - y * 2.4187564849853515625e-4f) -
                  y * 3.77489497744594108e-8f;
  const float z = r * r;
  float pc = 2.443315711809948e-5f;
  pc = pc * z - 1.388731625493765e-3f;
  pc = pc * z + 4.166664568298827e-2f;
  pc = pc * z * z - 0.5f * z + 1.0f;
  float ps = -1.9515295891e-4f;
  ps = ps * z + 8.3321608736e-3f;
  ps = ps * z - 1.6666654611e-1f;
  ps = ps * z * r + r;
  const bool useCosPoly = kCos ? !(j == 1 || j == 2) : (j == 1 || j == 2);
  const float v = sel(useCosPoly, pc, ps);
  return bitsToFloat(floatToBits(v) ^ (neg ? 0x80000000u : 0u));
}

PTO_TILE_INLINE float tanh(float x) {
  const float ax = absf(x);
  const float z = x * x;
  float p = -5.70498872745e-3f;
  p = p * z + 2.06390887954e-2f;
  p = p * z - 5.37397155531e-2f;
  p = p * z + 1.33314422036e-1f;
  p = p * z - 3.33332819422e-1f;
  p = p * z * x + x;
  const float e = math::exp(ax + ax);
  const float big = copySign(1.0f - 2.0f / (e + 1.0f), x);
  return sel(ax < 0.625f, p, big);
}

// 1 / (1 + e^-x), evaluated as e/(1+e) with e = e^-|x| for x < 0 so that results down
// to the subnormal range keep their relative accuracy (no overflow of e^-x).
PTO_TILE_INLINE float sigmoid(float x) {
  const float e = math::exp(-absf(x));
  const float pos = 1.0f / (1.0f + e);
  const float neg = e * pos;
  return sel(x >= 0.0f, pos, neg);
}

PTO_TILE_INLINE float silu(float x) {
  const float r = x * math::sigmoid(x);
  return sel(x == -std::numeric_limits<float>::infinity(), -0.0f, r);
}

// erfc(-x / sqrt 2) with relative error about 1e-6 in f32: Numerical Recipes' erfcc
// Chebyshev fit (fractional error < 1.2e-7 in exact arithmetic). The Gaussian factor
// exp(-x^2/2) is evaluated from x^2 split exactly into two floats (FMA, or Dekker's
// product without FMA) and kept apart from the fit's exponent: rounding x/sqrt2, x^2 or
// the sum first would cost up to 1e-5 relative error at |x| ~ 10.
PTO_TILE_INLINE float erfcNegHalfSqrt2(float x) {
  const float w = -x * 0.70710678118654752f;  // only feeds the smooth factor t
  const float z = absf(w);
  const float t = 1.0f / (1.0f + 0.5f * z);
  float p = 0.17087277f;
  p = p * t - 0.82215223f;
  p = p * t + 1.48851587f;
  p = p * t - 1.13520398f;
  p = p * t + 0.27886807f;
  p = p * t - 0.18628806f;
  p = p * t + 0.09678418f;
  p = p * t + 0.37409196f;
  p = p * t + 1.00002368f;
  p = p * t - 1.26551223f;
  const float ax = absf(x);
  const float xx = ax * ax;
#if defined(__FMA__)
  const float xxLo = __builtin_fmaf(ax, ax, -xx);
#else
  const float aSplit = ax * 4097.0f;
  const float aHi = aSplit - (aSplit - ax);
  const float aLo = ax - aHi;
  const float xxLo = ((aHi * aHi - xx) + 2.0f * aHi * aLo) + aLo * aLo;
#endif
  // Two exps: exp(p - x^2/2) as one would round an argument near -60 and lose 4e-6.
  const float ansRaw = t * math::exp(p) * math::exp(-0.5f * xx) * (1.0f - 0.5f * xxLo);
  // erfc < 2^-149 beyond |x| = 14.3; the cut also keeps inf*0 out of the split product.
  const float ans = sel(ax > 14.9f, 0.0f, ansRaw);
  const float twoMinus = 2.0f - ans;
  return sel(w >= 0.0f, ans, twoMinus);
}

// Exact (erf-based) GELU: 0.5 * x * (1 + erf(x / sqrt 2)) = 0.5 * x * erfc(-x / sqrt 2).
PTO_TILE_INLINE float gelu(float x) {
  const float r = 0.5f * x * math::erfcNegHalfSqrt2(x);
  return sel(x == -std::numeric_limits<float>::infinity(), -0.0f, r);
}

}  // namespace math

// Unary operators over f32 (stateless functors).
struct ExpOp { static PTO_TILE_INLINE float apply(float x) { return math::exp(x); } };
struct LogOp { static PTO_TILE_INLINE float apply(float x) { return math::log(x); } };
struct TanhOp { static PTO_TILE_INLINE float apply(float x) { return math::tanh(x); } };
struct SigmoidOp { static PTO_TILE_INLINE float apply(float x) { return math::sigmoid(x); } };
struct SiluOp { static PTO_TILE_INLINE float apply(float x) { return math::silu(x); } };
struct GeluOp { static PTO_TILE_INLINE float apply(float x) { return math::gelu(x); } };
struct ReluOp {
  static PTO_TILE_INLINE float apply(float x) { return math::sel(x > 0.0f || x != x, x, 0.0f); }
};
struct NegOp { static PTO_TILE_INLINE float apply(float x) { return -x; } };
struct AbsOp { static PTO_TILE_INLINE float apply(float x) { return math::absf(x); } };

inline namespace PTO_TILE_ISA {
namespace impl {

// Runs an f32 functor over n = N contiguous elements. d may equal s.
// d may equal s exactly (each element is read before it is written in the same step).
template <class Op, int N>
PTO_TILE_INLINE void unaryF32(float* PTO_TILE_RESTRICT d, const float* PTO_TILE_RESTRICT s) {
  pto::tile::detail::forN<N>([&](int i) { d[i] = Op::apply(s[i]); });
}

template <int N>
PTO_TILE_INLINE void sqrtF32(float* d, const float* s) {
  // std::sqrt does not vectorise under the default -fmath-errno, so use the instruction.
  int i = 0;
#if defined(PTO_TILE_HAVE_AVX512)
  for (; i + 16 <= N; i += 16) simd::store16(d + i, simd::sqrt16(simd::load16(s + i)));
#elif defined(PTO_TILE_HAVE_AVX2)
  for (; i + 8 <= N; i += 8) simd::sqrt8(d + i, s + i);
#elif defined(PTO_TILE_HAVE_SSE2)
  for (; i + 4 <= N; i += 4) simd::sqrt4(d + i, s + i);
#endif
  for (; i < N; ++i) d[i] = __builtin_sqrtf(s[i]);
}

template <int N>
PTO_TILE_INLINE void rsqrtF32(float* d, const float* s) {
  sqrtF32<N>(d, s);
  pto::tile::detail::forN<N>([&](int i) { d[i] = 1.0f / d[i]; });
}

template <bool kCos, int N>
PTO_TILE_INLINE void sinCosF32(float* d, const float* s) {
  // A read-only scan first: d may be s, so inputs must not be needed after the write.
  int outOfRange = 0;
  pto::tile::detail::forN<N>([&](int i) { outOfRange |= !(math::absf(s[i]) <= math::kTrigMax); });
  if (!outOfRange) {
    pto::tile::detail::forN<N>([&](int i) { d[i] = math::sinCosReduced<kCos>(s[i]); });
  } else {
    // Rare: large, infinite or NaN arguments take libm's exact reduction.
    for (int i = 0; i < N; ++i) {
      const float x = s[i];
      d[i] = math::absf(x) <= math::kTrigMax ? math::sinCosReduced<kCos>(x)
                                              : (kCos ? __builtin_cosf(x) : __builtin_sinf(x));
    }
  }
}

struct SqrtKernel { template <int N> static PTO_TILE_INLINE void run(float* d, const float* s) { sqrtF32<N>(d, s); } };
struct RsqrtKernel { template <int N> static PTO_TILE_INLINE void run(float* d, const float* s) { rsqrtF32<N>(d, s); } };
struct SinKernel { template <int N> static PTO_TILE_INLINE void run(float* d, const float* s) { sinCosF32<false, N>(d, s); } };
struct CosKernel { template <int N> static PTO_TILE_INLINE void run(float* d, const float* s) { sinCosF32<true, N>(d, s); } };
template <class Op>
struct PointKernel {
  template <int N> static PTO_TILE_INLINE void run(float* d, const float* s) { unaryF32<Op, N>(d, s); }
};

// Applies an f32 kernel to an N-element buffer of T: directly for f32, otherwise in
// chunks converted to f32 and back (the chunk buffers stay in L1).
template <class K, class T, int N>
PTO_TILE_INLINE void unaryAny(T* d, const T* s) {
  if constexpr (std::is_same_v<T, float>) {
    K::template run<N>(d, s);
  } else {
    constexpr int kChunk = 256;
    alignas(kTileAlign) float buf[kChunk];
    for (int base = 0; base + kChunk <= N; base += kChunk) {
      pto::tile::detail::forN<kChunk>([&](int i) { buf[i] = toCompute(s[base + i]); });
      K::template run<kChunk>(buf, buf);
      pto::tile::detail::forN<kChunk>([&](int i) { d[base + i] = fromCompute<T>(buf[i]); });
    }
    constexpr int kTail = N % kChunk;
    if constexpr (kTail > 0) {
      constexpr int base = N - kTail;
      pto::tile::detail::forN<kTail>([&](int i) { buf[i] = toCompute(s[base + i]); });
      K::template run<kTail>(buf, buf);
      pto::tile::detail::forN<kTail>([&](int i) { d[base + i] = fromCompute<T>(buf[i]); });
    }
  }
}

}  // namespace impl

// dst = op(src), element by element, for an f32 functor Op (ExpOp, ...). T is float, f16
// or bf16.
template <class Op, class T, int H, int W>
PTO_TILE_INLINE void unary(Tile<T, H, W>& dst, const Tile<T, H, W>& src) {
  static_assert(kIsFloatLike<T> && !std::is_same_v<T, double>, "unary ops take f32/f16/bf16 tiles");
  impl::unaryAny<impl::PointKernel<Op>, T, H * W>(dst.data, src.data);
}

#define PTO_TILE_UNARY_POINT(name, Op)                                          \
  template <class T, int H, int W>                                              \
  PTO_TILE_INLINE void name(Tile<T, H, W>& dst, const Tile<T, H, W>& src) {     \
    unary<Op>(dst, src);                                                        \
  }
#define PTO_TILE_UNARY_KERNEL(name, K)                                          \
  template <class T, int H, int W>                                              \
  PTO_TILE_INLINE void name(Tile<T, H, W>& dst, const Tile<T, H, W>& src) {     \
    static_assert(kIsFloatLike<T> && !std::is_same_v<T, double>,                \
                  "unary ops take f32/f16/bf16 tiles");                         \
    impl::unaryAny<impl::K, T, H * W>(dst.data, src.data);                  \
  }

PTO_TILE_UNARY_POINT(exp, ExpOp)
PTO_TILE_UNARY_POINT(log, LogOp)
PTO_TILE_UNARY_POINT(tanh, TanhOp)
PTO_TILE_UNARY_POINT(sigmoid, SigmoidOp)
PTO_TILE_UNARY_POINT(relu, ReluOp)
PTO_TILE_UNARY_POINT(gelu, GeluOp)
PTO_TILE_UNARY_POINT(silu, SiluOp)
PTO_TILE_UNARY_POINT(neg, NegOp)
PTO_TILE_UNARY_POINT(abs, AbsOp)
PTO_TILE_UNARY_KERNEL(sqrt, SqrtKernel)
PTO_TILE_UNARY_KERNEL(rsqrt, RsqrtKernel)
PTO_TILE_UNARY_KERNEL(sin, SinKernel)
PTO_TILE_UNARY_KERNEL(cos, CosKernel)
#undef PTO_TILE_UNARY_POINT
#undef PTO_TILE_UNARY_KERNEL

}  // namespace PTO_TILE_ISA
}  // namespace pto::tile
