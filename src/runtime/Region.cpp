#include "pto/wsp/runtime/Engine.h"

namespace pto::wsp::rt {

Region Region::box1d(uint32_t tensor, int64_t off, int64_t len, Access m) {
  Region r;
  r.tensor = tensor;
  r.rank = 1;
  r.mode = m;
  r.lo[0] = off;
  r.hi[0] = off + len;
  return r;
}

Region Region::box2d(uint32_t tensor, int64_t row, int64_t col, int64_t rows, int64_t cols,
                     Access m) {
  Region r;
  r.tensor = tensor;
  r.rank = 2;
  r.mode = m;
  r.lo[0] = row;
  r.hi[0] = row + rows;
  r.lo[1] = col;
  r.hi[1] = col + cols;
  return r;
}

bool Region::overlaps(const Region& o) const {
  if (tensor != o.tensor || rank != o.rank) return false;
  for (uint8_t d = 0; d < rank; ++d)
    if (!(lo[d] < o.hi[d] && o.lo[d] < hi[d])) return false;
  return true;
}

}  // namespace pto::wsp::rt
