#include "pto/wsp/runtime/Engine.h"

namespace pto::wsp::rt {

bool Region::overlaps(const Region& o) const {
  if (tensor != o.tensor || rank != o.rank) return false;
  for (uint8_t d = 0; d < rank; ++d)
    if (!(lo[d] < o.hi[d] && o.lo[d] < hi[d])) return false;
  return true;
}

}  // namespace pto::wsp::rt
