#include "KernelDefUse.h"

namespace pto::wsp::lower::detail {

KernelDefUse::KernelDefUse(const ir::Kernel& k) : kernel(k) {
  for (size_t i = 0; i < k.body.size(); ++i) {
    for (const std::string& o : k.body[i].operands) ++uses[o];
    for (const std::string& r : k.body[i].results) def[r] = i;
  }
}

size_t KernelDefUse::usesOf(std::string_view v) const {
  auto it = uses.find(v);
  return it == uses.end() ? 0 : it->second;
}

const ir::KernelParam* KernelDefUse::tileParam(std::string_view name) const {
  const ir::KernelParam* p = kernel.findParam(name);
  return p && p->isTile() ? p : nullptr;
}

}  // namespace pto::wsp::lower::detail
