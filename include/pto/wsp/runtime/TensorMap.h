// TensorMap: tile-level dependency inference on exact index boxes (RAW, WAR, WAW).
//
// Structure (docs/runtime.md, "TensorMap"):
//  * each tensor gets a cell grain (per-dimension tile extents), learned from the
//    first region that touches it; a region is registered in every grain cell it
//    covers, one entry per cell;
//  * entries live in a FIFO pool of fixed capacity (allocation order = issue order,
//    release order = retirement order, so the pool is a ring of entry ids);
//  * a hash table of buckets keyed by (tensor, cell) heads two singly-linked chains of
//    entry ids, newest first: writers (Write / ReadWrite) and pure readers. A read
//    query walks the writer chain only; a write query walks both. Retirement is lazy:
//    an entry is dead once its id is below the oldest live id, and since chains are
//    ordered newest-first a walk stops at the first dead link — nothing is unlinked;
//  * shadowing: a new writer unlinks, per cell, the newest entries of that cell whose boxes
//    it covers (up to the first one it does not cover; entries of other cells sharing the
//    bucket are skipped, so hash collisions never change the result). Anything
//    that would conflict with a covered entry E conflicts with the new writer W, and W
//    itself depends on E, so the ordering (and the max of finish times) is unchanged
//    while chains stay short (a chain of read-modify-writes on one tile walks 1 entry).
// Lookup cost is O(cells of the query x live entries per cell); overlap is decided
// exactly on the boxes, so collisions only cost time, never precision.
#pragma once

#include "pto/wsp/runtime/Engine.h"

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <span>
#include <vector>

namespace pto::wsp::rt {

class TensorMap {
 public:
  explicit TensorMap(uint32_t capacity);

  // Fixes the cell grain of a tensor (per-dimension tile extents, each >= 1) before
  // its first region; afterwards the grain cannot change. Throws UserError otherwise.
  void setGrain(uint32_t tensor, std::span<const int64_t> grain);
  // Entries needed to register `r` (cells it covers; learns the grain if new).
  // Throws UserError for malformed regions.
  uint64_t cellsOf(const Region& r) {
    // Fast path (the issue path calls this per region): a well-formed single-cell
    // region of a tensor whose grain is known; anything else takes the full check.
    if (r.rank >= 1 && r.rank <= kMaxRank && r.tensor < grains_.size()) {
      const Grain& g = grains_[r.tensor];
      if (g.rank == r.rank) {
        bool single = true;
        for (uint8_t d = 0; d < r.rank; ++d)
          single = single && r.lo[d] >= 0 && r.lo[d] < r.hi[d] && g.cell(r.lo[d], d) == g.cell(r.hi[d] - 1, d);
        if (single) return 1;
      }
    }
    return cellsOfSlow(r);
  }
  // Calls f(TaskId producer, bool producerWrites) for every live entry overlapping `r`
  // that conflicts with r's mode (r reads -> earlier writers; r writes -> earlier
  // readers and writers). A producer can be reported more than once. Producers older
  // than `minTask` are skipped (cheaply: a chain is ordered newest first, so its walk
  // stops at the first one). If `buckets` is given, the bucket of every cell visited
  // is appended to it, for an insertValidated of the same region that follows.
  template <class F>
  void forEachConflict(const Region& r, F&& f, TaskId minTask = 0,
                       std::vector<uint64_t>* buckets = nullptr);
  // Registers `r` for task `seq`; requires used() + cellsOf(r) <= capacity().
  void insert(const Region& r, TaskId seq);
  // Same, for a region cellsOf() already accepted (skips re-validation). `buckets`, if
  // given, are the ones forEachConflict recorded for `r` (saves re-hashing); returns
  // the position after them.
  const uint64_t* insertValidated(const Region& r, TaskId seq, const uint64_t* buckets = nullptr);

  uint64_t used() const { return nextEid_ - oldestEid_; }
  uint64_t capacity() const { return capacity_; }
  uint64_t nextEntryId() const { return nextEid_; }
  // Entries with id < eid are dead (their tasks left the Engine's ring).
  void releaseBefore(uint64_t eid) {
    if (eid > oldestEid_) oldestEid_ = eid;
  }

 private:
  // One cache line: a chain walk touches one line per entry (a lookup is dominated by
  // these misses). Dims 0-1 of the box are inline; dims 2-3 of rank 3-4 boxes live in
  // the parallel array ext_ (only touched for such regions).
  static constexpr uint32_t kInlineDims = 2;
  // No member initialisers: the pool is allocated uninitialised (zero-filling 4 MiB
  // was most of a small run's start-up) and every field is written at insertion; an
  // entry is only read through an id that was inserted.
  struct alignas(64) Entry {
    uint64_t next;  // older entry id in the same bucket
    TaskId task;
    uint32_t tensor;
    uint8_t rank;
    bool writes;
    int64_t lo[kInlineDims], hi[kInlineDims];
    uint64_t cell;  // full 64-bit key of the (tensor, cell) it is registered in
  };
  struct ExtBox {
    int64_t lo[kMaxRank - kInlineDims], hi[kMaxRank - kInlineDims];
  };
  static_assert(sizeof(Entry) == 64, "a TensorMap entry is one cache line");
  // Box of entry `eid` overlaps r (same tensor and rank assumed).
  bool overlaps(const Entry& e, uint64_t eid, const Region& r) const {
    for (uint32_t d = 0; d < kInlineDims && d < r.rank; ++d)
      if (!(e.lo[d] < r.hi[d] && r.lo[d] < e.hi[d])) return false;
    if (r.rank > kInlineDims) {
      const ExtBox& x = ext_[eid & poolMask_];
      for (uint32_t d = kInlineDims; d < r.rank; ++d)
        if (!(x.lo[d - kInlineDims] < r.hi[d] && r.lo[d] < x.hi[d - kInlineDims])) return false;
    }
    return true;
  }
  // Box of entry `eid` lies inside r's box (same tensor and rank assumed).
  bool within(const Entry& e, uint64_t eid, const Region& r) const {
    for (uint32_t d = 0; d < kInlineDims && d < r.rank; ++d)
      if (e.lo[d] < r.lo[d] || e.hi[d] > r.hi[d]) return false;
    if (r.rank > kInlineDims) {
      const ExtBox& x = ext_[eid & poolMask_];
      for (uint32_t d = kInlineDims; d < r.rank; ++d)
        if (x.lo[d - kInlineDims] < r.lo[d] || x.hi[d - kInlineDims] > r.hi[d]) return false;
    }
    return true;
  }
  struct Grain {
    uint8_t rank = 0;
    std::array<int64_t, kMaxRank> g{};
    std::array<int8_t, kMaxRank> shift{};  // log2(g) if g is a power of two, else -1
    uint64_t seed = 0;                     // mix(tensor + golden): bucket hash prefix
    // cellKey memo for this tensor (tasks touching several tensors keep one each).
    std::array<int64_t, kMaxRank> memoCell{};
    uint64_t memoKey = ~uint64_t{0};       // ~0: no memo yet
    // Cell index of coordinate x >= 0 in dimension d (a shift for the usual
    // power-of-two tiles: a 64-bit division costs ~40 cycles).
    int64_t cell(int64_t x, uint8_t d) const { return shift[d] >= 0 ? x >> shift[d] : x / g[d]; }
  };
  // Entry ids start at 1, so the empty head 0 is below oldestEid_ and never live: the
  // bucket heads come zeroed from calloc (fresh pages, no fill), and construction costs
  // the same whatever the capacity.
  static constexpr uint64_t kNone = 0;
  struct FreeDeleter {
    void operator()(uint64_t* p) const { std::free(p); }
  };
  using Heads = std::unique_ptr<uint64_t[], FreeDeleter>;
  static Heads zeroedHeads(uint64_t n);

  const Grain& grainFor(const Region& r);
  uint64_t cellsOfSlow(const Region& r);
  static uint64_t mix(uint64_t x) {  // splitmix64 finaliser
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    x ^= x >> 31;
    return x;
  }
  // Bucket of a cell of a tensor with grain g. The last answer per tensor is memoised:
  // an issue hashes each cell twice (conflict query, then insert), and a chain of tasks on one
  // tile hashes the same cell over and over (the mix chain is ~20 cycles per rank).
  // 64-bit key of a cell of a tensor with grain g; its bucket is key & bucketMask_.
  // Entries remember their key, so shadowing can tell another cell's entry that shares
  // the bucket from its own cell's: which entries collide is then not semantic.
  uint64_t cellKey(Grain& g, const std::array<int64_t, kMaxRank>& cell) const {
    if (g.memoKey != ~uint64_t{0} && cell == g.memoCell) return g.memoKey;
    uint64_t h = g.seed;
    for (uint8_t d = 0; d < g.rank; ++d)
      h = mix(h ^ static_cast<uint64_t>(cell[d]) ^ (uint64_t{d} << 56));
    g.memoCell = cell;
    g.memoKey = h;
    return h;
  }
  // f(cell) for every cell of the box [c0, c1] (inclusive), last dimension fastest.
  template <class F>
  static void forEachCell(uint8_t rank, const std::array<int64_t, kMaxRank>& c0,
                          const std::array<int64_t, kMaxRank>& c1, F&& f);

  uint64_t capacity_;
  uint64_t poolMask_;
  std::unique_ptr<Entry[]> pool_;
  std::unique_ptr<ExtBox[]> ext_;  // not value-initialised: untouched unless rank > 2
  uint64_t bucketMask_;
  Heads wHeads_;                   // newest writer entry id per bucket, or kNone
  Heads rHeads_;                   // newest reader entry id per bucket, or kNone
  std::vector<Grain> grains_;      // by tensor id
  std::vector<uint64_t> wideScratch_;  // buckets of a wide query without a caller list
  uint64_t nextEid_ = 1;
  uint64_t oldestEid_ = 1;
};

template <class F>
void TensorMap::forEachCell(uint8_t rank, const std::array<int64_t, kMaxRank>& c0,
                            const std::array<int64_t, kMaxRank>& c1, F&& f) {
  std::array<int64_t, kMaxRank> c = c0;
  for (;;) {
    f(c);
    int d = static_cast<int>(rank) - 1;
    for (; d >= 0; --d) {
      if (++c[d] <= c1[d]) break;
      c[d] = c0[d];
    }
    if (d < 0) return;
  }
}

template <class F>
void TensorMap::forEachConflict(const Region& r, F&& f, TaskId minTask,
                                std::vector<uint64_t>* buckets) {
  if (r.rank == 0 || r.tensor >= grains_.size()) return;
  Grain& g = grains_[r.tensor];
  // Never seen (grain rank 0) or a rank mismatch (diagnosed by cellsOf on insert).
  if (g.rank != r.rank) return;
  // Bounds check, cell range and single-cell test in one pass (the usual query is one
  // tile: it computes its cell once).
  std::array<int64_t, kMaxRank> c0{}, c1;  // c1 is read below rank only
  bool single = true;
  for (uint8_t d = 0; d < r.rank; ++d) {
    if (r.lo[d] >= r.hi[d]) return;
    c0[d] = g.cell(r.lo[d], d);
    c1[d] = g.cell(r.hi[d] - 1, d);
    single &= c0[d] == c1[d];
  }
  const bool qWrites = r.writes();
  auto walk = [&](uint64_t key) __attribute__((always_inline)) {
    const uint64_t b = key & bucketMask_;
    for (int chain = 0; chain < (qWrites ? 2 : 1); ++chain) {
      uint64_t eid = chain == 0 ? wHeads_[b] : rHeads_[b];
      while (eid >= oldestEid_) {
        const Entry& e = pool_[eid & poolMask_];
        // A wide region's entries have consecutive ids, one per cell: the walk of the
        // neighbouring cell (typically the next task's) will want the next one.
        __builtin_prefetch(&pool_[(eid + 1) & poolMask_]);
        if (e.task < minTask) break;
        if (e.tensor == r.tensor && overlaps(e, eid, r)) f(e.task, e.writes);
        eid = e.next;
      }
    }
  };
  if (single) {
    const uint64_t key = cellKey(g, c0);
    if (buckets) buckets->push_back(key);
    walk(key);
    return;
  }
  // A wide region (a reduction reading a row of tiles): the walks of its cells are
  // independent, so first collect the buckets (prefetching the chain heads), then walk
  // them while prefetching the head entries a few cells ahead. The bucket and entry
  // loads are cache misses; this overlaps them instead of serialising them.
  std::vector<uint64_t>& bs = buckets ? *buckets : wideScratch_;
  const size_t first = buckets ? bs.size() : 0;
  if (!buckets) bs.clear();
  forEachCell(r.rank, c0, c1, [&](const std::array<int64_t, kMaxRank>& cell) {
    const uint64_t key = cellKey(g, cell);
    __builtin_prefetch(&wHeads_[key & bucketMask_]);
    if (qWrites) __builtin_prefetch(&rHeads_[key & bucketMask_]);
    bs.push_back(key);
  });
  constexpr size_t kAhead = 8;
  auto prefetchHeads = [&](size_t i) {
    const uint64_t b = bs[i] & bucketMask_;
    const uint64_t w = wHeads_[b];
    if (w >= oldestEid_) __builtin_prefetch(&pool_[w & poolMask_]);
    if (qWrites) {
      const uint64_t rd = rHeads_[b];
      if (rd >= oldestEid_) __builtin_prefetch(&pool_[rd & poolMask_]);
    }
  };
  const size_t n = bs.size();
  for (size_t i = first; i < n && i < first + kAhead; ++i) prefetchHeads(i);
  for (size_t i = first; i < n; ++i) {
    if (i + kAhead < n) prefetchHeads(i + kAhead);
    walk(bs[i]);
  }
}

}  // namespace pto::wsp::rt
