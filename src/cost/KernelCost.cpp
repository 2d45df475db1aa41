#include "pto/wsp/cost/KernelCost.h"

#include "pto/wsp/support/Assert.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>

namespace pto::wsp::cost {

using arch::ArchModel;

CycleReport scheduleKernel(std::span<const KernelOp> ops, const ArchModel& a, std::string kernelName) {
  CycleReport r;
  r.kernel = std::move(kernelName);
  r.arch = a.name;
  for (const arch::ExecUnit& u : a.units) r.units.push_back({u.name, a.pipeOf(u.name), 0});
  auto unitIndex = [&](const std::string& n) {
    for (size_t i = 0; i < r.units.size(); ++i)
      if (r.units[i].unit == n) return i;
    PTO_UNREACHABLE("unit '{}' not in arch '{}'", n, a.name);
  };
  const uint64_t pipeSync = a.syncLatency(arch::SyncScope::Pipe);
  std::vector<uint64_t> pipeFree(a.units.size(), 0);
  uint64_t issueFree = 0;
  std::vector<int> lastPipe;  // per op: pipe of its last phase

  for (size_t i = 0; i < ops.size(); ++i) {
    const KernelOp& kop = ops[i];
    OpTiming t;
    t.label = kop.label;
    t.kind = kop.op.kind;
    t.cost = opCycles(kop.op, a);
    PTO_INTERNAL_ASSERT(!t.cost.phases.empty(), "op {} has no phases", i);
    issueFree += t.cost.issueCycles;
    if (!t.cost.issueUnit.empty()) r.units[unitIndex(t.cost.issueUnit)].busy += t.cost.issueCycles;
    t.issueEnd = issueFree;

    uint64_t ready = t.issueEnd;
    int pipe = a.pipeOf(t.cost.phases[0].unit);
    for (size_t d : kop.deps) {
      PTO_INTERNAL_ASSERT(d < i, "op {} depends on later op {}", i, d);
      ready = std::max(ready, r.ops[d].end + (lastPipe[d] != pipe ? pipeSync : 0));
    }
    bool first = true;
    int prevPipe = pipe;
    for (const Phase& ph : t.cost.phases) {
      const int p = a.pipeOf(ph.unit);
      if (!first && p != prevPipe) ready += pipeSync;  // hand-off between pipes inside the op
      const uint64_t start = std::max(ready, pipeFree[static_cast<size_t>(p)]);
      if (first) t.start = start;
      ready = start + ph.cycles;
      pipeFree[static_cast<size_t>(p)] = ready;
      r.units[unitIndex(ph.unit)].busy += ph.cycles;
      prevPipe = p;
      first = false;
    }
    t.end = ready;
    lastPipe.push_back(prevPipe);
    r.total = std::max(r.total, t.end);
    r.ops.push_back(std::move(t));
  }
  r.total = std::max(r.total, issueFree);
  // Busy per pipeline (a shared pipeline's units add up); scalar issue is its own timeline.
  std::map<int, uint64_t> pipeBusy;
  for (const UnitBusy& u : r.units) {
    const arch::ExecUnit* eu = a.unit(u.unit);
    if (eu && eu->kind != arch::UnitKind::Scalar) pipeBusy[u.pipe] += u.busy;
  }
  for (const auto& [p, b] : pipeBusy) r.maxPipeBusy = std::max(r.maxPipeBusy, b);
  r.exposed = r.total - std::min(r.total, r.maxPipeBusy);
  return r;
}

namespace {

[[noreturn]] void kernelError(const SourceLoc& loc, std::string msg, std::string help) {
  Diagnostic d = makeError(loc, std::move(msg));
  d.help(std::move(help));
  throw UserError(std::move(d));
}

std::string labelOf(const ir::TileInst& inst) {
  std::string s;
  for (const std::string& n : inst.results) s += (s.empty() ? "%" : ", %") + n;
  if (!s.empty()) s += " = ";
  s += ir::tileOpInfo(inst.op).name;
  for (const std::string& n : inst.operands) s += " %" + n;
  if (!inst.param.empty()) s += " " + inst.param;
  return s;
}

}  // namespace

namespace {
// The scratchpad that holds a kernel's tiles: the largest one private to the worker class
// that runs it (a class with a matrix unit for a kernel with a matmul, else a class with
// a vector unit, preferring one without a matrix unit). Null when the arch models none.
const arch::MemorySpace* kernelScratchpad(const ArchModel& a, bool hasMatmul) {
  const arch::MemorySpace* best = nullptr;
  int bestRank = -1;
  for (const arch::WorkerClass& wc : a.workers) {
    bool vec = false, mat = false;
    for (const std::string& u : wc.units)
      if (const arch::ExecUnit* eu = a.unit(u)) {
        vec |= eu->kind == arch::UnitKind::Vector;
        mat |= eu->kind == arch::UnitKind::Matrix;
      }
    const int rank = hasMatmul ? (mat ? 2 : 0) : (vec && !mat ? 2 : vec ? 1 : 0);
    const arch::MemorySpace* pad = nullptr;
    for (const std::string& n : wc.memories)
      if (const arch::MemorySpace* m = a.memory(n); m && m->scratchpad && (!pad || m->capacityBytes > pad->capacityBytes))
        pad = m;
    if (pad && rank > bestRank) {
      best = pad;
      bestRank = rank;
    }
  }
  return best;
}

// Peak bytes of live tile values: a value is live from the op that defines it to its
// last use (docs/cost-model.md, "Scratchpad footprint"). A kernel whose peak exceeds
// the scratchpad cannot run on the arch: a located error naming both numbers.
void checkScratchpad(const ir::Kernel& k, const ArchModel& a) {
  std::map<std::string, std::pair<size_t, uint64_t>, std::less<>> def;  // value -> (op, bytes)
  std::map<std::string, size_t, std::less<>> lastUse;
  bool hasMatmul = false;
  for (size_t i = 0; i < k.body.size(); ++i) {
    const ir::TileInst& inst = k.body[i];
    hasMatmul |= inst.op == ir::TileOpKind::Matmul;
    for (const std::string& n : inst.operands) lastUse[n] = i;
  }
  const arch::MemorySpace* pad = kernelScratchpad(a, hasMatmul);
  if (!pad) return;
  std::vector<int64_t> delta(k.body.size() + 1, 0);
  std::map<std::string, ir::TileType, std::less<>> types;
  for (const ir::KernelParam& p : k.params)
    if (p.isTile()) types[p.name] = p.tile;
  // Result types as the cost model inferred them (kernelCycles validated the body).
  for (size_t i = 0; i < k.body.size(); ++i) {
    const ir::TileInst& inst = k.body[i];
    std::vector<ir::TileType> operandTypes;
    for (const std::string& n : inst.operands) operandTypes.push_back(types.at(n));
    const ir::KernelParam* p = inst.param.empty() ? nullptr : k.findParam(inst.param);
    auto inferred = ir::inferTileOpTypes(inst, operandTypes, p ? &p->tile : nullptr);
    const auto& rt = std::get<std::vector<ir::TileType>>(inferred);
    for (size_t r = 0; r < inst.results.size() && r < rt.size(); ++r) {
      types[inst.results[r]] = rt[r];
      const uint64_t bytes = uint64_t(rt[r].rows) * uint64_t(rt[r].cols) * ir::dtypeBytes(rt[r].dtype);
      auto it = lastUse.find(inst.results[r]);
      const size_t end = it == lastUse.end() ? i : std::max(i, it->second);
      delta[i] += static_cast<int64_t>(bytes);
      delta[end + 1] -= static_cast<int64_t>(bytes);
    }
  }
  int64_t live = 0, peak = 0;
  size_t peakAt = 0;
  for (size_t i = 0; i < k.body.size(); ++i) {
    live += delta[i];
    if (live > peak) {
      peak = live;
      peakAt = i;
    }
  }
  if (static_cast<uint64_t>(peak) <= pad->capacityBytes) return;
  kernelError(k.body[peakAt].loc.valid() ? k.body[peakAt].loc : k.loc,
              fmt::format("kernel '{}' needs {} bytes of live tiles at this op, more than the {} bytes of "
                          "scratchpad {} on arch '{}'",
                          k.name, peak, pad->capacityBytes, pad->name, a.name),
              "use smaller tiles (split the view into more tasks) so that the live tiles fit");
}
}  // namespace

CycleReport kernelCycles(const ir::Kernel& k, const ArchModel& a, const ir::Env& env) {
  if (k.external) {
    CycleReport r;
    r.kernel = k.name;
    r.arch = a.name;
    r.external = true;
    if (!k.cycles.defined())
      kernelError(k.loc, fmt::format("external kernel '{}' declares no cycles", k.name),
                  "declare the kernel's cycle cost (an expression over its scalar params)");
    const int64_t c = ir::evalExpr(k.cycles, env);
    if (c < 0)
      kernelError(k.loc, fmt::format("external kernel '{}' cycles evaluate to {}, expected >= 0", k.name, c),
                  "fix the declared cycle expression");
    r.total = static_cast<uint64_t>(c);
    for (const arch::ExecUnit& u : a.units) r.units.push_back({u.name, a.pipeOf(u.name), 0});
    return r;
  }

  std::map<std::string, std::pair<ir::TileType, size_t>, std::less<>> values;  // SSA -> type, producer
  std::map<std::string, std::vector<size_t>, std::less<>> paramLoads, paramStores;
  std::vector<KernelOp> ops;
  for (const ir::TileInst& inst : k.body) {
    const size_t idx = ops.size();
    KernelOp op;
    op.label = labelOf(inst);
    std::vector<ir::TileType> operandTypes;
    for (const std::string& n : inst.operands) {
      auto it = values.find(n);
      if (it == values.end())
        kernelError(inst.loc, fmt::format("{} in kernel '{}' reads unknown value '%{}'", ir::tileOpInfo(inst.op).name,
                                          k.name, n),
                    "define the value earlier in the kernel body (run the verifier)");
      operandTypes.push_back(it->second.first);
      if (std::find(op.deps.begin(), op.deps.end(), it->second.second) == op.deps.end())
        op.deps.push_back(it->second.second);
    }
    const ir::TileType* paramType = nullptr;
    if (!inst.param.empty()) {
      const ir::KernelParam* p = k.findParam(inst.param);
      if (!p || !p->isTile())
        kernelError(inst.loc, fmt::format("{} in kernel '{}' names unknown tile parameter '{}'",
                                          ir::tileOpInfo(inst.op).name, k.name, inst.param),
                    "use one of the kernel's tile parameters");
      paramType = &p->tile;
      // Memory dependences through the parameter: load after store (RAW), store after
      // load or store (WAR, WAW).
      auto addAll = [&](const std::vector<size_t>& v) {
        for (size_t d : v)
          if (std::find(op.deps.begin(), op.deps.end(), d) == op.deps.end()) op.deps.push_back(d);
      };
      addAll(paramStores[inst.param]);
      if (inst.op == ir::TileOpKind::Store) addAll(paramLoads[inst.param]);
      (inst.op == ir::TileOpKind::Store ? paramStores : paramLoads)[inst.param].push_back(idx);
    }
    auto inferred = ir::inferTileOpTypes(inst, operandTypes, paramType);
    if (const auto* err = std::get_if<ir::OpTypeError>(&inferred))
      kernelError(inst.loc, fmt::format("in kernel '{}': {}", k.name, err->message), err->help);
    const auto& resultTypes = std::get<std::vector<ir::TileType>>(inferred);
    for (size_t i = 0; i < inst.results.size() && i < resultTypes.size(); ++i)
      values[inst.results[i]] = {resultTypes[i], idx};
    op.op.kind = inst.op;
    op.op.operands = std::move(operandTypes);
    op.op.results = resultTypes;
    if (inst.op == ir::TileOpKind::Store && paramType) op.op.results.clear();
    op.op.broadcast = inst.broadcast;
    op.op.k = inst.k;
    op.op.loc = inst.loc;
    std::sort(op.deps.begin(), op.deps.end());
    ops.push_back(std::move(op));
  }
  checkScratchpad(k, a);
  return scheduleKernel(ops, a, k.name);
}

std::string CycleReport::table() const {
  std::string out = fmt::format("kernel {} on {}: total {} cycles", kernel.empty() ? "<anon>" : kernel, arch, total);
  if (external) return out + " (declared by the external kernel)\n";
  out += fmt::format(" (busiest pipe {} + exposed {})\n", maxPipeBusy, exposed);
  out += "  unit busy:";
  for (const UnitBusy& u : units) out += fmt::format(" {}={}", u.unit, u.busy);
  out += "\n";
  for (const OpTiming& o : ops) {
    out += fmt::format("  [{:>7} .. {:>7}] {}\n", o.start, o.end, o.label.empty() ? ir::tileOpInfo(o.kind).name : o.label);
    for (const Phase& p : o.cost.phases) out += fmt::format("      {:<10} {:>7} = {}\n", p.unit, p.cycles, p.formula);
  }
  return out;
}

nlohmann::ordered_json CycleReport::toJson() const {
  nlohmann::ordered_json j;
  j["kernel"] = kernel;
  j["arch"] = arch;
  j["external"] = external;
  j["total_cycles"] = total;
  j["max_pipe_busy"] = maxPipeBusy;
  j["exposed"] = exposed;
  j["units"] = nlohmann::ordered_json::array();
  for (const UnitBusy& u : units) j["units"].push_back({{"unit", u.unit}, {"pipe", u.pipe}, {"busy", u.busy}});
  j["ops"] = nlohmann::ordered_json::array();
  for (const OpTiming& o : ops) {
    nlohmann::ordered_json oj{{"op", ir::tileOpInfo(o.kind).name}, {"label", o.label}, {"issue_end", o.issueEnd},
                              {"start", o.start}, {"end", o.end}};
    oj["phases"] = nlohmann::ordered_json::array();
    for (const Phase& p : o.cost.phases)
      oj["phases"].push_back({{"unit", p.unit}, {"cycles", p.cycles}, {"formula", p.formula}});
    j["ops"].push_back(std::move(oj));
  }
  return j;
}

}  // namespace pto::wsp::cost
