// TensorMap lookups against a brute-force reference: rank 3-4 boxes (whose upper dims
// are stored apart from the entry), regions spanning many cells (the prefetching walk)
// and single-cell regions, with writers that never cover each other (no shadowing, so
// every overlapping live entry must be reported).
#include "pto/wsp/runtime/TensorMap.h"
#include "pto/wsp/support/Diagnostic.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>
#include <utility>
#include <vector>

namespace pto::wsp::rt {
namespace {

struct Placed {
  Region r;
  TaskId task;
};

Region randomBox(std::mt19937_64& rng, uint32_t tensor, uint8_t rank, int64_t extent, int64_t maxLen,
                 Access mode) {
  Region r;
  r.tensor = tensor;
  r.rank = rank;
  r.mode = mode;
  for (uint8_t d = 0; d < rank; ++d) {
    const int64_t len = 1 + static_cast<int64_t>(rng() % static_cast<uint64_t>(maxLen));
    r.lo[d] = static_cast<int64_t>(rng() % static_cast<uint64_t>(extent - len + 1));
    r.hi[d] = r.lo[d] + len;
  }
  return r;
}

bool boxesOverlap(const Region& a, const Region& b) {
  if (a.tensor != b.tensor) return false;
  for (uint8_t d = 0; d < a.rank; ++d)
    if (!(a.lo[d] < b.hi[d] && b.lo[d] < a.hi[d])) return false;
  return true;
}

// Writers of one fixed shape at distinct positions (none covers another), then readers
// (which shadow nothing): every overlapping entry stays visible.
void checkAgainstReference(uint8_t rank, uint64_t seed) {
  std::mt19937_64 rng(seed);
  TensorMap tm(1 << 16);
  const int64_t grain[4] = {2, 2, 2, 2};
  tm.setGrain(0, std::span<const int64_t>(grain, rank));
  tm.setGrain(1, std::span<const int64_t>(grain, rank));
  std::vector<Placed> live;
  std::set<std::vector<int64_t>> writerPos;
  TaskId next = 0;
  for (int i = 0; i < 300; ++i) {
    const uint32_t tensor = static_cast<uint32_t>(rng() % 2);
    // Writers first: a writer shadows earlier entries inside its box, readers never.
    const bool writer = i < 200;
    Region r;
    if (writer) {
      r = randomBox(rng, tensor, rank, 12, 1, Access::Write);
      for (uint8_t d = 0; d < rank; ++d) r.hi[d] = r.lo[d] + 3;  // fixed 3^rank shape
      std::vector<int64_t> key(r.lo.begin(), r.lo.begin() + rank);
      key.push_back(tensor);
      if (!writerPos.insert(key).second) continue;
    } else {
      r = randomBox(rng, tensor, rank, 12, 5, Access::Read);
    }
    ASSERT_LE(tm.used() + tm.cellsOf(r), tm.capacity());
    tm.insert(r, next);
    live.push_back({r, next});
    ++next;
  }
  for (int q = 0; q < 300; ++q) {
    const Access mode = q % 2 == 0 ? Access::Read : Access::Write;
    const Region query = randomBox(rng, static_cast<uint32_t>(rng() % 2), rank, 12, 6, mode);
    std::set<TaskId> got, want;
    tm.forEachConflict(query, [&](TaskId t, bool) { got.insert(t); });
    for (const Placed& p : live)
      if (boxesOverlap(p.r, query) && (p.r.writes() || query.writes())) want.insert(p.task);
    ASSERT_EQ(got, want) << "rank " << int{rank} << " query " << q;
  }
}

TEST(TensorMap, Rank2MatchesBruteForce) { checkAgainstReference(2, 1); }
TEST(TensorMap, Rank3MatchesBruteForce) { checkAgainstReference(3, 2); }
TEST(TensorMap, Rank4MatchesBruteForce) { checkAgainstReference(4, 3); }

// Boxes that agree in dims 0-1 and differ only in dims 2-3 must not conflict.
TEST(TensorMap, UpperDimsDecideOverlap) {
  TensorMap tm(64);
  Region a;
  a.tensor = 0;
  a.rank = 4;
  a.mode = Access::Write;
  a.lo = {0, 0, 0, 0};
  a.hi = {4, 4, 4, 4};
  Region b = a;
  b.lo[3] = 4;
  b.hi[3] = 8;
  tm.insert(a, 0);
  tm.insert(b, 1);
  Region q = a;
  q.mode = Access::Read;
  q.lo = {1, 1, 1, 5};
  q.hi = {2, 2, 2, 6};
  std::vector<TaskId> hits;
  tm.forEachConflict(q, [&](TaskId t, bool writes) {
    EXPECT_TRUE(writes);
    hits.push_back(t);
  });
  EXPECT_EQ(hits, std::vector<TaskId>{1});
  q.lo[2] = 4;  // outside both boxes in dim 2
  q.hi[2] = 5;
  hits.clear();
  tm.forEachConflict(q, [&](TaskId t, bool) { hits.push_back(t); });
  EXPECT_TRUE(hits.empty());
}

// Shadowing must not depend on bucket collisions: a map with 256 buckets (foreign
// entries share chains) and one with 65536 report the same conflicts, every one of them a
// real overlap, and shadowing did drop some overlapping entries.
TEST(TensorMap, ShadowingIndependentOfBucketCount) {
  std::mt19937_64 rng(7);
  TensorMap small(256), large(1 << 16);  // 256 buckets for 48 cells: collisions
  const int64_t grain[2] = {4, 4};
  for (uint32_t t = 0; t < 3; ++t) {
    small.setGrain(t, grain);
    large.setGrain(t, grain);
  }
  std::vector<Placed> live;
  for (TaskId i = 0; i < 60; ++i) {
    const uint32_t tensor = static_cast<uint32_t>(rng() % 3);
    const Access mode = rng() % 3 == 0 ? Access::Read : Access::Write;
    // Cell-aligned boxes of 1..2 cells per dim on a 16 x 16 tensor (4 x 4 cells).
    Region r;
    r.tensor = tensor;
    r.rank = 2;
    r.mode = mode;
    for (int d = 0; d < 2; ++d) {
      const int64_t len = 1 + static_cast<int64_t>(rng() % 2);
      const int64_t lo = static_cast<int64_t>(rng() % static_cast<uint64_t>(5 - len));
      r.lo[d] = lo * 4;
      r.hi[d] = (lo + len) * 4;
    }
    ASSERT_LE(small.used() + small.cellsOf(r), small.capacity());
    small.insert(r, i);
    large.insert(r, i);
    live.push_back({r, i});
  }
  size_t reported = 0, overlapping = 0;
  for (uint32_t tensor = 0; tensor < 3; ++tensor)
    for (int64_t ci = 0; ci < 4; ++ci)
      for (int64_t cj = 0; cj < 4; ++cj)
        for (Access mode : {Access::Read, Access::Write}) {
          Region q;
          q.tensor = tensor;
          q.rank = 2;
          q.mode = mode;
          q.lo = {ci * 4, cj * 4};
          q.hi = {ci * 4 + 4, cj * 4 + 4};
          std::set<TaskId> a, b, all;
          small.forEachConflict(q, [&](TaskId t, bool) { a.insert(t); });
          large.forEachConflict(q, [&](TaskId t, bool) { b.insert(t); });
          for (const Placed& p : live)
            if (boxesOverlap(p.r, q) && (p.r.writes() || q.writes())) all.insert(p.task);
          EXPECT_EQ(a, b) << "tensor " << tensor << " cell " << ci << "," << cj;
          EXPECT_TRUE(std::includes(all.begin(), all.end(), a.begin(), a.end()));
          reported += a.size();
          overlapping += all.size();
        }
  EXPECT_LT(reported, overlapping) << "shadowing dropped nothing";
}

// A region of tensor t in a few cells of its grain, per dimension: one tile (often the
// same one again), an unaligned box (inside a tile or across), or empty; with `rows`,
// also a row of 2-3 whole tiles (a reduction's read), and tiles over 3 positions, not 2.
Region randomCells(std::mt19937_64& rng, uint32_t t, uint8_t rank, const int64_t* grain, Access mode, bool rows) {
  Region r;
  r.tensor = t;
  r.rank = rank;
  r.mode = mode;
  const uint64_t tiles = rows ? 4 : 5, rowsEnd = rows ? 7 : tiles, unalignedEnd = rows ? 9 : 7;
  for (uint8_t d = 0; d < rank; ++d) {
    const int64_t g = grain[d];
    const uint64_t kind = rng() % (rows ? 10 : 8);
    if (kind < tiles) {
      r.lo[d] = g * static_cast<int64_t>(rng() % (rows ? 3 : 2));
      r.hi[d] = r.lo[d] + g;
    } else if (kind < rowsEnd) {
      r.lo[d] = g * static_cast<int64_t>(rng() % 2);
      r.hi[d] = r.lo[d] + g * static_cast<int64_t>(2 + rng() % 2);
    } else if (kind < unalignedEnd) {
      r.lo[d] = static_cast<int64_t>(rng() % static_cast<uint64_t>(3 * g));
      r.hi[d] = r.lo[d] + 1 + static_cast<int64_t>(rng() % static_cast<uint64_t>(2 * g));
    } else {
      r.lo[d] = r.hi[d] = g;
    }
  }
  return r;
}

// A task's regions through cellsOfTask / queryTask / insertTask (each region's cells
// and bucket key planned once, memoised per tensor) report exactly what the
// per-region calls report, in the same order, and register the same entries: random
// tasks of 1-3 regions (single tiles, repeated boxes, unaligned and wide boxes, empty
// ones) on tensors of rank 1-4, some grains not powers of two, in a small map whose
// 64 buckets are shared by many cells.
TEST(TensorMap, TaskCallsMatchPerRegionCalls) {
  std::mt19937_64 rng(11);
  TensorMap task(48), single(48);
  const uint8_t ranks[4] = {2, 1, 3, 4};
  const int64_t grains[4][4] = {{4, 4}, {8}, {2, 3, 2}, {2, 2, 2, 2}};
  for (uint32_t t = 0; t < 4; ++t) {
    task.setGrain(t, std::span<const int64_t>(grains[t], ranks[t]));
    single.setGrain(t, std::span<const int64_t>(grains[t], ranks[t]));
  }
  TaskId next = 0;
  size_t reported = 0;
  for (int i = 0; i < 3000; ++i) {
    Region rs[3];
    const size_t n = 1 + rng() % 3;
    for (size_t k = 0; k < n; ++k) {
      const uint32_t t = static_cast<uint32_t>(rng() % 4);
      const Access mode = rng() % 3 == 0 ? Access::Read : (rng() % 2 ? Access::Write : Access::ReadWrite);
      rs[k] = randomCells(rng, t, ranks[t], grains[t], mode, false);
    }
    const std::span<const Region> regions(rs, n);
    uint64_t need = 0;
    for (const Region& r : regions) need += single.cellsOf(r);
    ASSERT_EQ(task.cellsOfTask(regions), need) << "task " << i;
    if (need > task.capacity()) continue;
    // Entries retire in FIFO order, like the Engine's ring: drop the oldest tasks' ones.
    while (task.used() + need > task.capacity()) {
      task.releaseBefore(task.nextEntryId() - task.capacity() + need);
      single.releaseBefore(single.nextEntryId() - single.capacity() + need);
    }
    ASSERT_EQ(task.cellsOfTask(regions), need);  // re-planned after the (no-op) checks above
    const TaskId minTask = next > 40 ? next - 40 : 0;
    std::vector<std::pair<TaskId, bool>> a, b;
    task.queryTask(regions, [&](TaskId p, bool w) { a.emplace_back(p, w); }, minTask);
    for (const Region& r : regions) single.forEachConflict(r, [&](TaskId p, bool w) { b.emplace_back(p, w); }, minTask);
    ASSERT_EQ(a, b) << "task " << i;
    reported += a.size();
    task.insertTask(regions, next);
    for (const Region& r : regions) single.insert(r, next);
    ASSERT_EQ(task.used(), single.used());
    ++next;
  }
  EXPECT_GT(reported, 1000u) << "the random tasks hardly conflict";
}

// The per-tensor memo of the last single-cell box never lets a bad region through.
TEST(TensorMap, MemoisedBoxKeepsValidation) {
  TensorMap tm(64);
  const Region ok = Region::box2d(0, 0, 0, 16, 16, Access::ReadWrite);
  EXPECT_EQ(tm.cellsOf(ok), 1u);
  EXPECT_EQ(tm.cellsOf(ok), 1u);  // memo hit
  tm.insert(ok, 0);  // registered: its grain stays when a malformed region throws
  Region bad = ok;
  bad.lo[0] = -16;
  bad.hi[0] = 0;
  EXPECT_THROW(tm.cellsOf(bad), UserError);
  bad = ok;
  bad.hi[1] = -1;
  EXPECT_THROW(tm.cellsOf(bad), UserError);
  Region rank1 = ok;
  rank1.rank = 1;
  EXPECT_THROW(tm.cellsOf(rank1), UserError);
  Region wide = ok;
  wide.hi[1] = 48;
  EXPECT_EQ(tm.cellsOf(wide), 3u);
  Region other = ok;  // same box, another tensor: its own grain and memo
  other.tensor = 1;
  EXPECT_EQ(tm.cellsOf(other), 1u);
}

// Boxes a whole number of cells after the previous one are planned from the memo: each
// must land in its own cell (a writer is found again by a lookup that hashes the cell
// from scratch), and a step that leaves the tensor or the cell grid is still caught.
TEST(TensorMap, SteppedBoxesKeepCellsAndValidation) {
  TensorMap tm(1024);
  const int64_t grain[2] = {4, 3};  // dim 1 not a power of two
  tm.setGrain(0, grain);
  TaskId next = 0;
  auto writeAndFind = [&](int64_t row, int64_t col) {
    const Region w = Region::box2d(0, row, col, 4, 3, Access::Write);
    ASSERT_EQ(tm.cellsOf(w), 1u) << row << "," << col;
    tm.insert(w, next);
    Region q = w;
    q.mode = Access::Read;
    std::vector<TaskId> hits;
    tm.forEachConflict(q, [&](TaskId t, bool) { hits.push_back(t); });
    ASSERT_EQ(hits, std::vector<TaskId>{next}) << row << "," << col;
    ++next;
  };
  for (int64_t c = 0; c < 8; ++c) writeAndFind(0, 3 * c);       // along the last dimension
  for (int64_t rw = 1; rw < 4; ++rw) writeAndFind(4 * rw, 21);   // along the leading one
  for (int64_t c = 6; c >= 0; --c) writeAndFind(12, 3 * c);      // backwards
  EXPECT_THROW(tm.cellsOf(Region::box2d(0, 12, -3, 4, 3, Access::Write)), UserError);  // one step too far
  EXPECT_EQ(tm.cellsOf(Region::box2d(0, 12, 1, 4, 3, Access::Write)), 2u);  // a third of a cell on
  EXPECT_EQ(tm.cellsOf(Region::box2d(0, 12, 4, 4, 3, Access::Write)), 2u);  // the same step again
  writeAndFind(8, 0);
  writeAndFind(8, 6);  // two cells on, then the same step
  writeAndFind(8, 12);
}

// A wide box read again takes its cells' keys from the memo: still every writer of
// its cells, also after another wide box of another tensor came in between.
TEST(TensorMap, RepeatedWideBoxFindsEveryCell) {
  TensorMap tm(1024);
  const int64_t grain[2] = {4, 4};
  tm.setGrain(0, grain);
  tm.setGrain(1, grain);
  TaskId next = 0;
  for (uint32_t t = 0; t < 2; ++t)
    for (int64_t c = 0; c < 6; ++c) tm.insert(Region::box2d(t, 4, 4 * c, 4, 4, Access::Write), next++);
  auto found = [&](uint32_t t, int64_t cols) {
    std::set<TaskId> hits;
    tm.forEachConflict(Region::box2d(t, 0, 0, 8, cols, Access::Read), [&](TaskId p, bool) { hits.insert(p); });
    return hits.size();
  };
  for (int rep = 0; rep < 2; ++rep) {
    EXPECT_EQ(found(0, 24), 6u);
    EXPECT_EQ(found(0, 24), 6u);
    EXPECT_EQ(found(1, 24), 6u);
    EXPECT_EQ(found(1, 12), 3u);
  }
}

// The random differential tests' steps around a task's query, on maps that hold the
// same entries: retire at a task's boundary (the Engine's way) or now and then a few ids
// past what is needed, so a record's or a run's first entries die before its last.
void retireForTask(std::mt19937_64& rng, std::span<TensorMap* const> maps, uint64_t need) {
  const TensorMap& ref = *maps[0];
  const uint64_t extra = rng() % 8 == 0 ? rng() % 6 : 0;
  if (ref.used() + need > ref.capacity() || extra != 0) {
    const uint64_t to = std::max(ref.nextEntryId() + need + extra, ref.capacity()) - ref.capacity();
    for (TensorMap* m : maps) m->releaseBefore(std::min(to, m->nextEntryId()));
  }
}
// The oldest producer of interest: 0, or 1-3 steps back from the next task.
TaskId randomMinTask(std::mt19937_64& rng, TaskId next, TaskId step) {
  const TaskId pick = rng() % 4;
  return pick == 0 ? 0 : next > step * pick ? next - step * pick : 0;
}
// Registers the task in every map; they must hold as many entries as the first.
void insertEverywhere(std::span<TensorMap* const> maps, std::span<const Region> regions, TaskId seq,
                      uint64_t need) {
  for (TensorMap* m : maps) {
    ASSERT_EQ(m->cellsOfTask(regions), need);
    m->insertTask(regions, seq);
    ASSERT_EQ(m->used(), maps[0]->used());
  }
}

// The random tasks of the wide-record and bucket tests: 1-3 regions on tensors of rank
// 1-3 (the grains below), half of them reads, wide rows among them.
constexpr uint8_t kWideRanks[3] = {2, 1, 3};
constexpr int64_t kWideGrains[3][3] = {{4, 4}, {8}, {2, 3, 2}};
void setWideTaskGrains(std::span<TensorMap* const> maps) {
  for (TensorMap* m : maps)
    for (uint32_t t = 0; t < 3; ++t) m->setGrain(t, std::span<const int64_t>(kWideGrains[t], kWideRanks[t]));
}
size_t randomWideTask(std::mt19937_64& rng, Region (&rs)[3]) {
  const size_t n = 1 + rng() % 3;
  for (size_t k = 0; k < n; ++k) {
    const uint32_t t = static_cast<uint32_t>(rng() % 3);
    const Access mode = rng() % 2 == 0 ? Access::Read : (rng() % 2 ? Access::Write : Access::ReadWrite);
    rs[k] = randomCells(rng, t, kWideRanks[t], kWideGrains[t], mode, true);
  }
  return n;
}

// Wide pure readers kept as one record each (WideReads.h) report what their per-cell
// entries report, to every query: random tasks of 1-3 regions on tensors of rank 1-3,
// many of them wide reads, with wide and single-tile writers that shadow (the records'
// cells too), in maps of 64 buckets shared by many cells (so a query also meets
// another cell's entries), entries retired at any id (a record partly live), and the
// oldest producer of interest moving both ways. Lists of 32 records and of 2 (full most
// of the time: records and per-cell readers of one tensor mixed) against none. A map
// of 48 entries shares its 64 buckets widely; one of 600 holds lists longer than a query
// walks without their union (WideReads::kWalkUnchecked), a union that shrinks as
// records die.
void checkWideReadRecords(uint32_t capacity, uint64_t seed) {
  std::mt19937_64 rng(seed);
  TensorMap ref(capacity, 0), wide(capacity, 32), full(capacity, 2);
  TensorMap* const maps[3] = {&ref, &wide, &full};
  setWideTaskGrains(maps);
  TaskId next = 0;
  size_t reported = 0, wideReads = 0;
  for (int i = 0; i < 6000; ++i) {
    Region rs[3];
    const size_t n = randomWideTask(rng, rs);
    const std::span<const Region> regions(rs, n);
    uint64_t need = ref.cellsOfTask(regions);
    for (const Region& r : regions) wideReads += !r.writes() && ref.cellsOf(r) > 1;
    if (need > ref.capacity()) continue;
    retireForTask(rng, maps, need);
    const TaskId minTask = randomMinTask(rng, next, 30);
    std::set<std::pair<TaskId, bool>> found[3];
    for (int m = 0; m < 3; ++m) {
      ASSERT_EQ(maps[m]->cellsOfTask(regions), need) << "task " << i;
      maps[m]->queryTask(regions, [&](TaskId p, bool w) { found[m].emplace(p, w); }, minTask);
    }
    ASSERT_EQ(found[1], found[0]) << "task " << i << " (lists of 32, map of " << capacity << ")";
    ASSERT_EQ(found[2], found[0]) << "task " << i << " (lists of 2, map of " << capacity << ")";
    reported += found[0].size();
    insertEverywhere(maps, regions, next, need);
    if (testing::Test::HasFatalFailure()) return;
    // A lone query, as the Engine's deadlock report makes: from task 0.
    if (rng() % 16 == 0) {
      const Region q = rs[rng() % n];
      std::set<std::pair<TaskId, bool>> lone[3];
      for (int m = 0; m < 3; ++m) maps[m]->forEachConflict(q, [&](TaskId p, bool w) { lone[m].emplace(p, w); });
      ASSERT_EQ(lone[1], lone[0]) << "lone query after task " << i;
      ASSERT_EQ(lone[2], lone[0]) << "lone query after task " << i;
    }
    ++next;
  }
  EXPECT_GT(reported, 5000u) << "the random tasks hardly conflict";
  EXPECT_GT(wideReads, 1000u) << "too few wide reads to test the records";
}

// The conflicts do not depend on the hash table (docs/semantics.md, section 3): the
// random tasks of checkWideReadRecords, queried in maps of 2 and 8 buckets (nearly every
// cell shares its bucket with others, whose entries a walk meets), with per-cell readers
// and with records, report what a map of 4096 buckets reports.
void checkBucketIndependence(uint32_t capacity, uint64_t seed) {
  std::mt19937_64 rng(seed);
  TensorMap ref(capacity, 0, true, 4096), two(capacity, 0, true, 2), eight(capacity, 0, true, 8),
      recs(capacity, 32, true, 8), noRuns(capacity, 32, false, 2);
  TensorMap* const maps[5] = {&ref, &two, &eight, &recs, &noRuns};
  setWideTaskGrains(maps);
  TaskId next = 0;
  size_t reported = 0;
  for (int i = 0; i < 6000; ++i) {
    Region rs[3];
    const size_t n = randomWideTask(rng, rs);
    const std::span<const Region> regions(rs, n);
    const uint64_t need = ref.cellsOfTask(regions);
    if (need > ref.capacity()) continue;
    retireForTask(rng, maps, need);
    const TaskId minTask = randomMinTask(rng, next, 30);
    std::set<std::pair<TaskId, bool>> found[5];
    for (int m = 0; m < 5; ++m) {
      ASSERT_EQ(maps[m]->cellsOfTask(regions), need) << "task " << i;
      maps[m]->queryTask(regions, [&](TaskId p, bool w) { found[m].emplace(p, w); }, minTask);
    }
    for (int m = 1; m < 5; ++m) ASSERT_EQ(found[m], found[0]) << "task " << i << ", map " << m;
    reported += found[0].size();
    insertEverywhere(maps, regions, next, need);
    if (testing::Test::HasFatalFailure()) return;
    ++next;
  }
  EXPECT_GT(reported, 5000u) << "the random tasks hardly conflict";
}

TEST(TensorMap, ConflictsIndependentOfBucketCount) { checkBucketIndependence(48, 41); }
TEST(TensorMap, ConflictsIndependentOfBucketCountInALargeMap) { checkBucketIndependence(600, 43); }

TEST(TensorMap, WideReadRecordsMatchPerCellEntries) { checkWideReadRecords(48, 23); }
TEST(TensorMap, WideReadRecordListsMatchPerCellEntries) { checkWideReadRecords(600, 29); }

// A fan-out's readers of one tile are one reader run: the writer after them walks one
// entry, not one per reader, and still finds every reader; a reader of another box, a
// task in between or a changed stride starts a new entry. Per-reader entries (runs off)
// keep one each.
TEST(TensorMap, ReaderRunKeepsFanOutAsOneEntry) {
  const Region x = Region::box2d(0, 0, 0, 4, 4, Access::Read);
  const Region xw = Region::box2d(0, 0, 0, 4, 4, Access::Write);
  for (const bool runs : {true, false}) {
    TensorMap tm(4096, TensorMap::kWideReads, runs);
    TaskId next = 0;
    tm.insert(xw, next++);
    for (int i = 0; i < 20; ++i) {
      const Region rs[2] = {x, Region::box2d(1, 0, 4 * i, 4, 4, Access::Write)};
      ASSERT_EQ(tm.cellsOfTask(rs), 2u);
      tm.insertTask(rs, next++);
    }
    EXPECT_EQ(tm.readerChainEntries(x), runs ? 1u : 20u);
    std::vector<TaskId> found;
    tm.forEachConflict(xw, [&](TaskId p, bool) { found.push_back(p); });
    std::vector<TaskId> want = {0};  // the writer before them (writers are walked first)
    for (TaskId t = 20; t >= 1; --t) want.push_back(t);
    EXPECT_EQ(found, want) << (runs ? "runs" : "per-reader entries");
    // Another box of the same cell, a changed stride and a task in between each start
    // an entry of their own; a reader whose entry id is as far from the last as that
    // one's from its own extends the run.
    tm.insert(Region::box2d(0, 0, 0, 2, 4, Access::Read), next++);
    tm.insert(x, next++);
    const Region wide[2] = {x, Region::box2d(1, 0, 0, 4, 8, Access::Write)};
    ASSERT_EQ(tm.cellsOfTask(wide), 3u);
    tm.queryTask(wide, [](TaskId, bool) {}, 0);  // (a wide region's keys come from its query)
    tm.insertTask(wide, next++);  // one id on: the run of the x before
    tm.insert(x, next++);         // three ids on
    ++next;
    tm.insert(x, next++);
    EXPECT_EQ(tm.readerChainEntries(x), runs ? 5u : 25u);
  }
}

// Reader runs report what per-reader entries report, in the same order, to every
// query, and shadow and retire the same way: fan-outs of up to 40 tasks reading one
// box (a tile or part of one, of tensors of rank 1-3; rank 3 makes no runs) with 0-2
// more regions each (the stride between their entry ids changing now and then, or too
// long for a run), random tasks and writers of the box in between, a tensor that gets
// wide records midway, entries retired at any id (a run partly live) and the oldest
// producer of interest moving both ways, in maps of 64 buckets shared by many cells.
void checkReaderRuns(uint32_t capacity, uint64_t seed) {
  std::mt19937_64 rng(seed);
  TensorMap ref(capacity, TensorMap::kWideReads, false), runs(capacity, TensorMap::kWideReads, true);
  TensorMap* const maps[2] = {&ref, &runs};
  // Tensors 0-2 take random regions (wide reads among them: their records turn runs off
  // at once); the fan-outs read tensors 3-5, of the same ranks and grains.
  const uint8_t ranks[6] = {2, 1, 3, 2, 1, 3};
  const int64_t grains[6][3] = {{4, 4}, {8}, {2, 3, 2}, {4, 4}, {8}, {2, 3, 2}};
  for (TensorMap* m : maps)
    for (uint32_t t = 0; t < 6; ++t) m->setGrain(t, std::span<const int64_t>(grains[t], ranks[t]));
  TaskId next = 0;
  size_t reported = 0, fanReads = 0, longRuns = 0;
  Region box = Region::box2d(0, 0, 0, 4, 4, Access::Read);  // the box the fan-out reads
  Region more[2];  // the fan-out's other regions, moved one grain on now and then
  int fanLeft = 0;
  uint64_t extras = 0;
  auto randomRegion = [&](Access mode) {
    const uint32_t t = static_cast<uint32_t>(rng() % 3);
    return randomCells(rng, t, ranks[t], grains[t], mode, true);
  };
  for (int i = 0; i < 8000; ++i) {
    if (fanLeft == 0 && rng() % 3 == 0) {  // a new fan-out: one box of one cell
      const uint32_t t = 3 + static_cast<uint32_t>(rng() % 3);
      do {
        box = randomCells(rng, t, ranks[t], grains[t], Access::Read, false);
      } while (ref.cellsOf(box) != 1);
      fanLeft = 1 + static_cast<int>(rng() % 40);
      extras = rng() % 3;
      for (Region& e : more) e = randomRegion(rng() % 2 ? Access::Write : Access::Read);
    }
    Region rs[3];
    size_t n = 0;
    if (fanLeft > 0 && rng() % 25 != 0) {  // (else a task in between)
      --fanLeft;
      ++fanReads;
      rs[n++] = box;
      if (rng() % 20 == 0) extras = rng() % 3;  // the stride changes
      for (uint64_t k = 0; k < extras; ++k) {
        if (rng() % 2 == 0) {
          const int64_t g = grains[more[k].tensor][0];
          more[k].lo[0] += g;
          more[k].hi[0] += g;
        }
        rs[n++] = more[k];
      }
      if (rng() % 40 == 0) rs[n - 1] = Region::box2d(0, 0, 0, 4, 4 * 300, Access::Write);  // stride > 255
    } else if (rng() % 4 == 0) {  // a writer of the box, covering it or part of it
      rs[n] = box;
      rs[n].mode = rng() % 2 ? Access::Write : Access::ReadWrite;
      if (rng() % 3 == 0) rs[n].hi[0] = rs[n].lo[0] + 1;
      ++n;
    } else {
      n = 1 + rng() % 3;
      for (size_t k = 0; k < n; ++k)
        rs[k] = randomRegion(rng() % 2 == 0 ? Access::Read : (rng() % 2 ? Access::Write : Access::ReadWrite));
    }
    // Midway, tensor 4 gets a wide record (its later fan-outs make no runs).
    if (i == 4000) {
      n = std::min<size_t>(n, 2);
      rs[n++] = Region::box1d(4, 0, 24, Access::Read);
    }
    const std::span<const Region> regions(rs, n);
    const uint64_t need = ref.cellsOfTask(regions);
    if (need > ref.capacity()) continue;
    retireForTask(rng, maps, need);
    const TaskId minTask = randomMinTask(rng, next, 15);
    std::vector<std::pair<TaskId, bool>> found[2];
    for (int m = 0; m < 2; ++m) {
      ASSERT_EQ(maps[m]->cellsOfTask(regions), need) << "task " << i;
      maps[m]->queryTask(regions, [&](TaskId p, bool w) { found[m].emplace_back(p, w); }, minTask);
    }
    ASSERT_EQ(found[1], found[0]) << "task " << i << " (map of " << capacity << ")";
    reported += found[0].size();
    insertEverywhere(maps, regions, next, need);
    if (testing::Test::HasFatalFailure()) return;
    if (fanLeft > 0)
      longRuns += runs.readerChainEntries(box) + 8 < ref.readerChainEntries(box);
    if (rng() % 16 == 0) {  // a lone query from task 0, as the deadlock report makes
      const Region q = rng() % 2 ? box : rs[rng() % n];
      std::vector<std::pair<TaskId, bool>> lone[2];
      for (int m = 0; m < 2; ++m) maps[m]->forEachConflict(q, [&](TaskId p, bool w) { lone[m].emplace_back(p, w); });
      ASSERT_EQ(lone[1], lone[0]) << "lone query after task " << i;
    }
    ++next;
  }
  EXPECT_GT(reported, 10000u) << "the random tasks hardly conflict";
  EXPECT_GT(fanReads, 3000u) << "too few fan-out reads to test the runs";
  EXPECT_GT(longRuns, 100u) << "the runs hardly ever held more than a few readers";
}

TEST(TensorMap, ReaderRunsMatchPerReaderEntries) { checkReaderRuns(64, 31); }
TEST(TensorMap, ReaderRunsMatchPerReaderEntriesInALargeMap) { checkReaderRuns(4096, 37); }

}  // namespace
}  // namespace pto::wsp::rt
