// ptowsp compile FILE.wsp [-o DIR] [--target T] [--arch A] [--cache-dir DIR]: compiles
// a module into an artifact package (docs/artifact.md) and prints its directory and
// package hash. Without -o the package lands in the object cache
// (<cache>/v1/packages/<package hash>). --dump=ir|plan|kernels|manifest prints that
// phase's result (driver/Driver.h) to stdout instead and stops after the phase.
#include "Command.h"
#include "Progress.h"
#include "SceneData.h"
#include "WspFile.h"

#include "pto/wsp/api/Program.h"
#include "pto/wsp/artifact/Package.h"
#include "pto/wsp/driver/Driver.h"
#include "pto/wsp/target/Target.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>

namespace pto::wsp::cli {
namespace {

struct CompileCmdOptions {
  std::string file;
  std::string out;
  std::string target = "cpu_sim";
  std::string arch;
  std::string workload;
  std::string cacheDir;
  std::string dump;
  std::string runtime;
  uint64_t seed = 1;  // source-tree targets: the seed of the scene's random inputs
  bool seedGiven = false;
};

int runCompile(const CompileCmdOptions& o) {
  // Before compiling: -o must never replace the source or any other file.
  if (!o.out.empty()) {
    artifact::checkPackageDestination(o.out);
    // A package is replaced whole: a module kept inside it would go with it.
    std::error_code ec;
    const std::filesystem::path dir = std::filesystem::weakly_canonical(o.out, ec);
    const std::filesystem::path src = std::filesystem::weakly_canonical(o.file, ec);
    const auto [d, s] = std::mismatch(dir.begin(), dir.end(), src.begin(), src.end());
    if (!dir.empty() && d == dir.end() && s != src.end())
      throw UserError(makeError(SourceLoc{dir.string(), 0, 0, {}},
                                fmt::format("refusing to replace a package that holds the module being compiled ({})",
                                            src.lexically_relative(dir).string()))
                          .help("a package directory is replaced whole; keep the module outside it or choose "
                                "another -o path"));
  }
  if (o.seedGiven && (!o.dump.empty() || o.out.empty() || !target::TargetRegistry::global().get(o.target).emitsTree()))
    throw UserError(makeError(SourceLoc{"<command line>", 0, 0, "--seed"},
                              "--seed seeds the data/ a source-tree target writes with -o DIR, and this compile "
                              "writes none")
                        .help("drop --seed, or compile with --target ascend -o DIR"));
  ir::Module module = parseWspFile(o.file);
  CompileOptions copts = cliCompileOptions(o.target, o.arch, o.cacheDir);
  copts.sourceDir = std::filesystem::absolute(o.file).parent_path();
  copts.workload = o.workload;
  if (!o.out.empty()) copts.packageDir = std::filesystem::absolute(o.out);
  copts.runtime = o.runtime;
  if (!o.dump.empty()) {
    std::optional<driver::Dump> d = driver::parseDump(o.dump);
    if (!d)
      throw UserError(makeError(SourceLoc{"<command line>", 0, 0, "--dump"}, fmt::format("unknown dump '{}'", o.dump))
                          .help("one of: ir, plan, csp, kernels, manifest, tree"));
    copts.dump = *d;
    copts.onProgress = {};  // stdout carries the dump alone
    driver::Compiled c = driver::compile(module, copts);
    for (const Diagnostic& w : c.warnings) std::fprintf(stderr, "%s\n", w.render().c_str());
    std::fwrite(c.dumpText.data(), 1, c.dumpText.size(), stdout);
    return 0;
  }
  if (target::TargetRegistry::global().get(o.target).emitsTree()) {
    // A source tree for another runtime (docs/ascend.md): written, not loaded.
    copts.onProgress = {};
    driver::Compiled c = driver::compile(module, copts);
    for (const Diagnostic& w : c.warnings) std::fprintf(stderr, "%s\n", w.render().c_str());
    // The scene's data/: the inputs `ptowsp run` starts from by default and cpu_sim's
    // outputs for them (docs/ascend.md).
    writeSceneDataFromCpuSim(c.dir, o.file, o.arch, o.workload, o.cacheDir, o.seed);
    std::string text = fmt::format("tree {}\ntarget {}, {}, compile_ms {:.1f}\ndata {} (cpu_sim, seed {})\n",
                                   c.dir.string(), o.target, c.treeSummary, c.compileMs, (c.dir / "data").string(),
                                   o.seed);
    std::fwrite(text.data(), 1, text.size(), stdout);
    return 0;
  }
  Program p = Program::compile(module, copts);
  printWarnings(p);
  const artifact::Manifest& m = p.manifest();
  std::string text = fmt::format("package {}\npackage_hash {}\ntarget {} arch {}, {} kernels, compile_ms {:.1f}\n",
                                 p.packageDir().string(), m.packageHash, m.target, m.archInstance,
                                 m.kernels.size(), p.stats().compileMs);
  std::fwrite(text.data(), 1, text.size(), stdout);
  return 0;
}

PTOWSP_COMMAND("compile", "compile a .wsp module into an artifact package", [](CLI::App& sub) {
  auto o = std::make_shared<CompileCmdOptions>();
  sub.add_option("file", o->file, ".wsp file to compile")->required();
  sub.add_option("-o,--output", o->out, "package directory to write (replaces only an earlier package)");
  sub.add_option("--target", o->target, "compilation target")->capture_default_str();
  sub.add_option("--arch", o->arch, "arch instance name or arch JSON file (default: the target's)");
  sub.add_option("--workload", o->workload, "workload to compile (default: the module's only one)");
  sub.add_option("--cache-dir", o->cacheDir, "object cache root (default $PTO_WSP_CACHE_DIR or XDG cache)");
  sub.add_option("--dump", o->dump, "print one phase's result and stop: ir, plan, csp, kernels, manifest or tree");
  sub.add_option("--runtime", o->runtime,
                 "the target's runtime (ascend: host_build_graph or tensormap_and_ringbuffer, the default)");
  CLI::Option* seed = sub.add_option("--seed", o->seed, "source-tree targets: seed of the scene's random inputs")
                          ->capture_default_str();
  return [=] {
    o->seedGiven = seed->count() > 0;
    return runCompile(*o);
  };
});

}  // namespace
}  // namespace pto::wsp::cli
