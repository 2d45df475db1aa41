// The tile-library precompiled header in the object cache: built when forced
// (PTO_WSP_PCH=1) or when many generated kernels miss, reused afterwards, never part of object keys, rebuilt when corrupt.
#include "ProgramTestSupport.h"

#include "pto/wsp/artifact/AtomicFile.h"

#include <gmock/gmock.h>

#include <vector>

namespace pto::wsp {
namespace {

using namespace pto::wsp::testing;
using ::testing::HasSubstr;
namespace fs = std::filesystem;

constexpr const char* kFourKernels = R"(module three

input X : f32[16, 32]
output A : f32[16, 32]
output B : f32[16, 32]
output C : f32[16, 32]
output D : f32[16, 32]

kernel scale(in x : Tile[16, 32, f32], out y : Tile[16, 32, f32]) {
  %t = load x
  %r = mul.scalar %t, 2.0
  store y, %r
}
kernel shift(in x : Tile[16, 32, f32], out y : Tile[16, 32, f32]) {
  %t = load x
  %r = add.scalar %t, 1.0
  store y, %r
}
kernel square(in x : Tile[16, 32, f32], out y : Tile[16, 32, f32]) {
  %t = load x
  %r = mul %t, %t
  store y, %r
}
kernel negate(in x : Tile[16, 32, f32], out y : Tile[16, 32, f32]) {
  %t = load x
  %r = neg %t
  store y, %r
}

workload w {
  call scale(X[0 : 16, 0 : 32], A[0 : 16, 0 : 32])
  call shift(X[0 : 16, 0 : 32], B[0 : 16, 0 : 32])
  call square(X[0 : 16, 0 : 32], C[0 : 16, 0 : 32])
  call negate(X[0 : 16, 0 : 32], D[0 : 16, 0 : 32])
}
)";

void expectNumbers(Program& p) {
  std::vector<float> x(16 * 32), a(x.size()), b(x.size()), c(x.size()), d(x.size());
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i % 11) - 5.0f;
  p.bind("X", std::span<float>(x));
  p.bind("A", std::span<float>(a));
  p.bind("B", std::span<float>(b));
  p.bind("C", std::span<float>(c));
  p.bind("D", std::span<float>(d));
  p.execute();
  p.synchronize();
  for (size_t i = 0; i < x.size(); ++i) {
    ASSERT_FLOAT_EQ(a[i], x[i] * 2.0f) << i;
    ASSERT_FLOAT_EQ(b[i], x[i] + 1.0f) << i;
    ASSERT_FLOAT_EQ(c[i], x[i] * x[i]) << i;
    ASSERT_FLOAT_EQ(d[i], -x[i]) << i;
  }
}

// The automatic policy builds the PCH only for many misses; these tests force it on.
struct ForcePch {
  // The build's read-only PCH is switched off: these tests are about the cache's own.
  ForcePch() {
    ::setenv("PTO_WSP_PCH", "1", 1);
    ::setenv("PTO_WSP_PCH_DIR", "", 1);
  }
  ~ForcePch() {
    ::unsetenv("PTO_WSP_PCH");
    ::unsetenv("PTO_WSP_PCH_DIR");
  }
};

std::vector<fs::path> pchDirs(const fs::path& cache) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(cache / "v1/pch"))
    if (e.is_directory() && e.path().filename().string().find(".tmp.") == std::string::npos) out.push_back(e.path());
  return out;
}

// Object entries (payload + metadata) removed: plain misses, not corruption.
void removeObjects(const fs::path& cache) {
  for (const auto& e : fs::directory_iterator(cache / "v1/objects"))
    if (e.path().extension() == ".o" || e.path().extension() == ".json") fs::remove(e.path());
}

TEST(ProgramPch, BuiltWhenForcedReusedLaterAndNotPartOfKeys) {
  ForcePch force;
  const auto dir = freshDir("pch");
  writeText(dir / "three.wsp", kFourKernels);
  const fs::path cache = dir / "cache";
  {
    Program p = Program::compileFile(dir / "three.wsp", optionsFor(cache));
    EXPECT_EQ(p.stats().compilerInvocations, 6u) << "PCH + 4 kernels + link";
    expectNumbers(p);
  }
  const auto pchs = pchDirs(cache);
  ASSERT_EQ(pchs.size(), 1u);
  const auto gchTime = fs::last_write_time(pchs[0] / "kpch.h.gch");

  // Warm: nothing compiles, also with the PCH gone (its flags are not in the keys).
  fs::rename(pchs[0], dir / "pch_aside");
  EXPECT_EQ(Program::compileFile(dir / "three.wsp", optionsFor(cache)).stats().compilerInvocations, 0u);
  fs::rename(dir / "pch_aside", pchs[0]);

  // Objects gone: recompiled with the existing PCH, which is not rebuilt.
  removeObjects(cache);
  {
    Program p = Program::compileFile(dir / "three.wsp", optionsFor(cache));
    EXPECT_GE(p.stats().compilerInvocations, 4u);
    EXPECT_LE(p.stats().compilerInvocations, 5u) << "4 kernels (+ a relink if the bytes changed)";
    expectNumbers(p);
  }
  EXPECT_EQ(fs::last_write_time(pchs[0] / "kpch.h.gch"), gchTime);
}

TEST(ProgramPch, CorruptPchIsReportedAndRebuilt) {
  ForcePch force;
  const auto dir = freshDir("pch_corrupt");
  writeText(dir / "three.wsp", kFourKernels);
  const fs::path cache = dir / "cache";
  { Program p = Program::compileFile(dir / "three.wsp", optionsFor(cache)); }
  const auto pchs = pchDirs(cache);
  ASSERT_EQ(pchs.size(), 1u);
  std::string gch = artifact::readFile(pchs[0] / "kpch.h.gch");
  for (size_t i = gch.size() / 2; i < gch.size() / 2 + 32; ++i) gch[i] = static_cast<char>(~gch[i]);
  artifact::writeFileAtomic(pchs[0] / "kpch.h.gch", gch);
  removeObjects(cache);

  std::vector<std::string> remarks;
  CompileOptions o = optionsFor(cache);
  o.onRemark = [&](const Diagnostic& d) { remarks.push_back(d.message); };
  Program p = Program::compileFile(dir / "three.wsp", o);
  ASSERT_EQ(remarks.size(), 1u);
  EXPECT_THAT(remarks[0], HasSubstr("tile-library PCH"));
  EXPECT_THAT(remarks[0], HasSubstr("is corrupt"));
  EXPECT_TRUE(artifact::readFile(pchs[0] / "kpch.h.gch") != gch) << "rebuilt";
  expectNumbers(p);
}

TEST(ProgramPch, AutomaticPolicyLeavesAFreshCacheWithoutPchForFourKernels) {
  const auto dir = freshDir("pch_auto");
  writeText(dir / "three.wsp", kFourKernels);
  Program p = Program::compileFile(dir / "three.wsp", optionsFor(dir / "cache"));
  EXPECT_EQ(p.stats().compilerInvocations, 5u) << "4 kernels + link, no PCH";
  std::error_code ec;
  EXPECT_FALSE(fs::exists(dir / "cache/v1/pch", ec) && !pchDirs(dir / "cache").empty());
  expectNumbers(p);
}

TEST(ProgramPch, DisabledPchIsNotLookedAt) {
  const auto dir = freshDir("pch_off");
  writeText(dir / "three.wsp", kFourKernels);
  const fs::path cache = dir / "cache";
  {
    ForcePch force;
    Program first = Program::compileFile(dir / "three.wsp", optionsFor(cache));
  }
  const auto pchs = pchDirs(cache);
  ASSERT_EQ(pchs.size(), 1u);
  // A corrupt PCH would be reported if it were looked at.
  fs::resize_file(pchs[0] / "kpch.h.gch", 100);
  removeObjects(cache);
  ::setenv("PTO_WSP_PCH", "0", 1);
  struct Restore {
    ~Restore() { ::unsetenv("PTO_WSP_PCH"); }
  } restore;
  std::vector<std::string> remarks;
  CompileOptions o = optionsFor(cache);
  o.onRemark = [&](const Diagnostic& d) { remarks.push_back(d.message); };
  Program p = Program::compileFile(dir / "three.wsp", o);
  EXPECT_GE(p.stats().compilerInvocations, 4u);
  EXPECT_TRUE(remarks.empty()) << remarks.front();
  expectNumbers(p);
}

// The build's read-only PCH ($PTO_WSP_PCH_DIR, made by Program::warmCache as
// `ptowsp cache warm` does at build time) serves a fresh cache without building one.
TEST(ProgramPch, FreshCacheUsesPrebuiltPchWithoutBuildingOne) {
  const auto dir = freshDir("pch_prebuilt");
  writeText(dir / "three.wsp", kFourKernels);
  const fs::path pre = dir / "toolchain";
  ::setenv("PTO_WSP_PCH_DIR", "", 1);
  const fs::path header = Program::warmCache(pre);
  ASSERT_FALSE(header.empty());
  EXPECT_TRUE(fs::exists(header.string() + ".gch"));
  EXPECT_EQ(header.parent_path().parent_path(), pre / "v1/pch");
  EXPECT_EQ(Program::warmCache(pre), header) << "warm twice: the same valid PCH";
  ::setenv("PTO_WSP_PCH_DIR", pre.c_str(), 1);
  struct Restore {
    ~Restore() { ::unsetenv("PTO_WSP_PCH_DIR"); }
  } restore;
  const auto gchTime = fs::last_write_time(header.string() + ".gch");
  Program p = Program::compileFile(dir / "three.wsp", optionsFor(dir / "cache"));
  EXPECT_EQ(p.stats().compilerInvocations, 5u) << "4 kernels + link, no PCH build";
  std::error_code ec;
  EXPECT_FALSE(fs::exists(dir / "cache/v1/pch", ec) && !pchDirs(dir / "cache").empty());
  EXPECT_EQ(fs::last_write_time(header.string() + ".gch"), gchTime) << "read only";
  expectNumbers(p);
}

}  // namespace
}  // namespace pto::wsp
