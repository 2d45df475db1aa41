// The aie target: workloads mapped onto an AMD AIE-ML array and emitted as MLIR-AIE
// (docs/aie.md). A compile checks the mapping and its resources, ships the MLIR module
// and one C++ external kernel per kernel in the package (mlir-aie-<commit>/), and builds
// the host library that makes the package runnable here: the cpu_sim kernels of the same
// module, costed on aie_npu1, plus the external kernels' host sanity build linked to
// them. `ptowsp run --target aie` is therefore cpu_sim semantics on aie_npu1 under the
// mapping's constraints (one task per core at a time: as many workers as the mapping has
// cores; FIFO depths = the channel capacities); the artifact itself needs an AIE device
// or emulator.
#include "AieTarget.h"

#include "pto/wsp/arch/ArchRegistry.h"
#include "pto/wsp/support/Assert.h"
#include "pto/wsp/target/aie/AieEmitter.h"
#include "pto/wsp/target/aie/AieKernels.h"
#include "pto/wsp/target/aie/AieMapping.h"
#include "pto/wsp/target/aie/AieResources.h"

#include <fmt/format.h>

namespace pto::wsp::target::aie {

namespace {

Mapping checkedMapping(const ir::Module& m, const ir::Workload& w, const arch::ArchModel& a) {
  const AieDevice d = AieDevice::npu1(a);
  Mapping map = mapWorkload(m, w, d);
  checkResources(map, d);
  return map;
}

class Aie final : public Target {
 public:
  Aie() : caps_(capabilityMatrix()) {}
  std::string_view name() const override { return caps_.target; }
  std::string_view summary() const override {
    return "AMD AIE-ML array (npu1_4col) as MLIR-AIE: object FIFOs, cores, runtime sequence; runs here as its "
           "semantic model";
  }
  const arch::CapabilityMatrix& capabilities() const override { return caps_; }
  bool canRun() const override { return true; }
  std::string_view runNote() const override {
    return "note: aie: these are the semantics of the mapping on the arch (one task per core at a time, object FIFO "
           "depths as channel capacities) run on this host; the MLIR-AIE artifact in the package (mlir-aie-78da3d91/) "
           "needs an AIE device or emulator to execute";
  }

  void check(const ir::Module& m, const ir::Workload& w, const arch::ArchModel& a) const override {
    (void)checkedMapping(m, w, a);
  }

  lower::PlanLoweringResult emitOrchestration(const ir::Module& m, const ir::Workload& w,
                                              const arch::ArchModel& a) const override {
    lower::PlanLoweringResult r = Target::emitOrchestration(m, w, a);
    r.plan.schedule.workers = static_cast<uint32_t>(checkedMapping(m, w, a).cores.size());
    return r;
  }

  KernelUnits emitKernels(const ir::Module& m, const abi::Plan& plan, const arch::ArchModel& a,
                          const std::filesystem::path& sourceDir) const override {
    KernelUnits u = cpuSim().emitKernels(m, plan, a, sourceDir);
    // The host sanity build of the external kernels, linked next to the cpu_sim kernels.
    std::vector<KernelDecl> decls;
    for (const abi::PlanKernel& pk : plan.kernels) decls.push_back(kernelDecl(*m.findKernel(pk.name)));
    for (const KernelUnit& k : emitKernelUnits(m, decls, m.name + "_kernels.o", hostArch(), sourceDir, false)) {
      u.sources.push_back({k.kernel + " (aie external kernel)", k.text, {}, m.findKernel(k.kernel)->loc});
      u.external.push_back(true);
    }
    return u;
  }

  std::vector<artifact::PackageFile> packageFiles(const ir::Module& m, const ir::Workload& w, const arch::ArchModel& a,
                                                  const std::filesystem::path& sourceDir) const override {
    const Mapping map = checkedMapping(m, w, a);
    const std::string dir = fmt::format("mlir-aie-{}/", kMlirAieCommit);
    std::vector<artifact::PackageFile> files{{dir + m.name + ".mlir", emitMlir(map)}};
    for (const KernelUnit& k : emitKernelUnits(m, map, hostArch(), sourceDir, /*withBody=*/true))
      files.push_back({dir + "kernels/" + k.fileName, k.text});
    return files;
  }

  artifact::CompilerConfig compilerConfig(unsigned jobs) const override { return cpuSim().compilerConfig(jobs); }
  artifact::CacheEntry buildLibrary(artifact::ObjectCache& cache, const KernelUnits& units,
                                    const BuildRequest& req) const override {
    return cpuSim().buildLibrary(cache, units, req);
  }
  std::filesystem::path warmCache(const std::filesystem::path& cacheDir) const override {
    return cpuSim().warmCache(cacheDir);
  }

 private:
  // The host half of the package is cpu_sim's: its kernel units, compiler and library.
  static const Target& cpuSim() { return TargetRegistry::global().get("cpu_sim"); }
  // The external kernels' host build is costed on the host arch (its cycles are unused).
  static const arch::ArchModel& hostArch() { return *arch::findBuiltinArch("host_cpu"); }

  arch::CapabilityMatrix caps_;
};

}  // namespace

}  // namespace pto::wsp::target::aie

namespace pto::wsp::target {
void targets::registerAie(TargetRegistry& r) { r.add(std::make_unique<aie::Aie>()); }
}  // namespace pto::wsp::target
