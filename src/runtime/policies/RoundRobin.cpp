// round_robin: task i of the stream goes to worker i mod W (the key is ignored).
#include "pto/wsp/runtime/DispatchPolicy.h"

namespace pto::wsp::rt {
namespace {
class RoundRobin final : public DispatchPolicy {
 public:
  explicit RoundRobin(uint32_t w) : DispatchPolicy(w, /*cyclic=*/true) {}
  std::string_view name() const override { return "round_robin"; }
  uint32_t pick(const DispatchContext&) override { return nextCyclic(); }
};
}  // namespace

void policies::registerRoundRobin(DispatchRegistry& r) {
  r.add("round_robin", [](uint32_t w) { return std::make_unique<RoundRobin>(w); });
}
}  // namespace pto::wsp::rt
