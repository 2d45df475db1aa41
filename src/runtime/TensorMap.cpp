#include "pto/wsp/runtime/TensorMap.h"

#include "pto/wsp/support/Assert.h"
#include "pto/wsp/support/Diagnostic.h"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <limits>
#include <cstdlib>
#include <new>

namespace pto::wsp::rt {

namespace {
constexpr uint32_t kMaxTensorId = 1u << 24;
}  // namespace

TensorMap::TensorMap(uint32_t capacity, uint32_t wideReads, bool readerRuns, uint64_t buckets)
    : capacity_(capacity), wide_(wideReads), noRuns_(readerRuns ? 0 : ~uint64_t{0}) {
  PTO_INTERNAL_ASSERT(capacity >= 1, "tensormap capacity must be >= 1");
  PTO_INTERNAL_ASSERT(buckets == 0 || std::has_single_bit(buckets), "{} buckets is no power of two", buckets);
  uint64_t p = std::bit_ceil(uint64_t{capacity});
  pool_ = std::make_unique_for_overwrite<Entry[]>(p);
  ext_ = std::make_unique_for_overwrite<ExtBox[]>(p);
  poolMask_ = p - 1;
  const uint64_t b = buckets != 0 ? buckets : std::bit_ceil(std::max<uint64_t>(capacity, 64));
  wHeads_ = zeroedHeads(b);
  rHeads_ = zeroedHeads(b);
  bucketMask_ = b - 1;
}

TensorMap::Heads TensorMap::zeroedHeads(uint64_t n) {
  static_assert(kNone == 0, "calloc's zeroes are the empty heads");
  Heads h(static_cast<uint64_t*>(std::calloc(n, sizeof(uint64_t))));
  if (!h) throw std::bad_alloc();
  return h;
}

const TensorMap::Grain& TensorMap::grainFor(const Region& r) {
  if (r.tensor >= kMaxTensorId)
    throw UserError(makeError({}, fmt::format("tensor id {} out of range", r.tensor))
                        .help(fmt::format("tensor ids must be < {}", kMaxTensorId)));
  if (r.tensor >= grains_.size()) {
    grains_.resize(std::max<size_t>(r.tensor + 1, grains_.size() * 2));
    numGrains_ = grains_.size();
  }
  Grain& g = grains_[r.tensor];
  if (g.rank == 0) {
    g.rank = r.rank;
    g.seed = TensorGrain::mix(r.tensor + 0x9e3779b97f4a7c15ull);
    for (uint8_t d = 0; d < r.rank; ++d) {
      g.grain[d] = std::max<int64_t>(1, r.hi[d] - r.lo[d]);
      g.shift[d] = std::has_single_bit(static_cast<uint64_t>(g.grain[d]))
                       ? static_cast<int8_t>(std::countr_zero(static_cast<uint64_t>(g.grain[d])))
                       : int8_t{-1};
    }
  } else if (g.rank != r.rank) {
    throw UserError(makeError({}, fmt::format("tensor {} accessed with rank {}, earlier with rank {}",
                                              r.tensor, r.rank, g.rank))
                        .help("every region of one tensor must use the tensor's rank"));
  }
  return g;
}

void TensorMap::setGrain(uint32_t tensor, std::span<const int64_t> grain) {
  if (grain.empty() || grain.size() > kMaxRank)
    throw UserError(makeError({}, fmt::format("grain of tensor {} has rank {}", tensor, grain.size()))
                        .help(fmt::format("rank must be 1..{}", kMaxRank)));
  Region r;
  r.tensor = tensor;
  r.rank = static_cast<uint8_t>(grain.size());
  for (size_t d = 0; d < grain.size(); ++d) {
    if (grain[d] < 1)
      throw UserError(makeError({}, fmt::format("grain of tensor {} is {} in dim {}", tensor, grain[d], d))
                          .help("tile extents must be >= 1"));
    r.hi[d] = grain[d];
  }
  if (tensor < grains_.size() && grains_[tensor].rank != 0) {
    const Grain& g = grains_[tensor];
    bool same = g.rank == r.rank;
    for (size_t d = 0; same && d < grain.size(); ++d) same = g.grain[d] == grain[d];
    if (!same)
      throw UserError(makeError({}, fmt::format("grain of tensor {} is already fixed", tensor))
                          .help("declare a tensor's tile grain before its first task"));
    return;
  }
  grainFor(r);
}

void TensorMap::forgetUnplacedGrains() {
  while (!learned_.empty() && learned_.back().eid == nextEid_) {
    grains_[learned_.back().tensor] = Grain{};
    learned_.pop_back();
  }
}

uint64_t TensorMap::cellsOfSlow(const Region& r, RegionPlan& p) {
  try {
    return planSlow(r, p);
  } catch (const UserError&) {  // the task's earlier regions may have learned grains
    forgetUnplacedGrains();
    throw;
  }
}

uint64_t TensorMap::planSlow(const Region& r, RegionPlan& p) {
  p.cells = 0;
  if (r.rank == 0 || r.rank > kMaxRank)
    throw UserError(makeError({}, fmt::format("region of tensor {} has rank {}", r.tensor, r.rank))
                        .help(fmt::format("rank must be 1..{}", kMaxRank)));
  for (uint8_t d = 0; d < r.rank; ++d) {
    if (r.lo[d] < 0 || r.lo[d] > r.hi[d])
      throw UserError(makeError({}, fmt::format("region of tensor {} has bad bounds [{}, {}) in dim {}",
                                                r.tensor, r.lo[d], r.hi[d], d))
                          .help("bounds must satisfy 0 <= lo <= hi"));
    if (r.lo[d] == r.hi[d]) return 0;
  }
  const bool known = r.tensor < numGrains_ && grains_[r.tensor].rank != 0;
  grainFor(r);
  if (!known) learned_.push_back({r.tensor, nextEid_});
  Grain& g = grains_[r.tensor];  // grainFor may have grown grains_
  Cells c0;
  uint64_t n = 1;
  for (uint8_t d = 0; d < r.rank; ++d) {
    c0[d] = g.cell(r.lo[d], d);
    uint64_t k = static_cast<uint64_t>(g.cell(r.hi[d] - 1, d) - c0[d] + 1);
    n = (n > (uint64_t{1} << 40) / k) ? (uint64_t{1} << 40) : n * k;
  }
  if (n == 1) p.key = g.key(c0);  // a first region of its tensor
  p.cells = n;
  return n;
}

size_t TensorMap::readerChainEntries(const Region& r) const {
  PTO_INTERNAL_ASSERT(r.tensor < numGrains_ && grains_[r.tensor].rank == r.rank, "tensor {} has no grain",
                      r.tensor);
  const Grain& g = grains_[r.tensor];
  Cells c{};
  for (uint8_t d = 0; d < r.rank; ++d) c[d] = g.cell(r.lo[d], d);
  const uint64_t key = g.key(c);
  size_t n = 0;
  for (uint64_t eid = rHeads_[key & bucketMask_]; eid >= oldestEid_; eid = pool_[eid & poolMask_].next)
    n += pool_[eid & poolMask_].cell == key;
  return n;
}

void TensorMap::growRegions(size_t n) {
  regPlan_ = std::make_unique_for_overwrite<RegionPlan[]>(std::max<size_t>(n, 2 * regCap_));
  regCap_ = std::max<size_t>(n, 2 * regCap_);
}

void TensorMap::wideCellKeys(const Region& r, const Cells& c0, const Cells& c1, uint64_t n, uint64_t* keys) {
  bool same = wideMemoN_ == n && wideMemoTensor_ == r.tensor;
  for (uint8_t d = 0; same && d < r.rank; ++d) same = r.lo[d] == wideMemoLo_[d] && r.hi[d] == wideMemoHi_[d];
  if (same) {
    std::copy(wideMemo_.get(), wideMemo_.get() + n, keys);
    return;
  }
  // The hash of the leading dimensions computed once per row.
  const Grain& g = grains_[r.tensor];
  const uint8_t last = static_cast<uint8_t>(r.rank - 1);
  uint64_t k = 0;
  Cells lead = c0;  // the leading cells, last leading dimension fastest
  for (;;) {
    const uint64_t h = g.leadHash(lead);
    for (int64_t c = c0[last]; c <= c1[last]; ++c) keys[k++] = h + static_cast<uint64_t>(c);  // lastHash
    int d = static_cast<int>(last) - 1;
    for (; d >= 0; --d) {
      if (++lead[d] <= c1[d]) break;
      lead[d] = c0[d];
    }
    if (d < 0) break;
  }
  constexpr uint64_t kMemoMax = 4096;  // keys: 32 KiB
  if (n > kMemoMax) return;
  if (n > wideMemoCap_) {
    wideMemo_ = std::make_unique_for_overwrite<uint64_t[]>(kMemoMax);
    wideMemoCap_ = kMemoMax;
  }
  std::copy(keys, keys + n, wideMemo_.get());
  wideMemoN_ = n;
  wideMemoTensor_ = r.tensor;
  wideMemoLo_ = r.lo;
  wideMemoHi_ = r.hi;
}

void TensorMap::growWide(uint64_t need) {
  const uint64_t c = std::max<uint64_t>({need, 2 * wideCap_, 1024});
  auto k = std::make_unique_for_overwrite<uint64_t[]>(c);
  std::copy(wideKeys_.get(), wideKeys_.get() + wideN_, k.get());
  wideKeys_ = std::move(k);
  wideCap_ = c;
}

void TensorMap::insert(const Region& r, TaskId seq) {
  const uint64_t n = cellsOfTask({&r, 1});
  if (n == 0) return;
  PTO_INTERNAL_ASSERT(used() + n <= capacity_, "tensormap overflow: used {} + {} > {}", used(), n, capacity_);
  wideN_ = 0;
  auto none = [](TaskId, bool) {};
  if (n > 1) queryWide(r, none, std::numeric_limits<TaskId>::max());  // its keys; walks nothing
  insertTask({&r, 1}, seq);
}

// A wide reader's entries (readers shadow nothing): one entry per cell, the fields that
// do not depend on the cell kept in locals.
void TensorMap::pushReaders(const Region& r, const uint64_t* keys, uint64_t n, TaskId seq) {
  Entry* const pool = pool_.get();
  uint64_t* const heads = rHeads_.get();
  const uint64_t mask = poolMask_, bmask = bucketMask_;
  const uint32_t tensor = r.tensor;
  const uint8_t rank = r.rank;
  const int64_t lo0 = r.lo[0], hi0 = r.hi[0], lo1 = r.lo[1], hi1 = r.hi[1];
  uint64_t eid = nextEid_;
  for (uint64_t k = 0; k < n; ++k) {
    const uint64_t key = keys[k];
    uint64_t& head = heads[key & bmask];
    Entry& e = pool[eid & mask];
    e.next = head;
    e.task = seq;
    e.tensor = tensor;
    e.run = 0;
    e.lo[0] = lo0;
    e.hi[0] = hi0;
    e.lo[1] = lo1;
    e.hi[1] = hi1;
    e.cell = key;
    if (rank > kInlineDims) {
      ExtBox& x = ext_[eid & mask];
      for (uint32_t d = kInlineDims; d < kMaxRank; ++d) {
        x.lo[d - kInlineDims] = r.lo[d];
        x.hi[d - kInlineDims] = r.hi[d];
      }
    }
    head = eid++;
  }
  nextEid_ = eid;
}

void TensorMap::insertPlanned(std::span<const Region> rs, TaskId seq) {
  const uint64_t* key = wideKeys_.get();
  for (size_t i = 0; i < rs.size(); ++i) {
    const Region& r = rs[i];
    const RegionPlan& p = regPlan_[i];
    if (p.cells == 1) {
      insertCell(r, p.key, seq);
      continue;
    }
    if (p.cells == 0) continue;
    const Grain& g = grains_[r.tensor];
    Cells c0{}, c1{};
    for (uint8_t d = 0; d < r.rank; ++d) {
      c0[d] = g.cell(r.lo[d], d);
      c1[d] = g.cell(r.hi[d] - 1, d);
    }
    if (!r.writes()) {
      if (wide_.add(r, c0, c1, p.cells, nextEid_, seq, oldestEid_)) {
        nextEid_ += p.cells;  // its entry ids, held by the record
        noRuns_ |= runBit(r.tensor);
      } else {
        pushReaders(r, key, p.cells, seq);
      }
      key += p.cells;
      continue;
    }
    Cells c = c0;  // the cells in key order, last dimension fastest
    for (uint64_t k = 0; k < p.cells; ++k) {
      insertCell(r, *key++, seq, &c);
      for (int d = r.rank - 1; d >= 0; --d) {
        if (++c[d] <= c1[d]) break;
        c[d] = c0[d];
      }
    }
  }
}

}  // namespace pto::wsp::rt
