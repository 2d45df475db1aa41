#include "pto/wsp/ir/View.h"

#include "pto/wsp/support/Assert.h"

#include <fmt/format.h>

#include <limits>

namespace pto::wsp::ir {

View View::make(std::string tensor, std::vector<Expr> offsets, int64_t rows, int64_t cols, SourceLoc loc) {
  PTO_INTERNAL_ASSERT(!tensor.empty(), "view of an unnamed tensor");
  for (const Expr& o : offsets) PTO_INTERNAL_ASSERT(o.defined(), "view of '{}': undefined offset", tensor);
  View v;
  v.tensor = std::move(tensor);
  v.offsets = std::move(offsets);
  v.rows = rows;
  v.cols = cols;
  v.loc = std::move(loc);
  return v;
}

View View::withSteps(int64_t r, int64_t c) const {
  View v = *this;
  v.rowStep = r;
  v.colStep = c;
  return v;
}

View View::transpose() const {
  View v = *this;
  v.transposed = !v.transposed;
  return v;
}

int64_t View::span(size_t d) const {
  size_t rank = offsets.size();
  if (rank == 0 || d >= rank) return 1;
  // Tile extents along the tensor's row dim (r-2) and col dim (r-1).
  int64_t alongRow = transposed ? cols : rows;
  int64_t alongCol = transposed ? rows : cols;
  // Saturates instead of overflowing: a huge span is simply out of bounds.
  auto spanOf = [](int64_t n, int64_t step) -> int64_t {
    int64_t r = 0;
    if (__builtin_mul_overflow(n - 1, step, &r) || __builtin_add_overflow(r, 1, &r))
      return std::numeric_limits<int64_t>::max();
    return r;
  };
  if (d == rank - 1) return spanOf(alongCol, colStep);
  if (rank >= 2 && d == rank - 2) return spanOf(alongRow, rowStep);
  return 1;
}

std::string View::shapeStr() const {
  std::string s = fmt::format("{}x{}", rows, cols);
  if (transposed) s += " transposed";
  return s;
}

bool operator==(const View& a, const View& b) {
  return a.tensor == b.tensor && a.offsets == b.offsets && a.rows == b.rows && a.cols == b.cols &&
         a.rowStep == b.rowStep && a.colStep == b.colStep && a.transposed == b.transposed;
}

}  // namespace pto::wsp::ir
