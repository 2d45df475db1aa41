// TensorGrain: one tensor's TensorMap cell grain (its tile extents), the hash of its
// cells into bucket keys, and the plan of a single-tile box with the memo of the last
// box planned (docs/runtime.md, "TensorMap"). Private to the TensorMap.
#pragma once

#include "pto/wsp/runtime/Engine.h"

#include <array>
#include <cstdint>

namespace pto::wsp::rt {

struct TensorGrain {
  using Cells = std::array<int64_t, kMaxRank>;  // read below the rank only
  uint8_t rank = 0;
  std::array<int64_t, kMaxRank> grain{};  // tile extents
  std::array<int8_t, kMaxRank> shift{};  // log2(g) if g is a power of two, else -1
  uint64_t seed = 0;                     // mix(tensor + golden): bucket hash prefix
  // The last single-cell box planned on this tensor and its key: a chain of tasks on
  // one tile plans the same box over and over (its cells and the mix chain, ~20
  // cycles per rank, are then not recomputed).
  Cells memoLo{}, memoHi{};
  uint64_t memoKey = 0;
  bool memoValid = false;
  // The memo box's cells and the hash of its leading ones, and the step from the box
  // before it when that was a whole number of cells (a row of tiles walked by
  // consecutive tasks): a box one more step on is planned from the memo, without
  // dividing or hashing its leading dimensions again.
  Cells memoCell{};
  uint64_t memoLead = 0;
  Cells step{}, stepCell{};
  bool stepValid = false, stepLeadSame = false;
  // Cell index of coordinate x >= 0 in dimension d (a shift for the usual
  // power-of-two tiles: a 64-bit division costs ~40 cycles).
  int64_t cell(int64_t x, uint8_t d) const { return shift[d] >= 0 ? x >> shift[d] : x / grain[d]; }

  // The key of r's cell if r has the grain's rank (kRank if nonzero), is well formed and
  // covers one cell; false otherwise.
  template <uint32_t kRank>
  [[gnu::always_inline]] bool planSingle(const Region& r, uint64_t& out) {
    const uint32_t rk = kRank != 0 ? kRank : r.rank;
    if (stepValid) {
      // The memo box one step on (modulo 2^64: no overflow) and well formed: then it is
      // a single cell, stepCell cells on (the step is a whole number of cells).
      bool next = true;
      for (uint32_t d = 0; d < rk; ++d) {
        const auto lo = static_cast<uint64_t>(r.lo[d]), hi = static_cast<uint64_t>(r.hi[d]);
        const auto st = static_cast<uint64_t>(step[d]);
        next &= (lo - static_cast<uint64_t>(memoLo[d]) == st) & (hi - static_cast<uint64_t>(memoHi[d]) == st) &
                (r.lo[d] >= 0) & (r.lo[d] < r.hi[d]);
      }
      if (next) {
        for (uint32_t d = 0; d < rk; ++d) memoCell[d] += stepCell[d];
        if (!stepLeadSame) memoLead = leadHash(memoCell);
        out = lastHash(memoLead, memoCell);
        for (uint32_t d = 0; d < rk; ++d) {
          memoLo[d] = r.lo[d];
          memoHi[d] = r.hi[d];
        }
        memoKey = out;
        return true;
      }
    }
    bool same = memoValid;
    for (uint32_t d = 0; d < rk; ++d) same &= (r.lo[d] == memoLo[d]) & (r.hi[d] == memoHi[d]);
    if (same) {
      out = memoKey;
      return true;
    }
    Cells c0;
    for (uint32_t d = 0; d < rk; ++d) {
      // lo < hi first: hi - 1 is then no overflow.
      if (r.lo[d] < 0 || r.lo[d] >= r.hi[d]) return false;
      c0[d] = cell(r.lo[d], static_cast<uint8_t>(d));
      if (c0[d] != cell(r.hi[d] - 1, static_cast<uint8_t>(d))) return false;
    }
    const uint64_t lead = leadHash(c0);
    out = lastHash(lead, c0);
    bool stepOk = memoValid, leadSame = true;
    for (uint32_t d = 0; d < rk; ++d) {
      const int64_t st = r.lo[d] - memoLo[d], sc = c0[d] - memoCell[d];
      stepOk &= (r.hi[d] - r.lo[d] == memoHi[d] - memoLo[d]) & (st == sc * grain[d]);
      if (d + 1 < rk) leadSame &= sc == 0;
      step[d] = st;
      stepCell[d] = sc;
      memoLo[d] = r.lo[d];
      memoHi[d] = r.hi[d];
      memoCell[d] = c0[d];
    }
    stepValid = stepOk;
    stepLeadSame = leadSame;
    memoLead = lead;
    memoKey = out;
    memoValid = true;
    return true;
  }
  static uint64_t mix(uint64_t x) {  // splitmix64 finaliser
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    x ^= x >> 31;
    return x;
  }
  // 64-bit key of a cell (the TensorMap's bucket is its low bits): a hash of the tensor
  // and the leading cells, plus the last cell. Entries remember their key, so a walk and
  // shadowing tell another cell's entry that shares the bucket from their own cell's:
  // which cells share a bucket is not semantic, and the hash is free to keep a row's
  // cells in consecutive buckets (a walk along a row of tiles, the fan-in of a fan, reads
  // 8 of its cells' heads per line, not one).
  uint64_t key(const Cells& cell) const { return lastHash(leadHash(cell), cell); }
  // key in two steps: the hash of the leading dimensions (a row), then the last.
  uint64_t leadHash(const Cells& cell) const {
    uint64_t h = seed;
    for (uint8_t d = 0; d + 1 < rank; ++d) h = mix(h ^ static_cast<uint64_t>(cell[d]) ^ (uint64_t{d} << 56));
    return mix(h ^ (uint64_t{static_cast<uint8_t>(rank - 1)} << 56));  // the last dimension's tag
  }
  uint64_t lastHash(uint64_t lead, const Cells& cell) const {
    return lead + static_cast<uint64_t>(cell[static_cast<uint8_t>(rank - 1)]);
  }
};

}  // namespace pto::wsp::rt
