// Workload lowering: one ir::Workload of a verified module -> the orchestration plan
// (abi/Plan.h) that the runtime core interprets. The plan is compact and serialisable:
// tensors, kernels, symbols, slots and channels are table indices, every runtime value
// is abi::Bytecode bytecode, so changing a symbol, slot or dynamic size never re-lowers.
//
// Tables (stable, so the Program API binds by position):
//   plan.tensors  = module tensors in declaration order (temps: runtimeManaged)
//   plan.symbols  = module symbols in declaration order
//   plan.slots    = module slots in declaration order
//   plan.kernels  = the module kernels the workload calls, in first-call order;
//                   PlanKernel::fnIndex == its position; PlanKernel::cost = the cost
//                   model's cycles for it on the arch (what `inspect` shows)
// The scheme (node mapping, views, axes, schedule numbers) is in docs/lowering.md.
#pragma once

#include "pto/wsp/abi/Plan.h"
#include "pto/wsp/arch/ArchModel.h"
#include "pto/wsp/arch/Capability.h"
#include "pto/wsp/ir/Module.h"

#include <string>
#include <string_view>
#include <vector>

namespace pto::wsp::lower {

struct PlanLoweringResult {
  abi::Plan plan;
  // Capability features (arch/Capability.h names) the workload and schedule exercise,
  // sorted, each checked against the target's matrix; recorded in the manifest.
  std::vector<std::string> features;
};

// Preconditions: `m` passed the verifier and `w` is one of its workloads (internal
// errors otherwise). `caps` is the target's capability matrix (target/Target.h). Throws
// one located UserError for what the target cannot run (CapabilityMatrix::require), for calls needing more than abi::kMaxTaskArgs argument
// words, and for schedule values out of range. Deterministic.
PlanLoweringResult lowerWorkload(const ir::Module& m, const ir::Workload& w, const arch::ArchModel& a,
                                 const arch::CapabilityMatrix& caps);

}  // namespace pto::wsp::lower
