// Stub: replaced by the plan lowering stream.
#include "pto/wsp/lower/PlanLowering.h"

#include "pto/wsp/support/Diagnostic.h"

namespace pto::wsp::lower {

PlanLoweringResult lowerWorkload(const ir::Module&, const ir::Workload& w, const arch::ArchModel&, std::string_view) {
  throw UserError(makeError(w.loc, "workload lowering is not implemented yet"));
}

}  // namespace pto::wsp::lower
