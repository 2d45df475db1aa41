#include "pto/wsp/runtime/TensorMap.h"

#include "pto/wsp/support/Assert.h"
#include "pto/wsp/support/Diagnostic.h"

#include <fmt/format.h>

#include <bit>
#include <cstdlib>
#include <new>

namespace pto::wsp::rt {

namespace {
constexpr uint32_t kMaxTensorId = 1u << 24;
}  // namespace

TensorMap::TensorMap(uint32_t capacity) : capacity_(capacity) {
  PTO_INTERNAL_ASSERT(capacity >= 1, "tensormap capacity must be >= 1");
  uint64_t p = std::bit_ceil(uint64_t{capacity});
  pool_ = std::make_unique_for_overwrite<Entry[]>(p);
  ext_ = std::make_unique_for_overwrite<ExtBox[]>(p);
  poolMask_ = p - 1;
  uint64_t b = std::bit_ceil(std::max<uint64_t>(capacity, 64));
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
  if (r.tensor >= grains_.size()) grains_.resize(std::max<size_t>(r.tensor + 1, grains_.size() * 2));
  Grain& g = grains_[r.tensor];
  if (g.rank == 0) {
    g.rank = r.rank;
    g.seed = mix(r.tensor + 0x9e3779b97f4a7c15ull);
    for (uint8_t d = 0; d < r.rank; ++d) {
      g.g[d] = std::max<int64_t>(1, r.hi[d] - r.lo[d]);
      g.shift[d] = std::has_single_bit(static_cast<uint64_t>(g.g[d]))
                       ? static_cast<int8_t>(std::countr_zero(static_cast<uint64_t>(g.g[d])))
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
    for (size_t d = 0; same && d < grain.size(); ++d) same = g.g[d] == grain[d];
    if (!same)
      throw UserError(makeError({}, fmt::format("grain of tensor {} is already fixed", tensor))
                          .help("declare a tensor's tile grain before its first task"));
    return;
  }
  grainFor(r);
}

uint64_t TensorMap::cellsOfSlow(const Region& r) {
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
  const Grain& g = grainFor(r);
  uint64_t n = 1;
  for (uint8_t d = 0; d < r.rank; ++d) {
    uint64_t k = static_cast<uint64_t>(g.cell(r.hi[d] - 1, d) - g.cell(r.lo[d], d) + 1);
    n = (n > (uint64_t{1} << 40) / k) ? (uint64_t{1} << 40) : n * k;
  }
  return n;
}

void TensorMap::insert(const Region& r, TaskId seq) {
  uint64_t n = cellsOf(r);
  if (n == 0) return;
  PTO_INTERNAL_ASSERT(used() + n <= capacity_, "tensormap overflow: used {} + {} > {}", used(), n,
                      capacity_);
  insertValidated(r, seq);
}

const uint64_t* TensorMap::insertValidated(const Region& r, TaskId seq, const uint64_t* buckets) {
  // Only an empty region can be of a tensor never seen (cellsOf learns any other's
  // grain); it registers nothing.
  if (r.tensor >= grains_.size()) return buckets;
  Grain& g = grains_[r.tensor];
  // Emptiness, cell range and single-cell test in one pass.
  std::array<int64_t, kMaxRank> c0{}, c1;  // c1 is read below rank only
  bool single = true;
  for (uint8_t d = 0; d < r.rank; ++d) {
    if (r.lo[d] == r.hi[d]) return buckets;
    c0[d] = g.cell(r.lo[d], d);
    c1[d] = g.cell(r.hi[d] - 1, d);
    single &= c0[d] == c1[d];
  }
  const bool writes = r.writes();
  auto live = [&](uint64_t eid) { return eid >= oldestEid_; };  // kNone (0) never is
  auto covered = [&](uint64_t eid) {
    const Entry& o = pool_[eid & poolMask_];
    return o.tensor == r.tensor && within(o, eid, r);
  };
  // Shadowing per cell: unlink the newest entries of this cell that the writer covers,
  // up to the first it does not cover. Entries of other cells that share the bucket are
  // skipped, not a stop: otherwise the hash and the table size (which sizes the bucket
  // table) would decide the dependency counts, a semantic number.
  auto unlinkCovered = [&](uint64_t& chainHead, uint64_t key) {
    uint64_t* link = &chainHead;
    while (live(*link)) {
      Entry& o = pool_[*link & poolMask_];
      if (o.cell != key) {
        link = &o.next;
      } else if (covered(*link)) {
        *link = o.next;
      } else {
        break;
      }
    }
  };
  auto insertCell = [&](const std::array<int64_t, kMaxRank>& cell) __attribute__((always_inline)) {
    const uint64_t key = buckets ? *buckets++ : cellKey(g, cell);
    const uint64_t b = key & bucketMask_;
    uint64_t& head = writes ? wHeads_[b] : rHeads_[b];
    if (writes) {  // shadow covered entries of both chains (see the header)
      unlinkCovered(head, key);
      unlinkCovered(rHeads_[b], key);
    }
    PTO_INTERNAL_ASSERT(used() < capacity_, "tensormap overflow at capacity {}", capacity_);
    Entry& e = pool_[nextEid_ & poolMask_];
    e.next = head;
    e.task = seq;
    e.tensor = r.tensor;
    e.rank = r.rank;
    e.writes = writes;
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
  };
  if (single) insertCell(c0);
  else forEachCell(r.rank, c0, c1, insertCell);
  return buckets;
}

}  // namespace pto::wsp::rt
