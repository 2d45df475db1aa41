// PlanInterpreter, data side: view regions and kernel argument words, tensor shapes
// and memory for a run, element reads (Load ops, slot_load).
#include "PlanInterpreterImpl.h"

#include "pto/wsp/support/Diagnostic.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

namespace pto::wsp::rt {

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
  Region r;
  r.tensor = tensor;
  r.rank = static_cast<uint8_t>(rt.shape.size());
  r.mode = Access::Read;
  int64_t rem = index, off = 0;
  for (int d = r.rank - 1; d >= 0; --d) {
    int64_t i = rem % rt.shape[static_cast<size_t>(d)];
    rem /= rt.shape[static_cast<size_t>(d)];
    r.lo[d] = i;
    r.hi[d] = i + 1;
    off += i * rt.strides[static_cast<size_t>(d)];
  }
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

Region PlanInterpreter::Impl::viewRegion(const Proc& pr, const PlanView& v, Access mode,
                                         std::vector<int64_t>* lo) {
  Region r;
  r.tensor = v.tensor;
  r.rank = static_cast<uint8_t>(v.offsets.size());
  r.mode = mode;
  for (size_t d = 0; d < v.offsets.size(); ++d) {
    r.lo[d] = eval(pr, v.offsets[d]);
    r.hi[d] = r.lo[d] + v.extents[d];
    if (lo) lo->push_back(r.lo[d]);
    const auto& shape = tensors[v.tensor].shape;
    if (d < shape.size() && (r.lo[d] < 0 || r.hi[d] > shape[d]))
      throw UserError(makeError({}, fmt::format("view of tensor '{}' is out of bounds in dim {}: [{}, {}) of {}",
                                                plan.tensors[v.tensor].name, d, r.lo[d], r.hi[d], shape[d]))
                          .help("check the view's offset expressions and the symbols/slots they read"));
  }
  return r;
}

// Issues one Call node. Blocked leaves no trace.
Step PlanInterpreter::Impl::runCall(uint32_t p, Proc& pr, const PlanNode& n, TaskId* out, uint64_t* finish) {
  const PlanKernel& k = plan.kernels[n.kernel];
  regionScratch.clear();
  argScratch.clear();
  size_t vi = 0, si = 0;
  std::vector<int64_t> lo;
  for (const PlanParam& pa : k.params) {
    if (pa.kind == ParamKind::Scalar) {
      argScratch.push_back(static_cast<uint64_t>(eval(pr, n.scalars[si++])));
      continue;
    }
    const PlanView& v = n.views[vi++];
    Access m = pa.kind == ParamKind::In ? Access::Read : pa.kind == ParamKind::Out ? Access::Write : Access::ReadWrite;
    lo.clear();
    regionScratch.push_back(viewRegion(pr, v, m, &lo));
    const RunTensor& t = tensors[v.tensor];
    uint64_t base = 0;
    if (t.base) {
      int64_t off = 0;
      for (size_t d = 0; d < lo.size() && d < t.strides.size(); ++d) off += lo[d] * t.strides[d];
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
                                     .dispatchKey = static_cast<uint64_t>(eval(pr, n.dispatchKey))});
  if (res.status == IssueStatus::Blocked) {
    pr.blockedOnEngine = true;
    pr.blockedRes = res.blockedOn;
    pr.blockedMinimal = res.minimalCapacity;
    pr.waitsOn = fmt::format("{} full, held until an open scope ends (issuing kernel '{}')",
                             resourceName(res.blockedOn), k.name);
    return Step::Blocked;
  }
  for (Frame& f : pr.stack)
    if (f.seqFrame) f.collected.push_back(res.task.id);
  if (out) *out = res.task.id;
  if (finish) *finish = res.task.finish;
  return Step::Acted;
}

// slot = element (row, col) of the view (rank-1 views: col indexes it), once its writer
// has finished (semantic time and host).
void PlanInterpreter::Impl::slotLoad(uint32_t p, Proc& pr, const PlanNode& n) {
  Region r = viewRegion(pr, n.views[0], Access::Read, nullptr);
  const int64_t row = eval(pr, n.row), col = eval(pr, n.col);
  Region e = r;
  const int dims = r.rank;
  for (int d = 0; d < dims; ++d) {
    int64_t off = 0;
    if (d == dims - 1) off = col;
    else if (d == dims - 2) off = row;
    e.lo[d] = r.lo[d] + off;
    e.hi[d] = e.lo[d] + 1;
    if (off < 0 || e.hi[d] > r.hi[d])
      throw UserError(makeError({}, fmt::format("slot_load element ({}, {}) is outside the view", row, col))
                          .help("row/col index the view, not the tensor"));
  }
  eng.awaitRegion(p, e);
  uint64_t val = slots[n.slot];  // dry run without memory: the slot keeps its value
  const RunTensor& t = tensors[r.tensor];
  const bool held = n.slot < cfg.heldSlots.size() && cfg.heldSlots[n.slot] != 0;
  if (cfg.replay) {
    const std::vector<SlotLoad>& rep = *cfg.replay;
    if (replayPos >= rep.size())
      throw UserError(makeError({}, fmt::format("slot replay ends after {} slot loads, but this run makes more "
                                                "(slot {} of plan slot '{}')",
                                                rep.size(), n.slot, plan.slots[n.slot].name))
                          .help("record the slots with the same package, symbols and inputs as the replaying run"));
    const SlotLoad& l = rep[replayPos];
    if (l.slot != n.slot)
      throw UserError(makeError({}, fmt::format("slot replay load {} set slot {}, but this run loads slot {} ('{}')",
                                                replayPos, l.slot, n.slot, plan.slots[n.slot].name))
                          .help("record the slots with the same package, symbols and inputs as the replaying run"));
    ++replayPos;
    val = l.value;
  } else if (t.base && !held) {
    int64_t off = 0;
    for (int d = 0; d < dims && d < static_cast<int>(t.strides.size()); ++d) off += e.lo[d] * t.strides[d];
    val = 0;
    std::memcpy(&val, t.base + off * plan.tensors[r.tensor].elemBytes,
                std::min<size_t>(plan.tensors[r.tensor].elemBytes, 8));
  }
  slots[n.slot] = val;
  if (cfg.recordSlotLoads) slotLoads.push_back({n.slot, val});
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
    for (size_t d = 0; d < t.shapeExprs.size(); ++d) r.shape[d] = evalBytecode(t.shapeExprs[d], env);
    for (size_t d = 0; d < t.strideExprs.size(); ++d) r.strides[d] = evalBytecode(t.strideExprs[d], env);
    if (!t.shapeExprs.empty() || !t.strideExprs.empty()) {
      uint64_t last = 0;  // offset of the last element
      for (size_t d = 0; d < r.shape.size(); ++d) {
        if (r.shape[d] <= 0 || r.strides[d] < 0)
          throw UserError(makeError({}, fmt::format("tensor '{}' has size {} (stride {}) in dim {} for this run",
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
