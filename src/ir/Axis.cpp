#include "pto/wsp/ir/Axis.h"

#include "pto/wsp/support/Assert.h"

#include <fmt/format.h>

namespace pto::wsp::ir {

std::string_view axisKindName(AxisKind k) {
  switch (k) {
    case AxisKind::Dense:
      return "dense";
    case AxisKind::DenseDyn:
      return "dense_dyn";
    case AxisKind::Ragged:
      return "ragged";
    case AxisKind::Sparse:
      return "sparse";
  }
  return "dense";
}

Axis Axis::dense(int64_t n, SourceLoc loc) {
  Axis a;
  a.kind = AxisKind::Dense;
  a.extent = intConst(n, loc);
  a.loc = std::move(loc);
  return a;
}

Axis Axis::denseDyn(Expr extent, SourceLoc loc) {
  PTO_INTERNAL_ASSERT(extent.defined(), "dense_dyn axis without extent");
  Axis a;
  a.kind = AxisKind::DenseDyn;
  a.extent = std::move(extent);
  a.loc = std::move(loc);
  return a;
}

Axis Axis::ragged(std::string outer, std::string lengths, SourceLoc loc) {
  PTO_INTERNAL_ASSERT(!outer.empty() && !lengths.empty(), "ragged axis needs outer and lengths");
  Axis a;
  a.kind = AxisKind::Ragged;
  a.outer = std::move(outer);
  a.lengths = std::move(lengths);
  a.loc = std::move(loc);
  return a;
}

Axis Axis::sparse(std::string outer, std::string indptr, std::string indices, SourceLoc loc) {
  PTO_INTERNAL_ASSERT(!outer.empty() && !indptr.empty() && !indices.empty(),
                      "sparse axis needs outer, indptr and indices");
  Axis a;
  a.kind = AxisKind::Sparse;
  a.outer = std::move(outer);
  a.indptr = std::move(indptr);
  a.indices = std::move(indices);
  a.loc = std::move(loc);
  return a;
}

std::string Axis::str() const {
  switch (kind) {
    case AxisKind::Dense:
    case AxisKind::DenseDyn:
      return fmt::format("{}({})", axisKindName(kind), toString(extent));
    case AxisKind::Ragged:
      return fmt::format("ragged({}, {})", outer, lengths);
    case AxisKind::Sparse:
      return fmt::format("sparse({}, {}, {})", outer, indptr, indices);
  }
  return "?";
}

bool operator==(const Axis& a, const Axis& b) {
  return a.kind == b.kind && a.extent == b.extent && a.outer == b.outer && a.lengths == b.lengths &&
         a.indptr == b.indptr && a.indices == b.indices;
}

}  // namespace pto::wsp::ir
