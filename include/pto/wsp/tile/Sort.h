// Sorting along rows: stable ascending/descending sort (optionally with the source column
// index of every output element) and top-k with indices.
//
// Order: NaN compares greater than every number (including +inf), so ascending sorts put
// NaNs last and descending sorts / top-k (largest) put them first; equal keys keep their
// source order (stable), which also makes top-k pick the lowest index among ties.
// -0 and +0 are equal. Keys are compared in the compute type (f32 for f16/bf16).
// Rows are sorted with a bottom-up merge sort on stack buffers (no heap allocation).
#pragma once

#include <cstdint>

#include "pto/wsp/tile/Config.h"
#include "pto/wsp/tile/Float16.h"
#include "pto/wsp/tile/Tile.h"

namespace pto::tile {

enum class SortOrder : uint8_t { Ascending, Descending };

inline namespace PTO_TILE_ISA {
namespace impl {

// Strict "x goes before y" for the requested order, NaN largest.
template <class C>
PTO_TILE_INLINE bool before(C x, C y, bool descending) {
  const bool xn = x != x;
  const bool yn = y != y;
  if (descending) return (xn && !yn) || (!xn && !yn && x > y);
  return (!xn && yn) || (!xn && !yn && x < y);
}

// Stable sort of n (key, index) pairs; tmpK/tmpI are scratch of the same length.
template <class C>
inline void mergeSortPairs(C* keys, int32_t* idx, C* tmpK, int32_t* tmpI, int n, bool desc) {
  constexpr int kRun = 16;
  // Insertion-sort short runs: stable because an element only moves past strictly-after ones.
  for (int lo = 0; lo < n; lo += kRun) {
    const int hi = lo + kRun < n ? lo + kRun : n;
    for (int i = lo + 1; i < hi; ++i) {
      const C k = keys[i];
      const int32_t id = idx[i];
      int j = i - 1;
      while (j >= lo && before(k, keys[j], desc)) {
        keys[j + 1] = keys[j];
        idx[j + 1] = idx[j];
        --j;
      }
      keys[j + 1] = k;
      idx[j + 1] = id;
    }
  }
  C* srcK = keys;
  int32_t* srcI = idx;
  C* dstK = tmpK;
  int32_t* dstI = tmpI;
  for (int width = kRun; width < n; width *= 2) {
    for (int lo = 0; lo < n; lo += 2 * width) {
      const int mid = lo + width < n ? lo + width : n;
      const int hi = lo + 2 * width < n ? lo + 2 * width : n;
      int i = lo, j = mid, o = lo;
      while (i < mid && j < hi) {
        // Take from the right run only if strictly before: keeps equal keys in order.
        if (before(srcK[j], srcK[i], desc)) {
          dstK[o] = srcK[j];
          dstI[o++] = srcI[j++];
        } else {
          dstK[o] = srcK[i];
          dstI[o++] = srcI[i++];
        }
      }
      while (i < mid) { dstK[o] = srcK[i]; dstI[o++] = srcI[i++]; }
      while (j < hi) { dstK[o] = srcK[j]; dstI[o++] = srcI[j++]; }
    }
    C* tk = srcK; srcK = dstK; dstK = tk;
    int32_t* ti = srcI; srcI = dstI; dstI = ti;
  }
  if (srcK != keys) {
    for (int i = 0; i < n; ++i) { keys[i] = srcK[i]; idx[i] = srcI[i]; }
  }
}

// idx = the stable sorting permutation of one row of W elements.
template <class T, int W>
inline void sortRowIndices(const T* row, int32_t* idx, bool desc) {
  using C = Compute<T>;
  alignas(kTileAlign) C keys[W];
  alignas(kTileAlign) C tmpK[W];
  alignas(kTileAlign) int32_t tmpI[W];
  for (int c = 0; c < W; ++c) {
    keys[c] = toCompute(row[c]);
    idx[c] = c;
  }
  mergeSortPairs(keys, idx, tmpK, tmpI, W, desc);
}

template <class T, int H, int W>
inline void sortRows(Tile<T, H, W>& dst, int32_t* outIdx, const Tile<T, H, W>& src, bool desc) {
  alignas(kTileAlign) int32_t idx[W];
  for (int r = 0; r < H; ++r) {
    sortRowIndices<T, W>(src.data + r * W, idx, desc);
    // Copy the original elements (not the compute-type keys) so the sort is bit-exact.
    const T* row = src.data + r * W;
    alignas(kTileAlign) T out[W];
    for (int c = 0; c < W; ++c) out[c] = row[idx[c]];
    for (int c = 0; c < W; ++c) dst.data[r * W + c] = out[c];
    if (outIdx != nullptr)
      for (int c = 0; c < W; ++c) outIdx[r * W + c] = idx[c];
  }
}

}  // namespace impl

// Stable sort of every row; dst may be src.
template <class T, int H, int W>
inline void sort(Tile<T, H, W>& dst, const Tile<T, H, W>& src,
                 SortOrder order = SortOrder::Ascending) {
  impl::sortRows(dst, nullptr, src, order == SortOrder::Descending);
}

// Stable sort of every row; indices(r, c) = source column of dst(r, c).
template <class T, int H, int W>
inline void sort(Tile<T, H, W>& dst, Tile<int32_t, H, W>& indices, const Tile<T, H, W>& src,
                 SortOrder order = SortOrder::Ascending) {
  impl::sortRows(dst, indices.data, src, order == SortOrder::Descending);
}

// Per row, the K largest (order Descending, the default) or smallest (Ascending)
// elements in that order, with their source columns; ties go to the lower column.
// Same result as taking the first K columns of sort(src, order).
template <class T, int H, int W, int K>
inline void topk(Tile<T, H, K>& values, Tile<int32_t, H, K>& indices, const Tile<T, H, W>& src,
                 SortOrder order = SortOrder::Descending) {
  static_assert(K >= 1 && K <= W, "top-k needs 1 <= K <= W");
  using C = Compute<T>;
  const bool desc = order == SortOrder::Descending;
  if constexpr (K <= 32) {
    // Insertion into a sorted buffer of K: O(W*K), no W-sized scratch.
    C bestK[K] = {};
    int32_t bestI[K] = {};
    for (int r = 0; r < H; ++r) {
      int n = 0;
      for (int c = 0; c < W; ++c) {
        const C x = toCompute(src.data[r * W + c]);
        if (n == K && !impl::before(x, bestK[K - 1], desc)) continue;
        int j = n < K ? n : K - 1;  // slot to fill; shift strictly-after elements right
        while (j > 0 && impl::before(x, bestK[j - 1], desc)) {
          bestK[j] = bestK[j - 1];
          bestI[j] = bestI[j - 1];
          --j;
        }
        bestK[j] = x;
        bestI[j] = c;
        n = n < K ? n + 1 : K;
      }
      for (int k = 0; k < K; ++k) {
        values.data[r * K + k] = src.data[r * W + bestI[k]];
        indices.data[r * K + k] = bestI[k];
      }
    }
  } else {
    alignas(kTileAlign) int32_t idx[W];
    for (int r = 0; r < H; ++r) {
      impl::sortRowIndices<T, W>(src.data + r * W, idx, desc);
      for (int k = 0; k < K; ++k) {
        values.data[r * K + k] = src.data[r * W + idx[k]];
        indices.data[r * K + k] = idx[k];
      }
    }
  }
}

}  // namespace PTO_TILE_ISA
}  // namespace pto::tile
