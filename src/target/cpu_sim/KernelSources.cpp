#include "KernelSources.h"

#include "pto/wsp/artifact/AtomicFile.h"
#include "pto/wsp/lower/ExternalCycles.h"
#include "pto/wsp/lower/KernelCodegen.h"
#include "pto/wsp/support/Assert.h"
#include "pto/wsp/support/Hash.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <map>
#include <mutex>
#include <utility>

#ifndef PTO_WSP_SOURCE_DIR
#error "PTO_WSP_SOURCE_DIR must name the source tree (set by src/target/CMakeLists.txt)"
#endif

namespace pto::wsp::target::cpu_sim {

namespace fs = std::filesystem;

fs::path kernelIncludeRoot() {
  const char* env = std::getenv("PTO_WSP_INCLUDE_DIR");
  fs::path root = (env && *env) ? fs::path(env) : fs::path(PTO_WSP_SOURCE_DIR) / "include";
  std::error_code ec;
  if (!fs::exists(root / "pto/wsp/tile/TileLib.h", ec))
    throw UserError(makeError(SourceLoc{root.string(), 0, 0, {}},
                              "the kernel include root does not contain pto/wsp/tile/TileLib.h")
                        .help(env && *env ? "PTO_WSP_INCLUDE_DIR must name the `include` directory of a PTO-WSP "
                                            "source tree or installation"
                                          : "set PTO_WSP_INCLUDE_DIR to the `include` directory of PTO-WSP"));
  return root;
}

std::string tileHeadersFingerprint(const fs::path& root) {
  struct Seen {
    uintmax_t size = 0;
    fs::file_time_type mtime;
    uint64_t hash = 0;
  };
  static std::mutex mu;
  static std::map<fs::path, Seen> memo;

  std::vector<fs::path> files;
  std::error_code ec;
  for (const auto& e : fs::recursive_directory_iterator(root / "pto/wsp/tile", ec))
    if (e.is_regular_file()) files.push_back(e.path());
  files.push_back(root / "pto/wsp/abi/KernelAbi.h");
  std::sort(files.begin(), files.end());

  Hasher h;
  std::lock_guard lock(mu);
  for (const fs::path& f : files) {
    const uintmax_t size = fs::file_size(f, ec);
    const fs::file_time_type mtime = fs::last_write_time(f, ec);
    auto it = memo.find(f);
    if (it == memo.end() || it->second.size != size || it->second.mtime != mtime) {
      const std::string text = artifact::readFile(f);
      it = memo.insert_or_assign(f, Seen{size, mtime, hash64(text)}).first;
    }
    h.str(f.lexically_relative(root).generic_string()).pod(it->second.hash);
  }
  return h.hex();
}

artifact::CompilerConfig kernelCompilerConfig(unsigned jobs) {
  const fs::path root = kernelIncludeRoot();
  artifact::CompilerConfig cfg;
  // The include root goes in as a flag, not as an includeDir: the cache would hash every
  // header of the project; the kernels only reach the tile library and KernelAbi.h,
  // which the fingerprint covers.
  cfg.compileFlags = {"-std=c++20", "-fPIC"};
  // $PTO_WSP_KERNEL_FLAGS (whitespace-separated) replaces the optimisation flags, for
  // experiments (docs/performance.md); the flags are part of every object key.
  const char* env = std::getenv("PTO_WSP_KERNEL_FLAGS");
  if (env && *env) {
    std::string f;
    for (const char* c = env;; ++c) {
      if (*c == '\0' || std::isspace(static_cast<unsigned char>(*c))) {
        if (!f.empty()) cfg.compileFlags.push_back(std::exchange(f, {}));
        if (*c == '\0') break;
      } else {
        f += *c;
      }
    }
  } else {
    cfg.compileFlags.insert(cfg.compileFlags.end(), {"-O2", "-march=native"});
  }
  cfg.compileFlags.push_back("-I" + root.string());
  cfg.extraKey = "tile-headers:" + tileHeadersFingerprint(root);
  cfg.jobs = jobs;
  return cfg;
}

KernelUnits kernelSources(const ir::Module& m, const abi::Plan& plan, const arch::ArchModel& a,
                          const fs::path& sourceDir) {
  KernelUnits out;
  std::vector<Diagnostic> errors;
  lower::CodegenOptions copts;
  copts.target = "cpu_sim";
  copts.sourceDir = sourceDir;
  for (const abi::PlanKernel& pk : plan.kernels) {
    const ir::Kernel* k = m.findKernel(pk.name);
    PTO_INTERNAL_ASSERT(k != nullptr, "plan kernel '{}' is not in module '{}'", pk.name, m.name);
    artifact::KernelSource src{k->name, {}, {}, k->loc};
    artifact::ManifestKernel mk{k->name, lower::kernelSymbol(k->name), lower::cyclesSymbol(k->name), {}, {}};
    try {
      src.text = lower::emitCpuKernel(*k, a, copts);
      if (k->external) {
        fs::path file = k->source;
        if (file.is_relative() && !sourceDir.empty()) file = sourceDir / file;
        src.origin = file.lexically_normal().string();
        src.text = artifact::readFile(file);
        // A user file may bring its own cycle function; otherwise the declared expression.
        if (src.text.find(mk.cyclesSymbol) == std::string::npos) src.text += lower::externalCyclesFunction(*k);
      }
    } catch (const UserError& e) {
      errors.insert(errors.end(), e.diagnostics().begin(), e.diagnostics().end());
      continue;
    }
    mk.sourceHash = hashHex(hash64(src.text));
    out.sources.push_back(std::move(src));
    out.manifest.push_back(std::move(mk));
    out.external.push_back(k->external);
  }
  if (!errors.empty()) throw UserError(std::move(errors));
  return out;
}

}  // namespace pto::wsp::target::cpu_sim
