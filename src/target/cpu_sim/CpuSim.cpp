// The cpu_sim target module (CpuSim.h).
#include "CpuSim.h"

#include "KernelSources.h"
#include "TilePch.h"

#include "pto/wsp/support/Assert.h"

#include <chrono>
#include <cstdio>
#include <optional>

namespace pto::wsp::target::cpu_sim {

namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;
double msSince(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

// Objects for every kernel, then one link.
//  * Warm (every object present): verified in this thread; starting the cache's worker
//    threads costs more than the verification itself on a loaded machine.
//  * Misses: generated kernels compile with the tile-library PCH when it exists, or when
//    at least kPchMinMisses of them miss ($PTO_WSP_PCH=1: any miss, =0: never). External
//    kernels never get the PCH forced into them. The PCH flags are unkeyed, so objects
//    built with or without it are the same cache entries.
//    Threshold: building the PCH costs ~1.2 s wall on one core (1.3 s CPU, 43 MB), a kernel
//    ~0.55 s CPU without it and ~0.1 s with it; on an idle 2-core machine a fresh cache
//    breaks even at about 6 kernels (at 4, softmax went 1.29 -> 2.32 s cold; measured in
//    docs/performance.md). Every later compile into the same cache uses an existing PCH.
constexpr size_t kPchMinMisses = 6;

artifact::CacheEntry buildKernels(artifact::ObjectCache& cache, const KernelUnits& ks, const BuildRequest& opts) {
  const std::function<void(const Diagnostic&)>& remark = opts.remark;
  const std::string& what = opts.what;
  std::error_code ec;
  size_t genMisses = 0, misses = 0;
  for (size_t i = 0; i < ks.sources.size(); ++i)
    if (!fs::exists(cache.payloadPath(artifact::EntryKind::Object, cache.objectKey(ks.sources[i])), ec)) {
      ++misses;
      genMisses += !ks.external[i];
    }
  std::vector<artifact::CacheEntry> objs;
  objs.reserve(ks.sources.size());
  if (misses == 0) {
    for (const artifact::KernelSource& k : ks.sources) {
      const auto t0 = Clock::now();
      objs.push_back(cache.object(k));
      if (opts.onProgress) opts.onProgress({k.name, objs.size(), ks.sources.size(), objs.back().hit, msSince(t0)});
    }
    return cache.link(objs, what);
  }
  std::vector<artifact::KernelSource> gen, ext;
  for (size_t i = 0; i < ks.sources.size(); ++i) (ks.external[i] ? ext : gen).push_back(ks.sources[i]);
  std::optional<artifact::ObjectCache> pchCache;
  const PchMode mode = pchModeFromEnv();
  if (genMisses > 0 && mode != PchMode::Never) {
    std::vector<std::string> pch =
        tilePchFlags(cache, mode == PchMode::Always || genMisses >= kPchMinMisses, remark);
    if (!pch.empty()) {
      artifact::CompilerConfig cfg = cache.config();
      cfg.unkeyedFlags = std::move(pch);
      pchCache.emplace(cache.root(), std::move(cfg));
      pchCache->setRemarkHandler(remark);
    }
  }
  artifact::ObjectCache& genCache = pchCache ? *pchCache : cache;
  // Progress counts run over both groups: generated kernels first, then external ones.
  if (opts.onProgress) {
    genCache.setProgressHandler([&](const artifact::BuildProgress& p) {
      opts.onProgress({p.kernel, p.done, ks.sources.size(), p.hit, p.ms});
    });
    if (&genCache != &cache)
      cache.setProgressHandler([&](const artifact::BuildProgress& p) {
        opts.onProgress({p.kernel, gen.size() + p.done, ks.sources.size(), p.hit, p.ms});
      });
  }
  std::vector<artifact::CacheEntry> genObjs = gen.empty() ? std::vector<artifact::CacheEntry>{} : genCache.objects(gen);
  if (&genCache == &cache && opts.onProgress)
    cache.setProgressHandler([&](const artifact::BuildProgress& p) {
      opts.onProgress({p.kernel, gen.size() + p.done, ks.sources.size(), p.hit, p.ms});
    });
  std::vector<artifact::CacheEntry> extObjs = ext.empty() ? std::vector<artifact::CacheEntry>{} : cache.objects(ext);
  cache.setProgressHandler({});  // the handlers above capture locals of this call
  size_t gi = 0, ei = 0;
  for (size_t i = 0; i < ks.sources.size(); ++i) objs.push_back(ks.external[i] ? extObjs[ei++] : genObjs[gi++]);
  return cache.link(objs, what);
}

class CpuSim final : public Target {
 public:
  CpuSim() : caps_(capabilityMatrix()) {}
  std::string_view name() const override { return caps_.target; }
  std::string_view summary() const override {
    return "host simulation: C++ kernels over the tile library, the runtime core on host threads";
  }
  const arch::CapabilityMatrix& capabilities() const override { return caps_; }
  bool canRun() const override { return true; }
  KernelUnits emitKernels(const ir::Module& m, const abi::Plan& plan, const arch::ArchModel& a,
                          const fs::path& sourceDir) const override {
    return kernelSources(m, plan, a, sourceDir);
  }
  artifact::CompilerConfig compilerConfig(unsigned jobs) const override { return kernelCompilerConfig(jobs); }
  artifact::CacheEntry buildLibrary(artifact::ObjectCache& cache, const KernelUnits& units,
                                    const BuildRequest& req) const override {
    return buildKernels(cache, units, req);
  }
  fs::path warmCache(const fs::path& cacheDir) const override {
    artifact::ObjectCache cache(cacheDir.empty() ? artifact::ObjectCache::defaultDir() : cacheDir,
                                kernelCompilerConfig(0));
    std::vector<Diagnostic> remarks;
    std::vector<std::string> flags = tilePchFlags(
        cache, /*build=*/true, [&](const Diagnostic& d) { remarks.push_back(d); }, /*allowPrebuilt=*/false);
    for (const Diagnostic& d : remarks) std::fprintf(stderr, "%s\n", d.render().c_str());
    return flags.size() == 2 ? fs::path(flags[1]) : fs::path();
  }

 private:
  arch::CapabilityMatrix caps_;
};

}  // namespace

}  // namespace pto::wsp::target::cpu_sim

namespace pto::wsp::target {
void targets::registerCpuSim(TargetRegistry& r) { r.add(std::make_unique<cpu_sim::CpuSim>()); }
}  // namespace pto::wsp::target
