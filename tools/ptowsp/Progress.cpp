#include "Progress.h"

#include <cstdio>
#include <memory>

namespace pto::wsp::cli {

CompileOptions cliCompileOptions(const std::string& target, const std::string& arch, const std::string& cacheDir) {
  CompileOptions o;
  o.target = target;
  o.arch = arch;
  if (!cacheDir.empty()) o.cacheDir = cacheDir;
  // onProgress is called one kernel at a time (Program.h), so this flag needs no lock.
  auto announced = std::make_shared<bool>(false);
  o.onProgress = [announced](const artifact::BuildProgress& p) {
    if (p.hit) return;
    if (!*announced) {
      *announced = true;
      std::fprintf(stderr, "compiling kernels (%zu in the module, cached ones are reused)...\n", p.total);
    }
    std::fprintf(stderr, "[%zu/%zu] compiled %s (%.0f ms)\n", p.done, p.total, p.kernel.c_str(), p.ms);
    std::fflush(stderr);
  };
  return o;
}

void printWarnings(const Program& p) {
  for (const Diagnostic& d : p.warnings()) std::fprintf(stderr, "%s\n", d.render().c_str());
}

}  // namespace pto::wsp::cli
