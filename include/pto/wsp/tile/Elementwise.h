// Binary elementwise ops of the tile library: add/sub/mul/div/max/min as tile-tile,
// tile-scalar, row-broadcast (b is [H,1]: b(r,0) applies to all of row r) and
// col-broadcast (b is [1,W]: b(0,c) applies to all of column c).
//
// f16/bf16 compute in f32 and round once on the way back. max/min propagate NaN (if
// either operand is NaN the result is NaN), unlike std::max. The destination may be the
// same tile as an operand.
#pragma once

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

// Named entry points: add(d, a, b) tile-tile, add(d, a, s) tile-scalar, add_row(d, a, b)
// with b [H,1], add_col(d, a, b) with b [1,W]; same for sub/mul/div/max/min.
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
