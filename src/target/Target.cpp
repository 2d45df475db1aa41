// The target registry and the default steps of a target (target/Target.h).
#include "pto/wsp/target/Target.h"

#include "pto/wsp/support/Assert.h"

#include <fmt/format.h>

#include <mutex>

namespace pto::wsp::target {

void Target::check(const ir::Module&, const ir::Workload&, const arch::ArchModel&) const {}

lower::PlanLoweringResult Target::emitOrchestration(const ir::Module& m, const ir::Workload& w,
                                                    const arch::ArchModel& a) const {
  return lower::lowerWorkload(m, w, a, capabilities());
}

std::vector<artifact::PackageFile> Target::packageFiles(const ir::Module&, const ir::Workload&,
                                                        const arch::ArchModel&, const std::filesystem::path&) const {
  return {};
}

std::filesystem::path Target::warmCache(const std::filesystem::path&) const { return {}; }

SourceTree Target::emitTree(const TreeRequest&) const {
  PTO_UNREACHABLE("target '{}' emits no source tree", name());
}

KernelUnits PlannedTarget::emitKernels(const ir::Module& m, const abi::Plan& plan, const arch::ArchModel&,
                                       const std::filesystem::path&) const {
  // Located at the first kernel the plan calls (the module when it calls none).
  SourceLoc loc = m.loc;
  if (!plan.kernels.empty())
    if (const ir::Kernel* k = m.findKernel(plan.kernels.front().name)) loc = k->loc;
  throw UserError(makeError(loc, fmt::format("target '{}' cannot emit kernels yet: {}", name(), missing_))
                      .help("compile for cpu_sim to run on this host; `ptowsp targets` lists every target"));
}

artifact::CompilerConfig PlannedTarget::compilerConfig(unsigned) const {
  PTO_UNREACHABLE("target '{}' has no compiler configuration (emitKernels refuses first)", name());
}

artifact::CacheEntry PlannedTarget::buildLibrary(artifact::ObjectCache&, const KernelUnits&, const BuildRequest&) const {
  PTO_UNREACHABLE("target '{}' builds no kernel library (emitKernels refuses first)", name());
}

struct TargetRegistry::Impl {
  mutable std::mutex mu;
  std::vector<std::unique_ptr<const Target>> targets;  // registration order
};

TargetRegistry::TargetRegistry() : impl_(std::make_shared<Impl>()) {
  // The built-in modules; a new target adds its folder and one line here. An explicit
  // list rather than static registrars: a registrar in a static library's object file
  // is dropped by the linker when nothing references it.
  targets::registerCpuSim(*this);
  targets::registerAscend(*this);
  targets::registerAie(*this);
}

TargetRegistry& TargetRegistry::global() {
  static TargetRegistry r;
  return r;
}

void TargetRegistry::add(std::unique_ptr<const Target> t) {
  PTO_INTERNAL_ASSERT(t != nullptr, "null target registered");
  const arch::CapabilityMatrix& caps = t->capabilities();
  PTO_INTERNAL_ASSERT(caps.target == t->name(), "target '{}' has the capability matrix of '{}'", t->name(), caps.target);
  arch::checkMatrix(caps);
  std::lock_guard lk(impl_->mu);
  for (const auto& have : impl_->targets)
    if (have->name() == t->name())
      throw UserError(makeError({}, fmt::format("target '{}' is already registered", t->name()))
                          .help("choose another name for the new target"));
  impl_->targets.push_back(std::move(t));
  arch::publishMatrix(impl_->targets.back()->capabilities());
}

const Target* TargetRegistry::find(std::string_view name) const {
  std::lock_guard lk(impl_->mu);
  for (const auto& t : impl_->targets)
    if (t->name() == name) return t.get();
  return nullptr;
}

const Target& TargetRegistry::get(std::string_view name, const SourceLoc& loc) const {
  if (const Target* t = find(name)) return *t;
  std::string known;
  for (const Target* t : all()) known += (known.empty() ? "" : ", ") + std::string(t->name());
  throw UserError(makeError(loc, fmt::format("unknown target '{}'", name)).help(fmt::format("known targets: {}", known)));
}

std::vector<const Target*> TargetRegistry::all() const {
  std::lock_guard lk(impl_->mu);
  std::vector<const Target*> out;
  for (const auto& t : impl_->targets) out.push_back(t.get());
  return out;
}

}  // namespace pto::wsp::target
