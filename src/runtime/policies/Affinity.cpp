// affinity(key): worker = key mod W — the author pins tasks with equal keys (e.g. a
// head index) to one worker.
#include "pto/wsp/runtime/DispatchPolicy.h"

namespace pto::wsp::rt {
namespace {
class Affinity final : public DispatchPolicy {
 public:
  explicit Affinity(uint32_t w) : DispatchPolicy(w) {}
  std::string_view name() const override { return "affinity"; }
  uint32_t pick(const DispatchContext& c) override {
    return static_cast<uint32_t>(c.key % numWorkers());
  }
};
}  // namespace

void policies::registerAffinity(DispatchRegistry& r) {
  r.add("affinity", [](uint32_t w) { return std::make_unique<Affinity>(w); });
}
}  // namespace pto::wsp::rt
