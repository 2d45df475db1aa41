#include "pto/wsp/ir/Module.h"

namespace pto::wsp::ir {

bool operator==(const SymbolDecl& a, const SymbolDecl& b) { return a.name == b.name && a.value == b.value; }
bool operator==(const SlotDecl& a, const SlotDecl& b) { return a.name == b.name && a.init == b.init; }

namespace {
template <class T>
const T* findByName(const std::vector<T>& v, std::string_view n) {
  for (const T& x : v)
    if (x.name == n) return &x;
  return nullptr;
}
}  // namespace

const SymbolDecl* Module::findSymbol(std::string_view n) const { return findByName(symbols, n); }
const SlotDecl* Module::findSlot(std::string_view n) const { return findByName(slots, n); }
const Tensor* Module::findTensor(std::string_view n) const { return findByName(tensors, n); }
const Kernel* Module::findKernel(std::string_view n) const { return findByName(kernels, n); }
const Workload* Module::findWorkload(std::string_view n) const { return findByName(workloads, n); }

Env Module::defaultEnv() const {
  Env env;
  for (const SymbolDecl& s : symbols)
    if (s.value) env.symbols.emplace(s.name, *s.value);
  for (const SlotDecl& s : slots) env.slots.emplace(s.name, static_cast<int64_t>(s.init));
  return env;
}

bool operator==(const Module& a, const Module& b) {
  return a.name == b.name && a.symbols == b.symbols && a.slots == b.slots && a.tensors == b.tensors &&
         a.kernels == b.kernels && a.workloads == b.workloads;
}

}  // namespace pto::wsp::ir
