// least_loaded (work-steal-lite): the worker that becomes free earliest in semantic
// time; ties go to the lowest worker id. Deterministic: it reads semantic state only.
#include "pto/wsp/runtime/DispatchPolicy.h"

namespace pto::wsp::rt {
namespace {
class LeastLoaded final : public DispatchPolicy {
 public:
  explicit LeastLoaded(uint32_t w) : DispatchPolicy(w) {}
  std::string_view name() const override { return "least_loaded"; }
  uint32_t pick(const DispatchContext& c) override {
    uint32_t best = 0;
    for (uint32_t i = 1; i < c.workerFree.size(); ++i)
      if (c.workerFree[i] < c.workerFree[best]) best = i;
    return best;
  }
};
}  // namespace

void policies::registerLeastLoaded(DispatchRegistry& r) {
  r.add("least_loaded", [](uint32_t w) { return std::make_unique<LeastLoaded>(w); });
}
}  // namespace pto::wsp::rt
