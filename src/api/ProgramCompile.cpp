// Program::compile: the compile driver's result becomes a Program (driver/Driver.h has
// the phases; this file only hands over what a run needs).
#include "ProgramImpl.h"


namespace pto::wsp {

Program Program::fromCompiled(driver::Compiled&& c) {
  auto impl = std::make_unique<Impl>();
  impl->module = std::move(c.module);
  impl->workload = std::move(c.workload);
  impl->manifest = std::move(c.manifest);
  impl->dir = std::move(c.dir);
  impl->plan = std::move(c.plan);
  impl->library = std::move(c.library);
  for (const driver::LoadedKernel& k : c.kernels) impl->kernels.push_back({k.fn, k.cycles});
  impl->kernelNames = std::move(c.kernelNames);
  impl->warnings = std::move(c.warnings);
  impl->compilePhases = std::move(c.phasesMs);
  impl->compilerInvocations = c.compilerInvocations;
  impl->compileMs = c.compileMs;
  impl->clockGhz = c.clockGhz;
  impl->initRuntimeValues();
  return Program(std::move(impl));
}

Program Program::compile(const ir::Module& m, const CompileOptions& opts) {
  CompileOptions o = opts;
  o.dump = driver::Dump::None;  // a Program is the whole script's result
  return fromCompiled(driver::compile(m, o));
}

Program Program::compileFile(const std::filesystem::path& wsp, CompileOptions opts) {
  opts.dump = driver::Dump::None;
  return fromCompiled(driver::compileFile(wsp, std::move(opts)));
}

Program Program::load(const std::filesystem::path& packageDir) { return fromCompiled(driver::loadPackage(packageDir)); }

std::filesystem::path Program::warmCache(const std::filesystem::path& cacheDir) {
  return driver::warmCache(CompileOptions{}.target, cacheDir);
}

}  // namespace pto::wsp
