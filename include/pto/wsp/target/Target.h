// Targets: registered modules, like the runtime's dispatch policies. A target is what a
// compile is for (cpu_sim today; ascend and aie are registered with their capability
// matrices and refuse to emit kernels until their emitters exist). It names its default
// arch instance, owns its capability matrix and provides the steps the compile driver
// (driver/Driver.h) runs in order:
//
//   check -> emit orchestration (the plan) -> emit kernels -> build the kernel library
//   -> (the driver writes the package) -> run, where the target can run on this host.
//
// Adding a target adds a folder src/target/<name>/ with its module and one line in
// Registry.cpp's built-in list (or a TargetRegistry::global().add() call from any binary,
// as the test-only target does). Nothing outside a target's folder branches on its name.
// The registry is thread-safe; registered targets are immutable and live for the
// process.
#pragma once

#include "pto/wsp/abi/Plan.h"
#include "pto/wsp/arch/ArchModel.h"
#include "pto/wsp/arch/Capability.h"
#include "pto/wsp/artifact/Manifest.h"
#include "pto/wsp/artifact/ObjectCache.h"
#include "pto/wsp/artifact/Package.h"
#include "pto/wsp/ir/Module.h"
#include "pto/wsp/lower/PlanLowering.h"
#include "pto/wsp/support/Diagnostic.h"

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pto::wsp::target {

// One translation unit per plan kernel, in plan kernel order.
struct KernelUnits {
  std::vector<artifact::KernelSource> sources;
  std::vector<artifact::ManifestKernel> manifest;
  std::vector<bool> external;  // per source: the user's own file
};

// What the kernel-library step reads besides the units.
struct BuildRequest {
  unsigned jobs = 0;
  std::string what;  // "artifact '<module>'" (the link's name in messages)
  std::function<void(const artifact::BuildProgress&)> onProgress;
  std::function<void(const Diagnostic&)> remark;
};

// A source tree for another runtime (ascend: a pto-runtime scene), relative path -> text,
// in writing order. The driver prints it (--dump=tree) or writes it under the output
// directory.
struct SourceTree {
  std::vector<std::pair<std::string, std::string>> files;
  std::string manifestFile;  // the entry of `files` that describes the tree
  std::string summary;       // one line for the CLI ("runtime ..., N tasks")
  std::vector<Diagnostic> warnings;  // what the emitter could not honour exactly (located)
};

struct TreeRequest {
  const ir::Module& module;
  const ir::Workload& workload;
  const abi::Plan& plan;
  const arch::ArchModel& arch;
  std::string runtime;  // the target's runtime option ("" = its default)
};

class Target {
 public:
  virtual ~Target() = default;
  virtual std::string_view name() const = 0;
  virtual std::string_view summary() const = 0;  // one line for `ptowsp targets`
  // The matrix of every feature (arch/Capability.h); matrix.arch is the target's default
  // arch instance.
  virtual const arch::CapabilityMatrix& capabilities() const = 0;
  std::string_view defaultArch() const { return capabilities().arch; }
  // True when a compiled package runs on this host (Program::execute).
  virtual bool canRun() const = 0;
  // What `ptowsp run` adds after the results (e.g. that the run is a semantic model of
  // an artifact that needs other hardware); "" = nothing.
  virtual std::string_view runNote() const { return {}; }

  // Target checks before lowering (e.g. kernels the emitter cannot lower); throws one
  // located UserError listing every problem. Default: nothing beyond the matrix.
  virtual void check(const ir::Module& m, const ir::Workload& w, const arch::ArchModel& a) const;
  // The orchestration: the workload lowered to a plan, every feature checked against
  // capabilities(). Default: lower::lowerWorkload.
  virtual lower::PlanLoweringResult emitOrchestration(const ir::Module& m, const ir::Workload& w,
                                                      const arch::ArchModel& a) const;
  // One unit per plan kernel; `sourceDir` resolves relative external-kernel paths.
  // Throws one UserError listing every kernel that cannot be emitted.
  virtual KernelUnits emitKernels(const ir::Module& m, const abi::Plan& plan, const arch::ArchModel& a,
                                  const std::filesystem::path& sourceDir) const = 0;
  // Files shipped in the package as they are, beside the library (the aie target: its
  // MLIR module and external kernel sources); the manifest lists each with its hash.
  // Default: none.
  virtual std::vector<artifact::PackageFile> packageFiles(const ir::Module& m, const ir::Workload& w,
                                                          const arch::ArchModel& a,
                                                          const std::filesystem::path& sourceDir) const;
  // Flags and key inputs the kernel units compile with.
  virtual artifact::CompilerConfig compilerConfig(unsigned jobs) const = 0;
  // Compiles the units through `cache` and links the package's kernel library.
  virtual artifact::CacheEntry buildLibrary(artifact::ObjectCache& cache, const KernelUnits& units,
                                            const BuildRequest& req) const = 0;
  // Prepares whatever makes a cold compile into `cacheDir` cheaper (cpu_sim: the tile
  // library's precompiled header) and returns its path; "" = nothing to prepare.
  virtual std::filesystem::path warmCache(const std::filesystem::path& cacheDir) const;
  // Targets whose package is a source tree for another runtime instead of a kernel
  // library loaded here: the driver asks emitTree() after the kernels phase and stops
  // there (no compilerConfig / buildLibrary). Default: no tree.
  virtual bool emitsTree() const { return false; }
  virtual SourceTree emitTree(const TreeRequest& req) const;
};

class TargetRegistry {
 public:
  static TargetRegistry& global();
  // Throws UserError if a target of that name is registered already.
  void add(std::unique_ptr<const Target> t);
  const Target* find(std::string_view name) const;
  // Unknown name -> UserError at `loc` listing the registered targets.
  const Target& get(std::string_view name, const SourceLoc& loc = {"<target registry>", 0, 0, {}}) const;
  // Registration order (built-ins first).
  std::vector<const Target*> all() const;

 private:
  TargetRegistry();
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

// One registration hook per built-in target module (src/target/<name>/).
namespace targets {
void registerCpuSim(TargetRegistry& r);
void registerAscend(TargetRegistry& r);
void registerAie(TargetRegistry& r);
}  // namespace targets

// A target without a kernel emitter yet: capability matrix and default arch are real,
// every compile stops at emitKernels with a located error naming what is missing. Runs
// nowhere.
class PlannedTarget : public Target {
 public:
  PlannedTarget(arch::CapabilityMatrix caps, std::string summary, std::string missing)
      : caps_(std::move(caps)), summary_(std::move(summary)), missing_(std::move(missing)) {}
  std::string_view name() const override { return caps_.target; }
  std::string_view summary() const override { return summary_; }
  const arch::CapabilityMatrix& capabilities() const override { return caps_; }
  bool canRun() const override { return false; }
  KernelUnits emitKernels(const ir::Module& m, const abi::Plan& plan, const arch::ArchModel& a,
                          const std::filesystem::path& sourceDir) const override;
  artifact::CompilerConfig compilerConfig(unsigned jobs) const override;
  artifact::CacheEntry buildLibrary(artifact::ObjectCache& cache, const KernelUnits& units,
                                    const BuildRequest& req) const override;

 private:
  arch::CapabilityMatrix caps_;
  std::string summary_;
  std::string missing_;
};

}  // namespace pto::wsp::target
