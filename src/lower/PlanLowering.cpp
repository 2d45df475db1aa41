// Workload -> orchestration plan: tables, statements -> plan nodes, processes.
// Mapping table and decisions: docs/lowering.md, "Workload -> plan".
#include "pto/wsp/lower/PlanLowering.h"

#include "PlanLoweringImpl.h"

#include "pto/wsp/abi/KernelAbi.h"
#include "pto/wsp/cost/KernelCost.h"
#include "pto/wsp/support/Assert.h"
#include "pto/wsp/support/Diagnostic.h"

#include <fmt/format.h>

#include <algorithm>

namespace pto::wsp::lower {

using namespace detail;

namespace detail {

void PlanLowerer::require(std::string_view feature, const SourceLoc& loc) {
  caps.require(feature, loc);
  features.emplace(feature);
}

namespace {
abi::ElemKind elemKind(ir::DType t) {
  if (t == ir::DType::Bool) return abi::ElemKind::Bool;
  if (ir::isFloat(t)) return abi::ElemKind::Float;
  return ir::isSignedInt(t) ? abi::ElemKind::Signed : abi::ElemKind::Unsigned;
}

void collectChannels(const ir::Stmt& s, std::vector<const ir::ChannelDecl*>& out) {
  if (!s.defined()) return;
  if (const auto* c = s.as<ir::ChannelDecl>()) out.push_back(c);
  if (const auto* l = dynamic_cast<const ir::StmtList*>(s.get()))
    for (const auto& x : l->stmts) collectChannels(x, out);
}
}  // namespace

// Tensors, symbols and slots in declaration order (the Program API binds by position).
void PlanLowerer::lowerTables() {
  for (const auto& sd : m.symbols) {
    symbolIdx.emplace(sd.name, static_cast<uint32_t>(plan.symbols.size()));
    plan.symbols.push_back({sd.name, sd.value.value_or(0)});
  }
  for (const auto& sl : m.slots) {
    slotIdx.emplace(sl.name, static_cast<uint32_t>(plan.slots.size()));
    plan.slots.push_back({sl.name, sl.init});
  }
  const ir::Env defaults = m.defaultEnv();
  for (const ir::Tensor& t : m.tensors) {
    tensorIdx.emplace(t.name, static_cast<uint32_t>(plan.tensors.size()));
    abi::PlanTensor pt;
    pt.name = t.name;
    pt.dtype = static_cast<uint8_t>(t.dtype);
    pt.elemBytes = static_cast<uint8_t>(ir::dtypeBytes(t.dtype));
    pt.runtimeManaged = t.role == ir::TensorRole::Temp;
    pt.elem = elemKind(t.dtype);
    pt.loc = loc(t.loc);
    const size_t r = t.rank();
    bool dynamic = false;
    for (const auto& d : t.shape) dynamic |= !ir::asConstInt(d).has_value();
    for (const auto& d : t.shape) {
      std::optional<int64_t> v;
      try {
        v = ir::evalExpr(d, defaults);
      } catch (const UserError&) {
        v.reset();  // reads a symbol without default: every run must set it
      }
      pt.shape.push_back(v.value_or(0));
      if (dynamic) pt.shapeExprs.push_back(symbolExpr(d, fmt::format("the shape of tensor '{}'", t.name)));
    }
    // Memory order: dimOrder (outermost first) or row-major; explicit strides win.
    std::vector<int> order = t.dimOrder;
    if (order.empty())
      for (size_t d = 0; d < r; ++d) order.push_back(static_cast<int>(d));
    pt.strides.assign(r, 0);
    if (!t.strides.empty()) {
      pt.strides = t.strides;
    } else {
      int64_t acc = 1;
      abi::Bytecode accE = abi::Bytecode::constant(1);
      std::vector<abi::Bytecode> se(r);
      for (size_t k = r; k-- > 0;) {
        auto d = static_cast<size_t>(order[k]);
        pt.strides[d] = acc;
        se[d] = accE;
        acc *= std::max<int64_t>(pt.shape[d], 1);
        if (dynamic) accE = abi::Bytecode::binary(abi::BytecodeOp::Mul, accE, pt.shapeExprs[d]);
      }
      if (dynamic) pt.strideExprs = std::move(se);
    }
    uint64_t last = 0;
    for (size_t d = 0; d < r; ++d)
      last += static_cast<uint64_t>(std::max<int64_t>(pt.shape[d] - 1, 0)) * static_cast<uint64_t>(pt.strides[d]);
    pt.bytes = (last + 1) * pt.elemBytes;
    plan.tensors.push_back(std::move(pt));
  }
  std::vector<const ir::ChannelDecl*> chans;
  collectChannels(w.body, chans);
  for (const auto* c : chans) {
    require("csp.channel", c->loc);
    channelIdx.emplace(c->name, static_cast<uint32_t>(plan.channels.size()));
    plan.channels.push_back({c->name, 1, 0, loc(c->loc)});
  }
}

// Kernels enter the plan in first-call order; fnIndex = position.
uint32_t PlanLowerer::kernel(const ir::Kernel& k) {
  if (auto it = kernelIdx.find(k.name); it != kernelIdx.end()) return it->second;
  abi::PlanKernel pk;
  pk.name = k.name;
  pk.fnIndex = static_cast<uint32_t>(plan.kernels.size());
  pk.loc = loc(k.loc);
  for (const auto& p : k.params) {
    abi::PlanParam pp;
    if (p.isTile()) {
      pp.kind = p.dir == ir::ParamDir::In ? abi::ParamKind::In
                : p.dir == ir::ParamDir::Out ? abi::ParamKind::Out
                                             : abi::ParamKind::InOut;
      pp.rows = p.tile.rows;
      pp.cols = p.tile.cols;
      pp.dtype = static_cast<uint8_t>(p.tile.dtype);
    } else {
      pp.kind = abi::ParamKind::Scalar;
      pp.dtype = static_cast<uint8_t>(p.scalarType);
    }
    pk.params.push_back(pp);
  }
  // An external kernel whose cycles read its scalar arguments has no constant cost: the
  // artifact's cycle function gives it per call.
  if (!(k.external && !ir::freeNames(k.cycles, ir::ExprKind::Var).empty())) {
    pk.cost = cost::kernelCycles(k, a).total;  // an op the arch cannot run: located at the op
  }
  uint32_t idx = pk.fnIndex;
  kernelIdx.emplace(k.name, idx);
  plan.kernels.push_back(std::move(pk));
  return idx;
}

abi::PlanView PlanLowerer::view(const ir::View& v) {
  auto it = tensorIdx.find(v.tensor);
  PTO_INTERNAL_ASSERT(it != tensorIdx.end(), "unknown tensor '{}' in a verified module", v.tensor);
  abi::PlanView pv;
  pv.tensor = it->second;
  for (size_t d = 0; d < v.offsets.size(); ++d) {
    pv.offsets.push_back(expr(v.offsets[d], fmt::format("offset {} of a view of '{}'", d, v.tensor)));
    pv.extents.push_back(v.span(d));
  }
  pv.rowStep = v.rowStep;
  pv.colStep = v.colStep;
  pv.transposed = v.transposed;
  return pv;
}

abi::PlanNode PlanLowerer::call(const ir::Call& c) {
  const ir::Kernel* k = m.findKernel(c.kernel);
  PTO_INTERNAL_ASSERT(k && k->params.size() == c.args.size(), "call of '{}' does not match its kernel", c.kernel);
  size_t tiles = 0, scalars = 0;
  for (const auto& p : k->params) (p.isTile() ? tiles : scalars)++;
  const size_t words = 3 * tiles + scalars;
  if (words > abi::kMaxTaskArgs)
    throw UserError(makeError(c.loc, fmt::format("call of '{}' needs {} argument words ({} tiles x 3 + {} scalars), "
                                                 "the task ABI allows {}",
                                                 c.kernel, words, tiles, scalars, abi::kMaxTaskArgs))
                        .help("split the kernel or pass fewer tile / scalar parameters"));
  abi::PlanNode n;
  n.kind = abi::NodeKind::Call;
  n.loc = loc(c.loc);  // the task site
  n.kernel = kernel(*k);
  for (size_t i = 0; i < c.args.size(); ++i) {
    const ir::KernelParam& p = k->params[i];
    if (p.isTile()) {
      n.views.push_back(view(c.args[i].view));
    } else {
      n.scalars.push_back(scalarArg(c.args[i].value, p.scalarType, c.loc,
                                    fmt::format("scalar argument '{}' of '{}'", p.name, c.kernel)));
    }
  }
  if (dispatchKey.defined()) {
    if (!ir::freeNames(dispatchKey, ir::ExprKind::Slot).empty()) require("pred.dispatch_key_slot", dispatchLoc);
    for (const auto& v : ir::freeNames(dispatchKey, ir::ExprKind::Var))
      if (!lookupVar(v))
        throw UserError(makeError(dispatchLoc, fmt::format("dispatch key {} reads variable '{}', which is not bound "
                                                           "at the call of '{}' ({})",
                                                           ir::toString(dispatchKey), v, c.kernel, c.loc.str()))
                            .help("a key may read only loop / consume variables that enclose every call"));
    n.dispatchKey = expr(dispatchKey, "the dispatch key");
  }
  return n;
}

// Loop over vars[varIdx..]: a grid nests outermost first.
abi::PlanNode PlanLowerer::loop(const ir::Loop& l, size_t varIdx) {
  const ir::LoopVar& lv = l.vars[varIdx];
  const ir::Axis& ax = lv.axis;
  abi::PlanNode n;
  n.kind = abi::NodeKind::Loop;
  n.loc = loc(l.loc);
  n.loopKind = l.loopKind == ir::LoopKind::Seq ? abi::LoopKind::Sequential : abi::LoopKind::Parallel;
  const std::string what = fmt::format("the extent of loop variable '{}'", lv.name);
  auto tensorOf = [&](const std::string& name) {
    auto it = tensorIdx.find(name);
    PTO_INTERNAL_ASSERT(it != tensorIdx.end(), "axis tensor '{}' unknown in a verified module", name);
    return it->second;
  };
  auto outer = [&] {
    const uint32_t* b = lookupVar(ax.outer);
    if (!b)
      throw UserError(makeError(ax.loc, fmt::format("axis {} of '{}' indexes by '{}', which is not an enclosing "
                                                    "variable", ax.str(), lv.name, ax.outer))
                          .help("ragged / sparse axes are indexed by an enclosing loop variable"));
    return abi::Bytecode::var(*b);
  };
  switch (ax.kind) {
    case ir::AxisKind::Dense:
      n.axis = abi::AxisKind::Dense;
      n.expr = expr(ax.extent, what);
      break;
    case ir::AxisKind::DenseDyn:
      require("pred.dynamic_axis", ax.loc.valid() ? ax.loc : l.loc);
      n.axis = abi::AxisKind::DenseDyn;
      n.expr = expr(ax.extent, what);
      break;
    case ir::AxisKind::Ragged:
      require("pred.dynamic_axis", ax.loc.valid() ? ax.loc : l.loc);
      n.axis = abi::AxisKind::Ragged;
      n.expr = abi::Bytecode::load(tensorOf(ax.lengths), outer());
      break;
    case ir::AxisKind::Sparse: {
      require("pred.sparse_select", ax.loc.valid() ? ax.loc : l.loc);
      n.axis = abi::AxisKind::Sparse;
      const uint32_t ip = tensorOf(ax.indptr);
      const abi::Bytecode o = outer();
      const abi::Bytecode begin = abi::Bytecode::load(ip, o);
      const abi::Bytecode end = abi::Bytecode::load(ip, abi::Bytecode::binary(abi::BytecodeOp::Add, o, abi::Bytecode::constant(1)));
      n.expr = abi::Bytecode::binary(abi::BytecodeOp::Sub, end, begin);
      break;
    }
  }
  n.var = bindVar(lv.name);
  if (ax.kind == ir::AxisKind::Sparse)
    n.value = abi::Bytecode::load(tensorOf(ax.indices),
                              abi::Bytecode::binary(abi::BytecodeOp::Add, abi::Bytecode::load(tensorOf(ax.indptr), outer()),
                                                abi::Bytecode::var(n.var)));
  if (varIdx + 1 < l.vars.size()) n.children.push_back(loop(l, varIdx + 1));
  else n.children = stmts(l.body);
  vars.pop_back();
  return n;
}

abi::PlanNode PlanLowerer::one(const ir::Stmt& s) {
  std::vector<abi::PlanNode> v = stmts(s);
  if (v.size() == 1) return std::move(v[0]);
  abi::PlanNode n;
  n.kind = abi::NodeKind::Combine;
  n.children = std::move(v);
  return n;
}

// A Block / Combine flattens into its parent's children (both are program order with
// data dependencies only); declarations produce no node.
std::vector<abi::PlanNode> PlanLowerer::stmts(const ir::Stmt& s) {
  std::vector<abi::PlanNode> out;
  if (!s.defined()) return out;
  if (s.kind() == ir::StmtKind::Block || s.kind() == ir::StmtKind::Combine) {
    for (const auto& x : static_cast<const ir::StmtList&>(*s).stmts) {
      auto v = stmts(x);
      for (auto& n : v) out.push_back(std::move(n));
    }
    return out;
  }
  switch (s.kind()) {
    case ir::StmtKind::ChannelDecl:
    case ir::StmtKind::Connect:
    case ir::StmtKind::Process:
    case ir::StmtKind::Replicate: return out;  // tables / processes (lowerProcesses)
    default: out.push_back(stmt(s)); return out;
  }
}

abi::PlanNode PlanLowerer::stmt(const ir::Stmt& s) {
  abi::PlanNode n = stmtNode(s);
  if (n.loc == 0) n.loc = loc(s.loc());
  return n;
}

abi::PlanNode PlanLowerer::stmtNode(const ir::Stmt& s) {
  abi::PlanNode n;
  switch (s.kind()) {
    case ir::StmtKind::Loop: return loop(*s.as<ir::Loop>(), 0);
    case ir::StmtKind::Cond: {
      const auto& c = *s.as<ir::Cond>();
      // when p1 b1 when p2 b2 otherwise e  ->  Cond(p1, b1, Cond(p2, b2, e))
      std::optional<abi::PlanNode> rest;
      if (c.otherwise.defined()) rest = one(c.otherwise);
      for (size_t i = c.branches.size(); i-- > 0;) {
        const ir::Expr& p = c.branches[i].pred;
        if (!ir::freeNames(p, ir::ExprKind::Symbol).empty()) require("pred.cond_symbol", c.loc);
        if (!ir::freeNames(p, ir::ExprKind::Slot).empty()) require("pred.cond_slot", c.loc);
        abi::PlanNode k;
        k.kind = abi::NodeKind::Cond;
        k.loc = loc(c.loc);
        k.expr = expr(p, "a condition");
        k.children.push_back(one(c.branches[i].body));
        if (rest) k.children.push_back(std::move(*rest));
        rest = std::move(k);
      }
      return std::move(*rest);
    }
    case ir::StmtKind::Call: return call(*s.as<ir::Call>());
    case ir::StmtKind::Sequential:
      n.kind = abi::NodeKind::Seq;
      for (const auto& x : s.as<ir::Sequential>()->stmts) n.children.push_back(one(x));
      return n;
    case ir::StmtKind::Scope:
      n.kind = abi::NodeKind::Scope;
      n.children = stmts(s.as<ir::Scope>()->body);
      return n;
    case ir::StmtKind::Send: {
      const auto& sd = *s.as<ir::Send>();
      n.kind = abi::NodeKind::Send;
      n.channel = channelIdx.at(sd.channel);
      if (sd.call.defined()) n.children.push_back(call(*sd.call.as<ir::Call>()));
      else n.expr = expr(sd.value, fmt::format("the value sent on '{}'", sd.channel));
      return n;
    }
    case ir::StmtKind::Consume: {
      const auto& cs = *s.as<ir::Consume>();
      require("csp.consume", cs.loc);
      n.kind = abi::NodeKind::Consume;
      n.channel = channelIdx.at(cs.channel);
      n.var = bindVar(cs.var);
      n.children = stmts(cs.body);
      vars.pop_back();
      return n;
    }
    case ir::StmtKind::SlotLoad: {
      const auto& sl = *s.as<ir::SlotLoad>();
      n.kind = abi::NodeKind::SlotLoad;
      n.slot = slotIdx.at(sl.slot);
      n.views.push_back(view(sl.view));
      n.row = expr(sl.row, "the slot_load row");
      n.col = expr(sl.col, "the slot_load col");
      return n;
    }
    case ir::StmtKind::SlotSet: {
      const auto& ss = *s.as<ir::SlotSet>();
      n.kind = abi::NodeKind::SlotSet;
      n.slot = slotIdx.at(ss.slot);
      n.expr = expr(ss.value, fmt::format("the value of slot ${}", ss.slot));
      return n;
    }
    default: break;
  }
  PTO_UNREACHABLE("statement kind {} reached stmt()", ir::stmtKindName(s.kind()));
}

// Process 0 is the workload's plain statements; each `process` follows in declaration
// order, expanded `replicate` times (instances "name[i]").
void PlanLowerer::lowerProcesses() {
  std::vector<ir::Stmt> top;
  if (w.body.defined() && (w.body.kind() == ir::StmtKind::Block || w.body.kind() == ir::StmtKind::Combine))
    top = static_cast<const ir::StmtList&>(*w.body).stmts;
  else if (w.body.defined())
    top.push_back(w.body);
  std::map<std::string, std::pair<int64_t, SourceLoc>, std::less<>> replicas;
  for (const auto& s : top)
    if (const auto* r = s.as<ir::Replicate>()) {
      auto n = ir::asConstInt(r->count);
      if (!n || *n < 1)
        throw UserError(makeError(r->loc, fmt::format("replicate {} {}: the count must be a constant >= 1",
                                                      r->process, ir::toString(r->count)))
                            .help("the number of process instances is fixed when the plan is built"));
      replicas[r->process] = {*n, r->loc};
    }
  abi::PlanProcess main;
  main.name = "main";
  main.loc = plan.locations.workload;
  plan.processes.emplace_back();  // main goes first; filled once its statements are seen
  std::vector<std::vector<uint32_t>> producers(plan.channels.size());
  for (const auto& s : top) {
    if (const auto* p = s.as<ir::Process>()) {
      vars.clear();
      numVars = 0;
      abi::PlanProcess pp;
      pp.loc = loc(p->loc);
      pp.body = stmts(p->body);
      pp.numVars = numVars;
      int64_t n = 1;
      if (auto it = replicas.find(p->name); it != replicas.end()) {
        require("csp.replicate", it->second.second);
        n = it->second.first;
      }
      for (int64_t i = 0; i < n; ++i) {
        pp.name = n == 1 ? p->name : fmt::format("{}[{}]", p->name, i);
        for (const auto& c : p->produces)
          if (auto ci = channelIdx.find(c); ci != channelIdx.end())
            producers[ci->second].push_back(static_cast<uint32_t>(plan.processes.size()));
        plan.processes.push_back(pp);
      }
      continue;
    }
    vars.clear();
    numVars = main.numVars;
    for (auto& n : stmts(s)) main.body.push_back(std::move(n));
    main.numVars = numVars;
  }
  plan.processes[0] = std::move(main);
  for (size_t c = 0; c < producers.size(); ++c)
    if (producers[c].size() > 1) require("csp.multi_producer", w.loc);
}

}  // namespace detail

PlanLoweringResult lowerWorkload(const ir::Module& m, const ir::Workload& w, const arch::ArchModel& a,
                                 const arch::CapabilityMatrix& caps) {
  PlanLowerer L(m, w, a, caps);
  L.plan.locations.workload = L.loc(w.loc.valid() ? w.loc : m.loc);
  L.lowerTables();
  L.lowerSchedule();
  L.lowerProcesses();
  std::string err = abi::validatePlan(L.plan);
  PTO_INTERNAL_ASSERT(err.empty(), "lowered plan of '{}' is malformed: {}", w.name, err);
  PlanLoweringResult r;
  r.plan = std::move(L.plan);
  r.features.assign(L.features.begin(), L.features.end());
  return r;
}

}  // namespace pto::wsp::lower
