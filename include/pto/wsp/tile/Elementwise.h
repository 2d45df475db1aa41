// Binary elementwise ops of the tile library: add/sub/mul/div/max/min as tile-tile,
// tile-scalar, row-broadcast (b is [H,1]: b(r,0) applies to all of row r) and
// col-broadcast (b is [1,W]: b(0,c) applies to all of column c).
//
// f16/bf16 compute in f32 and round once on the way back. max/min propagate NaN (if
// either operand is NaN the result is NaN), unlike std::max. The destination may be the
// same tile as an operand.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "pto/wsp/tile/Config.h"
#include "pto/wsp/tile/Float16.h"
#include "pto/wsp/tile/Tile.h"

namespace pto::tile {

// Binary operators (stateless functors over the compute type).
struct AddOp { template <class C> static PTO_TILE_INLINE C apply(C a, C b) { return a + b; } };
struct SubOp { template <class C> static PTO_TILE_INLINE C apply(C a, C b) { return a - b; } };
struct MulOp { template <class C> static PTO_TILE_INLINE C apply(C a, C b) { return a * b; } };
struct DivOp {
  template <class C>
  static PTO_TILE_INLINE C apply(C a, C b) {
    static_assert(!std::is_integral_v<C>, "tile div is defined for floating-point tiles only");
    return a / b;
  }
};
struct MaxOp {
  template <class C>
  static PTO_TILE_INLINE C apply(C a, C b) {
    return (a > b || a != a) ? a : b;  // NaN in a -> a; NaN in b -> comparison false -> b
  }
};
struct MinOp {
  template <class C>
  static PTO_TILE_INLINE C apply(C a, C b) {
    return (a < b || a != a) ? a : b;
  }
};

inline namespace PTO_TILE_ISA {

// dst = a op b (tile-tile).
template <class Op, class T, int H, int W>
PTO_TILE_INLINE void binary(Tile<T, H, W>& dst, const Tile<T, H, W>& a, const Tile<T, H, W>& b) {
  T* PTO_TILE_RESTRICT d = dst.data;
  const T* PTO_TILE_RESTRICT pa = a.data;
  const T* PTO_TILE_RESTRICT pb = b.data;
  detail::forN<H * W>([&](int i) {
    d[i] = fromCompute<T>(Op::apply(toCompute(pa[i]), toCompute(pb[i])));
  });
}

// dst = a op s (tile-scalar).
template <class Op, class T, int H, int W>
PTO_TILE_INLINE void binaryScalar(Tile<T, H, W>& dst, const Tile<T, H, W>& a, Compute<T> s) {
  T* PTO_TILE_RESTRICT d = dst.data;
  const T* PTO_TILE_RESTRICT pa = a.data;
  detail::forN<H * W>([&](int i) { d[i] = fromCompute<T>(Op::apply(toCompute(pa[i]), s)); });
}

// dst(r, c) = a(r, c) op b(r, 0) (row broadcast: b is a column vector [H,1]).
template <class Op, class T, int H, int W>
PTO_TILE_INLINE void binaryRow(Tile<T, H, W>& dst, const Tile<T, H, W>& a, const Tile<T, H, 1>& b) {
  T* PTO_TILE_RESTRICT d = dst.data;
  const T* PTO_TILE_RESTRICT pa = a.data;
  for (int r = 0; r < H; ++r) {
    const Compute<T> s = toCompute(b.data[r]);
    detail::forN<W>([&](int c) {
      d[r * W + c] = fromCompute<T>(Op::apply(toCompute(pa[r * W + c]), s));
    });
  }
}

// dst(r, c) = a(r, c) op b(0, c) (column broadcast: b is a row vector [1,W]).
template <class Op, class T, int H, int W>
PTO_TILE_INLINE void binaryCol(Tile<T, H, W>& dst, const Tile<T, H, W>& a, const Tile<T, 1, W>& b) {
  T* PTO_TILE_RESTRICT d = dst.data;
  const T* PTO_TILE_RESTRICT pa = a.data;
  const T* PTO_TILE_RESTRICT pb = b.data;
  for (int r = 0; r < H; ++r)
    detail::forN<W>([&](int c) {
      d[r * W + c] = fromCompute<T>(Op::apply(toCompute(pa[r * W + c]), toCompute(pb[c])));
    });
}

namespace impl {

// Whether an H x W window of `d` may be written row by row while `s` is read: the two
// windows share no byte, or they are the same window (same base and strides), where
// element (r, c) is read before it is written. Anything else (a partial overlap) must
// be staged through tiles, as the unfused load / op / store sequence would.
template <int H, int W, class T, class U>
PTO_TILE_INLINE bool streamable(const GlobalView<T>& d, const GlobalView<U>& s) {
  if (static_cast<const void*>(d.base) == static_cast<const void*>(s.base) && d.rowStride == s.rowStride &&
      d.colStride == s.colStride)
    return true;
  auto span = [](auto base, std::ptrdiff_t rs, std::ptrdiff_t cs, std::size_t elem) {
    const std::ptrdiff_t er = (H - 1) * rs, ec = (W - 1) * cs;
    const auto a = reinterpret_cast<std::uintptr_t>(base);
    const std::ptrdiff_t lo = (er < 0 ? er : 0) + (ec < 0 ? ec : 0);
    const std::ptrdiff_t hi = (er > 0 ? er : 0) + (ec > 0 ? ec : 0) + 1;
    struct Bytes { std::uintptr_t begin, end; };
    return Bytes{a + static_cast<std::uintptr_t>(lo * static_cast<std::ptrdiff_t>(elem)),
                 a + static_cast<std::uintptr_t>(hi * static_cast<std::ptrdiff_t>(elem))};
  };
  const auto [d0, d1] = span(d.base, d.rowStride, d.colStride, sizeof(T));
  const auto [s0, s1] = span(s.base, s.rowStride, s.colStride, sizeof(U));
  return d1 <= s0 || s1 <= d0;
}

}  // namespace impl

// dst[0:H, 0:W] = a[0:H, 0:W] op b[0:H, 0:W] between global views: the result of `load`
// a and b into H x W tiles, the tile-tile op and `store` to dst, element for element,
// without the staging copies when every view has contiguous rows and dst either does not
// overlap a source or is the very same view (then each row streams through registers:
// 2 loads + 1 store per element, like a STREAM triad, instead of 5 + 4). Otherwise it
// stages through stack tiles. The cpu_sim code generator emits these for a load, load,
// op, store chain whose tiles have no other use.
template <class Op, int H, int W, class T>
PTO_TILE_INLINE void binaryGlobal(GlobalView<T> dst, std::type_identity_t<GlobalView<const T>> a,
                                  std::type_identity_t<GlobalView<const T>> b) {
  if (dst.colStride == 1 && a.colStride == 1 && b.colStride == 1 && impl::streamable<H, W>(dst, a) &&
      impl::streamable<H, W>(dst, b)) {
    for (int r = 0; r < H; ++r) {
      T* d = dst.base + r * dst.rowStride;
      const T* pa = a.base + r * a.rowStride;
      const T* pb = b.base + r * b.rowStride;
      detail::forN<W>([&](int c) { d[c] = fromCompute<T>(Op::apply(toCompute(pa[c]), toCompute(pb[c]))); });
    }
    return;
  }
  Tile<T, H, W> ta, tb;
  load(ta, a);
  load(tb, b);
  binary<Op>(ta, ta, tb);
  store(dst, ta);
}

// dst[0:H, 0:W] = a[0:H, 0:W] op s: `load`, tile-scalar op, `store`, streamed like
// binaryGlobal when legal.
template <class Op, int H, int W, class T>
PTO_TILE_INLINE void binaryScalarGlobal(GlobalView<T> dst, std::type_identity_t<GlobalView<const T>> a,
                                        std::type_identity_t<Compute<T>> s) {
  if (dst.colStride == 1 && a.colStride == 1 && impl::streamable<H, W>(dst, a)) {
    for (int r = 0; r < H; ++r) {
      T* d = dst.base + r * dst.rowStride;
      const T* pa = a.base + r * a.rowStride;
      detail::forN<W>([&](int c) { d[c] = fromCompute<T>(Op::apply(toCompute(pa[c]), s)); });
    }
    return;
  }
  Tile<T, H, W> ta;
  load(ta, a);
  binaryScalar<Op>(ta, ta, s);
  store(dst, ta);
}

// Named entry points: add(d, a, b) tile-tile, add(d, a, s) tile-scalar, add_row(d, a, b)
// with b [H,1], add_col(d, a, b) with b [1,W], add_global<H, W>(dst, a, b) and
// add_global<H, W>(dst, a, s) on global views; same for sub/mul/div/max/min.
#define PTO_TILE_BINARY_OP(name, Op)                                                         \
  template <class T, int H, int W>                                                           \
  PTO_TILE_INLINE void name(Tile<T, H, W>& dst, const Tile<T, H, W>& a, const Tile<T, H, W>& b) { \
    binary<Op>(dst, a, b);                                                                   \
  }                                                                                          \
  template <class T, int H, int W>                                                           \
  PTO_TILE_INLINE void name(Tile<T, H, W>& dst, const Tile<T, H, W>& a,                      \
                            std::type_identity_t<Compute<T>> s) {                            \
    binaryScalar<Op>(dst, a, s);                                                             \
  }                                                                                          \
  template <class T, int H, int W>                                                           \
  PTO_TILE_INLINE void name##_row(Tile<T, H, W>& dst, const Tile<T, H, W>& a,                \
                                  const Tile<T, H, 1>& b) {                                  \
    binaryRow<Op>(dst, a, b);                                                                \
  }                                                                                          \
  template <class T, int H, int W>                                                           \
  PTO_TILE_INLINE void name##_col(Tile<T, H, W>& dst, const Tile<T, H, W>& a,                \
                                  const Tile<T, 1, W>& b) {                                  \
    binaryCol<Op>(dst, a, b);                                                                \
  }                                                                                          \
  template <int H, int W, class T>                                                           \
  PTO_TILE_INLINE void name##_global(GlobalView<T> dst, std::type_identity_t<GlobalView<const T>> a, \
                                     std::type_identity_t<GlobalView<const T>> b) {          \
    binaryGlobal<Op, H, W, T>(dst, a, b);                                                    \
  }                                                                                          \
  template <int H, int W, class T>                                                           \
  PTO_TILE_INLINE void name##_global(GlobalView<T> dst, std::type_identity_t<GlobalView<const T>> a, \
                                     std::type_identity_t<Compute<T>> s) {                   \
    binaryScalarGlobal<Op, H, W, T>(dst, a, s);                                              \
  }

PTO_TILE_BINARY_OP(add, AddOp)
PTO_TILE_BINARY_OP(sub, SubOp)
PTO_TILE_BINARY_OP(mul, MulOp)
PTO_TILE_BINARY_OP(div, DivOp)
PTO_TILE_BINARY_OP(max, MaxOp)
PTO_TILE_BINARY_OP(min, MinOp)
#undef PTO_TILE_BINARY_OP

}  // namespace PTO_TILE_ISA
}  // namespace pto::tile
