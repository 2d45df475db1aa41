// A target added from outside the library: the test binary registers "toy_host", a
// target the compile driver and Program know nothing about, and a module compiles
// through every step (check, orchestration, kernels, library, package, load) and runs.
// This is all a new target needs: its module and a registration (src/target/<name>/ and
// one line in the built-in list for the library's own targets).
#include "pto/wsp/api/Program.h"
#include "pto/wsp/artifact/AtomicFile.h"
#include "pto/wsp/artifact/SharedLibrary.h"
#include "pto/wsp/driver/Driver.h"
#include "pto/wsp/lower/KernelCodegen.h"
#include "pto/wsp/support/Hash.h"
#include "pto/wsp/target/Target.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <vector>

namespace pto::wsp {
namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;

constexpr uint64_t kToyCycles = 7;
std::atomic<int> g_checks{0};

arch::CapabilityMatrix toyMatrix() {
  arch::CapabilityMatrix m{"toy_host", "host_cpu", {}, arch::uniformOps(arch::Support::Enforced, "toy: tile library")};
  for (const arch::FeatureInfo& f : arch::allFeatures())
    m.entries.push_back({f.name, arch::Support::Enforced, "toy: whatever the runtime core does"});
  // One refusal, to show the target's own matrix decides.
  for (arch::Capability& c : m.entries)
    if (c.feature == "csp.channel") c = {c.feature, arch::Support::Unsupported, "toy: no channels"};
  return m;
}

// Every kernel becomes a unit that counts its calls and costs kToyCycles.
class ToyHost final : public target::Target {
 public:
  std::string_view name() const override { return caps_.target; }
  std::string_view summary() const override { return "test-only target"; }
  const arch::CapabilityMatrix& capabilities() const override { return caps_; }
  bool canRun() const override { return true; }
  void check(const ir::Module&, const ir::Workload&, const arch::ArchModel&) const override { ++g_checks; }
  target::KernelUnits emitKernels(const ir::Module& m, const abi::Plan& plan, const arch::ArchModel&,
                                  const fs::path&) const override {
    target::KernelUnits u;
    for (const abi::PlanKernel& pk : plan.kernels) {
      const std::string sym = lower::kernelSymbol(pk.name), cyc = lower::cyclesSymbol(pk.name);
      std::string text = fmt::format(
          "#include <atomic>\n#include <cstdint>\n"
          "static std::atomic<uint64_t> calls{{0}};\n"
          "extern \"C\" void {0}(const uint64_t*, uint32_t) {{ calls.fetch_add(1); }}\n"
          "extern \"C\" uint64_t {1}(const uint64_t*, uint32_t) {{ return {2}; }}\n"
          "extern \"C\" uint64_t toy_calls_{0}() {{ return calls.load(); }}\n",
          sym, cyc, kToyCycles);
      u.sources.push_back({pk.name, text, {}, m.findKernel(pk.name)->loc});
      u.manifest.push_back({pk.name, sym, cyc, hashHex(hash64(text)), {}});
      u.external.push_back(false);
    }
    return u;
  }
  artifact::CompilerConfig compilerConfig(unsigned jobs) const override {
    artifact::CompilerConfig c;
    c.compileFlags = {"-std=c++20", "-fPIC", "-O0"};
    c.extraKey = "toy_host v1";
    c.jobs = jobs;
    return c;
  }
  artifact::CacheEntry buildLibrary(artifact::ObjectCache& cache, const target::KernelUnits& units,
                                    const target::BuildRequest& req) const override {
    return cache.link(cache.objects(units.sources), req.what);
  }

 private:
  arch::CapabilityMatrix caps_ = toyMatrix();
};

void registerToy() {
  static const bool once = [] {
    target::TargetRegistry::global().add(std::make_unique<ToyHost>());
    return true;
  }();
  (void)once;
}

fs::path freshDir(const std::string& name) {
  fs::path d = fs::path(PTO_WSP_BINARY_DIR) / "test-work" / "toy_target" / name;
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

TEST(ToyTarget, RegisteredFromTheTestBinaryIsListed) {
  registerToy();
  std::vector<std::string> names;
  for (const target::Target* t : target::TargetRegistry::global().all()) names.emplace_back(t->name());
  EXPECT_THAT(names, ::testing::ElementsAre("cpu_sim", "ascend", "aie", "toy_host"));
  EXPECT_THROW(target::TargetRegistry::global().add(std::make_unique<ToyHost>()), UserError);
}

TEST(ToyTarget, CompilesThroughEveryStepAndRuns) {
  registerToy();
  const fs::path dir = freshDir("rms");
  CompileOptions o;
  o.target = "toy_host";
  o.cacheDir = dir / "cache";
  const int checks0 = g_checks.load();
  // host_cpu has 2 worker lanes: the example's 4 workers would be a compile error.
  std::string text = artifact::readFile(fs::path(PTO_WSP_SOURCE_DIR) / "examples/rmsnorm/rmsnorm.wsp");
  const size_t at = text.find("workers = 4");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, 11, "workers = 2");
  artifact::writeFileAtomic(dir / "rmsnorm.wsp", text);
  Program p = Program::compileFile(dir / "rmsnorm.wsp", o);
  EXPECT_EQ(g_checks.load(), checks0 + 1);
  EXPECT_EQ(p.manifest().target, "toy_host");
  EXPECT_EQ(p.manifest().archInstance, "host_cpu");  // the target's default arch
  std::vector<std::string> phases;
  for (const auto& [name, ms] : p.stats().compilePhasesMs) phases.push_back(name);
  EXPECT_THAT(phases, ::testing::ElementsAre("parse", "verify", "lower", "codegen", "config", "compiler", "cache",
                                             "package", "load"));

  std::vector<uint16_t> x(256 * 128), w(128), y(256 * 128);
  p.bind("X", x.data(), x.size() * 2);
  p.bind("W", w.data(), w.size() * 2);
  p.bind("Y", y.data(), y.size() * 2);
  p.setThreads(2);
  p.execute();
  p.synchronize();
  EXPECT_EQ(p.stats().tasks, 16u);
  // The toy's own kernels ran, once per task.
  artifact::SharedLibrary lib = artifact::SharedLibrary::open(p.packageDir() / p.manifest().library->file);
  auto calls = lib.function<uint64_t (*)()>("toy_calls_" + lower::kernelSymbol("rmsnorm"));
  EXPECT_EQ(calls(), 16u);

  // Its cycle function decides semantic time: the same plan with kernels costing
  // kToyCycles is faster than cpu_sim's cost-model kernels.
  CompileOptions cpu;
  cpu.cacheDir = dir / "cache";
  Program q = Program::compileFile(fs::path(PTO_WSP_SOURCE_DIR) / "examples/rmsnorm/rmsnorm.wsp", cpu);
  EXPECT_LT(p.dryRun().totalCycles, q.dryRun().totalCycles);
}

TEST(ToyTarget, ItsCapabilityMatrixDecides) {
  registerToy();
  CompileOptions o;
  o.target = "toy_host";
  o.dump = driver::Dump::Plan;
  try {
    (void)driver::compileFile(fs::path(PTO_WSP_SOURCE_DIR) / "examples/pipeline/pipeline.wsp", o);
    FAIL() << "expected UserError";
  } catch (const UserError& e) {
    EXPECT_THAT(e.what(), HasSubstr("'csp.channel' is not supported on target 'toy_host': toy: no channels"));
  }
}

TEST(Driver, DumpStopsAfterItsPhase) {
  CompileOptions o;
  o.cacheDir = freshDir("dump") / "cache";
  const fs::path rms = fs::path(PTO_WSP_SOURCE_DIR) / "examples/rmsnorm/rmsnorm.wsp";
  o.dump = driver::Dump::Ir;
  driver::Compiled c = driver::compileFile(rms, o);
  EXPECT_THAT(c.dumpText, HasSubstr("module rmsnorm\n"));
  EXPECT_TRUE(c.plan.processes.empty());
  o.dump = driver::Dump::Plan;
  c = driver::compileFile(rms, o);
  EXPECT_THAT(c.dumpText, HasSubstr("call rmsnorm(X[((%0 * 4) + %1) * 16, 0] extent 16x128"));
  o.dump = driver::Dump::Kernels;
  c = driver::compileFile(rms, o);
  EXPECT_THAT(c.dumpText, HasSubstr("// ===== kernel 'rmsnorm' =====\n"));
  EXPECT_FALSE(fs::exists(o.cacheDir));  // nothing was compiled
  for (driver::Dump d : {driver::Dump::Ir, driver::Dump::Plan, driver::Dump::Kernels, driver::Dump::Manifest,
                        driver::Dump::Tree})
    EXPECT_EQ(driver::parseDump(driver::dumpName(d)), d);
  EXPECT_EQ(driver::parseDump("asm"), std::nullopt);
}

// Every built-in target emits kernels now; a planned one (matrix and arch, no emitter)
// must still refuse at the kernel step, located, instead of packaging nothing.
TEST(Driver, PlannedTargetsRefuseAtTheKernelStepWithALocatedError) {
  const char* t = "planned_toy";
  if (!target::TargetRegistry::global().find(t)) {
    arch::CapabilityMatrix caps = target::TargetRegistry::global().get("cpu_sim").capabilities();
    caps.target = t;
    target::TargetRegistry::global().add(
        std::make_unique<target::PlannedTarget>(std::move(caps), "a test-only planned target", "no emitter"));
  }
  CompileOptions o;
  o.target = t;
  try {
    (void)driver::compileFile(fs::path(PTO_WSP_SOURCE_DIR) / "examples/rmsnorm/rmsnorm.wsp", o);
    FAIL() << "expected UserError";
  } catch (const UserError& e) {
    EXPECT_THAT(e.what(), HasSubstr(fmt::format("rmsnorm.wsp:10:1: error: target '{}' cannot emit kernels yet", t)));
    EXPECT_THAT(e.what(), HasSubstr("help: compile for cpu_sim"));
  }
  EXPECT_FALSE(target::TargetRegistry::global().get(t).canRun());
}

}  // namespace
}  // namespace pto::wsp
