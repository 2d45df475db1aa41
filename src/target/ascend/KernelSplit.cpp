// The cube / vector split (KernelSplit.h). Units are cut from the ops in body order: a
// new unit starts where the core kind of the compute ops (matmul: cube; every other op
// but load / store: vector) changes. Loads are not placed by position: each unit loads
// what it reads right before its first use, so a parameter read on both sides is read
// twice from GM instead of crossing the GM intermediate. A store goes to the unit that
// computes its value.
#include "KernelSplit.h"

#include "pto/wsp/support/Assert.h"
#include "pto/wsp/support/Diagnostic.h"

#include <fmt/format.h>

#include <map>
#include <set>

namespace pto::wsp::target::ascend {

using ir::TileInst;
using ir::TileOpKind;

namespace {

enum class Side : uint8_t { None, Cube, Vector };

Side sideOf(const TileInst& inst) {
  if (inst.op == TileOpKind::Load || inst.op == TileOpKind::Store) return Side::None;
  return inst.op == TileOpKind::Matmul ? Side::Cube : Side::Vector;
}

// matmul a, b, acc  ->  %v.mm = matmul a, b ; %v = add %v.mm, acc
std::vector<TileInst> withoutAccumulators(const ir::Kernel& k) {
  std::vector<TileInst> out;
  for (const TileInst& inst : k.body) {
    if (inst.op != TileOpKind::Matmul || inst.operands.size() != 3) {
      out.push_back(inst);
      continue;
    }
    TileInst mm = inst;
    mm.operands.pop_back();
    mm.results = {inst.results.at(0) + "_mm"};
    TileInst add;
    add.op = TileOpKind::Add;
    add.results = inst.results;
    add.resultTypes = inst.resultTypes;
    add.operands = {mm.results[0], inst.operands[2]};
    add.loc = inst.loc;
    out.push_back(std::move(mm));
    out.push_back(std::move(add));
  }
  return out;
}

std::string bare(std::string_view ssa) { return std::string(ssa.starts_with('%') ? ssa.substr(1) : ssa); }

std::string ident(std::string_view s) {
  std::string out;
  for (char c : s) out.push_back(std::isalnum(static_cast<unsigned char>(c)) ? c : '_');
  return out;
}

}  // namespace

bool needsSplit(const ir::Kernel& k) {
  if (k.external) return false;
  bool cube = false, vector = false;
  for (const TileInst& inst : k.body) {
    if (inst.op == TileOpKind::Matmul && inst.operands.size() == 3) return true;
    cube |= sideOf(inst) == Side::Cube;
    vector |= sideOf(inst) == Side::Vector;
  }
  return cube && vector;
}

SplitKernel splitKernel(const ir::Kernel& k) {
  const std::vector<TileInst> body = withoutAccumulators(k);
  // Producer of every SSA value: the load (param) or the compute op and its unit.
  std::map<std::string, const TileInst*, std::less<>> loadOf;
  std::map<std::string, size_t, std::less<>> unitOf;
  std::map<std::string, ir::TileType, std::less<>> typeOf;
  std::vector<Side> sides;
  std::vector<std::vector<const TileInst*>> ops;  // per unit, compute ops and stores in order
  for (const TileInst& inst : body) {
    for (size_t r = 0; r < inst.results.size(); ++r) typeOf[inst.results[r]] = inst.resultTypes.at(r);
    if (inst.op == TileOpKind::Load) {
      loadOf[inst.results.at(0)] = &inst;
      continue;
    }
    size_t u = 0;
    if (inst.op == TileOpKind::Store) {
      const std::string& v = inst.operands.at(0);
      if (auto it = unitOf.find(v); it != unitOf.end()) {
        u = it->second;
      } else {
        // A loaded tile stored as it is: in the last unit (any core moves it).
        if (ops.empty()) {
          sides.push_back(Side::Vector);
          ops.emplace_back();
        }
        u = ops.size() - 1;
      }
    } else {
      const Side s = sideOf(inst);
      if (sides.empty() || sides.back() != s) {
        sides.push_back(s);
        ops.emplace_back();
      }
      u = ops.size() - 1;
      for (const std::string& r : inst.results) unitOf[r] = u;
    }
    ops[u].push_back(&inst);
  }

  SplitKernel out;
  std::map<std::string, int, std::less<>> interOf;  // SSA value -> intermediate index
  // Values computed in one unit and used in a later one get an intermediate.
  for (size_t u = 0; u < ops.size(); ++u)
    for (const TileInst* inst : ops[u])
      for (const std::string& o : inst->operands) {
        auto it = unitOf.find(o);
        if (it == unitOf.end() || it->second == u || interOf.count(o)) continue;
        PTO_INTERNAL_ASSERT(it->second < u, "value '{}' used before its unit", o);
        interOf[o] = static_cast<int>(out.intermediates.size());
        out.intermediates.push_back(typeOf.at(o));
        out.intermediateNames.push_back(bare(o));
      }

  for (size_t u = 0; u < ops.size(); ++u) {
    KernelUnit unit;
    ir::Kernel& uk = unit.kernel;
    uk.name = fmt::format("{}_{}_{}", k.name, u, sides[u] == Side::Cube ? "aic" : "aiv");
    uk.loc = k.loc;
    std::set<std::string, std::less<>> have;  // values defined in this unit so far
    std::set<std::string, std::less<>> loadedParams, storedParams, scalarParams;
    std::vector<int> interIn, interOut;
    auto interParam = [&](int j) { return fmt::format("mid_{}", ident(out.intermediateNames[static_cast<size_t>(j)])); };
    for (const TileInst* inst : ops[u]) {
      for (const std::string& o : inst->operands) {
        if (have.count(o)) continue;
        if (auto l = loadOf.find(o); l != loadOf.end()) {
          uk.body.push_back(*l->second);
          loadedParams.insert(l->second->param);
        } else {
          const int j = interOf.at(o);
          TileInst ld;
          ld.op = TileOpKind::Load;
          ld.results = {o};
          ld.resultTypes = {typeOf.at(o)};
          ld.param = interParam(j);
          ld.loc = inst->loc;
          uk.body.push_back(std::move(ld));
          interIn.push_back(j);
        }
        have.insert(o);
      }
      uk.body.push_back(*inst);
      if (inst->op == TileOpKind::Store) storedParams.insert(inst->param);
      if (inst->scalar && inst->scalar->isParam()) scalarParams.insert(inst->scalar->param);
      for (const std::string& r : inst->results) {
        have.insert(r);
        if (auto it = interOf.find(r); it != interOf.end()) {
          TileInst st;
          st.op = TileOpKind::Store;
          st.operands = {r};
          st.param = interParam(it->second);
          st.loc = inst->loc;
          uk.body.push_back(std::move(st));
          interOut.push_back(it->second);
        }
      }
    }
    // Parameters: the kernel's tiles this unit touches (in order), the intermediates it
    // writes, those it reads, then its scalars.
    for (size_t p = 0; p < k.params.size(); ++p) {
      const ir::KernelParam& kp = k.params[p];
      if (!kp.isTile()) continue;
      const bool ld = loadedParams.count(kp.name) != 0, st = storedParams.count(kp.name) != 0;
      if (!ld && !st) continue;
      ir::KernelParam np = kp;
      np.dir = ld && st ? ir::ParamDir::InOut : ld ? ir::ParamDir::In : ir::ParamDir::Out;
      uk.params.push_back(std::move(np));
      unit.source.push_back(static_cast<int>(p));
    }
    for (const auto& [list, dir] : {std::pair{&interOut, ir::ParamDir::Out}, std::pair{&interIn, ir::ParamDir::In}})
      for (int j : *list) {
        uk.params.push_back(ir::KernelParam::makeTile(interParam(j), dir, out.intermediates[static_cast<size_t>(j)], k.loc));
        unit.source.push_back(-(j + 1));
      }
    for (size_t p = 0; p < k.params.size(); ++p)
      if (!k.params[p].isTile() && scalarParams.count(k.params[p].name)) {
        uk.params.push_back(k.params[p]);
        unit.source.push_back(static_cast<int>(p));
      }
    out.units.push_back(std::move(unit));
  }
  return out;
}

namespace {

struct LoopVar {
  uint32_t var;
  int64_t extent;
};

class PlanSplitter {
 public:
  PlanSplitter(SplitProgram& out, std::map<uint32_t, std::pair<SplitKernel, std::vector<uint32_t>>> split,
               std::map<uint32_t, std::string> names)
      : out_(out), split_(std::move(split)), origName_(std::move(names)) {}

  void rewrite(abi::PlanNode& n, std::vector<LoopVar>& loops, bool inSend) {
    if (n.kind == abi::NodeKind::Call && split_.count(n.kernel)) {
      n = callSite(n, loops, inSend);
      return;
    }
    const bool loop = n.kind == abi::NodeKind::Loop;
    if (loop) {
      int64_t extent = -1;
      if (n.axis != abi::AxisKind::Dense || !n.value.code.empty() || !n.expr.isConstant(&extent)) extent = -1;
      loops.push_back({n.var, extent});
    }
    for (abi::PlanNode& c : n.children) rewrite(c, loops, inSend || n.kind == abi::NodeKind::Send);
    if (loop) loops.pop_back();
  }

 private:
  abi::PlanNode callSite(const abi::PlanNode& call, const std::vector<LoopVar>& loops, bool inSend) {
    const auto& [sk, unitIdx] = split_.at(call.kernel);
    const SourceLoc at = out_.plan.locations.at(call.loc);
    const ir::Kernel* k = nullptr;
    for (const ir::Kernel& c : out_.module.kernels)
      if (c.name == origName_.at(call.kernel)) k = &c;
    PTO_INTERNAL_ASSERT(k != nullptr, "split kernel without its IR");
    if (inSend)
      throw UserError(makeError(at, fmt::format("kernel '{}' mixes cube and vector work and is called in a send; "
                                                "the ascend target splits it into {} tasks, which have no single token",
                                                k->name, sk.units.size()))
                          .help("send from a call of a kernel that runs on one core type"));
    // Tiles per iteration of the loops around the call.
    abi::Bytecode iter = abi::Bytecode::constant(0);
    int64_t count = 1;
    for (const LoopVar& l : loops) {
      if (l.extent < 0)
        throw UserError(makeError(at, fmt::format("kernel '{}' mixes cube and vector work; the ascend target splits "
                                                  "it with one GM intermediate per loop iteration, but a loop around "
                                                  "this call has no constant extent",
                                                  k->name))
                            .help("call the kernel inside dense loops with constant extents, or split it by hand"));
      iter = abi::Bytecode::binary(abi::BytecodeOp::Add,
                                   abi::Bytecode::binary(abi::BytecodeOp::Mul, iter, abi::Bytecode::constant(l.extent)),
                                   abi::Bytecode::var(l.var));
      count *= std::max<int64_t>(l.extent, 1);
    }
    const uint32_t site = sites_[call.kernel]++;
    std::vector<uint32_t> temps;
    for (size_t j = 0; j < sk.intermediates.size(); ++j) {
      const ir::TileType& t = sk.intermediates[j];
      abi::PlanTensor pt;
      pt.name = uniqueName(fmt::format("{}_{}_{}", k->name, ident(sk.intermediateNames[j]), site));
      pt.dtype = static_cast<uint8_t>(t.dtype);
      pt.elemBytes = static_cast<uint8_t>(ir::dtypeBytes(t.dtype));
      pt.shape = {count * t.rows, t.cols};
      pt.strides = {t.cols, 1};
      pt.bytes = static_cast<uint64_t>(count * t.rows * t.cols) * pt.elemBytes;
      pt.runtimeManaged = true;
      pt.elem = t.dtype == ir::DType::F32 || t.dtype == ir::DType::F16 || t.dtype == ir::DType::BF16
                    ? abi::ElemKind::Float
                    : abi::ElemKind::Signed;
      pt.loc = call.loc;
      temps.push_back(static_cast<uint32_t>(out_.plan.tensors.size()));
      out_.plan.tensors.push_back(std::move(pt));
    }
    // The original call's views and scalars by parameter index.
    std::vector<int> viewOf(k->params.size(), -1), scalarOf(k->params.size(), -1);
    for (size_t p = 0, v = 0, s = 0; p < k->params.size(); ++p) (k->params[p].isTile() ? viewOf[p] = static_cast<int>(v++)
                                                                                         : scalarOf[p] = static_cast<int>(s++));
    abi::PlanNode group;
    group.kind = abi::NodeKind::Combine;
    group.loc = call.loc;
    for (size_t u = 0; u < sk.units.size(); ++u) {
      const KernelUnit& unit = sk.units[u];
      abi::PlanNode c;
      c.kind = abi::NodeKind::Call;
      c.kernel = unitIdx[u];
      c.dispatchKey = call.dispatchKey;
      c.loc = call.loc;
      for (size_t q = 0; q < unit.source.size(); ++q) {
        const int src = unit.source[q];
        if (src < 0) {
          const size_t j = static_cast<size_t>(-src - 1);
          const ir::TileType& t = sk.intermediates[j];
          abi::PlanView v;
          v.tensor = temps[j];
          v.offsets = {abi::Bytecode::binary(abi::BytecodeOp::Mul, iter, abi::Bytecode::constant(t.rows)),
                       abi::Bytecode::constant(0)};
          v.extents = {t.rows, t.cols};
          c.views.push_back(std::move(v));
        } else if (k->params[static_cast<size_t>(src)].isTile()) {
          c.views.push_back(call.views.at(static_cast<size_t>(viewOf[static_cast<size_t>(src)])));
        } else {
          c.scalars.push_back(call.scalars.at(static_cast<size_t>(scalarOf[static_cast<size_t>(src)])));
        }
      }
      group.children.push_back(std::move(c));
    }
    return group;
  }

  std::string uniqueName(std::string base) {
    auto taken = [&](const std::string& n) {
      for (const abi::PlanTensor& t : out_.plan.tensors)
        if (t.name == n) return true;
      return false;
    };
    std::string n = base;
    for (int i = 2; taken(n); ++i) n = fmt::format("{}_{}", base, i);
    return n;
  }

 private:
  SplitProgram& out_;
  std::map<uint32_t, std::pair<SplitKernel, std::vector<uint32_t>>> split_;
  std::map<uint32_t, std::string> origName_;  // plan kernel index -> the split kernel's name
  std::map<uint32_t, uint32_t> sites_;
};

abi::PlanParam planParam(const ir::KernelParam& p) {
  abi::PlanParam pp;
  if (!p.isTile()) {
    pp.kind = abi::ParamKind::Scalar;
    pp.dtype = static_cast<uint8_t>(p.scalarType);
    return pp;
  }
  pp.kind = p.dir == ir::ParamDir::In ? abi::ParamKind::In : p.dir == ir::ParamDir::Out ? abi::ParamKind::Out
                                                                                       : abi::ParamKind::InOut;
  pp.rows = p.tile.rows;
  pp.cols = p.tile.cols;
  pp.dtype = static_cast<uint8_t>(p.tile.dtype);
  return pp;
}

void collectCalls(abi::PlanNode& n, std::map<uint32_t, std::vector<abi::PlanNode*>>& calls) {
  if (n.kind == abi::NodeKind::Call) calls[n.kernel].push_back(&n);
  for (abi::PlanNode& c : n.children) collectCalls(c, calls);
}

// A cube kernel's `in` tile that every call passes as a transposed view (K[...].T) and
// that only feeds matmuls becomes the untransposed tile (the view's words then have
// column stride 1) plus a transpose after its load, which the cube lowers as one TLOAD
// through a DN-layout GlobalTensor (PtoIsaKernel.cpp).
void untransposeCubeOperands(SplitProgram& sp) {
  std::map<uint32_t, std::vector<abi::PlanNode*>> calls;
  for (abi::PlanProcess& p : sp.plan.processes)
    for (abi::PlanNode& n : p.body) collectCalls(n, calls);
  for (auto& [ki, sites] : calls) {
    ir::Kernel* k = nullptr;
    for (ir::Kernel& c : sp.module.kernels)
      if (c.name == sp.plan.kernels[ki].name) k = &c;
    if (k == nullptr || k->external) continue;
    bool cube = false, vector = false;
    for (const TileInst& inst : k->body) {
      cube |= sideOf(inst) == Side::Cube;
      vector |= sideOf(inst) == Side::Vector;
    }
    if (!cube || vector) continue;
    for (size_t p = 0, t = 0; p < k->params.size(); ++p) {
      ir::KernelParam& kp = k->params[p];
      if (!kp.isTile()) continue;
      const size_t view = t++;
      if (kp.dir != ir::ParamDir::In) continue;
      bool all = true;
      for (const abi::PlanNode* c : sites) {
        const abi::PlanView& v = c->views.at(view);
        all &= v.transposed && v.rowStep == 1 && v.colStep == 1;
      }
      // Every load of the tile feeds matmul operands only.
      std::set<std::string, std::less<>> loaded;
      for (const TileInst& inst : k->body)
        if (inst.op == TileOpKind::Load && inst.param == kp.name) loaded.insert(inst.results.at(0));
      for (const TileInst& inst : k->body)
        for (size_t o = 0; o < inst.operands.size(); ++o)
          if (loaded.count(inst.operands[o])) all &= inst.op == TileOpKind::Matmul && o < 2;
      if (!all || loaded.empty()) continue;
      std::swap(kp.tile.rows, kp.tile.cols);
      std::vector<TileInst> body;
      for (const TileInst& inst : k->body) {
        if (inst.op != TileOpKind::Load || inst.param != kp.name) {
          body.push_back(inst);
          continue;
        }
        TileInst ld = inst;
        ld.results = {inst.results[0] + "_rows"};
        ld.resultTypes = {kp.tile};
        TileInst tr;
        tr.op = TileOpKind::Transpose;
        tr.results = inst.results;
        tr.resultTypes = inst.resultTypes;
        tr.operands = ld.results;
        tr.loc = inst.loc;
        body.push_back(std::move(ld));
        body.push_back(std::move(tr));
      }
      k->body = std::move(body);
      abi::PlanParam& pp = sp.plan.kernels[ki].params.at(p);
      std::swap(pp.rows, pp.cols);
      for (abi::PlanNode* c : sites) c->views[view].transposed = false;
    }
  }
}

}  // namespace

SplitProgram splitMixedKernels(const ir::Module& m, const abi::Plan& plan) {
  SplitProgram out{m, plan};
  std::map<uint32_t, std::pair<SplitKernel, std::vector<uint32_t>>> split;
  std::map<uint32_t, std::string> names;
  const size_t n = plan.kernels.size();
  for (uint32_t i = 0; i < n; ++i) {
    const ir::Kernel* k = m.findKernel(plan.kernels[i].name);
    PTO_INTERNAL_ASSERT(k != nullptr, "plan kernel '{}' is not in module '{}'", plan.kernels[i].name, m.name);
    if (!needsSplit(*k)) continue;
    SplitKernel sk = splitKernel(*k);
    std::vector<uint32_t> idx;
    for (size_t u = 0; u < sk.units.size(); ++u) {
      // The first unit takes the kernel's plan index (its func id); the others follow the
      // plan's kernels.
      abi::PlanKernel pk = plan.kernels[i];
      pk.name = sk.units[u].kernel.name;
      pk.params.clear();
      for (const ir::KernelParam& p : sk.units[u].kernel.params) pk.params.push_back(planParam(p));
      const uint32_t at = u == 0 ? i : static_cast<uint32_t>(out.plan.kernels.size());
      pk.fnIndex = at;
      if (u == 0) out.plan.kernels[i] = std::move(pk);
      else out.plan.kernels.push_back(std::move(pk));
      idx.push_back(at);
      out.module.kernels.push_back(sk.units[u].kernel);
    }
    names[i] = k->name;
    split.emplace(i, std::pair{std::move(sk), std::move(idx)});
  }
  if (!split.empty()) {
    PlanSplitter ps(out, std::move(split), std::move(names));
    for (abi::PlanProcess& p : out.plan.processes) {
      std::vector<LoopVar> loops;
      for (abi::PlanNode& node : p.body) ps.rewrite(node, loops, false);
    }
  }
  untransposeCubeOperands(out);
  return out;
}

}  // namespace pto::wsp::target::ascend
