// The ascend target: Ascend NPUs through pto-runtime's host_build_graph
// orchestration. Its capability matrix is the design (docs/capabilities.md); the kernel
// and orchestration emitters are not written yet, so every compile stops with a located
// error at the kernel step.
#include "pto/wsp/target/Target.h"

namespace pto::wsp::target {

namespace {
arch::CapabilityMatrix makeAscend() {
  const char* rec = "kept in the plan for on-device expansion; host_build_graph assigns cores itself";
  return {"ascend", "ascend910b",
          {
              {"dispatch.round_robin", arch::Support::Recorded, rec},
              {"dispatch.hash", arch::Support::Recorded, rec},
              {"dispatch.affinity", arch::Support::Recorded, rec},
              {"dispatch.least_loaded", arch::Support::Recorded, rec},
              {"dispatch.custom", arch::Support::Recorded, rec},
              {"task_window", arch::Support::Recorded, "host_build_graph builds the whole graph (max 131072 tasks)"},
              {"channel.capacity", arch::Support::Diagnosed, "channels become add_successor edges, which have no capacity"},
              {"channel.latency", arch::Support::Recorded, "semantic model only; edges carry no latency"},
              {"pool.tensormap", arch::Support::Recorded, "sizes for the tensormap_and_ringbuffer runtime"},
              {"pool.deplist", arch::Support::Recorded, "sizes for the tensormap_and_ringbuffer runtime"},
              {"pool.heap", arch::Support::Recorded, "sizes for the tensormap_and_ringbuffer runtime"},
              {"pool.ready_queue", arch::Support::Recorded, "sizes for the tensormap_and_ringbuffer runtime"},
              {"streams", arch::Support::Recorded, "kept in the emitted tree's metadata"},
              {"stream_by", arch::Support::Recorded, "kept in the emitted tree's metadata"},
              {"timing", arch::Support::Recorded, "kept in the emitted tree's metadata"},
              {"csp.channel", arch::Support::Enforced, "each token becomes an add_successor edge"},
              {"csp.replicate", arch::Support::Enforced, "unrolled into n process instances at orchestration"},
              {"csp.multi_producer", arch::Support::Enforced, "edges from every producer"},
              {"csp.consume", arch::Support::Enforced, "consumer tasks depend on the producing tasks"},
              {"pred.cond_symbol", arch::Support::Enforced, "evaluated by the orchestration function"},
              {"pred.cond_slot", arch::Support::Unsupported, "the graph is built before any task runs: no slot value yet"},
              {"pred.dynamic_axis", arch::Support::Enforced, "sizes are orchestration arguments"},
              {"pred.sparse_select", arch::Support::Enforced, "index tensors read from their host copy at orchestration"},
              {"pred.dispatch_key_slot", arch::Support::Unsupported, "the graph is built before any task runs: no slot value yet"},
          }};
}

}  // namespace

void targets::registerAscend(TargetRegistry& r) {
  r.add(std::make_unique<PlannedTarget>(
      makeAscend(), "Ascend NPU via pto-runtime (capability matrix only; no kernel emitter yet)",
      "there is no Ascend kernel emitter (AscendC) and no host_build_graph orchestration emitter"));
}

}  // namespace pto::wsp::target
