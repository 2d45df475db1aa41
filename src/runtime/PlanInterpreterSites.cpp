// PlanInterpreter, call sites: each Call node compiled once per run (its offsets and key
// as fast expressions, its regions, argument words and task built in place, the seq
// frames around it), the issue of a call from its site, and a loop of one call.
#include "PlanInterpreterImpl.h"

#include "pto/wsp/support/Assert.h"
#include "pto/wsp/support/Diagnostic.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <array>
#include <cstring>

namespace pto::wsp::rt {

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
  s.plain = s.scalars.empty() && s.seqFrames.empty();
  for (const SiteParam& sp : s.params) {
    s.plain &= !sp.fold;
    for (uint32_t i = sp.firstDim; i < sp.firstDim + sp.numDims; ++i) {
      SiteDim& dm = s.dims[i];
      dm.view = sp.index;
      dm.wordIndex = sp.word;
      dm.tensor = s.regions[sp.index].tensor;
      dm.first = i == sp.firstDim;
      if (sp.base) {
        const auto eb = static_cast<uint64_t>(sp.elemBytes);
        dm.wordBase = reinterpret_cast<uint64_t>(sp.base) + static_cast<uint64_t>(sp.constOff) * eb;
        dm.strideBytes = static_cast<uint64_t>(dm.stride) * eb;
      }
    }
  }
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

// Issues one Call node (runCall; inline in loopOfOneCall, its hot caller). Blocked
// leaves no trace. The call's values are computed in the order of its kernel's
// parameters (a view's dims in order, each bounds-checked as it is computed), then the
// cycles, then the dispatch key: the first error is the same.
[[gnu::always_inline]] inline Step PlanInterpreter::Impl::issueCall(uint32_t p, Proc& pr, CallSite& s, TaskId* out,
                                                                   uint64_t* finish) {
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
  if (res.status == IssueStatus::Blocked) return blockedCall(pr, s, res);
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

Step PlanInterpreter::Impl::blockedCall(Proc& pr, const CallSite& s, const IssueResult& res) {
  pr.blockedOnEngine = true;
  pr.blockedRes = res.blockedOn;
  pr.blockedMinimal = res.minimalCapacity;
  pr.waitsOn = fmt::format("{} full, held until an open scope ends (issuing kernel '{}')",
                           resourceName(res.blockedOn), s.kernel->name);
  return Step::Blocked;
}

Step PlanInterpreter::Impl::runCall(uint32_t p, Proc& pr, CallSite& s, TaskId* out, uint64_t* finish) {
  return issueCall(p, pr, s, out, finish);
}

void PlanInterpreter::Impl::linkPlainDims(CallSite& s) {
  if (!s.plain) return;
  for (SiteDim& dm : s.dims) {
    dm.lo = &s.regions[dm.view].lo[dm.dim];
    dm.hi = &s.regions[dm.view].hi[dm.dim];
    dm.word = &s.args[dm.wordIndex];
  }
}

// issueCall of a plain site whose stack was checked: its dims in order (the same values,
// checks and first error), the cycles, the key; nothing to collect, no observer context.
[[gnu::always_inline]] inline Step PlanInterpreter::Impl::issuePlain(uint32_t p, Proc& pr, CallSite& s) {
  for (const SiteDim& dm : s.dims) {
    const int64_t l = eval(pr, dm.off);
    const int64_t h = l + dm.extent;
    if (dm.checked && (l < 0 || h > dm.bound)) [[unlikely]]
      throwDimOutOfBounds(dm, l, h);
    *dm.lo = l;
    *dm.hi = h;
    *dm.word = (dm.first ? dm.wordBase : *dm.word) + static_cast<uint64_t>(l) * dm.strideBytes;
  }
  uint64_t* const args = s.args.data();
  TaskDesc& d = s.desc;
  d.cycles = s.kb.cycles ? s.kb.cycles(args, static_cast<uint32_t>(s.args.size())) : s.kernel->cost;
  d.dispatchKey = static_cast<uint64_t>(eval(pr, s.dispatchKey));  // deps: none, ever
  IssueResult res = eng.tryIssue(p, d);
  if (res.status == IssueStatus::Blocked) [[unlikely]]
    return blockedCall(pr, s, res);
  return Step::Acted;
}

// The iterations of a loop frame (entered) whose body is one call, in a lone process,
// back to back: the same transitions as stepNodes' passes over the frame (an iteration
// ends, its boundary, its variable, the call, a fold, a cancel check), without the
// passes. nullopt: the loop is done (the caller pops it).
std::optional<Step> PlanInterpreter::Impl::loopOfOneCall(uint32_t p, Proc& pr, Frame& f) {
  const PlanNode& n = *f.node;
  const PlanNode& c = n.children[0];
  CallSite& s = site(f, c);
  if (s.plain && !f.seqFrame && n.value.code.empty() && !context) return loopOfPlainCall(p, pr, f, s);
  int64_t* var = &pr.vars[n.var];
  for (;;) {
    if (f.idx == 1) {  // iteration done
      ++f.iter;
      f.idx = 0;
      f.iterStarted = false;
    }
    if (f.iter >= f.extent) return std::nullopt;
    if (!f.iterStarted) {
      if (f.seqFrame && f.iter > 0 && f.boundaryBefore != f.iter) {
        f.boundaryBefore = f.iter;
        f.boundaryPending = true;
        if (boundary(p, pr, f) == Step::Blocked) return Step::Blocked;
      }
      *var = f.iter;
      if (!n.value.code.empty()) *var = eval(pr, n.value);
      f.iterStarted = true;
    }
    pr.callNode = &c;
    if (const Step st = issueCall(p, pr, s, nullptr, nullptr); st != Step::Acted) return st;
    pr.callNode = nullptr;
    f.idx = 1;
    if (cfg.cancel != nullptr && cfg.cancel->load(std::memory_order_relaxed)) return Step::Acted;
    if (pr.foldDue && foldJoins(p, pr) == Step::Blocked) return Step::Blocked;
  }
}

// loopOfOneCall of a plain call in a parallel loop whose variable is its iteration: the
// same frame states at every return (a Blocked call, a cancel, a fold), fewer steps
// between the calls.
std::optional<Step> PlanInterpreter::Impl::loopOfPlainCall(uint32_t p, Proc& pr, Frame& f, CallSite& s) {
  const PlanNode& n = *f.node;
  const PlanNode& c = n.children[0];
  int64_t* const var = &pr.vars[n.var];
  if (f.idx == 1) {  // iteration done
    ++f.iter;
    f.idx = 0;
    f.iterStarted = false;
  }
  if (f.iter >= f.extent) return std::nullopt;
  if (!s.stackChecked) checkSiteStack(pr, s);
  if (!f.iterStarted) {
    *var = f.iter;
    f.iterStarted = true;
  }
  for (;;) {
    pr.callNode = &c;
    if (const Step st = issuePlain(p, pr, s); st != Step::Acted) return st;
    pr.callNode = nullptr;
    const bool cancelled = cfg.cancel != nullptr && cfg.cancel->load(std::memory_order_relaxed);
    if (cancelled || pr.foldDue) [[unlikely]] {
      f.idx = 1;
      if (cancelled) return Step::Acted;
      if (foldJoins(p, pr) == Step::Blocked) return Step::Blocked;
      f.idx = 0;
    }
    // The next iteration starts at once (iterStarted stays set).
    if (++f.iter >= f.extent) {
      f.iterStarted = false;
      return std::nullopt;
    }
    *var = f.iter;
  }
}

}  // namespace pto::wsp::rt
