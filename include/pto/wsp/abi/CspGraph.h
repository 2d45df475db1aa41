// The process/channel graph of an orchestration plan as Graphviz DOT
// (`ptowsp compile --dump=csp`): one box per process, labelled with the kernels it
// calls, one ellipse per channel with its capacity and latency, an edge from every
// process that sends on a channel to it and from the channel to every process that
// consumes it. Render with `dot -Tsvg`.
#pragma once

#include "pto/wsp/abi/Plan.h"

#include <string>

namespace pto::wsp::abi {

std::string cspGraphDot(const Plan& plan);

}  // namespace pto::wsp::abi
