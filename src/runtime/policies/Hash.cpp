// hash: worker = XXH3(key) mod W, so nearby keys spread across workers.
#include "pto/wsp/runtime/DispatchPolicy.h"
#include "pto/wsp/support/Hash.h"

namespace pto::wsp::rt {
namespace {
class HashPolicy final : public DispatchPolicy {
 public:
  explicit HashPolicy(uint32_t w) : DispatchPolicy(w) {}
  std::string_view name() const override { return "hash"; }
  uint32_t pick(const DispatchContext& c) override {
    return static_cast<uint32_t>(hash64(&c.key, sizeof c.key) % numWorkers());
  }
};
}  // namespace

void policies::registerHash(DispatchRegistry& r) {
  r.add("hash", [](uint32_t w) { return std::make_unique<HashPolicy>(w); });
}
}  // namespace pto::wsp::rt
