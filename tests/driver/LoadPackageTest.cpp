// Program::load / driver::loadPackage: a package runs without its source, and a host the
// manifest's host requirements exclude is refused with what differs.
#include "pto/wsp/api/Program.h"
#include "pto/wsp/artifact/AtomicFile.h"
#include "pto/wsp/artifact/HostRequirements.h"
#include "pto/wsp/artifact/Package.h"
#include "pto/wsp/driver/Driver.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

namespace pto::wsp {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

fs::path freshDir(const std::string& name) {
  fs::path d = fs::path(PTO_WSP_BINARY_DIR) / "test-work" / "load_package" / name;
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

std::string loadError(const fs::path& dir) {
  try {
    driver::loadPackage(dir);
  } catch (const UserError& e) {
    return e.what();
  }
  return "(no error)";
}

// A copy of `pkg` whose manifest is edited by `edit` (the package hash is recomputed by
// writePackage, so only the edit differs).
template <class F>
fs::path rewritten(const fs::path& pkg, const fs::path& out, F edit, bool shipModule = true) {
  artifact::Package p = artifact::readPackage(pkg);
  artifact::Manifest m = p.manifest;
  std::vector<artifact::PackageFile> extra;
  if (shipModule) extra.push_back({driver::kPackageModuleFile, *artifact::tryReadFile(pkg / "module.wsp")});
  else m.files.clear();
  edit(m);
  artifact::writePackage(out, m, *artifact::tryReadFile(p.planPath()), *p.libraryPath(), extra);
  return out;
}

TEST(LoadPackage, RunsWithoutTheSourceLikeTheCompiledProgram) {
  const fs::path dir = freshDir("rms");
  CompileOptions o;
  o.cacheDir = fs::path(PTO_WSP_BINARY_DIR) / "test-work" / "load_package_cache";  // shared: compiled once
  o.packageDir = dir / "pkg";
  Program compiled = Program::compileFile(fs::path(PTO_WSP_SOURCE_DIR) / "examples/rmsnorm/rmsnorm.wsp", o);
  ASSERT_TRUE(compiled.manifest().host.has_value());
  EXPECT_EQ(compiled.manifest().host->kernelAbi, abi::kKernelAbiVersion);
  EXPECT_FALSE(compiled.manifest().host->cpuFeatures.empty());  // cpu_sim kernels use -march=native

  Program loaded = Program::load(dir / "pkg");
  EXPECT_EQ(loaded.manifest(), compiled.manifest());
  EXPECT_EQ(loaded.plan(), compiled.plan());
  EXPECT_EQ(loaded.module().name, "rmsnorm");
  ASSERT_EQ(loaded.module().workloads.size(), 1u);
  const ProgramStats a = compiled.dryRun(), b = loaded.dryRun();
  EXPECT_EQ(a.totalCycles, b.totalCycles);
  EXPECT_EQ(a.run.timelineHash, b.run.timelineHash);
}

TEST(LoadPackage, RefusesAHostThatDiffersNamingWhat) {
  const fs::path dir = freshDir("host");
  CompileOptions o;
  o.cacheDir = fs::path(PTO_WSP_BINARY_DIR) / "test-work" / "load_package_cache";  // shared: compiled once
  o.packageDir = dir / "pkg";
  (void)Program::compileFile(fs::path(PTO_WSP_SOURCE_DIR) / "examples/rmsnorm/rmsnorm.wsp", o);
  const fs::path bad = rewritten(dir / "pkg", dir / "bad", [](artifact::Manifest& m) {
    m.host->machine = "riscv128";
    m.host->kernelAbi = abi::kKernelAbiVersion + 1;
    m.host->cpuFeatures.push_back("zz_no_such_feature");
    std::sort(m.host->cpuFeatures.begin(), m.host->cpuFeatures.end());
  });
  const std::string err = loadError(bad);
  EXPECT_THAT(err, HasSubstr("manifest.json (in /host): error: this host cannot run the package: the kernels were "
                             "built for machine 'riscv128', this host is '" + artifact::currentHost().machine + "'"));
  EXPECT_THAT(err, HasSubstr(fmt::format("kernel ABI version {}, this ptowsp calls version {}",
                                         abi::kKernelAbiVersion + 1, abi::kKernelAbiVersion)));
  EXPECT_THAT(err, HasSubstr("features this host lacks: zz_no_such_feature"));
  EXPECT_THAT(err, HasSubstr("help: recompile the module on this host"));

  const fs::path noHost = rewritten(dir / "pkg", dir / "nohost", [](artifact::Manifest& m) { m.host.reset(); });
  EXPECT_THAT(loadError(noHost), HasSubstr("the manifest records no host requirements"));
  const fs::path noModule = rewritten(dir / "pkg", dir / "nomodule", [](artifact::Manifest&) {}, false);
  EXPECT_THAT(loadError(noModule), HasSubstr("the package ships no module.wsp"));
}

TEST(HostRequirements, OnlyHostSpecificFlagsRecordCpuFeatures) {
  EXPECT_FALSE(artifact::hostRequirements({"-O2", "-march=native"}, 1).cpuFeatures.empty());
  EXPECT_TRUE(artifact::hostRequirements({"-O2"}, 1).cpuFeatures.empty());
  artifact::ManifestHost have = artifact::currentHost();
  have.kernelAbi = 1;
  EXPECT_TRUE(artifact::hostMismatches(artifact::hostRequirements({"-march=native"}, 1), have).empty());
}

}  // namespace
}  // namespace pto::wsp
