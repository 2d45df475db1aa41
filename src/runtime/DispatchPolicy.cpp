#include "pto/wsp/runtime/DispatchPolicy.h"

#include "pto/wsp/support/Diagnostic.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <map>
#include <mutex>

namespace pto::wsp::rt {

struct DispatchRegistry::Impl {
  mutable std::mutex mu;
  std::map<std::string, DispatchFactory, std::less<>> factories;
};

DispatchRegistry::DispatchRegistry() : impl_(std::make_shared<Impl>()) {
  // The built-in modules; a new policy adds its module and one line here.
  policies::registerRoundRobin(*this);
  policies::registerHash(*this);
  policies::registerAffinity(*this);
  policies::registerLeastLoaded(*this);
  policies::registerCustom(*this);
}

DispatchRegistry& DispatchRegistry::global() {
  static DispatchRegistry r;
  return r;
}

void DispatchRegistry::add(std::string name, DispatchFactory f) {
  std::lock_guard lk(impl_->mu);
  if (impl_->factories.count(name))
    throw UserError(makeError({}, fmt::format("dispatch policy '{}' is already registered", name))
                        .help("choose another name for the new policy"));
  impl_->factories.emplace(std::move(name), std::move(f));
}

std::vector<std::string> DispatchRegistry::names() const {
  std::lock_guard lk(impl_->mu);
  std::vector<std::string> out;
  for (const auto& [n, f] : impl_->factories) out.push_back(n);
  return out;
}

bool DispatchRegistry::has(std::string_view name) const {
  std::lock_guard lk(impl_->mu);
  return impl_->factories.find(name) != impl_->factories.end();
}

std::unique_ptr<DispatchPolicy> DispatchRegistry::create(std::string_view name,
                                                         uint32_t workers) const {
  DispatchFactory f;
  {
    std::lock_guard lk(impl_->mu);
    auto it = impl_->factories.find(name);
    if (it != impl_->factories.end()) f = it->second;
  }
  if (!f)
    throw UserError(makeError({}, fmt::format("unknown dispatch policy '{}'", name))
                        .help(fmt::format("registered policies: {}", fmt::join(names(), ", "))));
  if (workers == 0)
    throw UserError(makeError({}, fmt::format("dispatch policy '{}' needs at least 1 worker, got 0", name))
                        .help("set num_workers >= 1"));
  return f(workers);
}

}  // namespace pto::wsp::rt
