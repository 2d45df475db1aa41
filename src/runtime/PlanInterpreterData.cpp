// PlanInterpreter, data side: view regions, tensor shapes and memory for a run, element
// reads (Load ops, slot_load).
#include "PlanInterpreterImpl.h"

#include "pto/wsp/support/Assert.h"
#include "pto/wsp/support/Diagnostic.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstring>

namespace pto::wsp::rt {

namespace planrt {

// A Region has at most kMaxRank dims. A box of a higher-rank tensor tracks its leading
// dims as one, linearised row-major over the tensor's shape: the bounding box of the
// folded dims, exact when every folded dim but the innermost has extent 1 (as in a
// view that indexes them, X[b][h][s]), a superset (extra dependencies, never missing
// ones) otherwise. Addresses always use the full-rank indices.
Region boxRegion(uint32_t tensor, Access mode, const int64_t* lo, const int64_t* hi, size_t rank,
                 const std::vector<int64_t>& shape) {
  Region r;
  r.tensor = tensor;
  r.mode = mode;
  if (rank <= kMaxRank) {
    r.rank = static_cast<uint8_t>(rank);
    std::copy(lo, lo + rank, r.lo.begin());
    std::copy(hi, hi + rank, r.hi.begin());
    return r;
  }
  const size_t fold = rank - kMaxRank + 1;  // dims [0, fold) become dim 0
  int64_t flo = 0, flast = 0;
  for (size_t d = 0; d < fold; ++d) {
    flo = flo * shape[d] + lo[d];
    flast = flast * shape[d] + (hi[d] - 1);
  }
  r.rank = static_cast<uint8_t>(kMaxRank);
  r.lo[0] = flo;
  r.hi[0] = flast + 1;
  for (size_t d = fold; d < rank; ++d) {
    r.lo[d - fold + 1] = lo[d];
    r.hi[d - fold + 1] = hi[d];
  }
  return r;
}

[[noreturn]] void throwViewOutOfBounds(const std::string& tensor, size_t d, int64_t lo, int64_t hi, int64_t size) {
  throw UserError(makeError({}, fmt::format("view of tensor '{}' is out of bounds in dim {}: [{}, {}) of {}", tensor,
                                            d, lo, hi, size))
                      .help("check the view's offset expressions and the symbols/slots they read"));
}

}  // namespace planrt

// Element `index` (row-major over the run's shape) of a tensor, once every unretired
// task writing it has finished: ragged lengths and CSR indptr / indices are data.
int64_t PlanInterpreter::Impl::loadElement(uint32_t p, uint32_t tensor, int64_t index) {
  const PlanTensor& t = plan.tensors[tensor];
  const RunTensor& rt = tensors[tensor];
  int64_t count = 1;
  for (int64_t d : rt.shape) count *= d;
  if (index < 0 || index >= count)
    throw UserError(makeError({}, fmt::format("read of element {} of tensor '{}' which has {} elements", index, t.name,
                                              count))
                        .help("the lengths / indptr / indices data indexes past the tensor; check its contents"));
  if (!rt.base)
    throw UserError(makeError({}, fmt::format("tensor '{}' is read at run time (element {}) but no memory is bound "
                                              "to it", t.name, index))
                        .help("bind the tensor's host memory (PlanRunConfig::tensorBase): ragged lengths and "
                              "sparse indptr / indices are read from it"));
  if (t.elem == ElemKind::Float)
    throw UserError(makeError({}, fmt::format("tensor '{}' is read as an integer but holds floats", t.name))
                        .help("lengths / indptr / indices tensors must have an integer dtype"));
  const size_t rank = rt.shape.size();
  std::array<int64_t, abi::kMaxTensorRank> lo{}, hi{};
  int64_t rem = index, off = 0;
  for (size_t d = rank; d-- > 0;) {
    int64_t i = rem % rt.shape[d];
    rem /= rt.shape[d];
    lo[d] = i;
    hi[d] = i + 1;
    off += i * rt.strides[d];
  }
  Region r = boxRegion(tensor, Access::Read, lo.data(), hi.data(), rank, rt.shape);
  eng.awaitRegion(p, r);
  const char* src = rt.base + off * t.elemBytes;
  switch (t.elemBytes) {
    case 1: {
      uint8_t v;
      std::memcpy(&v, src, 1);
      return t.elem == ElemKind::Signed ? static_cast<int8_t>(v) : v;
    }
    case 2: {
      uint16_t v;
      std::memcpy(&v, src, 2);
      return t.elem == ElemKind::Signed ? static_cast<int16_t>(v) : v;
    }
    case 4: {
      uint32_t v;
      std::memcpy(&v, src, 4);
      return t.elem == ElemKind::Signed ? static_cast<int32_t>(v) : v;
    }
    default: {
      int64_t v;
      std::memcpy(&v, src, 8);
      return v;
    }
  }
}

Region PlanInterpreter::Impl::viewRegion(const Proc& pr, const PlanView& v, Access mode, int64_t* lo) {
  const size_t rank = v.offsets.size();
  PTO_INTERNAL_ASSERT(rank <= abi::kMaxTensorRank, "view of rank {}", rank);
  // Only [0, rank) is read: no zero fill of the unused dims per view.
  std::array<int64_t, abi::kMaxTensorRank> l, h;
  const auto& shape = tensors[v.tensor].shape;
  for (size_t d = 0; d < rank; ++d) {
    l[d] = eval(pr, v.offsets[d]);
    h[d] = l[d] + v.extents[d];
    if (lo) lo[d] = l[d];
    if (d < shape.size() && (l[d] < 0 || h[d] > shape[d]))
      throwViewOutOfBounds(plan.tensors[v.tensor].name, d, l[d], h[d], shape[d]);
  }
  return boxRegion(v.tensor, mode, l.data(), h.data(), rank, shape);
}

// slot = element (row, col) of the view (rank-1 views: col indexes it), once its writer
// has finished (semantic time and host).
void PlanInterpreter::Impl::slotLoad(uint32_t p, Proc& pr, const PlanNode& n) {
  const PlanView& v = n.views[0];
  std::array<int64_t, abi::kMaxTensorRank> lo;
  viewRegion(pr, v, Access::Read, lo.data());
  const int64_t row = eval(pr, n.row), col = eval(pr, n.col);
  const size_t dims = v.offsets.size();
  std::array<int64_t, abi::kMaxTensorRank> el{}, eh{};
  for (size_t d = 0; d < dims; ++d) {
    int64_t off = 0;
    if (d + 1 == dims) off = col;
    else if (d + 2 == dims) off = row;
    el[d] = lo[d] + off;
    eh[d] = el[d] + 1;
    if (off < 0 || eh[d] > lo[d] + v.extents[d])
      throw UserError(makeError({}, fmt::format("slot_load element ({}, {}) is outside the view", row, col))
                          .help("row/col index the view, not the tensor"));
  }
  const RunTensor& t = tensors[v.tensor];
  eng.awaitRegion(p, boxRegion(v.tensor, Access::Read, el.data(), eh.data(), dims, t.shape));
  uint64_t val = slots[n.slot];  // dry run without memory: the slot keeps its value
  const bool held = n.slot < cfg.heldSlots.size() && cfg.heldSlots[n.slot] != 0;
  if (cfg.replay) {
    const std::vector<uint32_t>& mine = replayOf[p];
    size_t& pos = replayPos[p];
    if (pos >= mine.size())
      throw UserError(makeError({}, fmt::format("slot replay holds {} slot loads of process '{}', but this run "
                                                "makes more (slot '{}')",
                                                mine.size(), pr.def->name, plan.slots[n.slot].name))
                          .help("record the slots with the same package, symbols and inputs as the replaying run"));
    const SlotLoad& l = (*cfg.replay)[mine[pos]];
    if (l.slot != n.slot)
      throw UserError(makeError({}, fmt::format("slot replay load {} of process '{}' set slot '{}', but this run "
                                                "loads slot '{}'",
                                                pos, pr.def->name, plan.slots[l.slot].name, plan.slots[n.slot].name))
                          .help("record the slots with the same package, symbols and inputs as the replaying run"));
    ++pos;
    val = l.value;
  } else if (t.base && !held) {
    int64_t off = 0;
    for (size_t d = 0; d < dims && d < t.strides.size(); ++d) off += el[d] * t.strides[d];
    val = 0;
    std::memcpy(&val, t.base + off * plan.tensors[v.tensor].elemBytes,
                std::min<size_t>(plan.tensors[v.tensor].elemBytes, 8));
  }
  slots[n.slot] = val;
  if (cfg.recordSlotLoads) slotLoads.push_back({p, n.slot, val});
}

EngineConfig engineConfigFor(const ScheduleConfig& s) {
  EngineConfig c;
  c.schedule = s;
  return c;
}

namespace planrt {
// Shapes / strides for this run's symbol values (dynamic sizes), and bound memory.
std::vector<RunTensor> runTensors(const Plan& plan, const PlanRunConfig& cfg, const std::vector<int64_t>& symbols) {
  BytecodeEnv env{symbols.data(), symbols.size(), nullptr, 0, nullptr, 0};
  std::vector<RunTensor> out(plan.tensors.size());
  for (size_t i = 0; i < plan.tensors.size(); ++i) {
    const PlanTensor& t = plan.tensors[i];
    RunTensor& r = out[i];
    r.shape = t.shape;
    r.strides = t.strides;
    r.bytes = t.bytes;
    try {
      for (size_t d = 0; d < t.shapeExprs.size(); ++d) r.shape[d] = evalBytecode(t.shapeExprs[d], env);
      for (size_t d = 0; d < t.strideExprs.size(); ++d) r.strides[d] = evalBytecode(t.strideExprs[d], env);
    } catch (const UserError& e) {  // e.g. a size that divides by a symbol set to 0
      throwLocated(e, plan.locations.at(t.loc));
    }
    if (!t.shapeExprs.empty() || !t.strideExprs.empty()) {
      uint64_t last = 0;  // offset of the last element
      for (size_t d = 0; d < r.shape.size(); ++d) {
        if (r.shape[d] <= 0 || r.strides[d] < 0)
          throw UserError(makeError(plan.locations.at(t.loc),
                                    fmt::format("tensor '{}' has size {} (stride {}) in dim {} for this run",
                                                    t.name, r.shape[d], r.strides[d], d))
                              .help("set the symbols its shape reads to positive values"));
        last += static_cast<uint64_t>(r.shape[d] - 1) * static_cast<uint64_t>(r.strides[d]);
      }
      r.bytes = (last + 1) * t.elemBytes;
    }
    if (i < cfg.tensorBase.size()) r.base = static_cast<char*>(cfg.tensorBase[i]);
  }
  return out;
}
}  // namespace planrt

}  // namespace pto::wsp::rt
