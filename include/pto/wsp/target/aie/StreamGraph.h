// The stream graph of a CSP workload: processes are nodes, each channel an edge from its
// producers to its consumers. The aie target needs it acyclic: an object FIFO cycle with
// finite depths deadlocks unless its buffering is proven sufficient, which the target
// does not do yet.
#pragma once

#include "pto/wsp/ir/Workload.h"

namespace pto::wsp::target::aie {

// Throws a UserError located at the first channel of a cycle, naming every channel and
// process on it ("l2c: a -> b, back: b -> a").
void checkStreamGraphAcyclic(const ir::Workload& w);

}  // namespace pto::wsp::target::aie
