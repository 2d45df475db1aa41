// PlanInterpreter, data side: view regions and kernel argument words, tensor shapes
// and memory for a run, element reads (Load ops, slot_load).
#include "PlanInterpreterImpl.h"

#include "pto/wsp/support/Assert.h"
#include "pto/wsp/support/Diagnostic.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstring>

namespace pto::wsp::rt {

namespace {

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

}  // namespace

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
      throw UserError(makeError({}, fmt::format("view of tensor '{}' is out of bounds in dim {}: [{}, {}) of {}",
                                                plan.tensors[v.tensor].name, d, l[d], h[d], shape[d]))
                          .help("check the view's offset expressions and the symbols/slots they read"));
  }
  return boxRegion(v.tensor, mode, l.data(), h.data(), rank, shape);
}

// Issues one Call node. Blocked leaves no trace.
Step PlanInterpreter::Impl::runCall(uint32_t p, Proc& pr, const PlanNode& n, TaskId* out, uint64_t* finish) {
  const PlanKernel& k = plan.kernels[n.kernel];
  regionScratch.clear();
  argScratch.clear();
  size_t vi = 0, si = 0;
  std::array<int64_t, abi::kMaxTensorRank> lo;  // a view's unfolded offsets
  for (const PlanParam& pa : k.params) {
    if (pa.kind == ParamKind::Scalar) {
      argScratch.push_back(static_cast<uint64_t>(eval(pr, n.scalars[si++])));
      continue;
    }
    const PlanView& v = n.views[vi++];
    Access m = pa.kind == ParamKind::In ? Access::Read : pa.kind == ParamKind::Out ? Access::Write : Access::ReadWrite;
    regionScratch.push_back(viewRegion(pr, v, m, lo.data()));
    const RunTensor& t = tensors[v.tensor];
    uint64_t base = 0;
    if (t.base) {
      int64_t off = 0;
      const size_t rank = v.offsets.size();
      for (size_t d = 0; d < rank && d < t.strides.size(); ++d) off += lo[d] * t.strides[d];
      base = reinterpret_cast<uint64_t>(t.base + off * plan.tensors[v.tensor].elemBytes);
    }
    const size_t r = t.strides.size();
    const int64_t alongRow = r >= 2 ? t.strides[r - 2] * v.rowStep : 0;
    const int64_t alongCol = t.strides[r - 1] * v.colStep;
    argScratch.push_back(base);
    argScratch.push_back(static_cast<uint64_t>(v.transposed ? alongCol : alongRow));
    argScratch.push_back(static_cast<uint64_t>(v.transposed ? alongRow : alongCol));
  }
  KernelBinding kb;
  if (k.fnIndex < cfg.kernels.size()) kb = cfg.kernels[k.fnIndex];
  uint64_t cycles = kb.cycles ? kb.cycles(argScratch.data(), static_cast<uint32_t>(argScratch.size())) : k.cost;
  depScratch.clear();
  for (const Frame& f : pr.stack)
    if (f.seqFrame && f.prevJoin) depScratch.push_back(*f.prevJoin);
  IssueResult res = eng.tryIssue(p, {.kernel = n.kernel,
                                     .fn = kb.fn,
                                     .args = argScratch,
                                     .regions = regionScratch,
                                     .deps = depScratch,
                                     .cycles = cycles,
                                     .dispatchKey = static_cast<uint64_t>(eval(pr, n.dispatchKey)),
                                     .seqDeps = true});
  if (res.status == IssueStatus::Blocked) {
    pr.blockedOnEngine = true;
    pr.blockedRes = res.blockedOn;
    pr.blockedMinimal = res.minimalCapacity;
    pr.waitsOn = fmt::format("{} full, held until an open scope ends (issuing kernel '{}')",
                             resourceName(res.blockedOn), k.name);
    return Step::Blocked;
  }
  for (Frame& f : pr.stack)
    if (f.seqFrame) {
      f.collected.push_back(res.task.id);
      if (f.collected.size() >= kJoinFold) pr.foldDue = true;
    }
  if (context) {
    axisScratch.clear();
    // Loop iterations and consumed token values, outermost first.
    for (const Frame& f : pr.stack)
      if ((f.node->kind == NodeKind::Loop && !f.listOnly && f.iterStarted) ||
          (f.node->kind == NodeKind::Consume && f.listOnly))
        axisScratch.push_back(pr.vars[f.node->var]);
    context->onAxes(res.task.id, axisScratch);
    if (pr.cspFrom != kNoTask) context->onCspEdge(pr.cspFrom, res.task.id);
    pr.cspFrom = kNoTask;
    pr.lastTask = res.task.id;
  }
  if (out) *out = res.task.id;
  if (finish) *finish = res.task.finish;
  return Step::Acted;
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
      std::vector<Diagnostic> ds = e.diagnostics();
      for (Diagnostic& dg : ds)
        if (!dg.loc.valid()) dg.loc = plan.locations.at(t.loc);
      throw UserError(std::move(ds));
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
