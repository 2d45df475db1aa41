// PlanInterpreter, data side: view regions and kernel argument words, tensor shapes
// and memory for a run, element reads (Load ops, slot_load).
#include "PlanInterpreterImpl.h"

#include "pto/wsp/support/Assert.h"
#include "pto/wsp/support/Diagnostic.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

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

namespace {
[[noreturn]] void throwViewOutOfBounds(const std::string& tensor, size_t d, int64_t lo, int64_t hi, int64_t size) {
  throw UserError(makeError({}, fmt::format("view of tensor '{}' is out of bounds in dim {}: [{}, {}) of {}", tensor,
                                            d, lo, hi, size))
                      .help("check the view's offset expressions and the symbols/slots they read"));
}
}  // namespace

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

FastExpr FastExpr::of(const Bytecode& e, size_t numVars) {
  FastExpr f;
  f.code = &e;
  const std::vector<uint8_t>& c = e.code;
  auto imm32 = [&](size_t at) {
    uint32_t v;
    std::memcpy(&v, c.data() + at, sizeof v);
    return v;
  };
  auto imm64 = [&](size_t at) {
    int64_t v;
    std::memcpy(&v, c.data() + at, sizeof v);
    return v;
  };
  if (c.empty()) {
    f.kind = Kind::Const;
  } else if (c.size() == 1 + sizeof(int64_t) && c[0] == static_cast<uint8_t>(BytecodeOp::Const)) {
    f.kind = Kind::Const;
    f.c = imm64(1);
  } else if (c.size() == 1 + sizeof(uint32_t) && c[0] == static_cast<uint8_t>(BytecodeOp::Var)) {
    if (imm32(1) < numVars) {
      f.kind = Kind::Var;
      f.var = imm32(1);
    }
  } else if (c.size() == kVarOpConstBytes && c[0] == static_cast<uint8_t>(BytecodeOp::Var) &&
             c[5] == static_cast<uint8_t>(BytecodeOp::Const) && imm32(1) < numVars) {
    f.var = imm32(1);
    f.c = imm64(6);
    const bool divisor = f.c != 0 && f.c != -1;
    switch (static_cast<BytecodeOp>(c[14])) {
      case BytecodeOp::Add: f.kind = Kind::Add; break;
      case BytecodeOp::Sub: f.kind = Kind::Sub; break;
      case BytecodeOp::Mul: f.kind = Kind::Mul; break;
      case BytecodeOp::Div: f.kind = divisor ? Kind::Div : Kind::Eval; break;
      case BytecodeOp::Mod: f.kind = divisor ? Kind::Mod : Kind::Eval; break;
      default: break;
    }
  }
  return f;
}

// The frames stepNodes pushes: one per non-Call child (a Call child runs from its
// parent's frame, but a Sel / Cond pushes its chosen child whatever it is), and a
// Consume runs its children from a body frame above its own.
void PlanInterpreter::Impl::compileSites(const PlanNode& n, const Proc& pr, uint32_t depth,
                                         std::vector<uint32_t>& seq) {
  const bool isSeq = n.kind == NodeKind::Seq || (n.kind == NodeKind::Loop && n.loopKind == LoopKind::Sequential);
  if (isSeq) seq.push_back(depth);
  const uint32_t childDepth = depth + (n.kind == NodeKind::Consume ? 2 : 1);
  for (const PlanNode& c : n.children) {
    if (c.kind == NodeKind::Call) compileSite(c, pr, seq);
    else compileSites(c, pr, childDepth, seq);
  }
  if (isSeq) seq.pop_back();
}

void PlanInterpreter::Impl::compileSite(const PlanNode& n, const Proc& pr, const std::vector<uint32_t>& seq) {
  const size_t numVars = pr.vars.size();
  CallSite s;
  s.node = &n;
  s.seqFrames = seq;
  s.deps.resize(seq.size());
  s.kernel = &plan.kernels[n.kernel];
  if (s.kernel->fnIndex < cfg.kernels.size()) s.kb = cfg.kernels[s.kernel->fnIndex];
  size_t vi = 0, si = 0;
  uint32_t word = 0;
  for (const PlanParam& pa : s.kernel->params) {
    SiteParam sp;
    sp.word = word;
    if (pa.kind == ParamKind::Scalar) {
      sp.index = static_cast<uint32_t>(si);
      s.scalars.push_back(FastExpr::of(n.scalars[si++], numVars));
      s.params.push_back(sp);
      s.args.push_back(0);
      ++word;
      continue;
    }
    const uint32_t index = static_cast<uint32_t>(vi);
    const PlanView& v = n.views[vi++];
    const Access mode =
        pa.kind == ParamKind::In ? Access::Read : pa.kind == ParamKind::Out ? Access::Write : Access::ReadWrite;
    const RunTensor& t = tensors[v.tensor];
    const size_t rank = v.offsets.size();
    sp.view = true;
    sp.index = index;
    sp.base = t.base;
    sp.elemBytes = plan.tensors[v.tensor].elemBytes;
    sp.fold = rank > kMaxRank;
    sp.firstDim = static_cast<uint32_t>(s.dims.size());
    Region r;
    r.tensor = v.tensor;
    r.mode = mode;
    r.rank = static_cast<uint8_t>(std::min<size_t>(rank, kMaxRank));
    for (size_t d = 0; d < rank; ++d) {
      SiteDim dm;
      dm.off = FastExpr::of(v.offsets[d], numVars);
      dm.dim = static_cast<uint32_t>(d);
      dm.checked = d < t.shape.size();
      dm.extent = v.extents[d];
      dm.bound = dm.checked ? t.shape[d] : 0;
      dm.stride = d < t.strides.size() ? t.strides[d] : 0;
      // A constant offset in bounds is written once; any other is computed (and
      // checked, at the same point of the run as ever) per call.
      int64_t hi = 0;
      if (!sp.fold && dm.off.kind == FastExpr::Kind::Const && !__builtin_add_overflow(dm.off.c, dm.extent, &hi) &&
          (!dm.checked || (dm.off.c >= 0 && hi <= dm.bound))) {
        r.lo[d] = dm.off.c;
        r.hi[d] = hi;
        sp.constOff += dm.off.c * dm.stride;
        continue;
      }
      s.dims.push_back(dm);
    }
    sp.numDims = static_cast<uint32_t>(s.dims.size()) - sp.firstDim;
    s.regions.push_back(r);
    if (sp.numDims > 0) s.params.push_back(sp);
    // Argument words: base (per call), then the row / col strides (fixed for the run).
    const size_t tr = t.strides.size();
    const int64_t alongRow = tr >= 2 ? t.strides[tr - 2] * v.rowStep : 0;
    const int64_t alongCol = tr >= 1 ? t.strides[tr - 1] * v.colStep : 0;
    s.args.push_back(sp.numDims == 0 && sp.base ? reinterpret_cast<uint64_t>(sp.base + sp.constOff * sp.elemBytes) : 0);
    s.args.push_back(static_cast<uint64_t>(v.transposed ? alongCol : alongRow));
    s.args.push_back(static_cast<uint64_t>(v.transposed ? alongRow : alongCol));
    word += 3;
  }
  s.dispatchKey = FastExpr::of(n.dispatchKey, numVars);
  s.desc.kernel = n.kernel;
  s.desc.fn = s.kb.fn;
  s.desc.seqDeps = true;
  siteOf.emplace(&n, static_cast<uint32_t>(sites.size()));
  sites.push_back(std::move(s));
}

// A site's seq frames are derived from the plan's tree (compileSites); its first call
// checks them against the stack it runs on (the same stack every time).
void PlanInterpreter::Impl::checkSiteStack(const Proc& pr, CallSite& s) {
  std::vector<uint32_t> seq;
  for (size_t i = 0; i < pr.stack.size(); ++i)
    if (pr.stack[i].seqFrame) seq.push_back(static_cast<uint32_t>(i));
  PTO_INTERNAL_ASSERT(seq == s.seqFrames, "call site of kernel '{}': seq frames at stack indices [{}], derived [{}]",
                      s.kernel->name, fmt::join(seq, ", "), fmt::join(s.seqFrames, ", "));
  s.stackChecked = true;
}

// Issues one Call node. Blocked leaves no trace. The call's values are computed in the
// order of its kernel's parameters (a view's dims in order, each bounds-checked as it
// is computed), then the cycles, then the dispatch key: the first error is the same.
Step PlanInterpreter::Impl::runCall(uint32_t p, Proc& pr, CallSite& s, TaskId* out, uint64_t* finish) {
  if (!s.stackChecked) checkSiteStack(pr, s);
  uint64_t* args = s.args.data();
  for (const SiteParam& sp : s.params) {
    if (!sp.view) {
      args[sp.word] = static_cast<uint64_t>(eval(pr, s.scalars[sp.index]));
      continue;
    }
    Region& r = s.regions[sp.index];
    int64_t off = sp.constOff;
    const SiteDim* dm = s.dims.data() + sp.firstDim;
    const SiteDim* const end = dm + sp.numDims;
    if (!sp.fold) {
      for (; dm != end; ++dm) {
        const int64_t l = eval(pr, dm->off);
        const int64_t h = l + dm->extent;
        if (dm->checked && (l < 0 || h > dm->bound))
          throwViewOutOfBounds(plan.tensors[r.tensor].name, dm->dim, l, h, dm->bound);
        r.lo[dm->dim] = l;
        r.hi[dm->dim] = h;
        off += l * dm->stride;
      }
    } else {
      std::array<int64_t, abi::kMaxTensorRank> l, h;
      for (size_t d = 0; dm != end; ++dm, ++d) {
        l[d] = eval(pr, dm->off);
        h[d] = l[d] + dm->extent;
        if (dm->checked && (l[d] < 0 || h[d] > dm->bound))
          throwViewOutOfBounds(plan.tensors[r.tensor].name, d, l[d], h[d], dm->bound);
        off += l[d] * dm->stride;
      }
      r = boxRegion(r.tensor, r.mode, l.data(), h.data(), sp.numDims, tensors[r.tensor].shape);
    }
    if (sp.base) args[sp.word] = reinterpret_cast<uint64_t>(sp.base + off * sp.elemBytes);
  }
  TaskDesc& d = s.desc;
  d.cycles = s.kb.cycles ? s.kb.cycles(args, static_cast<uint32_t>(s.args.size())) : s.kernel->cost;
  TaskId* dep = s.deps.data();
  for (uint32_t i : s.seqFrames)
    if (const Frame& f = pr.stack[i]; f.prevJoin) *dep++ = *f.prevJoin;
  d.deps = {s.deps.data(), dep};
  d.dispatchKey = static_cast<uint64_t>(eval(pr, s.dispatchKey));
  IssueResult res = eng.tryIssue(p, d);
  if (res.status == IssueStatus::Blocked) {
    pr.blockedOnEngine = true;
    pr.blockedRes = res.blockedOn;
    pr.blockedMinimal = res.minimalCapacity;
    pr.waitsOn = fmt::format("{} full, held until an open scope ends (issuing kernel '{}')",
                             resourceName(res.blockedOn), s.kernel->name);
    return Step::Blocked;
  }
  for (uint32_t i : s.seqFrames) {
    Frame& f = pr.stack[i];
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
