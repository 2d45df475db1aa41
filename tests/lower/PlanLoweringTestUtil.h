// Helpers of the plan lowering tests: load / parse + verify a module, the default arch,
// dry runs through the PlanInterpreter.
#pragma once

#include "pto/wsp/abi/Plan.h"
#include "pto/wsp/arch/ArchRegistry.h"
#include "pto/wsp/ir/Verifier.h"
#include "pto/wsp/ir/text/Parser.h"
#include "pto/wsp/lower/PlanLowering.h"
#include "pto/wsp/runtime/PlanInterpreter.h"
#include "pto/wsp/support/Diagnostic.h"
#include "pto/wsp/target/Target.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

namespace pto::wsp::lower::plantest {

// The capability matrix of a registered target (unknown -> UserError naming it).
inline const arch::CapabilityMatrix& caps(std::string_view target = "cpu_sim") {
  return target::TargetRegistry::global().get(target).capabilities();
}

inline ir::Module parseText(const std::string& text, const std::string& file) {
  ir::Module m = ir::text::parse(text, file);
  ir::verifyOrThrow(m);
  return m;
}

inline ir::Module loadExample(const std::string& name, const std::string& file = {}) {
  const std::string path = fmt::format("{}/examples/{}/{}.wsp", PTO_WSP_SOURCE_DIR, name, file.empty() ? name : file);
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return parseText(ss.str(), path);
}

inline const arch::ArchModel& arch910b() { return arch::builtinArch("ascend910b"); }

inline rt::PlanRunResult dryRun(const abi::Plan& p, std::vector<int64_t> symbols = {},
                                std::vector<void*> tensorBase = {}, std::vector<rt::KernelBinding> kernels = {}) {
  rt::PlanInterpreter in(p, {.engine = rt::engineConfigFor(p.schedule),
                             .kernels = std::move(kernels),
                             .tensorBase = std::move(tensorBase),
                             .symbols = std::move(symbols)});
  return in.run();
}

// Kernel tasks (structural joins run on no worker).
inline uint64_t kernelTasks(const rt::RunStats& s) {
  uint64_t n = 0;
  for (const auto& w : s.workers) n += w.tasks;
  return n;
}

}  // namespace pto::wsp::lower::plantest
