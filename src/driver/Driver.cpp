// The compile driver's script (driver/Driver.h). The warm path (everything cached) must
// compile nothing and stay cheap: every phase below is either pure in-memory work or a
// verified cache lookup, and an existing valid package is reused, never rewritten.
#include "pto/wsp/driver/Driver.h"

#include "pto/wsp/abi/CspGraph.h"
#include "pto/wsp/abi/PlanPrinter.h"
#include "pto/wsp/arch/ArchRegistry.h"
#include "pto/wsp/arch/Capability.h"
#include "pto/wsp/artifact/AtomicFile.h"
#include "pto/wsp/artifact/CompilerInvocation.h"
#include "pto/wsp/artifact/FileLock.h"
#include "pto/wsp/artifact/HostRequirements.h"
#include "pto/wsp/artifact/Package.h"
#include "pto/wsp/ir/Verifier.h"
#include "pto/wsp/ir/text/Parser.h"
#include "pto/wsp/ir/text/Printer.h"
#include "pto/wsp/ir/DType.h"
#include "pto/wsp/support/Assert.h"
#include "pto/wsp/support/Hash.h"
#include "pto/wsp/target/Target.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <optional>

namespace pto::wsp::driver {

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

// The schedule numbers the runtime reads all live in the plan's ScheduleConfig.
std::string scheduleId(const abi::ScheduleConfig& s) {
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
                   const fs::path& library, const std::vector<artifact::PackageFile>& files,
                   const std::function<void(const Diagnostic&)>& remark) {
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
  artifact::Manifest written = artifact::writePackage(dir, want, planBytes, library, files);
  PTO_INTERNAL_ASSERT(written == want, "package {} was written with a different manifest than computed",
                      dir.string());
}

// Opens the package's kernel library and binds every plan kernel (the "load" phase).
void loadKernels(const fs::path& dir, const artifact::Manifest& man, const abi::Plan& plan, Compiled& out) {
  out.library = artifact::SharedLibrary::open(dir / man.library->file);
  out.kernels.resize(plan.kernels.size());
  for (const abi::PlanKernel& pk : plan.kernels) {
    const artifact::ManifestKernel* mk = nullptr;
    for (const auto& k : man.kernels)
      if (k.name == pk.name) mk = &k;
    if (mk == nullptr || pk.fnIndex >= out.kernels.size())
      throw UserError(makeError(SourceLoc{(dir / artifact::kManifestFileName).string(), 0, 0, "/kernels"},
                                fmt::format("plan kernel '{}' has no manifest entry or an out-of-range function "
                                            "index {}", pk.name, pk.fnIndex))
                          .help("the plan and manifest do not belong together; recompile the package"));
    const std::string what = fmt::format("kernel '{}'", pk.name);
    LoadedKernel& b = out.kernels[pk.fnIndex];
    b.fn = out.library.function<pto_kernel_fn>(mk->symbol, what);
    if (!mk->cyclesSymbol.empty()) b.cycles = out.library.function<pto_cycles_fn>(mk->cyclesSymbol, what);
    out.kernelNames.push_back(pk.name);
  }
}

}  // namespace

std::string_view dumpName(Dump d) {
  switch (d) {
    case Dump::None: return "none";
    case Dump::Ir: return "ir";
    case Dump::Plan: return "plan";
    case Dump::Csp: return "csp";
    case Dump::Kernels: return "kernels";
    case Dump::Manifest: return "manifest";
    case Dump::Tree: return "tree";
  }
  return "?";
}

std::optional<Dump> parseDump(std::string_view s) {
  for (Dump d : {Dump::Ir, Dump::Plan, Dump::Csp, Dump::Kernels, Dump::Manifest, Dump::Tree})
    if (dumpName(d) == s) return d;
  return std::nullopt;
}

std::string printPlan(const abi::Plan& plan) {
  abi::PlanPrintOptions o;
  o.dtypeName = [](uint8_t code) { return std::string(ir::dtypeName(static_cast<ir::DType>(code))); };
  return abi::printPlan(plan, o);
}

std::string printKernels(const std::vector<artifact::KernelSource>& units,
                         const std::vector<artifact::PackageFile>& files) {
  std::string out;
  for (const artifact::KernelSource& k : units) {
    out += fmt::format("// ===== kernel '{}'{} =====\n", k.name, k.origin.empty() ? "" : " (" + k.origin + ")");
    out += k.text;
    if (!k.text.empty() && k.text.back() != '\n') out += '\n';
  }
  for (const artifact::PackageFile& f : files) {
    out += fmt::format("// ===== package file '{}' =====\n", f.path);
    out += f.bytes;
    if (!f.bytes.empty() && f.bytes.back() != '\n') out += '\n';
  }
  return out;
}

std::string printTree(const target::SourceTree& tree) {
  std::string out;
  for (const auto& [path, text] : tree.files) {
    out += fmt::format("// ===== {} =====\n", path);
    out += text;
    if (!text.empty() && text.back() != '\n') out += '\n';
  }
  return out;
}

namespace {

// Writes `tree` as directory `dir`: built next to it, then swapped in, so a reader never
// sees half a tree. An existing directory is replaced only when it is empty or a tree
// (it holds the tree's manifest file): never a user's other files.
void writeTree(const fs::path& dir, const target::SourceTree& tree, const SourceLoc& loc) {
  std::error_code ec;
  if (fs::exists(dir, ec) && !(fs::is_directory(dir, ec) && (fs::is_empty(dir, ec) || fs::exists(dir / tree.manifestFile, ec))))
    throw UserError(makeError(loc, fmt::format("output directory '{}' exists and is not an emitted tree (no {})",
                                               dir.string(), tree.manifestFile))
                        .help("choose a new directory with -o, or remove this one first"));
  const fs::path tmp = artifact::uniqueTempPath(dir);
  for (const auto& [path, text] : tree.files) {
    fs::create_directories((tmp / path).parent_path(), ec);
    artifact::writeFileAtomic(tmp / path, text);
  }
  fs::remove_all(dir, ec);
  fs::rename(tmp, dir, ec);
  if (ec) {
    fs::remove_all(tmp, ec);
    throw UserError(makeError(loc, fmt::format("cannot write the tree to '{}': {}", dir.string(), ec.message()))
                        .help("check that the parent directory is writable"));
  }
}

}  // namespace

std::filesystem::path warmCache(std::string_view targetName, const std::filesystem::path& cacheDir) {
  return target::TargetRegistry::global().get(targetName).warmCache(cacheDir);
}

Compiled compile(const ir::Module& m, const CompileOptions& opts) {
  const auto t0 = Clock::now();
  const uint64_t invocations0 = artifact::compilerInvocationCount();
  Compiled out;
  PhaseTimer phase{out.phasesMs};
  auto stopAt = [&](Dump d, auto&& text) {
    if (opts.dump != d) return false;
    out.dumpText = text();
    out.compileMs = msSince(t0);
    return true;
  };

  // verify
  {
    const DiagnosticList diags = ir::verify(m);
    diags.throwIfErrors();
    out.warnings = diags.all();  // only warnings are left
  }
  if (stopAt(Dump::Ir, [&] { return ir::text::print(m); })) return out;
  // workload, target, arch
  const ir::Workload& w = pickWorkload(m, opts.workload);
  const target::Target& tgt = target::TargetRegistry::global().get(opts.target, optionsLoc(m, "target"));
  const arch::ArchModel a =
      arch::resolveArch(opts.arch.empty() ? tgt.defaultArch() : std::string_view(opts.arch), optionsLoc(m, "arch"));
  tgt.check(m, w, a);
  out.clockGhz = a.clockGhz;
  phase.lap("verify");

  // plan
  lower::PlanLoweringResult lowered = tgt.emitOrchestration(m, w, a);
  phase.lap("lower");
  if (stopAt(Dump::Plan, [&] { return driver::printPlan(lowered.plan); })) return out;
  if (stopAt(Dump::Csp, [&] { return abi::cspGraphDot(lowered.plan); })) return out;

  // kernels
  fs::path sourceDir = opts.sourceDir;
  if (sourceDir.empty() && !m.loc.file.empty()) sourceDir = fs::path(m.loc.file).parent_path();
  target::KernelUnits ks = tgt.emitKernels(m, lowered.plan, a, sourceDir);
  const std::vector<artifact::PackageFile> files = tgt.packageFiles(m, w, a, sourceDir);
  phase.lap("codegen");
  if (stopAt(Dump::Kernels, [&] { return printKernels(ks.sources, files); })) return out;

  // A source-tree target: the tree is the package; nothing is built or loaded here.
  if (tgt.emitsTree()) {
    target::SourceTree tree = tgt.emitTree({m, w, lowered.plan, a, opts.runtime});
    out.warnings.insert(out.warnings.end(), tree.warnings.begin(), tree.warnings.end());
    phase.lap("tree");
    if (stopAt(Dump::Tree, [&] { return printTree(tree); })) return out;
    if (stopAt(Dump::Manifest, [&] {
          for (const auto& [path, text] : tree.files)
            if (path == tree.manifestFile) return text;
          return std::string();
        }))
      return out;
    if (opts.packageDir.empty())
      throw UserError(makeError(optionsLoc(m, "output"),
                                fmt::format("target '{}' writes a source tree and needs its directory", tgt.name()))
                          .help("give the directory with -o DIR (CompileOptions::packageDir)"));
    writeTree(opts.packageDir, tree, optionsLoc(m, "output"));
    phase.lap("package");
    out.module = m;
    out.workload = w.name;
    out.dir = opts.packageDir;
    out.plan = std::move(lowered.plan);
    out.treeSummary = std::move(tree.summary);
    out.compileMs = msSince(t0);
    return out;
  }
  if (!opts.runtime.empty())
    throw UserError(makeError(optionsLoc(m, "runtime"), fmt::format("target '{}' has no runtime option", tgt.name()))
                        .help("--runtime is for targets that run on an external runtime (ascend)"));
  if (opts.dump == Dump::Tree)
    throw UserError(makeError(optionsLoc(m, "dump"), fmt::format("target '{}' writes no source tree", tgt.name()))
                        .help("--dump=tree is for targets that emit a source tree (ascend)"));

  // The package ships the compiled workload's declarations (tensors, symbols, slots,
  // channels: what a run binds and reports) as .wsp text, so that `ptowsp run PKG_DIR`
  // runs it without the source (loadPackage).
  std::vector<artifact::PackageFile> shipped = files;
  {
    ir::Module decl = m;
    std::erase_if(decl.workloads, [&](const ir::Workload& x) { return x.name != w.name; });
    shipped.push_back({kPackageModuleFile, ir::text::print(decl)});
  }

  // config, compiler, cache: the kernel library
  artifact::CompilerConfig ccfg = tgt.compilerConfig(opts.jobs);
  phase.lap("config");
  artifact::ObjectCache cache(opts.cacheDir.empty() ? artifact::ObjectCache::defaultDir() : opts.cacheDir,
                              std::move(ccfg));
  phase.lap("compiler");
  const std::function<void(const Diagnostic&)> remark = opts.onRemark ? opts.onRemark : defaultRemark;
  cache.setRemarkHandler(remark);
  artifact::CacheEntry lib =
      tgt.buildLibrary(cache, ks, {opts.jobs, fmt::format("artifact '{}'", m.name), opts.onProgress, remark});
  phase.lap("cache");

  // package
  artifact::Manifest man;
  man.target = std::string(tgt.name());
  man.archInstance = a.name;
  man.capabilities = nlohmann::json::parse(arch::capabilitiesToJson(tgt.capabilities()).dump());
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
  man.host = artifact::hostRequirements(cache.config().compileFlags, abi::kKernelAbiVersion);
  for (const artifact::PackageFile& f : shipped) man.files.push_back({f.path, hashHex(hash64(f.bytes))});
  man.packageHash = artifact::computePackageHash(man);
  if (stopAt(Dump::Manifest, [&] { return artifact::manifestText(man); })) return out;
  fs::path dir = opts.packageDir.empty()
                     ? cache.root() / fmt::format("v{}", artifact::kCacheFormatVersion) / "packages" / man.packageHash
                     : opts.packageDir;
  ensurePackage(dir, man, planBytes, lib.path, shipped, remark);
  phase.lap("package");

  // load: from the package, not the cache (the package is what `ptowsp run` ships).
  loadKernels(dir, man, lowered.plan, out);
  phase.lap("load");

  out.module = m;
  out.workload = w.name;
  out.manifest = std::move(man);
  out.dir = std::move(dir);
  out.plan = std::move(lowered.plan);
  out.compilerInvocations = artifact::compilerInvocationCount() - invocations0;
  out.compileMs = msSince(t0);
  return out;
}

Compiled loadPackage(const fs::path& dir) {
  const auto t0 = Clock::now();
  const std::string manifestPath = (dir / artifact::kManifestFileName).string();
  auto at = [&](std::string ptr) { return SourceLoc{manifestPath, 0, 0, std::move(ptr)}; };
  artifact::Package pkg = artifact::readPackage(dir);
  artifact::Manifest& man = pkg.manifest;
  if (!man.library)
    throw UserError(makeError(at("/library"), fmt::format("the package of target '{}' has no kernel library to run "
                                                          "on this host", man.target))
                        .help("packages of host targets (cpu_sim) run with `ptowsp run DIR`; a source tree is built "
                              "with its own toolchain"));
  if (!man.host)
    throw UserError(makeError(at("/host"), "the manifest records no host requirements (written by an older ptowsp)")
                        .help("recompile the module with this ptowsp: ptowsp compile FILE.wsp -o DIR"));
  artifact::ManifestHost have = artifact::currentHost();
  have.kernelAbi = abi::kKernelAbiVersion;
  if (std::vector<std::string> bad = artifact::hostMismatches(*man.host, have); !bad.empty()) {
    std::vector<Diagnostic> errs;
    for (std::string& b : bad)
      errs.push_back(makeError(at("/host"), "this host cannot run the package: " + std::move(b))
                         .help("recompile the module on this host: ptowsp compile FILE.wsp -o DIR"));
    throw UserError(std::move(errs));
  }
  const artifact::ManifestFile* mf = nullptr;
  for (const artifact::ManifestFile& f : man.files)
    if (f.file == kPackageModuleFile) mf = &f;
  if (!mf)
    throw UserError(makeError(at("/files"), fmt::format("the package ships no {} (the workload's declarations)",
                                                        kPackageModuleFile))
                        .help("recompile the module with this ptowsp: ptowsp compile FILE.wsp -o DIR"));
  Compiled out;
  const fs::path modulePath = dir / mf->file;
  const std::optional<std::string> text = artifact::tryReadFile(modulePath);
  if (!text)
    throw UserError(makeError(SourceLoc{modulePath.string(), 0, 0, {}}, "cannot read the package's module")
                        .help("the package is incomplete; recompile it"));
  out.module = ir::text::parse(*text, modulePath.string());
  if (out.module.workloads.size() != 1)
    throw UserError(makeError(SourceLoc{modulePath.string(), 0, 0, {}},
                              fmt::format("the package's module has {} workloads, expected the compiled one",
                                          out.module.workloads.size()))
                        .help("the package is damaged; recompile it"));
  out.workload = out.module.workloads.front().name;
  const std::optional<std::string> planBytes = artifact::tryReadFile(pkg.planPath());
  if (!planBytes)
    throw UserError(makeError(at("/plan"), fmt::format("cannot read the plan '{}'", pkg.planPath().string()))
                        .help("the package is incomplete; recompile it"));
  out.plan = abi::deserializePlan(std::vector<uint8_t>(planBytes->begin(), planBytes->end()));
  loadKernels(dir, man, out.plan, out);
  out.manifest = std::move(man);
  out.dir = dir;
  out.compileMs = msSince(t0);
  out.phasesMs.emplace_back("load", out.compileMs);
  return out;
}

Compiled compileFile(const fs::path& wsp, CompileOptions opts) {
  const auto t0 = Clock::now();
  std::optional<std::string> text = artifact::tryReadFile(wsp);
  if (!text)
    throw UserError(makeError(SourceLoc{wsp.string(), 0, 0, {}}, "cannot read workload file")
                        .help("check the path; .wsp files are described in docs/wsp-format.md"));
  ir::Module m = ir::text::parse(*text, wsp.string());
  if (opts.sourceDir.empty()) opts.sourceDir = wsp.parent_path();
  const double parseMs = msSince(t0);
  Compiled c = compile(m, opts);
  c.phasesMs.insert(c.phasesMs.begin(), {"parse", parseMs});
  c.compileMs = msSince(t0);
  return c;
}

}  // namespace pto::wsp::driver
