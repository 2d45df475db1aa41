// Program::compile: verify -> workload -> arch -> plan -> kernel sources -> object cache ->
// package -> dlopen. The warm path (everything cached) must compile nothing and stay
// cheap: every step below is either pure in-memory work or a verified cache lookup, and
// an existing valid package is reused, never rewritten.
#include "ProgramImpl.h"
#include "ProgramPch.h"
#include "ProgramSources.h"

#include "pto/wsp/arch/ArchRegistry.h"
#include "pto/wsp/arch/Capability.h"
#include "pto/wsp/artifact/AtomicFile.h"
#include "pto/wsp/artifact/FileLock.h"
#include "pto/wsp/artifact/Package.h"
#include "pto/wsp/ir/Verifier.h"
#include "pto/wsp/ir/text/Parser.h"
#include "pto/wsp/ir/text/Printer.h"
#include "pto/wsp/lower/KernelCodegen.h"
#include "pto/wsp/lower/PlanLowering.h"
#include "pto/wsp/support/Assert.h"
#include "pto/wsp/support/Hash.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <optional>

namespace pto::wsp {

namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;
double msSince(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

// Appends a phase's time to the breakdown and restarts the phase clock.
struct PhaseTimer {
  std::vector<std::pair<std::string, double>>& out;
  Clock::time_point t = Clock::now();
  void lap(const char* name) {
    out.emplace_back(name, msSince(t));
    t = Clock::now();
  }
};

SourceLoc optionsLoc(const ir::Module& m, const char* what) {
  return SourceLoc{m.loc.file, 0, 0, fmt::format("compile options > {}", what)};
}

std::string joinNames(const std::vector<std::string>& names) {
  std::string s;
  for (const auto& n : names) s += (s.empty() ? "" : ", ") + ("'" + n + "'");
  return s.empty() ? "(none)" : s;
}

const ir::Workload& pickWorkload(const ir::Module& m, const std::string& wanted) {
  std::vector<std::string> names;
  for (const auto& w : m.workloads) names.push_back(w.name);
  if (!wanted.empty()) {
    if (const ir::Workload* w = m.findWorkload(wanted)) return *w;
    throw UserError(makeError(optionsLoc(m, "workload"),
                              fmt::format("module '{}' has no workload '{}'", m.name, wanted))
                        .help("known workloads: " + joinNames(names)));
  }
  if (m.workloads.size() == 1) return m.workloads.front();
  if (m.workloads.empty())
    throw UserError(makeError(m.loc, fmt::format("module '{}' has no workload to compile", m.name))
                        .help("add a `workload <name> { ... }` block"));
  throw UserError(makeError(optionsLoc(m, "workload"),
                            fmt::format("module '{}' has {} workloads; say which one to compile", m.name,
                                        m.workloads.size()))
                      .help("set CompileOptions::workload (`--workload` on the command line) to one of " +
                            joinNames(names)));
}

std::string roleName(ir::TensorRole r) {
  return r == ir::TensorRole::Temp ? "scratch" : std::string(ir::tensorRoleName(r));
}

artifact::ManifestAbi abiTables(const ir::Module& m, const abi::Plan& plan) {
  artifact::ManifestAbi a;
  for (uint32_t i = 0; i < plan.symbols.size(); ++i) a.symbols.push_back({plan.symbols[i].name, "i64", i});
  for (uint32_t i = 0; i < plan.slots.size(); ++i) a.slots.push_back({plan.slots[i].name, "u64", i});
  for (uint32_t i = 0; i < plan.tensors.size(); ++i) {
    const ir::Tensor* t = m.findTensor(plan.tensors[i].name);
    PTO_INTERNAL_ASSERT(t != nullptr, "plan tensor '{}' is not in module '{}'", plan.tensors[i].name, m.name);
    artifact::ManifestTensor mt{t->name, std::string(ir::dtypeName(t->dtype)), roleName(t->role), {}, i};
    for (const ir::Expr& d : t->shape) {
      artifact::ManifestDim dim;
      if (auto v = ir::asConstInt(d)) dim.size = *v;
      else dim.symbol = ir::text::printExpr(d);
      mt.shape.push_back(std::move(dim));
    }
    a.tensors.push_back(std::move(mt));
  }
  return a;
}

// The schedule numbers the runtime reads all live in the plan's PlanSchedule.
std::string scheduleId(const abi::PlanSchedule& s) {
  Hasher h;
  h.pod(s.workers).str(s.dispatch).pod(s.issueCycles).pod(s.syncLatency).pod(s.taskWindow);
  h.pod(s.tensorMapCapacity).pod(s.depListCapacity).pod(s.readyQueueCapacity).pod(s.heapBytes);
  h.pod(s.maxScopeDepth);
  return h.hex();
}

void defaultRemark(const Diagnostic& d) { std::fprintf(stderr, "%s\n", d.render().c_str()); }

// Reuses the package at `dir` when it is complete and says exactly `want`; otherwise
// writes it under a lock so that concurrent compiles (threads or processes) never
// replace a package another one may be loading. A package that exists but does not
// validate (edited, truncated, a flipped byte) is reported as a remark, then rewritten;
// a valid but different one is silently replaced.
void ensurePackage(const fs::path& dir, const artifact::Manifest& want, const std::string& planBytes,
                   const fs::path& library, const std::function<void(const Diagnostic&)>& remark) {
  std::string damage;
  auto valid = [&] {
    std::error_code ec;
    if (!fs::exists(dir / artifact::kManifestFileName, ec)) return false;
    try {
      // A valid package of another compile (e.g. an older version of the module written
      // to the same packageDir) is stale, not damaged: replaced without a remark.
      if (artifact::readPackage(dir).manifest == want) return true;
    } catch (const UserError& e) {
      damage = e.diagnostics().empty() ? "it does not validate" : e.diagnostics().front().message;
    }
    return false;
  };
  if (valid()) return;
  fs::create_directories(dir.parent_path());
  artifact::FileLock lock(dir.parent_path() / (dir.filename().string() + ".lock"));
  damage.clear();
  if (valid()) return;
  if (!damage.empty()) {
    Diagnostic d = makeError(SourceLoc{(dir / artifact::kManifestFileName).string(), 0, 0, {}},
                             fmt::format("package {} is damaged ({}); rewriting it", dir.filename().string(), damage));
    d.severity = Severity::Remark;
    remark(d);
  }
  artifact::Manifest written = artifact::writePackage(dir, want, planBytes, library);
  PTO_INTERNAL_ASSERT(written == want, "package {} was written with a different manifest than computed",
                      dir.string());
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

artifact::CacheEntry buildKernels(artifact::ObjectCache& cache, const detail::KernelSources& ks,
                                  const std::string& what, const CompileOptions& opts,
                                  const std::function<void(const Diagnostic&)>& remark) {
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
  const detail::PchMode mode = detail::pchModeFromEnv();
  if (genMisses > 0 && mode != detail::PchMode::Never) {
    std::vector<std::string> pch =
        detail::tilePchFlags(cache, mode == detail::PchMode::Always || genMisses >= kPchMinMisses, remark);
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

}  // namespace

Program Program::compile(const ir::Module& m, const CompileOptions& opts) {
  const auto t0 = Clock::now();
  const uint64_t invocations0 = artifact::compilerInvocationCount();
  auto impl = std::make_unique<Impl>();
  PhaseTimer phase{impl->compilePhases};

  {
    const DiagnosticList diags = ir::verify(m);
    diags.throwIfErrors();
    impl->warnings = diags.all();  // only warnings are left
  }
  const ir::Workload& w = pickWorkload(m, opts.workload);
  const arch::CapabilityMatrix& caps = arch::capabilities(opts.target, optionsLoc(m, "target"));
  const arch::ArchModel a =
      arch::resolveArch(opts.arch.empty() ? std::string_view(caps.arch) : std::string_view(opts.arch),
                        optionsLoc(m, "arch"));
  phase.lap("verify");

  lower::PlanLoweringResult lowered = lower::lowerWorkload(m, w, a, opts.target);
  phase.lap("lower");

  fs::path sourceDir = opts.sourceDir;
  if (sourceDir.empty() && !m.loc.file.empty()) sourceDir = fs::path(m.loc.file).parent_path();
  detail::KernelSources ks = detail::kernelSources(m, lowered.plan, a, opts.target, sourceDir);
  phase.lap("codegen");

  artifact::CompilerConfig ccfg = detail::kernelCompilerConfig(opts.jobs);
  phase.lap("config");
  artifact::ObjectCache cache(opts.cacheDir.empty() ? artifact::ObjectCache::defaultDir() : opts.cacheDir,
                              std::move(ccfg));
  phase.lap("compiler");
  const std::function<void(const Diagnostic&)> remark = opts.onRemark ? opts.onRemark : defaultRemark;
  cache.setRemarkHandler(remark);
  artifact::CacheEntry lib = buildKernels(cache, ks, fmt::format("artifact '{}'", m.name), opts, remark);
  phase.lap("cache");

  artifact::Manifest man;
  man.target = opts.target;
  man.archInstance = a.name;
  man.capabilities = nlohmann::json::parse(arch::capabilitiesToJson(caps).dump());
  man.kernels = ks.manifest;
  const std::vector<uint8_t> planVec = abi::serializePlan(lowered.plan);
  const std::string planBytes(planVec.begin(), planVec.end());
  man.plan = {artifact::kDefaultPlanFile, hashHex(hash64(planBytes))};
  man.library = artifact::ManifestFile{artifact::kDefaultLibraryFile, hashHex(lib.payloadHash)};
  man.abi = abiTables(m, lowered.plan);
  man.scheduleId = scheduleId(lowered.plan.schedule);
  man.policyId = lowered.plan.schedule.dispatch;
  man.compiler = {cache.compiler().path, cache.compiler().firstVersionLine(), cache.config().compileFlags,
                  cache.config().linkFlags};
  man.features = lowered.features;
  man.packageHash = artifact::computePackageHash(man);
  fs::path dir = opts.packageDir.empty()
                     ? cache.root() / fmt::format("v{}", artifact::kCacheFormatVersion) / "packages" / man.packageHash
                     : opts.packageDir;
  ensurePackage(dir, man, planBytes, lib.path, remark);
  phase.lap("package");

  // Load from the package, not the cache: the package is what `ptowsp run` ships.
  impl->library = artifact::SharedLibrary::open(dir / man.library->file);
  impl->kernels.resize(lowered.plan.kernels.size());
  for (const abi::PlanKernel& pk : lowered.plan.kernels) {
    const artifact::ManifestKernel* mk = nullptr;
    for (const auto& k : man.kernels)
      if (k.name == pk.name) mk = &k;
    PTO_INTERNAL_ASSERT(mk != nullptr, "plan kernel '{}' has no manifest entry", pk.name);
    PTO_INTERNAL_ASSERT(pk.fnIndex < impl->kernels.size(), "fnIndex {} out of range", pk.fnIndex);
    const std::string what = fmt::format("kernel '{}'", pk.name);
    rt::KernelBinding& b = impl->kernels[pk.fnIndex];
    b.fn = impl->library.function<pto_kernel_fn>(mk->symbol, what);
    if (!mk->cyclesSymbol.empty()) b.cycles = impl->library.function<pto_cycles_fn>(mk->cyclesSymbol, what);
    impl->kernelNames.push_back(pk.name);
  }
  phase.lap("load");

  impl->module = m;
  impl->workload = w.name;
  impl->manifest = std::move(man);
  impl->dir = std::move(dir);
  impl->plan = std::move(lowered.plan);
  impl->initRuntimeValues();
  impl->compilerInvocations = artifact::compilerInvocationCount() - invocations0;
  impl->compileMs = msSince(t0);
  return Program(std::move(impl));
}

Program Program::compileFile(const fs::path& wsp, CompileOptions opts) {
  const auto t0 = Clock::now();
  std::optional<std::string> text = artifact::tryReadFile(wsp);
  if (!text)
    throw UserError(makeError(SourceLoc{wsp.string(), 0, 0, {}}, "cannot read workload file")
                        .help("check the path; .wsp files are described in docs/wsp-format.md"));
  ir::Module m = ir::text::parse(*text, wsp.string());
  if (opts.sourceDir.empty()) opts.sourceDir = wsp.parent_path();
  const double parseMs = msSince(t0);
  Program p = compile(m, opts);
  p.impl_->compilePhases.insert(p.impl_->compilePhases.begin(), {"parse", parseMs});
  p.impl_->compileMs = msSince(t0);
  return p;
}

}  // namespace pto::wsp
