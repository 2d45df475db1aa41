#include "pto/wsp/runtime/WideReads.h"

#include <algorithm>

namespace pto::wsp::rt {

WideReads::WideReads(uint32_t capacity) : capacity_(capacity) {}

namespace {
void widen(WideReads::List& l, const WideReads::Rec& r) {
  for (uint8_t d = 0; d < r.rank; ++d) {
    l.sameBox &= l.lo[d] == r.lo[d] && l.hi[d] == r.hi[d];
    l.lo[d] = std::min(l.lo[d], r.lo[d]);
    l.hi[d] = std::max(l.hi[d], r.hi[d]);
  }
}
}  // namespace

bool WideReads::add(const Region& r, const Cells& c0, const Cells& c1, uint64_t n, uint64_t eid0, TaskId task,
                    uint64_t oldestEid) {
  if (capacity_ == 0) return false;
  if (r.tensor >= lists_.size()) {
    lists_.resize(std::max<size_t>(r.tensor + 1, 2 * lists_.size()));
    numLists_ = lists_.size();
  }
  List& l = lists_[r.tensor];
  if (!l.slot) l.slot = std::make_unique<Rec[]>(capacity_);
  uint32_t dead = 0;  // oldest first: entry id order
  while (dead < l.count && l.slot[dead].dead(oldestEid)) ++dead;
  if (dead != 0) {
    std::move(l.slot.get() + dead, l.slot.get() + l.count, l.slot.get());
    l.count -= dead;
    if (l.count != 0) {
      l.lo = l.slot[0].lo;
      l.hi = l.slot[0].hi;
      l.sameBox = true;
    }
    for (uint32_t j = 1; j < l.count; ++j) widen(l, l.slot[j]);
  }
  if (l.count == capacity_) return false;
  Rec& x = l.slot[l.count];
  x.eid0 = eid0;
  x.n = n;
  x.task = task;
  x.fast = eid0;
  x.shadowed = 0;
  x.rank = r.rank;
  x.lo = r.lo;
  x.hi = r.hi;
  x.c0 = c0;
  x.c1 = c1;
  x.gone.clear();
  if (l.count == 0) {
    l.lo = r.lo;
    l.hi = r.hi;
    l.sameBox = true;
  } else {
    widen(l, x);
  }
  ++l.count;
  return true;
}

void WideReads::shadow(Rec& r, uint64_t k) {
  if (r.gone.empty()) r.gone.assign((r.n + 63) / 64, 0);
  r.gone[k >> 6] |= uint64_t{1} << (k & 63);
  ++r.shadowed;
  r.fast = 0;  // below every live id (they start at 1): the exact test from now on
}

bool WideReads::holdsCellIn(const Rec& r, const Cells& c0, const Cells& c1, uint64_t oldestEid) {
  Cells lo{}, hi{};  // the cells both hold
  for (uint8_t d = 0; d < r.rank; ++d) {
    lo[d] = std::max(c0[d], r.c0[d]);
    hi[d] = std::min(c1[d], r.c1[d]);
    if (lo[d] > hi[d]) return false;
  }
  Cells c = lo;  // last dimension fastest
  for (;;) {
    const uint64_t k = r.indexOf(c);
    if (r.eid0 + k >= oldestEid && !r.isGone(k)) return true;
    int d = r.rank - 1;
    for (; d >= 0; --d) {
      if (++c[d] <= hi[d]) break;
      c[d] = lo[d];
    }
    if (d < 0) return false;
  }
}

}  // namespace pto::wsp::rt
