// Tile matrix multiply: C[M,N] (+)= A[M,K] x B[K,N] with f32, f16 or bf16 inputs and f32
// accumulation. C must not alias A or B.
//
// The f32 core is a register-blocked micro-kernel: an MR x (16*NV) block of C lives in
// AVX-512 registers while k runs, B rows are loaded as vectors and A elements broadcast.
// Edge blocks (M not a multiple of MR, N not a multiple of 16) use smaller compile-time
// kernels and masked loads/stores, so any shape works. Without AVX-512 a plain i-k-j
// loop is used, which GCC vectorises along j. f16/bf16 inputs are widened to f32 tiles
// first (O(MK + KN) work against O(MNK) multiply-adds).
#pragma once

#include <cstddef>
#include <type_traits>

#include "pto/wsp/tile/Config.h"
#include "pto/wsp/tile/Float16.h"
#include "pto/wsp/tile/Simd.h"
#include "pto/wsp/tile/Tile.h"

namespace pto::tile {
inline namespace PTO_TILE_ISA {
namespace impl {

// Depth of one pass over k: keeps the B panel (kKc x 16*NV f32) within L1/L2.
inline constexpr int kKc = 256;

#if defined(PTO_TILE_HAVE_AVX512)
// Rows of C per micro-kernel: 14 x 2 zmm accumulators, 2 B vectors and the broadcast A
// element use 31 of the 32 vector registers.
inline constexpr int kMr = 14;
inline constexpr int kNv = 2;   // 16-float vectors per row of the C block

// The MR x (16*(NV-1)+REM) block of C at c (row stride ldc) into registers (or zeros)
// and back; the last vector of a row is masked to REM lanes.
template <int MR, int NV, int REM>
PTO_TILE_INLINE void loadBlock(simd::F32x16 (&acc)[MR][NV], const float* PTO_TILE_RESTRICT c, std::ptrdiff_t ldc,
                               bool accumulate) {
  constexpr simd::Mask16 kLast = REM == 16 ? simd::Mask16(0xFFFF) : simd::Mask16((1u << REM) - 1u);
  if (accumulate) {
#pragma GCC unroll 16
    for (int r = 0; r < MR; ++r)
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v)
        acc[r][v] = (v == NV - 1 && REM != 16) ? simd::loadMasked16(kLast, c + r * ldc + v * 16)
                                               : simd::load16(c + r * ldc + v * 16);
  } else {
#pragma GCC unroll 16
    for (int r = 0; r < MR; ++r)
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) acc[r][v] = simd::zero16();
  }
}
template <int MR, int NV, int REM>
PTO_TILE_INLINE void storeBlock(float* PTO_TILE_RESTRICT c, std::ptrdiff_t ldc, const simd::F32x16 (&acc)[MR][NV]) {
  constexpr simd::Mask16 kLast = REM == 16 ? simd::Mask16(0xFFFF) : simd::Mask16((1u << REM) - 1u);
#pragma GCC unroll 16
  for (int r = 0; r < MR; ++r)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) {
      if (v == NV - 1 && REM != 16)
        simd::storeMasked16(c + r * ldc + v * 16, kLast, acc[r][v]);
      else
        simd::store16(c + r * ldc + v * 16, acc[r][v]);
    }
}

// C[0:MR, 0:16*(NV-1)+REM] (+)= A[0:MR, 0:KB] x B[0:KB, ...]. LDx are row strides.
template <int MR, int NV, int REM, int KB, int LDA, int LDB, int LDC>
PTO_TILE_INLINE void microAvx512(float* PTO_TILE_RESTRICT c, const float* PTO_TILE_RESTRICT a,
                                 const float* PTO_TILE_RESTRICT b, bool accumulate) {
  constexpr simd::Mask16 kLast = REM == 16 ? simd::Mask16(0xFFFF) : simd::Mask16((1u << REM) - 1u);
  simd::F32x16 acc[MR][NV];
  loadBlock<MR, NV, REM>(acc, c, LDC, accumulate);
#pragma GCC unroll 2
  for (int k = 0; k < KB; ++k) {
    simd::F32x16 bv[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v)
      bv[v] = (v == NV - 1 && REM != 16) ? simd::loadMasked16(kLast, b + k * LDB + v * 16)
                                         : simd::load16(b + k * LDB + v * 16);
#pragma GCC unroll 16
    for (int r = 0; r < MR; ++r) {
      const simd::F32x16 av = simd::broadcast16(a[r * LDA + k]);
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) acc[r][v] = simd::fma16(av, bv[v], acc[r][v]);
    }
  }
  storeBlock<MR, NV, REM>(c, LDC, acc);
}

// Rows [0, MR) of C for one k-pass of depth KB: the full column blocks, then the masked
// remainder block (N not a multiple of 16*kNv).
template <int MR, int N, int K, int KB>
PTO_TILE_INLINE void rowBlockAvx512(float* c, const float* a, const float* b, int j, bool accumulate) {
  constexpr int NR = 16 * kNv;
  constexpr int NFull = N / NR * NR;
  constexpr int NRem = N - NFull;
  if (j < NFull) {
    microAvx512<MR, kNv, 16, KB, K, N, N>(c + j, a, b + j, accumulate);
  } else if constexpr (NRem > 0) {
    constexpr int NV = (NRem + 15) / 16;
    constexpr int REM = NRem - (NV - 1) * 16;
    microAvx512<MR, NV, REM, KB, K, N, N>(c + j, a, b + j, accumulate);
  }
}

// One k-pass of depth KB over the whole C tile: per column block (its B panel stays in
// L1), every row block. Row blocks have kMr rows; a short tail (fewer than kMr/2 rows,
// e.g. 2 of 128 or 4 of 64 with 12-row blocks) is merged with the last full block and the
// pair split in halves (128 = 8 x 14 + 8 + 8), since a block of 2-4 rows has too few
// accumulators to hide the FMA latency. The k order of every C element is the same
// whatever the blocking, so results do not depend on it.
template <int M, int N, int K, int KB>
PTO_TILE_INLINE void gemmPassAvx512(float* c, const float* a, const float* b, bool accumulate) {
  constexpr int kBlocks = M / kMr;
  constexpr int kTail = M % kMr;
  constexpr bool kMerge = kBlocks > 0 && kTail > 0 && kTail < kMr / 2;
  constexpr int kFullRows = (kMerge ? kBlocks - 1 : kBlocks) * kMr;
  constexpr int kLeft = M - kFullRows;  // rows after the full blocks (0, kTail or kMr + kTail)
  constexpr int kFirst = kMerge ? kLeft / 2 : kLeft;
  for (int j = 0; j < N; j += 16 * kNv) {
    for (int i = 0; i < kFullRows; i += kMr)
      rowBlockAvx512<kMr, N, K, KB>(c + i * N, a + i * K, b, j, accumulate);
    if constexpr (kFirst > 0)
      rowBlockAvx512<kFirst, N, K, KB>(c + kFullRows * N, a + kFullRows * K, b, j, accumulate);
    if constexpr (kLeft - kFirst > 0)
      rowBlockAvx512<kLeft - kFirst, N, K, KB>(c + (kFullRows + kFirst) * N,
                                                a + (kFullRows + kFirst) * K, b, j, accumulate);
  }
}
#endif

// C (+)= A x B on dense row-major f32 buffers.
template <int M, int N, int K>
[[gnu::noinline]] inline void gemmF32(float* PTO_TILE_RESTRICT c, const float* PTO_TILE_RESTRICT a,
                             const float* PTO_TILE_RESTRICT b, bool accumulate) {
#if defined(PTO_TILE_HAVE_AVX512)
  constexpr int KFull = K / kKc * kKc;
  constexpr int KRem = K - KFull;
  for (int k0 = 0; k0 < KFull; k0 += kKc)
    gemmPassAvx512<M, N, K, kKc>(c, a + k0, b + k0 * N, accumulate || k0 > 0);
  if constexpr (KRem > 0)
    gemmPassAvx512<M, N, K, KRem>(c, a + KFull, b + KFull * N, accumulate || KFull > 0);
#else
  if (!accumulate) pto::tile::detail::forN<M * N>([&](int i) { c[i] = 0.0f; });
  for (int i = 0; i < M; ++i)
    for (int k = 0; k < K; ++k) {
      const float av = a[i * K + k];
      float* PTO_TILE_RESTRICT crow = c + i * N;
      const float* PTO_TILE_RESTRICT brow = b + k * N;
      pto::tile::detail::forN<N>([&](int j) { crow[j] += av * brow[j]; });
    }
#endif
}

template <class TA, class TB, int M, int N, int K>
PTO_TILE_INLINE void matmulImpl(Tile<float, M, N>& c, const Tile<TA, M, K>& a,
                                const Tile<TB, K, N>& b, bool accumulate) {
  static_assert(std::is_same_v<TA, float> || std::is_same_v<TA, f16> || std::is_same_v<TA, bf16>,
                "matmul inputs are f32, f16 or bf16");
  static_assert(std::is_same_v<TB, float> || std::is_same_v<TB, f16> || std::is_same_v<TB, bf16>,
                "matmul inputs are f32, f16 or bf16");
  // Scratch tiles are only materialised for 16-bit inputs (size 1 otherwise).
  [[maybe_unused]] Tile<float, std::is_same_v<TA, float> ? 1 : M, std::is_same_v<TA, float> ? 1 : K> sa;
  [[maybe_unused]] Tile<float, std::is_same_v<TB, float> ? 1 : K, std::is_same_v<TB, float> ? 1 : N> sb;
  const float* pa;
  const float* pb;
  if constexpr (std::is_same_v<TA, float>) pa = a.data; else { cast(sa, a); pa = sa.data; }
  if constexpr (std::is_same_v<TB, float>) pb = b.data; else { cast(sb, b); pb = sb.data; }
  gemmF32<M, N, K>(c.data, pa, pb, accumulate);
}

}  // namespace impl

// C = A x B.
template <class TA, class TB, int M, int N, int K>
PTO_TILE_INLINE void matmul(Tile<float, M, N>& c, const Tile<TA, M, K>& a, const Tile<TB, K, N>& b) {
  impl::matmulImpl(c, a, b, false);
}

// C += A x B (C is the accumulator).
template <class TA, class TB, int M, int N, int K>
PTO_TILE_INLINE void matmulAcc(Tile<float, M, N>& c, const Tile<TA, M, K>& a,
                               const Tile<TB, K, N>& b) {
  impl::matmulImpl(c, a, b, true);
}

// C = acc + A x B (acc may be C itself).
template <class TA, class TB, int M, int N, int K>
PTO_TILE_INLINE void matmul(Tile<float, M, N>& c, const Tile<TA, M, K>& a, const Tile<TB, K, N>& b,
                            const Tile<float, M, N>& acc) {
  if (&acc != &c) c = acc;
  impl::matmulImpl(c, a, b, true);
}

}  // namespace PTO_TILE_ISA
}  // namespace pto::tile
