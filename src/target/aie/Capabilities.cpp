// The aie target's capability matrix (docs/aie.md, "Capability matrix"): what the
// mapping onto a statically placed AIE array keeps, approximates or cannot express.
#include "AieTarget.h"

namespace pto::wsp::target::aie {

arch::CapabilityMatrix capabilityMatrix() {
  using S = arch::Support;
  return {"aie", "aie_npu1",
          {
              {"dispatch.round_robin", S::Enforced, "grid: iteration L on core L mod workers; CSP: one core per process instance"},
              {"dispatch.hash", S::Unsupported, "cores run fixed programs placed at compile time: use round_robin"},
              {"dispatch.affinity", S::Unsupported, "cores run fixed programs placed at compile time: use round_robin"},
              {"dispatch.least_loaded", S::Diagnosed, "placed round-robin at compile time"},
              {"dispatch.custom", S::Unsupported, "runtime keys cannot move work between statically placed cores"},
              {"task_window", S::Diagnosed, "no task ring: object FIFO depths bound in-flight work"},
              {"channel.capacity", S::Enforced, "object FIFO depth"},
              {"channel.latency", S::Recorded, "semantic model only"},
              {"pool.tensormap", S::Diagnosed, "no runtime pools: dependencies are static"},
              {"pool.deplist", S::Diagnosed, "no runtime pools: dependencies are static"},
              {"pool.heap", S::Diagnosed, "no runtime heap: buffers are static"},
              {"pool.ready_queue", S::Diagnosed, "no runtime queues: cores run fixed programs"},
              {"streams", S::Recorded, "kept in the manifest"},
              {"stream_by", S::Recorded, "kept in the manifest"},
              {"timing", S::Recorded, "kept in the manifest"},
              {"csp.channel", S::Enforced, "aie.objectfifo between producer and consumer cores (index channels)"},
              {"csp.replicate", S::Enforced, "n cores, served round-robin"},
              {"csp.multi_producer", S::Enforced, "replicated producer instances: one FIFO each, drained round-robin; distinct producer processes are refused"},
              {"csp.consume", S::Enforced, "objectfifo acquire(Consume) / release loop"},
              {"pred.cond_symbol", S::Unsupported, "static core programs: bind the symbol to a constant"},
              {"pred.cond_slot", S::Unsupported, "static core programs cannot branch on task-written slots"},
              {"pred.dynamic_axis", S::Unsupported, "static buffer sizes: give the axis a constant size"},
              {"pred.sparse_select", S::Unsupported, "static DMA patterns: densify the selection"},
              {"pred.dispatch_key_slot", S::Unsupported, "static placement cannot read task-written slots"},
          },
          // Every core calls an external kernel whose body is the cpu_sim kernel (AieKernels.cpp),
          // so the ops are the tile library's, with its dtype limits.
          arch::uniformOps(S::Enforced, "core external kernel with the cpu_sim tile-library body (link_with)")};
}

}  // namespace pto::wsp::target::aie
