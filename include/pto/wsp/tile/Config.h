// Compiler plumbing shared by the header-only CPU tile library (pto::tile).
//
// The library depends on nothing but the C++20 standard library and, when the compiler
// is told the target supports them (-march=native), x86 intrinsics. Every function whose
// body differs with the instruction set lives in an inline namespace named after that
// instruction set, so two translation units compiled with different -march flags never
// share (and silently mix) an inline function of the same mangled name.
#pragma once

#include <cstddef>
#include <cstdint>

#if defined(__GNUC__) || defined(__clang__)
#define PTO_TILE_INLINE inline __attribute__((always_inline))
#define PTO_TILE_RESTRICT __restrict
#else
#define PTO_TILE_INLINE inline
#define PTO_TILE_RESTRICT
#endif

// Define PTO_TILE_GENERIC before including any tile header to force the portable code
// paths (used by the tests to check them on an AVX-512 machine).
#if !defined(PTO_TILE_GENERIC) && defined(__AVX512F__)
#define PTO_TILE_HAVE_AVX512 1
#define PTO_TILE_ISA isa_avx512
#elif !defined(PTO_TILE_GENERIC) && defined(__AVX2__) && defined(__FMA__)
#define PTO_TILE_HAVE_AVX2 1
#define PTO_TILE_ISA isa_avx2
#elif !defined(PTO_TILE_GENERIC) && defined(__SSE2__)
#define PTO_TILE_HAVE_SSE2 1
#define PTO_TILE_ISA isa_sse2
#else
#define PTO_TILE_ISA isa_generic
#endif

namespace pto::tile {

// Alignment of every tile buffer: one cache line, also the widest vector register.
inline constexpr std::size_t kTileAlign = 64;

namespace detail {

// Runs f(i) for i in [0, N); the iterations must be independent (f(i) touches only
// element i of its outputs; inputs may be the outputs themselves, element for element).
// Why it looks like this: GCC 12 at -O2 uses the "very cheap" vectoriser cost model,
// which vectorises a loop only if no scalar epilogue and no runtime alias check is
// needed. The split makes the main trip count a multiple of 16, and `ivdep` tells GCC
// that the tile buffers (reached through references, so restrict does not help after
// inlining) carry no dependence between iterations.
template <int N, class F>
PTO_TILE_INLINE void forN(F&& f) {
  constexpr int kMain = N - N % 16;
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC ivdep
#endif
  for (int i = 0; i < kMain; ++i) f(i);
  for (int i = kMain; i < N; ++i) f(i);
}

}  // namespace detail
}  // namespace pto::tile
