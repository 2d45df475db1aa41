// WideReads: the TensorMap's wide pure readers, each registered once instead of once per
// cell (docs/runtime.md, "TensorMap"). Private to the TensorMap.
//
// A reduction reads a row of tiles: one region over many cells that only reads. Per
// cell it would be an entry in each cell's reader chain, and every later writer of a
// cell would walk that cell's entries, a line each and each found through the one
// before: a writer of a tile waits for one dependent load per live reduction of its row.
// Here the reader is one record in its tensor's list, an array newest last: a writer's
// query reads a few records that every cell shares, at addresses it knows in advance.
//
// Semantics are those of the per-cell entries, exactly: a record keeps its entry ids
// (eid0 + cell index, last dimension fastest), so the pool's accounting, liveness and the
// order of a cell's entries do not change, and it keeps which cells' entries a writer has
// shadowed. A query reports the record where a walk of the per-cell entries would: it
// overlaps the query's box and one of its live, unshadowed cells shares a bucket with a
// cell the query walks (with nothing shadowed and every entry live, overlapping is
// enough: a cell both boxes touch is one). Task ids are assumed non-decreasing in
// registration order (the Engine's issue order), as a chain's walk assumes.
//
// A list holds at most `capacity` records (32 by default; the dead ones are dropped as
// a record is added). A write walks its tensor's list, so a tensor that many wide regions
// read at once (the row panels of a matmul) keeps the others per cell, where a writer only
// meets its own cell's readers; a writer's per-cell readers newer than every record end
// its shadowing walk before the records are looked at, and a list longer than
// kWalkUnchecked is skipped by a query outside the union of its boxes.
#pragma once

#include "pto/wsp/runtime/Engine.h"
#include "pto/wsp/runtime/TensorGrain.h"

#include <cstdint>
#include <memory>
#include <vector>

namespace pto::wsp::rt {

class WideReads {
 public:
  using Cells = TensorGrain::Cells;

  // Aligned: a slot's address is a shift of its index, and a query's fields (up to the
  // box's first two dimensions) lie in its first two lines.
  struct alignas(64) Rec {
    TaskId task = 0;
    uint64_t eid0 = 0, n = 0;  // its cells' entry ids: [eid0, eid0 + n)
    // eid0 while no cell is shadowed, else 0: a query takes the shortcut (overlapping is
    // enough) when every entry is live and none shadowed, i.e. fast >= oldest.
    uint64_t fast = 0;
    uint32_t shadowed = 0;  // cells whose entry a writer has shadowed
    uint8_t rank = 0;
    Cells lo{}, hi{};  // the box
    Cells c0{}, c1{};  // its cells
    std::vector<uint64_t> gone;  // bit per cell index: shadowed (sized at the first)

    bool dead(uint64_t oldestEid) const { return eid0 + n <= oldestEid; }
    // Cell c's index in the record (last dimension fastest), or n when outside.
    uint64_t indexOf(const Cells& c) const {
      uint64_t k = 0;
      for (uint8_t d = 0; d < rank; ++d) {
        if (c[d] < c0[d] || c[d] > c1[d]) return n;
        k = k * static_cast<uint64_t>(c1[d] - c0[d] + 1) + static_cast<uint64_t>(c[d] - c0[d]);
      }
      return k;
    }
    bool isGone(uint64_t k) const { return shadowed != 0 && ((gone[k >> 6] >> (k & 63)) & 1) != 0; }
    template <uint32_t kRank = 0>
    bool overlaps(const Region& r) const {
      const uint32_t rk = kRank != 0 ? kRank : r.rank;
      for (uint32_t d = 0; d < rk; ++d)
        if (!(lo[d] < r.hi[d] && r.lo[d] < hi[d])) return false;
      return true;
    }
    bool within(const Region& r) const {
      for (uint8_t d = 0; d < rank; ++d)
        if (lo[d] < r.lo[d] || hi[d] > r.hi[d]) return false;
      return true;
    }
  };

  // One tensor's records in entry id order, oldest first (`capacity` slots; records
  // are added once per wide reader, so dropping the dead ones moves the rest down).
  struct List {
    std::unique_ptr<Rec[]> slot;
    uint32_t count = 0;
    // The union of the records' boxes: a write elsewhere (a tensor whose wide readers
    // are a few row panels) skips a list longer than kWalkUnchecked.
    Cells lo{}, hi{};
    // Every record has the box lo..hi (a fan-in reads the same row every round): a
    // query tests it once, not per record.
    bool sameBox = false;
    Rec& fromNewest(uint32_t j) { return slot[count - 1 - j]; }
    const Rec& fromNewest(uint32_t j) const { return slot[count - 1 - j]; }
  };

  // A query walks a list of up to this many records without looking at their union.
  static constexpr uint32_t kWalkUnchecked = 8;

  // capacity 0: no records (every wide reader is registered per cell).
  explicit WideReads(uint32_t capacity);

  // The records of `tensor`, or null (no list, or an empty one: one compare for a map
  // without wide readers).
  List* list(uint32_t tensor) { return tensor < numLists_ && lists_[tensor].count != 0 ? &lists_[tensor] : nullptr; }
  const List* list(uint32_t tensor) const {
    return tensor < numLists_ && lists_[tensor].count != 0 ? &lists_[tensor] : nullptr;
  }

  // Registers the pure reader r (box cells c0..c1, n >= 2 of them, entry ids from eid0)
  // of task `task` as a record, unless its tensor's list is full of records with live
  // entries; false then (the caller registers it per cell).
  bool add(const Region& r, const Cells& c0, const Cells& c1, uint64_t n, uint64_t eid0, TaskId task,
           uint64_t oldestEid);
  // Marks cell index k of record r shadowed.
  static void shadow(Rec& r, uint64_t k);
  // Whether one of r's live, unshadowed cells is one a query walks: the exact test when
  // the shortcut does not apply. holdsCellIn: the cells c0..c1 (a wide query's);
  // holdsCellOf: the one cell of the single-cell region q (of grain g).
  static bool holdsCellIn(const Rec& r, const Cells& c0, const Cells& c1, uint64_t oldestEid);
  static bool holdsCellOf(const Rec& r, const TensorGrain& g, const Region& q, uint64_t oldestEid) {
    Cells c{};
    for (uint8_t d = 0; d < r.rank; ++d) c[d] = g.cell(q.lo[d], d);
    const uint64_t k = r.indexOf(c);
    return k < r.n && r.eid0 + k >= oldestEid && !r.isGone(k);
  }

  // The entry id of the newest live, unshadowed entry the records of list l hold for
  // cell c, or 0.
  static uint64_t newestEntryOf(const List& l, const Cells& c, uint64_t oldestEid) {
    for (uint32_t j = 0; j < l.count; ++j) {
      const Rec& r = l.fromNewest(j);
      if (r.dead(oldestEid)) break;
      const uint64_t k = r.indexOf(c);
      if (k < r.n && r.eid0 + k >= oldestEid && !r.isGone(k)) return r.eid0 + k;
    }
    return 0;
  }

  // Reports f(task, false) for each record of list l (q's tensor) that the per-cell
  // entries would report to a query of q: live, of a task >= minTask, overlapping q, and
  // linked(record) (one of its live, unshadowed cells is a cell the query walks:
  // holdsCellIn / holdsCellOf, asked only when the shortcut does not apply).
  template <uint32_t kRank, class F, class Linked>
  [[gnu::always_inline]] static void report(const List& l, const Region& q, F& f, TaskId minTask, uint64_t oldestEid,
                                            Linked&& linked) {
    // (A walk that ends within kWalkUnchecked records, at a task below minTask, skips
    // the union too: the records of a fan-in's earlier rounds are in the list until
    // the next one is added.)
    const Rec* const oldest = l.slot.get();
    const uint32_t rk = kRank != 0 ? kRank : q.rank;
    // A loop of its own: folded into the next one as `sameBox || overlaps`, GCC 12 keeps
    // the test per record (+9 instructions per writer on the fan, 1% of its time).
    if (l.sameBox) {
      for (uint32_t d = 0; d < rk; ++d)
        if (!(l.lo[d] < q.hi[d] && q.lo[d] < l.hi[d])) return;
      for (const Rec* p = oldest + l.count; p-- != oldest;) {
        const Rec& r = *p;
        if (r.task < minTask) break;
        if (r.fast >= oldestEid) [[likely]] {
          f(r.task, false);
          continue;
        }
        if (r.dead(oldestEid)) break;
        if (linked(r)) f(r.task, false);
      }
      return;
    }
    if (l.count > kWalkUnchecked && l.fromNewest(kWalkUnchecked).task >= minTask) [[unlikely]] {
      for (uint32_t d = 0; d < rk; ++d)
        if (!(l.lo[d] < q.hi[d] && q.lo[d] < l.hi[d])) return;
    }
    for (const Rec* p = oldest + l.count; p-- != oldest;) {
      const Rec& r = *p;
      if (r.task < minTask) break;  // the older records are too
      if (r.fast >= oldestEid) [[likely]] {
        if (r.template overlaps<kRank>(q)) f(r.task, false);
        continue;
      }
      if (r.dead(oldestEid)) break;
      if (r.template overlaps<kRank>(q) && linked(r)) f(r.task, false);
    }
  }

 private:
  uint32_t capacity_;
  std::vector<List> lists_;  // by tensor
  size_t numLists_ = 0;      // lists_.size()
};

}  // namespace pto::wsp::rt
