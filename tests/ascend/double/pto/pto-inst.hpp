// TEST DOUBLE, not PTO-ISA code: a host model of the PTO-ISA tile instructions the
// ascend target emits (docs/ascend.md's op table), written from the instruction names
// and argument orders the emitter uses, so the numerics of emitted kernels can be
// checked in CI against cpu_sim without a PTO-ISA checkout. Tiles own row-major storage
// (TASSIGN only checks nothing); pipes and flags are no-ops: one host thread runs the
// instructions in program order. Arithmetic is in float, results rounded to the tile's
// element type.
#pragma once

#include <cmath>
#include <cstdint>
#include <type_traits>

// The address-space and entry qualifiers the toolchain provides on a2a3sim: nothing on host.
#ifndef __aicore__
#define __aicore__
#endif
#ifndef __gm__
#define __gm__
#endif

using half = _Float16;

namespace pto {

constexpr int DYNAMIC = -1;
enum class TileType { Vec, Mat, Left, Right, Acc };
enum class BLayout { RowMajor, ColMajor };
enum class SLayout { NoneBox, RowMajor, ColMajor };
enum class RoundMode { CAST_NONE, CAST_RINT };

template <int64_t N1 = 1, int64_t N2 = 1, int64_t N3 = 1, int64_t N4 = 1, int64_t N5 = 1>
struct Shape {
  static constexpr int64_t rows = N4, cols = N5;
};
// One dynamic stride: the row stride (Stride<1, 1, 1, DYNAMIC, 1>, ND) or the column
// stride (Stride<1, 1, 1, 1, DYNAMIC>, the DN layout of a transposed load).
template <int64_t N1 = 1, int64_t N2 = 1, int64_t N3 = 1, int64_t N4 = 1, int64_t N5 = 1>
struct Stride {
  int64_t row = N4, col = N5;
  Stride() = default;
  explicit Stride(int64_t s) : row(N4 == DYNAMIC ? s : N4), col(N5 == DYNAMIC ? s : N5) {}
};
enum class Layout { ND, DN };

template <typename T, typename S, typename St, Layout L = Layout::ND>
struct GlobalTensor {
  T* data;
  St stride;
  GlobalTensor(T* d, const S& = S(), const St& st = St()) : data(d), stride(st) {}
};

template <TileType K, typename T, int R, int C, BLayout L = BLayout::RowMajor, int VR = R, int VC = C,
          SLayout SL = SLayout::NoneBox, int F = 512>
struct Tile {
  using DType = T;
  static constexpr int Rows = R, Cols = C, ValidRows = VR, ValidCols = VC;
  T data[R * C] = {};
  T& at(int r, int c) { return data[r * C + c]; }
};
template <typename T, int R, int C, int VR = R, int VC = C>
using TileLeft = Tile<TileType::Left, T, R, C, BLayout::RowMajor, VR, VC>;
template <typename T, int R, int C, int VR = R, int VC = C>
using TileRight = Tile<TileType::Right, T, R, C, BLayout::RowMajor, VR, VC>;
template <typename T, int R, int C, int VR = R, int VC = C>
using TileAcc = Tile<TileType::Acc, T, R, C, BLayout::RowMajor, VR, VC>;

template <typename Tl>
void TASSIGN(Tl&, uint64_t) {}

template <typename Tl, typename G>
void TLOAD(Tl& t, const G& g) {
  for (int r = 0; r < Tl::ValidRows; ++r)
    for (int c = 0; c < Tl::ValidCols; ++c) t.at(r, c) = g.data[r * g.stride.row + c * g.stride.col];
}
template <typename G, typename Tl>
void TSTORE(const G& g, Tl& t) {
  for (int r = 0; r < Tl::ValidRows; ++r)
    for (int c = 0; c < Tl::ValidCols; ++c) g.data[r * g.stride.row + c * g.stride.col] = static_cast<std::remove_cvref_t<decltype(*g.data)>>(t.at(r, c));
}

template <typename D, typename F>
void each(D& d, F f) {
  for (int r = 0; r < D::ValidRows; ++r)
    for (int c = 0; c < D::ValidCols; ++c) d.at(r, c) = static_cast<typename D::DType>(f(r, c));
}
#define PTO_DOUBLE_BIN(NAME, EXPR)                                                       \
  template <typename D, typename A, typename B>                                          \
  void NAME(D& d, A& a, B& b) {                                                          \
    each(d, [&](int r, int c) { float x = a.at(r, c), y = b.at(r, c); return EXPR; });   \
  }                                                                                      \
  template <typename D, typename A>                                                      \
  void NAME##S(D& d, A& a, float y) {                                                    \
    each(d, [&](int r, int c) { float x = a.at(r, c); return EXPR; });                   \
  }                                                                                      \
  template <typename D, typename A, typename B>                                          \
  void TROWEXPAND##NAME##_(D& d, A& a, B& b) {                                           \
    each(d, [&](int r, int c) { float x = a.at(r, c), y = b.at(r, 0); return EXPR; });   \
  }                                                                                      \
  template <typename D, typename A, typename B>                                          \
  void TCOLEXPAND##NAME##_(D& d, A& a, B& b) {                                           \
    each(d, [&](int r, int c) { float x = a.at(r, c), y = b.at(0, c); return EXPR; });   \
  }
PTO_DOUBLE_BIN(TADD, x + y)
PTO_DOUBLE_BIN(TSUB, x - y)
PTO_DOUBLE_BIN(TMUL, x * y)
PTO_DOUBLE_BIN(TDIV, x / y)
PTO_DOUBLE_BIN(TMAX, x > y ? x : y)
PTO_DOUBLE_BIN(TMIN, x < y ? x : y)
#undef PTO_DOUBLE_BIN
#define PTO_DOUBLE_EXPAND(OP, NAME)                               \
  template <typename D, typename A, typename B>                   \
  void TROWEXPAND##OP(D& d, A& a, B& b) { TROWEXPAND##NAME##_(d, a, b); } \
  template <typename D, typename A, typename B>                   \
  void TCOLEXPAND##OP(D& d, A& a, B& b) { TCOLEXPAND##NAME##_(d, a, b); }
PTO_DOUBLE_EXPAND(ADD, TADD)
PTO_DOUBLE_EXPAND(SUB, TSUB)
PTO_DOUBLE_EXPAND(MUL, TMUL)
PTO_DOUBLE_EXPAND(DIV, TDIV)
PTO_DOUBLE_EXPAND(MAX, TMAX)
PTO_DOUBLE_EXPAND(MIN, TMIN)
#undef PTO_DOUBLE_EXPAND

#define PTO_DOUBLE_UN(NAME, EXPR)                                          \
  template <typename D, typename A>                                        \
  void NAME(D& d, A& a) {                                                  \
    each(d, [&](int r, int c) { float x = a.at(r, c); return EXPR; });     \
  }
PTO_DOUBLE_UN(TEXP, std::exp(x))
PTO_DOUBLE_UN(TLOG, std::log(x))
PTO_DOUBLE_UN(TSQRT, std::sqrt(x))
PTO_DOUBLE_UN(TRSQRT, 1.0f / std::sqrt(x))
PTO_DOUBLE_UN(TRELU, x > 0 ? x : 0.0f)
PTO_DOUBLE_UN(TNEG, -x)
PTO_DOUBLE_UN(TABS, std::fabs(x))
PTO_DOUBLE_UN(TRECIP, 1.0f / x)
#undef PTO_DOUBLE_UN

template <typename D, typename A>
void TCVT(D& d, A& a, RoundMode) { each(d, [&](int r, int c) { return static_cast<float>(a.at(r, c)); }); }
template <typename D, typename A>
void TMOV(D& d, A& a) { each(d, [&](int r, int c) { return a.at(r, c); }); }
template <typename D>
void TEXPANDS(D& d, float v) { each(d, [&](int, int) { return v; }); }

template <typename D, typename A, typename Tmp, typename F>
void rowReduce(D& d, A& a, float init, F f) {
  for (int r = 0; r < A::ValidRows; ++r) {
    float acc = init;
    for (int c = 0; c < A::ValidCols; ++c) acc = f(acc, static_cast<float>(a.at(r, c)));
    d.at(r, 0) = static_cast<typename D::DType>(acc);
  }
}
template <typename D, typename A, typename Tmp>
void TROWSUM(D& d, A& a, Tmp&) { rowReduce<D, A, Tmp>(d, a, 0.0f, [](float s, float x) { return s + x; }); }
template <typename D, typename A, typename Tmp>
void TROWMAX(D& d, A& a, Tmp&) { rowReduce<D, A, Tmp>(d, a, -INFINITY, [](float s, float x) { return x > s ? x : s; }); }
template <typename D, typename A, typename Tmp>
void TROWMIN(D& d, A& a, Tmp&) { rowReduce<D, A, Tmp>(d, a, INFINITY, [](float s, float x) { return x < s ? x : s; }); }
template <typename D, typename A>
void TCOLSUM(D& d, A& a) {
  for (int c = 0; c < A::ValidCols; ++c) {
    float s = 0;
    for (int r = 0; r < A::ValidRows; ++r) s += static_cast<float>(a.at(r, c));
    d.at(0, c) = static_cast<typename D::DType>(s);
  }
}
template <typename D, typename A>
void TCOLMAX(D& d, A& a) {
  for (int c = 0; c < A::ValidCols; ++c) {
    float s = -INFINITY;
    for (int r = 0; r < A::ValidRows; ++r) s = std::fmax(s, static_cast<float>(a.at(r, c)));
    d.at(0, c) = static_cast<typename D::DType>(s);
  }
}
template <typename C, typename A, typename B>
void TMATMUL(C& c, A& a, B& b) {
  for (int i = 0; i < C::ValidRows; ++i)
    for (int j = 0; j < C::ValidCols; ++j) {
      float s = 0;
      for (int k = 0; k < A::ValidCols; ++k) s += static_cast<float>(a.at(i, k)) * static_cast<float>(b.at(k, j));
      c.at(i, j) = s;
    }
}

}  // namespace pto

enum { PIPE_MTE1, PIPE_MTE2, PIPE_MTE3, PIPE_V, PIPE_M, PIPE_FIX, EVENT_ID0 };
inline void set_flag(int, int, int) {}
inline void wait_flag(int, int, int) {}
