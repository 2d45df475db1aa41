// The aie target: AMD AIE arrays through MLIR-AIE (object FIFOs, static
// placement). Its capability matrix is the design (docs/capabilities.md); the emitters
// are not written yet, so every compile stops with a located error at the kernel step.
#include "pto/wsp/target/Target.h"

namespace pto::wsp::target {

namespace {
arch::CapabilityMatrix makeAie() {
  return {"aie", "aie_npu1",
          {
              {"dispatch.round_robin", arch::Support::Enforced, "processes / tasks placed on compute tiles at compile time"},
              {"dispatch.hash", arch::Support::Enforced, "static keys hashed at compile time"},
              {"dispatch.affinity", arch::Support::Enforced, "static keys placed at compile time"},
              {"dispatch.least_loaded", arch::Support::Diagnosed, "static array: placed round-robin at compile time"},
              {"dispatch.custom", arch::Support::Unsupported, "runtime keys cannot move work between statically placed cores"},
              {"task_window", arch::Support::Diagnosed, "no task ring: object FIFO depth bounds in-flight work"},
              {"channel.capacity", arch::Support::Enforced, "object FIFO depth"},
              {"channel.latency", arch::Support::Recorded, "semantic model only"},
              {"pool.tensormap", arch::Support::Diagnosed, "no runtime pools: dependencies are static"},
              {"pool.deplist", arch::Support::Diagnosed, "no runtime pools: dependencies are static"},
              {"pool.heap", arch::Support::Diagnosed, "no runtime heap: buffers are static"},
              {"pool.ready_queue", arch::Support::Diagnosed, "no runtime queues: cores run fixed programs"},
              {"streams", arch::Support::Recorded, "kept in the manifest"},
              {"stream_by", arch::Support::Recorded, "kept in the manifest"},
              {"timing", arch::Support::Recorded, "kept in the manifest"},
              {"csp.channel", arch::Support::Enforced, "aie.objectfifo between producer and consumer tiles"},
              {"csp.replicate", arch::Support::Enforced, "n cores running the process"},
              {"csp.multi_producer", arch::Support::Unsupported, "an object FIFO has one producer: give each producer its own channel"},
              {"csp.consume", arch::Support::Enforced, "objectfifo acquire(Consume) / release loop"},
              {"pred.cond_symbol", arch::Support::Unsupported, "static core programs: bind the symbol to a constant"},
              {"pred.cond_slot", arch::Support::Unsupported, "static core programs cannot branch on task-written slots"},
              {"pred.dynamic_axis", arch::Support::Unsupported, "static buffer sizes: give the axis a constant size"},
              {"pred.sparse_select", arch::Support::Unsupported, "static DMA patterns: densify the selection"},
              {"pred.dispatch_key_slot", arch::Support::Unsupported, "static placement cannot read task-written slots"},
          }};
}

}  // namespace

void targets::registerAie(TargetRegistry& r) {
  r.add(std::make_unique<PlannedTarget>(
      makeAie(), "AMD AIE array via MLIR-AIE (capability matrix only; no kernel emitter yet)",
      "there is no AIE core-kernel emitter and no MLIR-AIE (aie.objectfifo) orchestration emitter"));
}

}  // namespace pto::wsp::target
