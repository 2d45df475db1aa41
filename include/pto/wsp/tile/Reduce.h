// Reductions of the tile library: rowsum/rowmax/rowmin/rowmean produce [H,1], colsum/
// colmax produce [1,W]. Accumulation is in the compute type (f32 for f16/bf16).
//
// Row reductions keep 16 partial results (one per vector lane) and combine them in a
// fixed tree at the end, so f32 sums are reassociated compared with a sequential loop;
// the order is deterministic. max/min propagate NaN.
#pragma once

#include "pto/wsp/tile/Config.h"
#include "pto/wsp/tile/Elementwise.h"
#include "pto/wsp/tile/Float16.h"
#include "pto/wsp/tile/Tile.h"

namespace pto::tile {

struct SumReduce {
  template <class C> static PTO_TILE_INLINE C combine(C a, C b) { return a + b; }
  template <class C> static PTO_TILE_INLINE C finish(C a, int) { return a; }
};
struct MeanReduce {
  template <class C> static PTO_TILE_INLINE C combine(C a, C b) { return a + b; }
  template <class C> static PTO_TILE_INLINE C finish(C a, int n) { return a / static_cast<C>(n); }
};
struct MaxReduce {
  template <class C> static PTO_TILE_INLINE C combine(C a, C b) { return MaxOp::apply(a, b); }
  template <class C> static PTO_TILE_INLINE C finish(C a, int) { return a; }
};
struct MinReduce {
  template <class C> static PTO_TILE_INLINE C combine(C a, C b) { return MinOp::apply(a, b); }
  template <class C> static PTO_TILE_INLINE C finish(C a, int) { return a; }
};

inline namespace PTO_TILE_ISA {

// dst(r, 0) = reduce over c of src(r, c).
template <class R, class T, int H, int W>
PTO_TILE_INLINE void rowReduce(Tile<T, H, 1>& dst, const Tile<T, H, W>& src) {
  using C = Compute<T>;
  constexpr int L = 16;
  constexpr int NB = W / L;
  for (int r = 0; r < H; ++r) {
    const T* PTO_TILE_RESTRICT row = src.data + r * W;
    C v;
    if constexpr (NB > 0) {
      C acc[L];
      for (int l = 0; l < L; ++l) acc[l] = toCompute(row[l]);
      for (int b = 1; b < NB; ++b)
        for (int l = 0; l < L; ++l) acc[l] = R::combine(acc[l], toCompute(row[b * L + l]));
      for (int w = L / 2; w >= 1; w /= 2)
        for (int l = 0; l < w; ++l) acc[l] = R::combine(acc[l], acc[l + w]);
      v = acc[0];
      for (int c = NB * L; c < W; ++c) v = R::combine(v, toCompute(row[c]));
    } else {
      v = toCompute(row[0]);
      for (int c = 1; c < W; ++c) v = R::combine(v, toCompute(row[c]));
    }
    dst.data[r] = fromCompute<T>(R::finish(v, W));
  }
}

// dst(0, c) = reduce over r of src(r, c).
template <class R, class T, int H, int W>
PTO_TILE_INLINE void colReduce(Tile<T, 1, W>& dst, const Tile<T, H, W>& src) {
  using C = Compute<T>;
  alignas(kTileAlign) C acc[W];
  const T* PTO_TILE_RESTRICT s = src.data;
  detail::forN<W>([&](int c) { acc[c] = toCompute(s[c]); });
  for (int r = 1; r < H; ++r)
    detail::forN<W>([&](int c) { acc[c] = R::combine(acc[c], toCompute(s[r * W + c])); });
  T* PTO_TILE_RESTRICT d = dst.data;
  detail::forN<W>([&](int c) { d[c] = fromCompute<T>(R::finish(acc[c], H)); });
}

template <class T, int H, int W>
PTO_TILE_INLINE void rowsum(Tile<T, H, 1>& dst, const Tile<T, H, W>& src) { rowReduce<SumReduce>(dst, src); }
template <class T, int H, int W>
PTO_TILE_INLINE void rowmax(Tile<T, H, 1>& dst, const Tile<T, H, W>& src) { rowReduce<MaxReduce>(dst, src); }
template <class T, int H, int W>
PTO_TILE_INLINE void rowmin(Tile<T, H, 1>& dst, const Tile<T, H, W>& src) { rowReduce<MinReduce>(dst, src); }
template <class T, int H, int W>
PTO_TILE_INLINE void rowmean(Tile<T, H, 1>& dst, const Tile<T, H, W>& src) { rowReduce<MeanReduce>(dst, src); }
template <class T, int H, int W>
PTO_TILE_INLINE void colsum(Tile<T, 1, W>& dst, const Tile<T, H, W>& src) { colReduce<SumReduce>(dst, src); }
template <class T, int H, int W>
PTO_TILE_INLINE void colmax(Tile<T, 1, W>& dst, const Tile<T, H, W>& src) { colReduce<MaxReduce>(dst, src); }

}  // namespace PTO_TILE_ISA
}  // namespace pto::tile
