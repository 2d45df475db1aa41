// Tile<T, H, W>: the local (on-chip) buffer of the CPU tile library, and the memory and
// data-movement ops on it: load/store between a strided global view and a tile, fill,
// iota, cast, select and transpose.
//
// Shapes are template parameters so every loop has a compile-time trip count and GCC
// vectorises it at -O2. Unless an op says otherwise, the destination may be the very
// same tile as a source (exact aliasing), but must not partially overlap one.
#pragma once

#include <cstddef>
#include <type_traits>

#include "pto/wsp/tile/Config.h"
#include "pto/wsp/tile/Float16.h"
#include "pto/wsp/tile/Simd.h"

namespace pto::tile {

// A row-major H x W tile of T in a 64-byte-aligned local buffer. An aggregate: a
// default-constructed tile is uninitialised (like a scratchpad buffer). Not thread-safe
// to mutate concurrently; owns its storage by value (mind the stack for big tiles).
template <class T, int H, int W>
struct Tile {
  static_assert(H > 0 && W > 0, "tile dimensions must be positive");
  using value_type = T;
  static constexpr int kRows = H;
  static constexpr int kCols = W;
  static constexpr int kSize = H * W;

  alignas(kTileAlign) T data[H * W];

  PTO_TILE_INLINE T& operator()(int r, int c) { return data[r * W + c]; }
  PTO_TILE_INLINE const T& operator()(int r, int c) const { return data[r * W + c]; }
};

// A strided 2-D view of global memory: element (r, c) is base[r*rowStride + c*colStride]
// (strides in elements). colStride == 1 is a row-major matrix with leading dimension
// rowStride; rowStride == 1 with colStride == ld views the transpose of a row-major matrix.
// Does not own the memory.
template <class T>
struct GlobalView {
  T* base;
  std::ptrdiff_t rowStride;
  std::ptrdiff_t colStride = 1;

  PTO_TILE_INLINE T& at(std::ptrdiff_t r, std::ptrdiff_t c) const {
    return base[r * rowStride + c * colStride];
  }
  // Sub-view starting at (r, c).
  PTO_TILE_INLINE GlobalView offset(std::ptrdiff_t r, std::ptrdiff_t c) const {
    return GlobalView{base + r * rowStride + c * colStride, rowStride, colStride};
  }
  template <class U = T>
    requires(!std::is_const_v<U>)
  PTO_TILE_INLINE operator GlobalView<const U>() const {
    return {base, rowStride, colStride};
  }
};

// Row-major matrix with leading dimension ld.
template <class T>
PTO_TILE_INLINE GlobalView<T> rowMajor(T* base, std::ptrdiff_t ld) {
  return GlobalView<T>{base, ld, 1};
}
// Transposed view of a row-major matrix with leading dimension ld: element (r, c) of the
// view is base[c*ld + r].
template <class T>
PTO_TILE_INLINE GlobalView<T> transposed(T* base, std::ptrdiff_t ld) {
  return GlobalView<T>{base, 1, ld};
}

inline namespace PTO_TILE_ISA {
namespace impl {

// Copies kBytes bytes (a tile row) with full-width vector moves. glibc's memcpy is slower
// for the short, fixed-size rows of a tile (call + size dispatch per row), and GCC turns
// a plain copy loop back into a memcpy call.
template <std::size_t kBytes>
PTO_TILE_INLINE void copyBytes(void* PTO_TILE_RESTRICT dst, const void* PTO_TILE_RESTRICT src) {
#if defined(PTO_TILE_HAVE_AVX512) || defined(PTO_TILE_HAVE_AVX2)
  auto* d = static_cast<unsigned char*>(dst);
  const auto* s = static_cast<const unsigned char*>(src);
  std::size_t i = 0;
#if defined(PTO_TILE_HAVE_AVX512)
  for (; i + 64 <= kBytes; i += 64) simd::copy64(d + i, s + i);
#else
  for (; i + 32 <= kBytes; i += 32) simd::copy32(d + i, s + i);
#endif
  for (; i < kBytes; ++i) d[i] = s[i];
#else
  __builtin_memcpy(dst, src, kBytes);
#endif
}

}  // namespace impl

// dst = src[0:H, 0:W], converting the element type if they differ.
template <class T, int H, int W, class U>
PTO_TILE_INLINE void load(Tile<T, H, W>& dst, GlobalView<const U> src) {
  T* PTO_TILE_RESTRICT d = dst.data;
  if (src.colStride == 1) {
    for (int r = 0; r < H; ++r) {
      const U* PTO_TILE_RESTRICT s = src.base + r * src.rowStride;
      if constexpr (std::is_same_v<T, U>) {
        impl::copyBytes<sizeof(T) * W>(d + r * W, s);
      } else {
        detail::forN<W>([&](int c) { d[r * W + c] = convert<T>(s[c]); });
      }
    }
  } else if (src.rowStride == 1) {
    // Transposed source: read along the contiguous global dimension.
    for (int c = 0; c < W; ++c) {
      const U* PTO_TILE_RESTRICT s = src.base + c * src.colStride;
      for (int r = 0; r < H; ++r) d[r * W + c] = convert<T>(s[r]);
    }
  } else {
    for (int r = 0; r < H; ++r)
      for (int c = 0; c < W; ++c) d[r * W + c] = convert<T>(src.at(r, c));
  }
}
template <class T, int H, int W, class U>
PTO_TILE_INLINE void load(Tile<T, H, W>& dst, GlobalView<U> src) {
  load(dst, GlobalView<const U>(src));
}

// Partial load for edge tiles: the valid rows x cols window [0:rows, 0:cols] comes from
// src, the rest of the tile is set to pad. rows/cols are clamped to [0, H] / [0, W].
template <class T, int H, int W, class U>
inline void loadPartial(Tile<T, H, W>& dst, GlobalView<const U> src, int rows, int cols,
                        Compute<T> pad = Compute<T>(0)) {
  rows = rows < 0 ? 0 : (rows > H ? H : rows);
  cols = cols < 0 ? 0 : (cols > W ? W : cols);
  const T padV = fromCompute<T>(pad);
  for (int r = 0; r < H; ++r)
    for (int c = 0; c < W; ++c)
      dst.data[r * W + c] = (r < rows && c < cols) ? convert<T>(src.at(r, c)) : padV;
}

// dst[0:H, 0:W] = src, converting the element type if they differ.
template <class T, int H, int W, class U>
PTO_TILE_INLINE void store(GlobalView<U> dst, const Tile<T, H, W>& src) {
  const T* PTO_TILE_RESTRICT s = src.data;
  if (dst.colStride == 1) {
    for (int r = 0; r < H; ++r) {
      U* PTO_TILE_RESTRICT d = dst.base + r * dst.rowStride;
      if constexpr (std::is_same_v<T, U>) {
        impl::copyBytes<sizeof(T) * W>(d, s + r * W);
      } else {
        detail::forN<W>([&](int c) { d[c] = convert<U>(s[r * W + c]); });
      }
    }
  } else if (dst.rowStride == 1) {
    for (int c = 0; c < W; ++c) {
      U* PTO_TILE_RESTRICT d = dst.base + c * dst.colStride;
      for (int r = 0; r < H; ++r) d[r] = convert<U>(s[r * W + c]);
    }
  } else {
    for (int r = 0; r < H; ++r)
      for (int c = 0; c < W; ++c) dst.at(r, c) = convert<U>(s[r * W + c]);
  }
}

// Partial store for edge tiles: only the window [0:rows, 0:cols] is written.
template <class T, int H, int W, class U>
inline void storePartial(GlobalView<U> dst, const Tile<T, H, W>& src, int rows, int cols) {
  rows = rows < 0 ? 0 : (rows > H ? H : rows);
  cols = cols < 0 ? 0 : (cols > W ? W : cols);
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c) dst.at(r, c) = convert<U>(src.data[r * W + c]);
}

// Every element = v (converted to T).
template <class T, int H, int W>
PTO_TILE_INLINE void fill(Tile<T, H, W>& dst, Compute<T> v) {
  const T tv = fromCompute<T>(v);
  T* PTO_TILE_RESTRICT d = dst.data;
  detail::forN<H * W>([&](int i) { d[i] = tv; });
}

// dst(r, c) = start + c * step: the column index along every row (the index tile that
// sort/top-k style kernels need). Computed in the compute type, then converted.
template <class T, int H, int W>
PTO_TILE_INLINE void iota(Tile<T, H, W>& dst, Compute<T> start = Compute<T>(0),
                          Compute<T> step = Compute<T>(1)) {
  T* PTO_TILE_RESTRICT d = dst.data;
  for (int r = 0; r < H; ++r)
    detail::forN<W>([&](int c) {
      d[r * W + c] = fromCompute<T>(start + static_cast<Compute<T>>(c) * step);
    });
}

// Element type conversion: round-to-nearest-even into f16/bf16; float -> integer
// truncates toward zero, saturates, NaN -> 0.
template <class D, class S, int H, int W>
PTO_TILE_INLINE void cast(Tile<D, H, W>& dst, const Tile<S, H, W>& src) {
  D* PTO_TILE_RESTRICT d = dst.data;
  const S* PTO_TILE_RESTRICT s = src.data;
  detail::forN<H * W>([&](int i) { d[i] = convert<D>(s[i]); });
}

// dst = mask != 0 ? a : b, element by element. M is any arithmetic type (uint8_t,
// int32_t, float, ...); a NaN mask element counts as true (it is != 0).
template <class T, class M, int H, int W>
PTO_TILE_INLINE void select(Tile<T, H, W>& dst, const Tile<M, H, W>& mask,
                            const Tile<T, H, W>& a, const Tile<T, H, W>& b) {
  T* PTO_TILE_RESTRICT d = dst.data;
  const M* PTO_TILE_RESTRICT m = mask.data;
  const T* PTO_TILE_RESTRICT pa = a.data;
  const T* PTO_TILE_RESTRICT pb = b.data;
  detail::forN<H * W>([&](int i) { d[i] = m[i] != M(0) ? pa[i] : pb[i]; });
}

// dst = src^T. dst must not alias src (they have different shapes unless square; a
// square in-place transpose is not supported).
template <class T, int H, int W>
PTO_TILE_INLINE void transpose(Tile<T, W, H>& dst, const Tile<T, H, W>& src) {
  T* PTO_TILE_RESTRICT d = dst.data;
  const T* PTO_TILE_RESTRICT s = src.data;
  // 8x8 blocks keep both the reads and the writes within a few cache lines.
  constexpr int B = 8;
  for (int r0 = 0; r0 < H; r0 += B)
    for (int c0 = 0; c0 < W; c0 += B) {
      const int r1 = r0 + B < H ? r0 + B : H;
      const int c1 = c0 + B < W ? c0 + B : W;
      for (int r = r0; r < r1; ++r)
        for (int c = c0; c < c1; ++c) d[c * H + r] = s[r * W + c];
    }
}

}  // namespace PTO_TILE_ISA
}  // namespace pto::tile
