// custom(ScalarExpr): the plan computes the key with a ScalarExpr at issue (symbols,
// slots, loop variables); the key arrives here as a value, read as a signed int64 and
// mapped to worker ((key mod W) + W) mod W so negative keys are legal.
#include "pto/wsp/runtime/DispatchPolicy.h"

namespace pto::wsp::rt {
namespace {
class Custom final : public DispatchPolicy {
 public:
  explicit Custom(uint32_t w) : DispatchPolicy(w) {}
  std::string_view name() const override { return "custom"; }
  uint32_t pick(const DispatchContext& c) override {
    int64_t k = static_cast<int64_t>(c.key);
    int64_t n = numWorkers();
    return static_cast<uint32_t>(((k % n) + n) % n);
  }
};
}  // namespace

void policies::registerCustom(DispatchRegistry& r) {
  r.add("custom", [](uint32_t w) { return std::make_unique<Custom>(w); });
}
}  // namespace pto::wsp::rt
