// The ascend target: workloads run on pto-runtime (a2a3sim here, a2a3 on Ascend NPUs),
// kernels in PTO-ISA. A compile writes a pto-runtime scene tree (SceneTree.h): one
// orchestration for the chosen runtime (Orchestration.h) that plays a task table
// (TaskTable.h), the plan expanded by the runtime core for the symbols' values
// (TaskGraph.h); every kernel becomes one PTO-ISA unit (PtoIsaKernel.h). Nothing runs on
// this host: docs/ascend.md says how to run a tree on pto-runtime.
#include "KernelSplit.h"
#include "Orchestration.h"
#include "PtoIsaKernel.h"
#include "SceneTree.h"
#include "TaskGraph.h"

#include "pto/wsp/runtime/PlanInterpreter.h"
#include "pto/wsp/support/Assert.h"
#include "pto/wsp/support/Hash.h"
#include "pto/wsp/target/Target.h"

#include <fmt/format.h>

namespace pto::wsp::target {

namespace {

std::vector<arch::OpCapability> ascendOps() {
  std::vector<arch::OpCapability> out;
  for (const ir::TileOpInfo& t : ir::allTileOps()) out.push_back(ascend::opCapability(t.kind));
  return out;
}

arch::CapabilityMatrix makeAscend() {
  const char* rec = "recorded in the manifest; pto-runtime's AICPU schedulers pick cores themselves";
  const char* exp = "the task table is expanded for the run's symbol values (--set); the sources do not change";
  return {"ascend", "ascend910b",
          {
              {"dispatch.round_robin", arch::Support::Recorded, rec},
              {"dispatch.hash", arch::Support::Recorded, rec},
              {"dispatch.affinity", arch::Support::Recorded, rec},
              {"dispatch.least_loaded", arch::Support::Recorded, rec},
              {"dispatch.custom", arch::Support::Recorded, rec},
              {"task_window", arch::Support::Recorded,
               "tensormap_and_ringbuffer: PTO2_RING_TASK_WINDOW = task_window when the largest run of tasks that "
               "no dependency crosses fits in task_window - 1 (scopes end only there), else the smallest power "
               "of two that holds it, with a warning at the directive and task_window_enforced false in the "
               "manifest; host_build_graph: the whole graph is built first (no backpressure)"},
              {"channel.capacity", arch::Support::Diagnosed, "channel tokens become task edges, which have no capacity"},
              {"channel.latency", arch::Support::Recorded, "semantic model only; edges carry no latency"},
              {"pool.tensormap", arch::Support::Recorded, "pto-runtime's TensorMap pool has a fixed size (65536)"},
              {"pool.deplist", arch::Support::Recorded, "tensormap_and_ringbuffer: PTO2_RING_DEP_POOL is not emitted yet"},
              {"pool.heap", arch::Support::Recorded,
               "tensormap_and_ringbuffer: PTO2_RING_HEAP (RUNTIME_ENV); tensors are entry tensors, so the ring holds none"},
              {"pool.ready_queue", arch::Support::Recorded, "pto-runtime's ready queues have a fixed size"},
              {"streams", arch::Support::Recorded, "kept in the manifest"},
              {"stream_by", arch::Support::Recorded, "kept in the manifest"},
              {"timing", arch::Support::Recorded, "kept in the manifest"},
              {"csp.channel", arch::Support::Enforced, "each token becomes a task edge of the task table"},
              {"csp.replicate", arch::Support::Enforced, "process instances expanded into the task table"},
              {"csp.multi_producer", arch::Support::Enforced, "edges from every producer"},
              {"csp.consume", arch::Support::Enforced, "consumer tasks depend on the producing tasks"},
              {"pred.cond_symbol", arch::Support::Enforced, exp},
              {"pred.cond_slot", arch::Support::Unsupported, "the graph is built before any task runs: no slot value yet"},
              {"pred.dynamic_axis", arch::Support::Enforced,
               "dense_dyn extents over symbols: the task table is expanded for the run's values, the sources do not "
               "change; ragged axes read lengths from tensor data: located error"},
              {"pred.sparse_select", arch::Support::Unsupported,
               "the task table is expanded before the run, before the index tensors hold data"},
              {"pred.dispatch_key_slot", arch::Support::Unsupported,
               "the graph is built before any task runs: no slot value yet"},
          },
          ascendOps()};
}

ascend::Runtime parseRuntime(std::string_view r) {
  if (r.empty() || r == "tensormap_and_ringbuffer") return ascend::Runtime::TensorMapAndRingBuffer;
  if (r == "host_build_graph") return ascend::Runtime::HostBuildGraph;
  throw UserError(makeError(SourceLoc{"<command line>", 0, 0, "--runtime"}, fmt::format("unknown pto-runtime runtime '{}'", r))
                      .help("one of: host_build_graph, tensormap_and_ringbuffer (the default)"));
}

std::vector<ascend::PtoIsaKernel> emitAll(const ir::Module& m, const abi::Plan& plan, ascend::ArgStyle style) {
  std::vector<ascend::PtoIsaKernel> out;
  std::vector<Diagnostic> errors;
  for (const abi::PlanKernel& pk : plan.kernels) {
    const ir::Kernel* k = m.findKernel(pk.name);
    PTO_INTERNAL_ASSERT(k != nullptr, "plan kernel '{}' is not in module '{}'", pk.name, m.name);
    try {
      out.push_back(ascend::emitPtoIsaKernel(*k, style));
    } catch (const UserError& e) {
      errors.insert(errors.end(), e.diagnostics().begin(), e.diagnostics().end());
    }
  }
  if (!errors.empty()) throw UserError(std::move(errors));
  return out;
}

class Ascend final : public Target {
 public:
  Ascend() : caps_(makeAscend()) {}
  std::string_view name() const override { return caps_.target; }
  std::string_view summary() const override {
    return "Ascend NPU via pto-runtime (a2a3sim / a2a3): PTO-ISA kernels and an orchestration, written as a scene tree";
  }
  const arch::CapabilityMatrix& capabilities() const override { return caps_; }
  bool canRun() const override { return false; }

  void check(const ir::Module& m, const ir::Workload&, const arch::ArchModel&) const override {
    std::vector<Diagnostic> errors;
    auto checkOne = [&](const ir::Kernel& k) {
      if (std::optional<Diagnostic> d = ascend::unsupported(k)) errors.push_back(std::move(*d));
    };
    for (const ir::Kernel& k : m.kernels) {
      if (!ascend::needsSplit(k)) {
        checkOne(k);
        continue;
      }
      try {
        for (const ascend::KernelUnit& u : ascend::splitKernel(k).units) checkOne(u.kernel);
      } catch (const UserError& e) {
        errors.insert(errors.end(), e.diagnostics().begin(), e.diagnostics().end());
      }
    }
    if (!errors.empty()) throw UserError(std::move(errors));
  }

  // The units of the default runtime (what --dump=kernels prints).
  KernelUnits emitKernels(const ir::Module& m, const abi::Plan& plan, const arch::ArchModel&,
                          const std::filesystem::path&) const override {
    KernelUnits u;
    const ascend::SplitProgram sp = ascend::splitMixedKernels(m, plan);
    for (const ascend::PtoIsaKernel& k : emitAll(sp.module, sp.plan, ascend::ArgStyle::TensorPointer)) {
      const ir::Kernel* ik = sp.module.findKernel(k.name);
      u.sources.push_back({k.name, k.text, {}, ik ? ik->loc : m.loc});
      u.manifest.push_back({k.name, "kernel_entry", {}, hashHex(hash64(k.text)), {}});
      u.external.push_back(false);
    }
    return u;
  }
  artifact::CompilerConfig compilerConfig(unsigned) const override {
    PTO_UNREACHABLE("target 'ascend' writes a source tree; the driver never builds a library for it");
  }
  artifact::CacheEntry buildLibrary(artifact::ObjectCache&, const KernelUnits&, const BuildRequest&) const override {
    PTO_UNREACHABLE("target 'ascend' writes a source tree; the driver never builds a library for it");
  }

  bool emitsTree() const override { return true; }
  SourceTree emitTree(const TreeRequest& r) const override {
    const ascend::Runtime rt = parseRuntime(r.runtime);
    // Mixed kernels become single-core units before the plan is expanded (KernelSplit.h).
    const ascend::SplitProgram sp = ascend::splitMixedKernels(r.module, r.plan);
    ascend::OrchestrationInput oi;
    oi.module = &sp.module;
    oi.plan = &sp.plan;
    oi.runtime = rt;
    oi.kernels = emitAll(sp.module, sp.plan, rt == ascend::Runtime::HostBuildGraph ? ascend::ArgStyle::DeviceAddress
                                                                                   : ascend::ArgStyle::TensorPointer);
    oi.relayFuncId = static_cast<uint32_t>(oi.kernels.size());
    // The sources depend on the plan's structure only; the table on its symbol values.
    const std::vector<ascend::TaskSite> sites = ascend::taskSites(sp.plan);
    oi.sites = &sites;
    ascend::SceneInput si;
    si.orch = ascend::emitOrchestration(oi);
    const ascend::TaskGraph g = ascend::expandPlan(sp.plan, r.workload.loc);
    // The ring-buffer runtime's scopes end only where no dependency crosses, and the ring
    // holds the largest (RingScopes.h); the table marks them.
    std::vector<Diagnostic> warnings;
    if (rt == ascend::Runtime::TensorMapAndRingBuffer) {
      SourceLoc windowLoc = r.workload.loc;
      bool defaulted = true;
      for (const ir::Directive& d : r.workload.schedule.directives)
        if (d.kind == ir::DirectiveKind::TaskWindow) {
          windowLoc = d.loc.valid() ? d.loc : r.workload.loc;
          defaulted = false;
        }
      si.ring = ascend::planRingScopes(g, sp.plan, sp.plan.schedule.taskWindow);
      warnings = ascend::ringScopeDiagnostics(si.ring, windowLoc, defaulted);
    }
    si.table = ascend::buildTaskTable(sp.plan, g, sites, rt, si.ring.begins, r.workload.loc);
    si.module = &sp.module;
    si.workload = r.workload.name;
    si.arch = r.arch.name;
    si.plan = &sp.plan;
    si.caps = &caps_;
    si.runtime = rt;
    si.kernels = std::move(oi.kernels);
    si.kernels.push_back({"pto_wsp_relay", ascend::CoreKind::Aiv, ascend::relayKernelText(), 0, 0});
    // cpu_sim's semantic total: the same plan, dry, with the schedule's own resources.
    rt::PlanRunConfig dry;
    dry.engine = rt::engineConfigFor(r.plan.schedule);
    rt::PlanInterpreter interp(r.plan, std::move(dry));
    si.expectedTotalCycles = interp.runOrThrow().stats.totalCycles;
    SourceTree tree = ascend::writeScene(si);
    tree.warnings = std::move(warnings);
    return tree;
  }

 private:
  arch::CapabilityMatrix caps_;
};

}  // namespace

void targets::registerAscend(TargetRegistry& r) { r.add(std::make_unique<Ascend>()); }

}  // namespace pto::wsp::target
