// TensorMap: tile-level dependency inference on exact index boxes (RAW, WAR, WAW).
//
// Structure (docs/runtime.md, "TensorMap"):
//  * each tensor gets a cell grain (per-dimension tile extents, TensorGrain.h), learned
//    from the first region that touches it; a region is registered in every grain cell
//    it covers, one entry per cell;
//  * entries live in a FIFO pool of fixed capacity (allocation order = issue order,
//    release order = retirement order, so the pool is a ring of entry ids);
//  * a hash table of buckets keyed by (tensor, cell) heads two singly-linked chains of
//    entry ids, newest first: writers (Write / ReadWrite) and pure readers. A read
//    query walks the writer chain only; a write query walks both. Retirement is lazy:
//    an entry is dead once its id is below the oldest live id, and since chains are
//    ordered newest-first a walk stops at the first dead link — nothing is unlinked;
//  * shadowing: a new writer unlinks, per cell, the newest entries of that cell whose boxes
//    it covers (up to the first one it does not cover; entries of other cells sharing the
//    bucket are skipped, not a stop). Anything
//    that would conflict with a covered entry E conflicts with the new writer W, and W
//    itself depends on E, so the ordering (and the max of finish times) is unchanged
//    while chains stay short (a chain of read-modify-writes on one tile walks 1 entry);
//  * a pure reader of several cells (a reduction's row of tiles) is one record in its
//    tensor's list instead of an entry per cell, with the same entry ids and the same
//    reports and shadowing (WideReads.h);
//  * reader runs: consecutive tasks reading the same one-cell box (a fan-out's readers of
//    its source tile) are one chain entry, the newest, that stands for all of them
//    (their entry ids a fixed stride apart). A writer of that tile walks and shadows one
//    entry, not one per reader, each found through the one before.
// Lookup cost is O(cells of the query x live entries per bucket); overlap is decided
// exactly on the boxes. Every entry keeps its cell's key, and a walk reports only the
// entries of the cell it walks: the entries of other cells that share the bucket are
// not its own, and with per-cell shadowing one of them could be a producer that the
// walked cell's own entries shadowed. So the conflicts, the edges and every semantic
// number depend on the task stream only, never on the hash or the table's size
// (docs/semantics.md, section 3; tests: TensorMap.ConflictsIndependentOfBucketCount).
#pragma once

#include "pto/wsp/runtime/Engine.h"
#include "pto/wsp/runtime/TensorGrain.h"
#include "pto/wsp/runtime/WideReads.h"
#include "pto/wsp/support/Assert.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <span>
#include <vector>

namespace pto::wsp::rt {

#define PTO_TMAP_INLINE __attribute__((always_inline))

class TensorMap {
 public:
  // wideReads: the records a tensor's list of wide pure readers holds (WideReads.h; 0:
  // every wide reader is registered per cell, the reference the tests compare with).
  static constexpr uint32_t kWideReads = 32;
  // readerRuns: false registers every reader of one cell as an entry of its own (the
  // tests' reference for reader runs). buckets: the hash table's size, a power of two
  // (0: the capacity rounded up, at least 64); the conflicts do not depend on it, which
  // the tests check with a few buckets.
  explicit TensorMap(uint32_t capacity, uint32_t wideReads = kWideReads, bool readerRuns = true,
                     uint64_t buckets = 0);

  // Fixes the cell grain of a tensor (per-dimension tile extents, each >= 1) before
  // its first region; afterwards the grain cannot change. Throws UserError otherwise.
  void setGrain(uint32_t tensor, std::span<const int64_t> grain);
  // Forgets the grains learned from regions since the last registration: the issue that
  // planned them was rejected or Blocked, so its regions never touched their tensors
  // (a malformed region of a task does this itself before it throws).
  void forgetUnplacedGrains();
  // Entries needed to register `r` (cells it covers; learns the grain if new).
  // Throws UserError for malformed regions.
  uint64_t cellsOf(const Region& r) {
    RegionPlan p;
    return planRegion(r, p);
  }
  // An issue of one task, in three steps on the same regions `rs` (nothing else
  // registered in between): cellsOfTask (entries needed, validates, learns grains),
  // queryTask (conflicts), insertTask (registers). Each region's cell range and bucket
  // key are computed once, by cellsOfTask, and reused by the other two.
  [[gnu::always_inline]] uint64_t cellsOfTask(std::span<const Region> rs) {
    if (rs.size() == 2 && regCap_ >= 2) {
      planCells_ = planRegion(rs[0], regPlan_[0]) + planRegion(rs[1], regPlan_[1]);
      return planCells_;
    }
    if (rs.size() > regCap_) [[unlikely]]
      growRegions(rs.size());
    uint64_t n = 0;
    for (size_t i = 0; i < rs.size(); ++i) n += planRegion(rs[i], regPlan_[i]);
    planCells_ = n;
    return n;
  }
  // Calls f(TaskId producer, bool producerWrites) for every live entry overlapping a
  // region of rs that conflicts with its mode (reads -> earlier writers; writes ->
  // earlier readers and writers), region by region, cells last dimension fastest,
  // newest entry first. A producer can be reported more than once. Producers older than
  // `minTask` are skipped (cheaply: a chain is ordered newest first, so its walk stops
  // at the first one).
  template <class F>
  [[gnu::always_inline]] void queryTask(std::span<const Region> rs, F&& f, TaskId minTask) {
    wideN_ = 0;
    for (size_t i = 0; i < rs.size(); ++i) {
      const RegionPlan& p = regPlan_[i];
      if (p.cells == 1) [[likely]] {
        walkCell(rs[i], p.key, f, minTask);
      } else if (p.cells != 0) {
        queryWide(rs[i], f, minTask);
      }
    }
  }
  // After cellsOfTask(rs): rs is one region (two regions) each covering one cell (a
  // tile); then queryCell(rs[i], i, ...) for each i in order reports what
  // queryTask(rs, ...) would.
  bool onlyCell(std::span<const Region> rs) const { return rs.size() == 1 && regPlan_[0].cells == 1; }
  bool twoCells(std::span<const Region> rs) const {
    return rs.size() == 2 && regPlan_[0].cells == 1 && regPlan_[1].cells == 1;
  }
  template <class F>
  [[gnu::always_inline]] void queryCell(const Region& r, size_t i, F&& f, TaskId minTask) {
    walkCell(r, regPlan_[i].key, f, minTask);
  }
  // Registers the regions for task `seq`; requires used() + cellsOfTask(rs) <= capacity().
  [[gnu::always_inline]] void insertTask(std::span<const Region> rs, TaskId seq) {
    PTO_INTERNAL_ASSERT(used() + planCells_ <= capacity_, "tensormap overflow: used {} + {} > {}", used(),
                        planCells_, capacity_);
    insertTaskWithRoom(rs, seq);
  }
  // The same, for a caller that has just made that room (the Engine's fast path).
  [[gnu::always_inline]] void insertTaskWithRoom(std::span<const Region> rs, TaskId seq) {
    if (rs.size() == 1 && regPlan_[0].cells == 1) [[likely]] {
      insertCell(rs[0], regPlan_[0].key, seq);
    } else if (rs.size() == 2 && regPlan_[0].cells == 1 && regPlan_[1].cells == 1) {  // read a tile, write one
      insertTwoCells(rs.data(), seq);
    } else {
      insertPlanned(rs, seq);
    }
  }
  // The same for one region: conflicts of `r` (any region; an unknown tensor has none)
  // and registering `r` (requires used() + cellsOf(r) <= capacity()).
  template <class F>
  void forEachConflict(const Region& r, F&& f, TaskId minTask = 0);
  void insert(const Region& r, TaskId seq);

  // Live entries in the reader chain of r's one cell (r a known tensor's single-cell
  // region), a reader run counting once: what a writer of the cell walks. For tests.
  size_t readerChainEntries(const Region& r) const;

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
    uint32_t tensor;  // (a chain's entries all write or all read; an entry's rank is its tensor's)
    // A reader entry's run (readers only; 0: none): the older readers it stands for,
    // tasks task - j with entry ids id - j * stride for j = 1..more.
    uint32_t run;
    int64_t lo[kInlineDims], hi[kInlineDims];
    uint64_t cell;  // full 64-bit key of the (tensor, cell) it is registered in
  };
  struct ExtBox {
    int64_t lo[kMaxRank - kInlineDims], hi[kMaxRank - kInlineDims];
  };
  static_assert(sizeof(Entry) == 64, "a TensorMap entry is one cache line");
  static constexpr uint32_t kRunStrideShift = 24;
  static constexpr uint32_t kRunMore = (1u << kRunStrideShift) - 1;  // more, in the low bits
  static constexpr uint64_t kRunMaxStride = 255;                      // stride, in the high ones
  static_assert(kRunMaxStride == ~0u >> kRunStrideShift, "the stride fills the run's high bits");
  // What cellsOfTask found for one region: the entries it needs and, for one cell, its
  // key (a wide region's keys are computed by its query).
  struct RegionPlan {
    uint64_t key;
    uint64_t cells;
  };
  using Cells = TensorGrain::Cells;
  using Grain = TensorGrain;
  // Box of entry `eid` overlaps r (same tensor and rank assumed). kRank: r.rank if it
  // is known at compile time (1 or 2: no rank tests per entry), else 0.
  template <uint32_t kRank = 0>
  bool overlaps(const Entry& e, uint64_t eid, const Region& r) const {
    const uint32_t rank = kRank != 0 ? kRank : r.rank;
    for (uint32_t d = 0; d < kInlineDims && d < rank; ++d)
      if (!(e.lo[d] < r.hi[d] && r.lo[d] < e.hi[d])) return false;
    if (kRank == 0 && rank > kInlineDims) {
      const ExtBox& x = ext_[eid & poolMask_];
      for (uint32_t d = kInlineDims; d < r.rank; ++d)
        if (!(x.lo[d - kInlineDims] < r.hi[d] && r.lo[d] < x.hi[d - kInlineDims])) return false;
    }
    return true;
  }
  // Box of entry `eid` lies inside r's box (same tensor and rank assumed).
  template <uint32_t kRank = 0>
  bool within(const Entry& e, uint64_t eid, const Region& r) const {
    const uint32_t rank = kRank != 0 ? kRank : r.rank;
    for (uint32_t d = 0; d < kInlineDims && d < rank; ++d)
      if (e.lo[d] < r.lo[d] || e.hi[d] > r.hi[d]) return false;
    if (kRank == 0 && rank > kInlineDims) {
      const ExtBox& x = ext_[eid & poolMask_];
      for (uint32_t d = kInlineDims; d < r.rank; ++d)
        if (x.lo[d - kInlineDims] < r.lo[d] || x.hi[d - kInlineDims] > r.hi[d]) return false;
    }
    return true;
  }
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
  uint64_t cellsOfSlow(const Region& r, RegionPlan& p);
  uint64_t planSlow(const Region& r, RegionPlan& p);
  // Cells of r (validated) and, for one cell, its key.
  [[gnu::always_inline]] uint64_t planRegion(const Region& r, RegionPlan& p) {
    // Fast path: a well-formed single-cell region of a tensor whose grain is known (a
    // known grain has rank >= 1, so equal ranks are in range); anything else takes the
    // full check.
    if (r.tensor < numGrains_ && r.rank != 0) {
      Grain& g = grains_[r.tensor];
      if (g.rank == r.rank) {
        if (r.rank == 2 ? g.planSingle<2>(r, p.key) : g.planSingle<0>(r, p.key)) {
          p.cells = 1;
          return 1;
        }
      }
    }
    return cellsOfSlow(r, p);
  }
  // Walks one chain from `eid`, newest first, reporting r's conflicts among the entries
  // of the cell of `key` (the chain also holds the entries of the cells that share its
  // bucket: they are not this cell's, so which cells share a bucket is not semantic).
  template <uint32_t kRank, bool kWriters, class F>
  [[gnu::always_inline]] void walkChain(uint64_t eid, const Region& r, uint64_t key, F& f, TaskId minTask) const {
    while (eid >= oldestEid_) {
      const Entry& e = pool_[eid & poolMask_];
      if (e.task < minTask) break;
      if (e.tensor == r.tensor && overlaps<kRank>(e, eid, r) && e.cell == key)
        reportEntry(e, eid, kWriters, f, minTask);
      eid = e.next;
    }
  }
  // A walk's report of the conflicting entry e (id eid, task >= minTask, live): its task
  // and, for a reader run, the older readers that are live and of tasks >= minTask,
  // newest first, as their own entries would be met. Inline: a call would keep the
  // callback's state in memory on every walk.
  template <class F>
  [[gnu::always_inline]] void reportEntry(const Entry& e, uint64_t eid, bool writers, F& f, TaskId minTask) const {
    f(e.task, writers);
    if (writers || e.run == 0) [[likely]]
      return;
    uint64_t n = e.run & kRunMore;
    n = std::min<uint64_t>(n, e.task - minTask);
    n = std::min<uint64_t>(n, (eid - oldestEid_) / (e.run >> kRunStrideShift));
    for (uint64_t j = 1; j <= n; ++j) f(e.task - j, false);
  }
  // Conflicts of r in the cell of `key`: its writers, and its readers if r writes.
  template <class F>
  [[gnu::always_inline]] void walkCell(const Region& r, uint64_t key, F& f, TaskId minTask) const {
    const uint64_t b = key & bucketMask_;
    if (r.rank == 2) {  // the usual tile
      walkChain<2, true>(wHeads_[b], r, key, f, minTask);
      if (r.writes()) {
        walkChain<2, false>(rHeads_[b], r, key, f, minTask);
        if (const WideReads::List* l = wide_.list(r.tensor)) [[unlikely]]
          reportWide<2>(*l, r, f, minTask);
      }
    } else {
      walkChain<0, true>(wHeads_[b], r, key, f, minTask);
      if (r.writes()) {
        walkChain<0, false>(rHeads_[b], r, key, f, minTask);
        if (const WideReads::List* l = wide_.list(r.tensor)) [[unlikely]]
          reportWide<0>(*l, r, f, minTask);
      }
    }
  }
  // The wide records (list l) a single-cell query of r meets.
  template <uint32_t kRank, class F>
  [[gnu::always_inline]] void reportWide(const WideReads::List& l, const Region& r, F& f, TaskId minTask) const {
    WideReads::report<kRank>(l, r, f, minTask, oldestEid_, [&](const WideReads::Rec& w) {
      return WideReads::holdsCellOf(w, grains_[r.tensor], r, oldestEid_);
    });
  }
  // Conflicts of a region covering several cells; their keys are appended to wideKeys_.
  template <class F>
  void queryWide(const Region& r, F& f, TaskId minTask);
  void growRegions(size_t n);
  void growWide(uint64_t need);
  // cellKey of each of the n cells of r's box [c0, c1], last dimension fastest.
  void wideCellKeys(const Region& r, const Cells& c0, const Cells& c1, uint64_t n, uint64_t* keys);
  // Registers region r in the cell of `key`, shadowing (see the header comment).
  // `cell`: the cell's coordinates when r covers several (null: r's one cell).
  [[gnu::always_inline]] void insertCell(const Region& r, uint64_t key, TaskId seq, const Cells* cell = nullptr) {
    const uint64_t b = key & bucketMask_;
    if (r.writes()) {  // shadow covered entries of both chains (see the header)
      // A tile's writer with no live reader entry in the chain has nothing to shadow
      // there (a tile covers no record); a wide writer may still cover records.
      const bool readers = rHeads_[b] >= oldestEid_ || cell != nullptr;
      if (r.rank == 2) {
        unlinkCovered<2>(wHeads_[b], key, r);
        if (readers) unlinkReaderChain<2>(rHeads_[b], key, r, cell);
      } else {
        unlinkCovered<0>(wHeads_[b], key, r);
        if (readers) unlinkReaderChain<0>(rHeads_[b], key, r, cell);
      }
    }
    pushEntry(r, key, seq);
  }
  // A new entry for r at the head of its chain in the cell of `key`.
  [[gnu::always_inline]] void pushEntry(const Region& r, uint64_t key, TaskId seq) {
    const bool writes = r.writes();
    uint64_t& head = writes ? wHeads_[key & bucketMask_] : rHeads_[key & bucketMask_];
    Entry& e = pool_[nextEid_ & poolMask_];
    uint64_t next = head;
    if (!writes) e.run = extendRun(r, seq, next);
    e.next = next;
    e.task = seq;
    e.tensor = r.tensor;
    e.cell = key;
    for (uint32_t d = 0; d < kInlineDims; ++d) {
      e.lo[d] = r.lo[d];
      e.hi[d] = r.hi[d];
    }
    if (r.rank > kInlineDims) {
      ExtBox& x = ext_[nextEid_ & poolMask_];
      for (uint32_t d = kInlineDims; d < kMaxRank; ++d) {
        x.lo[d - kInlineDims] = r.lo[d];
        x.hi[d - kInlineDims] = r.hi[d];
      }
    }
    head = nextEid_++;
  }
  // The run the pure reader r of one cell of task seq makes with `head`, its chain's
  // newest entry: the same box (so the same cell) read by the task before, entry ids a
  // fixed stride apart, on a tensor that never had wide records (so a cell's entries in the
  // chain and in the records never interleave within a run); then head's link is taken
  // over (head: its next). 0: no run. Branches, not one test of everything: a task that
  // makes no run fails the first or second (its reader chain's head is of an older task).
  [[gnu::always_inline]] uint32_t extendRun(const Region& r, TaskId seq, uint64_t& head) const {
    if (head < oldestEid_) return 0;
    const Entry& o = pool_[head & poolMask_];
    if (o.task + 1 != seq || o.tensor != r.tensor) return 0;
    if (o.lo[0] != r.lo[0] || o.lo[1] != r.lo[1] || o.hi[0] != r.hi[0] || o.hi[1] != r.hi[1]) return 0;
    if ((((noRuns_ >> (r.tensor & 63)) & 1) | static_cast<uint64_t>(r.rank > kInlineDims)) != 0) return 0;
    const uint64_t stride = nextEid_ - head;
    uint32_t run;
    if (o.run == 0) {
      if (stride > kRunMaxStride) return 0;
      run = 1u | static_cast<uint32_t>(stride << kRunStrideShift);
    } else {
      if ((o.run >> kRunStrideShift) != stride || (o.run & kRunMore) == kRunMore) return 0;
      run = o.run + 1;
    }
    head = o.next;
    return run;
  }
  // Shadowing per cell: unlink the newest entries of this cell that the writer covers,
  // up to the first it does not cover. Entries of other cells that share the bucket are
  // skipped, not a stop: otherwise the hash and the table size (which sizes the bucket
  // table) would decide the dependency counts, a semantic number.
  // kAbove: only entries with ids above `floor` (an entry that stops the walk lies
  // there). Returns the link it ended at, or null where an entry it does not cover
  // stopped it.
  template <uint32_t kRank, bool kAbove = false>
  [[gnu::always_inline]] uint64_t* unlinkCovered(uint64_t& chainHead, uint64_t key, const Region& r,
                                                 uint64_t floor = 0) {
    uint64_t* link = &chainHead;
    while (*link >= oldestEid_ && (!kAbove || *link > floor)) {  // kNone (0) never is
      Entry& o = pool_[*link & poolMask_];
      if (o.cell != key) {
        link = &o.next;
      } else if (o.tensor == r.tensor && within<kRank>(o, *link, r)) {
        *link = o.next;
      } else {
        return nullptr;
      }
    }
    return link;
  }
  template <uint32_t kRank>
  [[gnu::always_inline]] void unlinkReaderChain(uint64_t& chainHead, uint64_t key, const Region& r,
                                                const Cells* cell) {
    if (WideReads::List* const w = wide_.list(r.tensor)) [[unlikely]]
      unlinkReaders<kRank>(chainHead, key, r, cell, *w);
    else
      unlinkCovered<kRank>(chainHead, key, r);
  }
  // unlinkCovered of a reader chain when r's tensor has wide records (list l): this
  // cell's entries in the chain and in the records, in entry id order, as they would
  // lie in the chain if the records were registered per cell. `cell`: the cell's
  // coordinates when r covers several (null: r's one cell).
  template <uint32_t kRank>
  void unlinkReaders(uint64_t& chainHead, uint64_t key, const Region& r, const Cells* cell, WideReads::List& l) {
    if (cell == nullptr) {
      unlinkReadersOfTile<kRank>(chainHead, key, r, l);
      return;
    }
    const Cells& c = *cell;
    uint64_t* link = &chainHead;
    uint32_t j = 0;  // the next record to look at, newest first
    for (;;) {
      while (*link >= oldestEid_ && pool_[*link & poolMask_].cell != key) link = &pool_[*link & poolMask_].next;
      const uint64_t ce = *link >= oldestEid_ ? *link : kNone;
      uint64_t we = kNone, k = 0;
      for (; j < l.count; ++j) {
        const WideReads::Rec& w = l.fromNewest(j);
        if (w.dead(oldestEid_)) {
          j = l.count;
          break;
        }
        k = w.indexOf(c);
        if (k < w.n && w.eid0 + k >= oldestEid_ && !w.isGone(k)) {
          we = w.eid0 + k;
          break;
        }
      }
      if (ce == kNone && we == kNone) return;
      if (ce > we) {
        Entry& o = pool_[ce & poolMask_];
        if (!(o.tensor == r.tensor && within<kRank>(o, ce, r))) return;
        *link = o.next;
      } else {
        WideReads::Rec& w = l.fromNewest(j);
        if (!w.within(r)) return;
        WideReads::shadow(w, k);
        ++j;
      }
    }
  }
  // The same for a one-tile writer: it covers no record (each spans two cells or more),
  // so the newest record entry of its cell stops the walk. Chain entries newer than
  // every record (readers registered per cell since, the list being full) come first
  // and need no look at the records.
  template <uint32_t kRank>
  void unlinkReadersOfTile(uint64_t& chainHead, uint64_t key, const Region& r, const WideReads::List& l) {
    const WideReads::Rec& newest = l.fromNewest(0);
    const uint64_t recordsEnd = newest.eid0 + newest.n;  // above every record entry
    uint64_t* const link = unlinkCovered<kRank, true>(chainHead, key, r, recordsEnd - 1);
    if (link == nullptr || *link < oldestEid_) return;
    Cells c{};
    const Grain& g = grains_[r.tensor];
    for (uint8_t d = 0; d < r.rank; ++d) c[d] = g.cell(r.lo[d], d);
    unlinkCovered<kRank, true>(*link, key, r, WideReads::newestEntryOf(l, c, oldestEid_));
  }
  void insertPlanned(std::span<const Region> rs, TaskId seq);
  // Inline in the issue path too: it runs at the commit, where few of the path's values
  // are live, and out of line its call and saved registers cost the fan ~5% of its dry
  // time (bench_runtime --only dry).
  [[gnu::always_inline]] void insertTwoCells(const Region* rs, TaskId seq) {
    insertCell(rs[0], regPlan_[0].key, seq);
    insertCell(rs[1], regPlan_[1].key, seq);
  }
  void pushReaders(const Region& r, const uint64_t* keys, uint64_t n, TaskId seq);

  uint64_t capacity_;
  uint64_t poolMask_;
  std::unique_ptr<Entry[]> pool_;
  std::unique_ptr<ExtBox[]> ext_;  // not value-initialised: untouched unless rank > 2
  uint64_t bucketMask_;
  Heads wHeads_;                   // newest writer entry id per bucket, or kNone
  Heads rHeads_;                   // newest reader entry id per bucket, or kNone
  std::vector<Grain> grains_;      // by tensor id
  size_t numGrains_ = 0;           // grains_.size()
  // The task being issued: what cellsOfTask found per region, and the cell keys of its
  // wide regions in query order (for insertTask).
  std::unique_ptr<RegionPlan[]> regPlan_;
  size_t regCap_ = 0;
  uint64_t planCells_ = 0;
  std::unique_ptr<uint64_t[]> wideKeys_;
  uint64_t wideN_ = 0, wideCap_ = 0;
  // The keys of the last wide box (a fan-in reads the same row of tiles every time).
  std::unique_ptr<uint64_t[]> wideMemo_;
  uint64_t wideMemoN_ = 0, wideMemoCap_ = 0;
  uint32_t wideMemoTensor_ = 0;
  Cells wideMemoLo_{}, wideMemoHi_{};
  WideReads wide_;  // wide pure readers registered once (WideReads.h)
  // The grains learned from regions, each with nextEid_ then: those learned since the
  // last registration end the list (a registration always adds an entry).
  struct Learned {
    uint32_t tensor;
    uint64_t eid;
  };
  std::vector<Learned> learned_;
  // Bit t % 64: readers of tensor t make no runs (t may have wide records: a run's
  // readers and a record's entries of one cell must not interleave), or runs are off.
  uint64_t noRuns_;
  static uint64_t runBit(uint32_t tensor) { return uint64_t{1} << (tensor & 63); }
  uint64_t nextEid_ = 1;
  uint64_t oldestEid_ = 1;
};

template <class F>
void TensorMap::forEachConflict(const Region& r, F&& f, TaskId minTask) {
  if (r.rank == 0 || r.tensor >= numGrains_) return;
  const Grain& g = grains_[r.tensor];
  // Never seen (grain rank 0) or a rank mismatch (diagnosed by cellsOf on insert).
  if (g.rank != r.rank) return;
  Cells c0, c1;
  bool single = true;
  for (uint8_t d = 0; d < r.rank; ++d) {
    if (r.lo[d] >= r.hi[d]) return;
    c0[d] = g.cell(r.lo[d], d);
    c1[d] = g.cell(r.hi[d] - 1, d);
    single &= c0[d] == c1[d];
  }
  wideN_ = 0;
  if (single) walkCell(r, g.key(c0), f, minTask);
  else queryWide(r, f, minTask);
}

// A wide region (a reduction reading a row of tiles): the walks of its cells are
// independent, so first collect the keys, then walk them while loading the buckets and
// prefetching their head entries a few cells ahead. The bucket and entry loads are cache
// misses; this overlaps them instead of serialising them. (A pass that prefetched every
// bucket first was redundant with that look-ahead once a row's buckets were consecutive:
// -9 instructions per fan task, -83 per matmul task.)
template <class F>
void TensorMap::queryWide(const Region& r, F& f, TaskId minTask) {
  const Grain& g = grains_[r.tensor];
  Cells c0{}, c1{};  // zeroed: g++ 12 cannot see that only r.rank dims are read
  uint64_t n = 1;
  for (uint8_t d = 0; d < r.rank; ++d) {
    c0[d] = g.cell(r.lo[d], d);
    c1[d] = g.cell(r.hi[d] - 1, d);
    n *= static_cast<uint64_t>(c1[d] - c0[d] + 1);
  }
  if (wideN_ + n > wideCap_) growWide(wideN_ + n);
  const bool qWrites = r.writes();
  uint64_t* const keys = wideKeys_.get() + wideN_;
  const uint64_t bmask = bucketMask_;
  const uint64_t* const wh = wHeads_.get();
  const uint64_t* const rh = rHeads_.get();
  wideCellKeys(r, c0, c1, n, keys);
  const uint64_t k = n;
  wideN_ += k;
  // The walks, with the map's fields in locals (f stores to memory, which would make
  // every step reload them) and the head entries prefetched a few cells ahead.
  const Entry* const pool = pool_.get();
  const uint64_t mask = poolMask_, oldest = oldestEid_;
  constexpr uint64_t kAhead = 8;
  auto prefetchHeads = [&](uint64_t i) {
    const uint64_t b = keys[i] & bmask;
    if (wh[b] >= oldest) __builtin_prefetch(&pool[wh[b] & mask]);
    if (qWrites && rh[b] >= oldest) __builtin_prefetch(&pool[rh[b] & mask]);
  };
  for (uint64_t i = 0; i < k && i < kAhead; ++i) prefetchHeads(i);
  const uint32_t tensor = r.tensor;
  auto walk = [&](uint64_t eid, uint64_t key, bool writers, auto overlapping) PTO_TMAP_INLINE {
    while (eid >= oldest) {  // this cell's entries only, as walkChain
      const Entry& e = pool[eid & mask];
      if (e.task < minTask) break;
      if (e.tensor == tensor && overlapping(e, eid) && e.cell == key) reportEntry(e, eid, writers, f, minTask);
      eid = e.next;
    }
  };
  auto walkAll = [&](auto overlapping) PTO_TMAP_INLINE {
    for (uint64_t i = 0; i < k; ++i) {
      if (i + kAhead < k) prefetchHeads(i + kAhead);
      const uint64_t key = keys[i], b = key & bmask;
      walk(wh[b], key, true, overlapping);
      if (qWrites) walk(rh[b], key, false, overlapping);
    }
  };
  if (r.rank == 2) {
    const int64_t lo0 = r.lo[0], hi0 = r.hi[0], lo1 = r.lo[1], hi1 = r.hi[1];
    walkAll([=](const Entry& e, uint64_t) PTO_TMAP_INLINE {
      return e.lo[0] < hi0 && lo0 < e.hi[0] && e.lo[1] < hi1 && lo1 < e.hi[1];
    });
  } else {
    walkAll([&](const Entry& e, uint64_t eid) PTO_TMAP_INLINE { return overlaps(e, eid, r); });
  }
  if (qWrites)
    if (const WideReads::List* l = wide_.list(r.tensor)) {
      WideReads::report<0>(*l, r, f, minTask, oldest, [&](const WideReads::Rec& w) {
        return WideReads::holdsCellIn(w, c0, c1, oldest);
      });
    }
}

}  // namespace pto::wsp::rt
