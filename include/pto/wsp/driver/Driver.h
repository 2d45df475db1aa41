// The compile driver: a straight script of named phases between the user API
// (api/Program.h) and the targets (target/Target.h):
//
//   parse -> verify -> workload -> arch -> plan -> kernels -> config -> compiler ->
//   cache -> package -> load
//
// parse (compileFile only) reads the .wsp text; verify runs the verifier; workload picks
// the workload; arch resolves the arch instance (the target's default unless given);
// plan asks the target for the orchestration; kernels asks it for one translation unit
// per kernel; config/compiler/cache build the kernel library through the object cache;
// package writes (or reuses) the package directory; load dlopens the library and binds
// every kernel. Four results print as text (CompileOptions::dump): the module (ir), the
// plan (plan), the kernel units (kernels) and the manifest (manifest). A dump stops the
// script after its phase. The warm path (every object cached, the package present)
// compiles nothing and only verifies.
#pragma once

#include "pto/wsp/abi/KernelAbi.h"
#include "pto/wsp/abi/Plan.h"
#include "pto/wsp/artifact/Manifest.h"
#include "pto/wsp/artifact/ObjectCache.h"
#include "pto/wsp/artifact/Package.h"
#include "pto/wsp/artifact/SharedLibrary.h"
#include "pto/wsp/ir/Module.h"
#include "pto/wsp/support/Diagnostic.h"
#include "pto/wsp/target/Target.h"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pto::wsp::driver {

// The phase results that print as text.
// Tree: every file of a source-tree target's output (target::SourceTree).
enum class Dump : uint8_t { None, Ir, Plan, Csp, Kernels, Manifest, Tree };
std::string_view dumpName(Dump d);                  // "ir" "plan" "csp" "kernels" "manifest" "tree"
std::optional<Dump> parseDump(std::string_view s);  // nullopt for anything else

struct CompileOptions {
  // A registered target (target/Target.h; `ptowsp targets` lists them).
  std::string target = "cpu_sim";
  // Built-in arch instance name or path to an arch JSON file; "" = the target's default
  // arch instance.
  std::string arch;
  // Workload to compile; "" = the module's only workload (an error lists them if several).
  std::string workload;
  // Object cache root; "" = artifact::ObjectCache::defaultDir() ($PTO_WSP_CACHE_DIR, XDG).
  std::filesystem::path cacheDir;
  // Package directory to write; "" = <cacheDir>/v1/packages/<package hash>. A target
  // that emits a source tree (ascend) needs it: the tree is written there.
  std::filesystem::path packageDir;
  // The target's runtime option (ascend: host_build_graph | tensormap_and_ringbuffer);
  // "" = the target's default. Targets without runtimes refuse a non-empty value.
  std::string runtime;
  // Directory that relative external-kernel `source` paths are resolved against
  // ("" = the directory of the module's source file, else the current directory).
  std::filesystem::path sourceDir;
  unsigned jobs = 0;  // parallel kernel compiles; 0 = hardware concurrency
  // Called per kernel as the cache verifies or compiles it (from worker threads, one at a
  // time); the CLI prints progress lines from it.
  std::function<void(const artifact::BuildProgress&)> onProgress;
  // Remarks (e.g. a corrupt cache entry that was rebuilt). Default: printed to stderr.
  std::function<void(const Diagnostic&)> onRemark;
  // Print this phase's result into Compiled::dumpText and stop after the phase.
  Dump dump = Dump::None;
};

struct LoadedKernel {
  pto_kernel_fn fn = nullptr;
  pto_cycles_fn cycles = nullptr;  // null: the plan kernel's constant cost
};

// What the script produced. With a dump, only what the phases up to it fill.
struct Compiled {
  ir::Module module;
  std::string workload;
  abi::Plan plan;
  artifact::Manifest manifest;
  std::filesystem::path dir;        // the package
  artifact::SharedLibrary library;  // owns the kernels
  std::vector<LoadedKernel> kernels;       // by PlanKernel::fnIndex
  std::vector<std::string> kernelNames;    // by plan kernel index
  std::vector<Diagnostic> warnings;        // the verifier's
  std::vector<std::pair<std::string, double>> phasesMs;  // in order
  uint64_t compilerInvocations = 0;
  double compileMs = 0;
  double clockGhz = 1.0;  // the arch's clock: device time of the run's trace
  std::string dumpText;  // the requested dump's text
  std::string treeSummary;  // source-tree targets: one line about what was written
};

Compiled compile(const ir::Module& m, const CompileOptions& opts);

// The package file holding the compiled workload's declarations as .wsp text.
inline constexpr const char* kPackageModuleFile = "module.wsp";

// Opens a package that compile() wrote (`ptowsp compile -o DIR`) without its source:
// validates it (artifact::readPackage), checks this host against the manifest's host
// requirements (os, machine, CPU features, kernel ABI), parses its module.wsp, reads the
// plan and dlopens the kernel library. Throws UserError naming what differs.
Compiled loadPackage(const std::filesystem::path& dir);
// Reads and parses the .wsp file (phase "parse"), then compile(); sourceDir defaults to
// its directory.
Compiled compileFile(const std::filesystem::path& wsp, CompileOptions opts);

// Texts of the printable phases (what dump prints).
std::string printPlan(const abi::Plan& plan);
// Kernel units, then the files the target ships beside them (target::KernelUnits).
std::string printKernels(const std::vector<artifact::KernelSource>& units,
                         const std::vector<artifact::PackageFile>& files = {});
// Every file of a source tree, each under a "// ===== <path> =====" line.
std::string printTree(const target::SourceTree& tree);

// The target's cache preparation (target::Target::warmCache).
std::filesystem::path warmCache(std::string_view target, const std::filesystem::path& cacheDir);

}  // namespace pto::wsp::driver
