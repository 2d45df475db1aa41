// ptowsp cost FILE.wsp [--arch NAME|FILE.json] [--kernel NAME] [--json]: the cycle report
// of each kernel on an architecture, computed from the cost model without running
// anything (docs/cost-model.md).
#include "Command.h"
#include "WspFile.h"

#include "pto/wsp/arch/ArchRegistry.h"
#include "pto/wsp/cost/KernelCost.h"
#include "pto/wsp/ir/Verifier.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <memory>

namespace pto::wsp::cli {
namespace {

struct CostOptions {
  std::string file;
  std::string arch = "ascend910b";
  std::string kernel;
  bool json = false;
};

int runCost(const CostOptions& o) {
  ir::Module m = parseWspFile(o.file);
  DiagnosticList diags = ir::verify(m);
  if (diags.hasErrors()) {
    std::fprintf(stderr, "%s\n", diags.render().c_str());
    return 1;
  }
  arch::ArchModel a = arch::resolveArch(o.arch, SourceLoc{"<command line>", 0, 0, {}});
  nlohmann::ordered_json all = nlohmann::ordered_json::array();
  std::string text;
  bool found = o.kernel.empty();
  for (const ir::Kernel& k : m.kernels) {
    if (!o.kernel.empty() && k.name != o.kernel) continue;
    found = true;
    if (k.external) {
      text += fmt::format("kernel {}: external, cycles declared by its expression (needs scalar arguments)\n", k.name);
      continue;
    }
    cost::CycleReport r = cost::kernelCycles(k, a);
    if (o.json)
      all.push_back(r.toJson());
    else
      text += r.table();
  }
  if (!found) {
    Diagnostic d = makeError(SourceLoc{o.file, 0, 0, {}}, fmt::format("no kernel named '{}'", o.kernel));
    std::string names;
    for (const ir::Kernel& k : m.kernels) names += (names.empty() ? "" : ", ") + k.name;
    d.help(fmt::format("kernels in this module: {}", names.empty() ? "(none)" : names));
    throw UserError(std::move(d));
  }
  std::string out = o.json ? all.dump(2) + "\n" : text;
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

std::function<int()> setupCost(CLI::App& sub) {
  auto o = std::make_shared<CostOptions>();
  sub.add_option("file", o->file, ".wsp module")->required();
  sub.add_option("--arch", o->arch, "built-in arch name or arch JSON file (default ascend910b)");
  sub.add_option("--kernel", o->kernel, "only this kernel");
  sub.add_flag("--json", o->json, "print the reports as JSON");
  return [o] { return runCost(*o); };
}

PTOWSP_COMMAND("cost", "print each kernel's cycle report on an arch (cost model, nothing is run)", setupCost);

}  // namespace
}  // namespace pto::wsp::cli
