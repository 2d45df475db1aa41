// cpu_sim's capability matrix: everything the runtime core implements is enforced.
#include "CpuSim.h"

namespace pto::wsp::target::cpu_sim {

std::vector<arch::OpCapability> tileLibraryOps() {
  // The dtype limits are lower::unsupportedReason's (a located error per op and dtype).
  std::vector<arch::OpCapability> out = arch::uniformOps(arch::Support::Enforced, "tile library (docs/tile-library.md)");
  for (arch::OpCapability& o : out) {
    if (ir::isUnaryElementwise(o.op)) o.note = "tile library; f32, f16 and bf16 tiles only";
    if (o.op == ir::TileOpKind::Div) o.note = "tile library; floating-point tiles only";
  }
  return out;
}

arch::CapabilityMatrix capabilityMatrix() {
  return {"cpu_sim", "ascend910b",
          {
              {"dispatch.round_robin", arch::Support::Enforced, "runtime policy registry"},
              {"dispatch.hash", arch::Support::Enforced, "runtime policy registry (xxHash of the key)"},
              {"dispatch.affinity", arch::Support::Enforced, "runtime policy registry"},
              {"dispatch.least_loaded", arch::Support::Enforced, "earliest-free worker in semantic time"},
              {"dispatch.custom", arch::Support::Enforced, "key ScalarExpr evaluated in the artifact per task"},
              {"task_window", arch::Support::Enforced, "bounded task ring, stall-only"},
              {"channel.capacity", arch::Support::Enforced, "runtime channel; send blocks when full"},
              {"channel.latency", arch::Support::Enforced, "added to token time in semantic time"},
              {"pool.tensormap", arch::Support::Enforced, "bounded TensorMap pool, stall-only"},
              {"pool.deplist", arch::Support::Enforced, "bounded dep-list pool, stall-only"},
              {"pool.heap", arch::Support::Enforced, "bounded heap arena, stall-only"},
              {"pool.ready_queue", arch::Support::Enforced, "bounded ready queues, stall-only"},
              {"streams", arch::Support::Recorded, "kept in the manifest; host workers have no streams"},
              {"stream_by", arch::Support::Recorded, "kept in the manifest; host workers have no streams"},
              {"timing", arch::Support::Recorded, "kept in the manifest; semantic time comes from the cost model"},
              {"csp.channel", arch::Support::Enforced, "runtime channels with tokens"},
              {"csp.replicate", arch::Support::Enforced, "n process instances in the runtime"},
              {"csp.multi_producer", arch::Support::Enforced, "channel closes when the last producer ends"},
              {"csp.consume", arch::Support::Enforced, "runtime consume loop"},
              {"pred.cond_symbol", arch::Support::Enforced, "evaluated in the artifact; no recompile"},
              {"pred.cond_slot", arch::Support::Enforced, "slot read after the writing task finishes"},
              {"pred.dynamic_axis", arch::Support::Enforced, "bounds evaluated per run; no recompile"},
              {"pred.sparse_select", arch::Support::Enforced, "indptr / indices read at run time"},
              {"pred.dispatch_key_slot", arch::Support::Enforced, "slot read after the writing task finishes"},
          },
          tileLibraryOps()};
}


}  // namespace pto::wsp::target::cpu_sim
