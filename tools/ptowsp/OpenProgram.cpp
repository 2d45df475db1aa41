// Opening what a run runs (OpenProgram.h).
#include "OpenProgram.h"

#include "Progress.h"
#include "WspFile.h"

#include "pto/wsp/arch/ArchRegistry.h"
#include "pto/wsp/artifact/Package.h"

#include <fmt/format.h>

#include <filesystem>

namespace pto::wsp::cli {

bool isPackageDir(const std::string& path) {
  std::error_code ec;
  return std::filesystem::is_directory(path, ec) &&
         std::filesystem::exists(std::filesystem::path(path) / artifact::kManifestFileName, ec);
}

Program openProgram(const OpenOptions& o) {
  namespace fs = std::filesystem;
  if (!isPackageDir(o.file)) {
    std::error_code ec;
    if (fs::is_directory(o.file, ec))
      throw UserError(makeError(SourceLoc{o.file, 0, 0, {}}, "directory is not a package: it has no manifest.json")
                          .help("pass a .wsp file, or a package directory written by `ptowsp compile FILE.wsp -o DIR`"));
    ir::Module module = parseWspFile(o.file);
    CompileOptions copts = cliCompileOptions(o.target, o.arch, o.cacheDir);
    copts.sourceDir = fs::absolute(o.file).parent_path();
    copts.workload = o.workload;
    return Program::compile(module, copts);
  }
  Program p = Program::load(o.file);
  const artifact::Manifest& m = p.manifest();
  const SourceLoc cmd{"<command line>", 0, 0, {}};
  if (o.targetGiven && o.target != m.target)
    throw UserError(makeError(cmd, fmt::format("--target {} differs from the package's target {}", o.target, m.target))
                        .help(fmt::format("drop --target, or recompile for it: ptowsp compile FILE.wsp --target {} "
                                          "-o DIR", o.target)));
  if (!o.arch.empty()) {
    const std::string want = arch::resolveArch(o.arch, cmd).name;
    if (want != m.archInstance)
      throw UserError(makeError(cmd, fmt::format("--arch {} differs from the package's arch {}", want, m.archInstance))
                          .help(fmt::format("drop --arch (the package's arch is fixed when it is compiled), or "
                                            "recompile: ptowsp compile FILE.wsp --arch {} -o DIR", o.arch)));
  }
  if (!o.workload.empty() && o.workload != p.module().workloads.front().name)
    throw UserError(makeError(cmd, fmt::format("--workload {} differs from the package's workload {}", o.workload,
                                               p.module().workloads.front().name))
                        .help("a package holds one compiled workload; drop --workload or compile the other one"));
  return p;
}

void requireSymbolValues(const ir::Module& module, const std::vector<std::string>& sets) {
  std::vector<Diagnostic> missing;
  for (const ir::SymbolDecl& s : module.symbols) {
    if (s.value) continue;
    bool given = false;
    for (const std::string& set : sets) given |= set.substr(0, set.find('=')) == s.name;
    if (!given)
      missing.push_back(makeError(s.loc, fmt::format("symbol '{}' has no default and no value", s.name))
                            .help(fmt::format("give it one with --set {}=VALUE, or a default: symbol {} = VALUE",
                                              s.name, s.name)));
  }
  if (!missing.empty()) throw UserError(std::move(missing));
}

}  // namespace pto::wsp::cli
