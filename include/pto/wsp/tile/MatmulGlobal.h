// Matrix multiply between global views: C[M,N] = (acc +) A[M,K] x B[K,N], the result of
// `load` a, b (and acc) into tiles, `matmul` and `store` to c, element for element, but
// reading A and C (and acc, when it is C itself) where they are. The cpu_sim code
// generator emits it for a load, load, [load,] matmul, store chain whose tiles have no
// other use, e.g. the k step `c += a x b` of a tiled product.
//
// Why: a k step through tiles copies the A, B and C tiles (and C back) around every
// matmul, and at 1024^3 with 128^3 tiles those copies cost as much as a third of the
// multiply-adds. Here only B is copied, into a k-major panel of 64 columns that stays in
// L1 while every row block of C uses it, and that copy is made by the first row block's
// micro-kernel from the very vectors it multiplies, so it costs a store per B vector.
// The micro-kernel keeps a 6 x 64 block of C in 24 zmm registers; 6 rows (not 14, as the
// tile kernel uses) because A rows are read in place: with a leading dimension of a
// multiple of 4 KiB every A row of a block maps to the same L1 set, and 14 of them would
// evict each other.
//
// Each C element is still one sequential fused multiply-add chain over k = 0..K-1,
// starting from acc (or 0), exactly as in the tile matmul (Matmul.h), so results are bit
// for bit those of the staged chain. Operands that cannot be read in place (16-bit
// inputs, a column stride other than 1, a window of C that overlaps A or B, an acc that
// partially overlaps C) go through thread-local f32 tiles first, which keeps the result.
// Without AVX-512 every operand is staged and the tile matmul runs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "pto/wsp/tile/Config.h"
#include "pto/wsp/tile/Matmul.h"
#include "pto/wsp/tile/Simd.h"
#include "pto/wsp/tile/Tile.h"

namespace pto::tile {
inline namespace PTO_TILE_ISA {
namespace impl {

// Bytes [begin, end) covered by the H x W window of v.
struct ByteRange {
  std::uintptr_t begin, end;
};
template <int H, int W, class T>
PTO_TILE_INLINE ByteRange viewBytes(const GlobalView<T>& v) {
  const std::ptrdiff_t er = (H - 1) * v.rowStride, ec = (W - 1) * v.colStride;
  const std::ptrdiff_t lo = (er < 0 ? er : 0) + (ec < 0 ? ec : 0);
  const std::ptrdiff_t hi = (er > 0 ? er : 0) + (ec > 0 ? ec : 0) + 1;
  const auto a = reinterpret_cast<std::uintptr_t>(v.base);
  const auto elem = static_cast<std::ptrdiff_t>(sizeof(T));
  return {a + static_cast<std::uintptr_t>(lo * elem), a + static_cast<std::uintptr_t>(hi * elem)};
}
template <int H1, int W1, int H2, int W2, class T, class U>
PTO_TILE_INLINE bool viewsDisjoint(const GlobalView<T>& x, const GlobalView<U>& y) {
  const ByteRange a = viewBytes<H1, W1>(x), b = viewBytes<H2, W2>(y);
  return a.end <= b.begin || b.end <= a.begin;
}

#if defined(PTO_TILE_HAVE_AVX512)
inline constexpr int kGMr = 6;     // rows of C per micro-kernel block
inline constexpr int kGNv = 4;     // 16-float vectors per panel row: 64 columns
inline constexpr int kGKc = 128;   // depth of one k pass: a 128 x 64 panel is 32 KiB (L1)

// One k step of microGlobal: acc[r][v] += a[r, k] * B[k, v*16 ...], B from the packed panel
// row pr or (kPack) from the global row br, then also stored to pr.
template <int MR, int NV, int REM, bool kPack>
PTO_TILE_INLINE void stepGlobal(simd::F32x16 (&acc)[MR][NV], const float* PTO_TILE_RESTRICT a, std::ptrdiff_t lda,
                                float* PTO_TILE_RESTRICT pr, const float* PTO_TILE_RESTRICT br) {
  constexpr simd::Mask16 kLast = REM == 16 ? simd::Mask16(0xFFFF) : simd::Mask16((1u << REM) - 1u);
  simd::F32x16 bv[NV];
#pragma GCC unroll 4
  for (int v = 0; v < NV; ++v) {
    if constexpr (kPack) {
      bv[v] = (v == NV - 1 && REM != 16) ? simd::loadMasked16(kLast, br + v * 16) : simd::load16(br + v * 16);
      simd::store16(pr + v * 16, bv[v]);
    } else {
      bv[v] = simd::load16(pr + v * 16);
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < MR; ++r) {
    const simd::F32x16 av = simd::broadcast16(a[r * lda]);
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) acc[r][v] = simd::fma16(av, bv[v], acc[r][v]);
  }
}

// C[0:MR, 0:16*(NV-1)+REM] (+)= A[0:MR, 0:KB] x B[0:KB, ...] for one panel. A and C are
// read in place (row strides lda, ldc). B comes from the packed panel (row stride 16*NV),
// or, with kPack, from global rows (stride ldb), each vector also stored into the panel
// for the blocks below (masked-off lanes as zeros). Without kPack, one cache line every
// second k step of the next panel's global rows is prefetched: the kGNv lines of row i
// of pf (row stride ldb) in k steps [8i, 8i+8), for rows i < pfRows. The k loop runs
// rows of those 8 steps, 2 steps and one prefetch per iteration, so that the prefetch
// costs no branch and little index arithmetic (the kernel issues 2 FMAs a cycle and
// scalar work shares their ports); a row unrolled whole is slower (GCC then moves the
// accumulators between registers).
template <int MR, int NV, int REM, int KB, bool kPack>
PTO_TILE_INLINE void microGlobal(float* PTO_TILE_RESTRICT c, std::ptrdiff_t ldc, const float* PTO_TILE_RESTRICT a,
                                 std::ptrdiff_t lda, float* PTO_TILE_RESTRICT panel,
                                 const float* PTO_TILE_RESTRICT b, std::ptrdiff_t ldb, bool accumulate,
                                 const float* pf = nullptr, int pfRows = 0) {
  constexpr int PS = 16 * NV;
  constexpr int KU = 2 * kGNv;
  simd::F32x16 acc[MR][NV];
  loadBlock<MR, NV, REM>(acc, c, ldc, accumulate);
  constexpr int KMain = KB / KU * KU;
  for (int k = 0; k < KMain; k += KU) {
    // Past the last row, a line of the panel (in L1) stands in: a prefetch that does nothing.
    const float* p = nullptr;
    if constexpr (!kPack) p = k / KU < pfRows ? pf + k / KU * ldb : panel;
#pragma GCC unroll 1
    for (int u = 0; u < KU; u += 2) {
      if constexpr (!kPack) __builtin_prefetch(p + u / 2 * 16, 0, 2);
      stepGlobal<MR, NV, REM, kPack>(acc, a + k + u, lda, panel + (k + u) * PS, b + (k + u) * ldb);
      stepGlobal<MR, NV, REM, kPack>(acc, a + k + u + 1, lda, panel + (k + u + 1) * PS, b + (k + u + 1) * ldb);
    }
  }
  if constexpr (KMain < KB)
    for (int k = KMain; k < KB; ++k) stepGlobal<MR, NV, REM, kPack>(acc, a + k, lda, panel + k * PS, b + k * ldb);
  storeBlock<MR, NV, REM>(c, ldc, acc);
}

// Every row block of one panel for one k pass. Blocks have kGMr rows; a tail of 1 or 2
// rows is merged with the last full block and the pair split in halves (128 = 20 x 6 +
// 4 + 4), as in the tile kernel: a 1-2 row block has too few accumulators to hide the FMA
// latency. The first block packs the panel from global B; the others prefetch the next
// panel's KB global rows (`next`; nullptr: none), an equal share each. Why: that block's B
// loads stride 4 KiB+ through memory, one row per page, which the hardware prefetchers
// do not follow, so without this the packing block waits on them (1024^3 with 64-row
// tiles: 0.91 -> 0.96 of sgemm); spread over the whole panel, few are in flight at once.
// (Prefetches never fault: lines past the view, e.g. of a shorter last pass, are harmless.)
template <int M, int NV, int REM, int KB>
PTO_TILE_INLINE void panelGlobal(float* c, std::ptrdiff_t ldc, const float* a, std::ptrdiff_t lda, float* panel,
                                 const float* b, std::ptrdiff_t ldb, bool accumulate, const float* next) {
  constexpr int kBlocks = M / kGMr;
  constexpr int kTail = M % kGMr;
  constexpr bool kMerge = kBlocks > 0 && kTail > 0 && kTail < kGMr / 2;
  constexpr int kFullRows = (kMerge ? kBlocks - 1 : kBlocks) * kGMr;
  constexpr int kLeft = M - kFullRows;
  constexpr int kFirst = kMerge ? kLeft / 2 : kLeft;
  // Blocks after the packing one, and the first row of block i's prefetch share.
  constexpr int kRest = (kFullRows > 0 ? kFullRows / kGMr - 1 + (kFirst > 0) : 0) + (kLeft - kFirst > 0);
  auto share = [&](int i, int& rows) -> const float* {
    constexpr int kShares = kRest > 0 ? kRest : 1;
    const int r0 = KB * i / kShares, r1 = KB * (i + 1) / kShares;
    rows = next ? r1 - r0 : 0;
    return next ? next + r0 * ldb : nullptr;
  };
  int blk = 0, rows = 0;
  const float* pf = nullptr;
  if constexpr (kFullRows > 0) {
    microGlobal<kGMr, NV, REM, KB, true>(c, ldc, a, lda, panel, b, ldb, accumulate);
    for (int i = kGMr; i < kFullRows; i += kGMr) {
      pf = share(blk++, rows);
      microGlobal<kGMr, NV, REM, KB, false>(c + i * ldc, ldc, a + i * lda, lda, panel, b, ldb, accumulate, pf, rows);
    }
    if constexpr (kFirst > 0) {
      pf = share(blk++, rows);
      microGlobal<kFirst, NV, REM, KB, false>(c + kFullRows * ldc, ldc, a + kFullRows * lda, lda, panel, b, ldb,
                                              accumulate, pf, rows);
    }
  } else {
    microGlobal<kFirst, NV, REM, KB, true>(c, ldc, a, lda, panel, b, ldb, accumulate);
  }
  if constexpr (kLeft - kFirst > 0) {
    constexpr int kRow = kFullRows + kFirst;
    pf = share(blk, rows);
    microGlobal<kLeft - kFirst, NV, REM, KB, false>(c + kRow * ldc, ldc, a + kRow * lda, lda, panel, b, ldb,
                                                    accumulate, pf, rows);
  }
}

// One k pass of depth KB over all of C: panel by panel (the last one masked when N is
// not a multiple of 64).
// nextPass: the next pass's B rows (after the last, those of a next k step).
template <int M, int N, int KB>
PTO_TILE_INLINE void passGlobal(float* c, std::ptrdiff_t ldc, const float* a, std::ptrdiff_t lda, float* panel,
                                const float* b, std::ptrdiff_t ldb, bool accumulate, const float* nextPass) {
  constexpr int NR = 16 * kGNv;
  constexpr int NFull = N / NR * NR;
  for (int j = 0; j < NFull; j += NR)
    panelGlobal<M, kGNv, 16, KB>(c + j, ldc, a, lda, panel, b + j, ldb, accumulate,
                                 j + NR < N ? b + j + NR : nextPass);
  if constexpr (N > NFull) {
    constexpr int NRem = N - NFull;
    constexpr int NV = (NRem + 15) / 16;
    panelGlobal<M, NV, NRem - (NV - 1) * 16, KB>(c + NFull, ldc, a, lda, panel, b + NFull, ldb, accumulate,
                                                 nextPass);
  }
}

// C (+)= A x B on row-major f32 matrices with leading dimensions ldc, lda, ldb; C must
// not overlap A or B. The last pass prefetches B's rows [K, K + kGKc) under the first
// panel: in a tiled product (a P.seq loop over k of these calls) they are the next call's
// first panel, which otherwise its packing block loads from memory unprefetched (1024^3:
// +1-2 % with 128-row tiles). Elsewhere they are a few wasted lines (prefetches never fault).
template <int M, int N, int K>
[[gnu::noinline]] inline void gemmGlobalF32(float* c, std::ptrdiff_t ldc, const float* a, std::ptrdiff_t lda,
                                            const float* b, std::ptrdiff_t ldb, bool accumulate) {
  constexpr int KFull = K / kGKc * kGKc;
  constexpr int KRem = K - KFull;
  alignas(64) float panel[(K < kGKc ? K : kGKc) * 16 * kGNv];
  for (int k0 = 0; k0 < KFull; k0 += kGKc)
    passGlobal<M, N, kGKc>(c, ldc, a + k0, lda, panel, b + k0 * ldb, ldb, accumulate || k0 > 0,
                           b + (k0 + kGKc) * ldb);
  if constexpr (KRem > 0)
    passGlobal<M, N, KRem>(c, ldc, a + KFull, lda, panel, b + KFull * ldb, ldb, accumulate || KFull > 0, b + K * ldb);
}
#endif

template <int M, int N, int K, class TA, class TB>
inline void matmulGlobal(GlobalView<float> c, GlobalView<const TA> a, GlobalView<const TB> b,
                         const GlobalView<const float>* acc) {
#if defined(PTO_TILE_HAVE_AVX512)
  const float* pa = nullptr;
  const float* pb = nullptr;
  std::ptrdiff_t lda = K, ldb = N;
  if constexpr (std::is_same_v<TA, float>) {
    if (a.colStride == 1 && viewsDisjoint<M, N, M, K>(c, a)) pa = a.base, lda = a.rowStride;
  }
  if constexpr (std::is_same_v<TB, float>) {
    if (b.colStride == 1 && viewsDisjoint<M, N, K, N>(c, b)) pb = b.base, ldb = b.rowStride;
  }
  // The staged operands are read before C is written, as the unfused loads are.
  if (!pa) {
    static thread_local Tile<float, M, K> sa;
    load(sa, a);
    pa = sa.data;
  }
  if (!pb) {
    static thread_local Tile<float, K, N> sb;
    load(sb, b);
    pb = sb.data;
  }
  const bool accInPlace = acc && acc->base == c.base && acc->rowStride == c.rowStride && acc->colStride == c.colStride;
  if (c.colStride == 1 && (!acc || accInPlace || viewsDisjoint<M, N, M, N>(c, *acc))) {
    if (acc && !accInPlace)
      for (int r = 0; r < M; ++r) {
        float* PTO_TILE_RESTRICT d = c.base + r * c.rowStride;
        const float* PTO_TILE_RESTRICT s = acc->base + r * acc->rowStride;
        if (acc->colStride == 1)
          impl::copyBytes<sizeof(float) * N>(d, s);
        else
          for (int j = 0; j < N; ++j) d[j] = acc->at(r, j);
      }
    gemmGlobalF32<M, N, K>(c.base, c.rowStride, pa, lda, pb, ldb, acc != nullptr);
    return;
  }
  static thread_local Tile<float, M, N> sc;
  if (acc) load(sc, *acc);
  gemmGlobalF32<M, N, K>(sc.data, N, pa, lda, pb, ldb, acc != nullptr);
  store(c, sc);
#else
  static thread_local Tile<TA, M, K> sa;
  static thread_local Tile<TB, K, N> sb;
  static thread_local Tile<float, M, N> sc;
  load(sa, a);
  load(sb, b);
  if (acc) load(sc, *acc);
  matmulImpl(sc, sa, sb, acc != nullptr);
  store(c, sc);
#endif
}

}  // namespace impl

// c[0:M, 0:N] = a[0:M, 0:K] x b[0:K, 0:N] between global views (a, b: f32, f16 or bf16).
template <int M, int N, int K, class TA, class TB>
PTO_TILE_INLINE void matmul_global(GlobalView<float> c, GlobalView<TA> a, GlobalView<TB> b) {
  impl::matmulGlobal<M, N, K, std::remove_const_t<TA>, std::remove_const_t<TB>>(c, a, b, nullptr);
}

// c = acc + a x b; acc may be c itself (the accumulating k step).
template <int M, int N, int K, class TA, class TB>
PTO_TILE_INLINE void matmul_global(GlobalView<float> c, GlobalView<TA> a, GlobalView<TB> b,
                                   GlobalView<const float> acc) {
  impl::matmulGlobal<M, N, K, std::remove_const_t<TA>, std::remove_const_t<TB>>(c, a, b, &acc);
}

}  // namespace PTO_TILE_ISA
}  // namespace pto::tile
