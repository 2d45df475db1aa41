// The few x86 vector operations the tile library spells out by hand (row copies, the
// AVX-512 matmul micro-kernel, vsqrtps), as tiny inline wrappers.
//
// Why not <immintrin.h>: with -march=native it is ~75k lines and takes 0.4 s of the
// 0.6 s a generated kernel spends parsing headers (docs/performance.md, "Cold compile").
// Under GCC the wrappers call the very builtins <immintrin.h>'s intrinsics are defined
// with (same instructions, same results) on GCC vector types, which need no header.
// Other compilers (clang: different builtin names) include <immintrin.h> and use the
// intrinsics.
#pragma once

#include "pto/wsp/tile/Config.h"

#if defined(PTO_TILE_HAVE_AVX512) || defined(PTO_TILE_HAVE_AVX2) || defined(PTO_TILE_HAVE_SSE2)
#if defined(__GNUC__) && !defined(__clang__)
#define PTO_TILE_SIMD_BUILTINS 1
#else
#include <immintrin.h>
#endif

namespace pto::tile {
inline namespace PTO_TILE_ISA {
namespace simd {

#if defined(PTO_TILE_SIMD_BUILTINS)
// Unaligned, may-alias vector types, as <immintrin.h>'s __m512_u etc.
typedef float F32x16 __attribute__((vector_size(64)));
typedef float F32x16u __attribute__((vector_size(64), may_alias, aligned(1)));
typedef long long I64x8u __attribute__((vector_size(64), may_alias, aligned(1)));
typedef float F32x8 __attribute__((vector_size(32)));
typedef float F32x8u __attribute__((vector_size(32), may_alias, aligned(1)));
typedef long long I64x4u __attribute__((vector_size(32), may_alias, aligned(1)));
typedef float F32x4 __attribute__((vector_size(16)));
typedef float F32x4u __attribute__((vector_size(16), may_alias, aligned(1)));
typedef unsigned short Mask16;
// _MM_FROUND_CUR_DIRECTION: round as MXCSR says.
inline constexpr int kRoundCur = 4;
#endif

#if defined(PTO_TILE_HAVE_AVX512)
#if defined(PTO_TILE_SIMD_BUILTINS)
PTO_TILE_INLINE void copy64(void* d, const void* s) {
  *static_cast<I64x8u*>(d) = *static_cast<const I64x8u*>(s);
}
PTO_TILE_INLINE F32x16 zero16() { return __extension__(F32x16){0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}; }
PTO_TILE_INLINE F32x16 load16(const float* p) { return *reinterpret_cast<const F32x16u*>(p); }
PTO_TILE_INLINE F32x16 loadMasked16(Mask16 m, const float* p) {
  return __builtin_ia32_loadups512_mask(p, zero16(), m);
}
PTO_TILE_INLINE void store16(float* p, F32x16 v) { *reinterpret_cast<F32x16u*>(p) = v; }
PTO_TILE_INLINE void storeMasked16(float* p, Mask16 m, F32x16 v) { __builtin_ia32_storeups512_mask(p, v, m); }
PTO_TILE_INLINE F32x16 broadcast16(float x) {
  return __extension__(F32x16){x, x, x, x, x, x, x, x, x, x, x, x, x, x, x, x};
}
// a * b + c, rounded once.
PTO_TILE_INLINE F32x16 fma16(F32x16 a, F32x16 b, F32x16 c) {
  return __builtin_ia32_vfmaddps512_mask(a, b, c, Mask16(0xFFFF), kRoundCur);
}
PTO_TILE_INLINE F32x16 sqrt16(F32x16 a) {
  return __builtin_ia32_sqrtps512_mask(a, zero16(), Mask16(0xFFFF), kRoundCur);
}
#else
typedef __m512 F32x16;
typedef __mmask16 Mask16;
PTO_TILE_INLINE void copy64(void* d, const void* s) { _mm512_storeu_si512(d, _mm512_loadu_si512(s)); }
PTO_TILE_INLINE F32x16 zero16() { return _mm512_setzero_ps(); }
PTO_TILE_INLINE F32x16 load16(const float* p) { return _mm512_loadu_ps(p); }
PTO_TILE_INLINE F32x16 loadMasked16(Mask16 m, const float* p) { return _mm512_maskz_loadu_ps(m, p); }
PTO_TILE_INLINE void store16(float* p, F32x16 v) { _mm512_storeu_ps(p, v); }
PTO_TILE_INLINE void storeMasked16(float* p, Mask16 m, F32x16 v) { _mm512_mask_storeu_ps(p, m, v); }
PTO_TILE_INLINE F32x16 broadcast16(float x) { return _mm512_set1_ps(x); }
PTO_TILE_INLINE F32x16 fma16(F32x16 a, F32x16 b, F32x16 c) { return _mm512_fmadd_ps(a, b, c); }
// maskz form: _mm512_sqrt_ps trips GCC 12's -Wuninitialized on _mm512_undefined_ps.
PTO_TILE_INLINE F32x16 sqrt16(F32x16 a) { return _mm512_maskz_sqrt_ps(Mask16(0xFFFF), a); }
#endif
#endif  // AVX-512

#if defined(PTO_TILE_HAVE_AVX2)
#if defined(PTO_TILE_SIMD_BUILTINS)
PTO_TILE_INLINE void copy32(void* d, const void* s) {
  *static_cast<I64x4u*>(d) = *static_cast<const I64x4u*>(s);
}
PTO_TILE_INLINE void sqrt8(float* d, const float* s) {
  *reinterpret_cast<F32x8u*>(d) = __builtin_ia32_sqrtps256(*reinterpret_cast<const F32x8u*>(s));
}
#else
PTO_TILE_INLINE void copy32(void* d, const void* s) {
  _mm256_storeu_si256(static_cast<__m256i*>(d), _mm256_loadu_si256(static_cast<const __m256i*>(s)));
}
PTO_TILE_INLINE void sqrt8(float* d, const float* s) { _mm256_storeu_ps(d, _mm256_sqrt_ps(_mm256_loadu_ps(s))); }
#endif
#endif  // AVX2

#if defined(PTO_TILE_HAVE_SSE2)
#if defined(PTO_TILE_SIMD_BUILTINS)
PTO_TILE_INLINE void sqrt4(float* d, const float* s) {
  *reinterpret_cast<F32x4u*>(d) = __builtin_ia32_sqrtps(*reinterpret_cast<const F32x4u*>(s));
}
#else
PTO_TILE_INLINE void sqrt4(float* d, const float* s) { _mm_storeu_ps(d, _mm_sqrt_ps(_mm_loadu_ps(s))); }
#endif
#endif  // SSE2

}  // namespace simd
}  // namespace PTO_TILE_ISA
}  // namespace pto::tile
#endif
