// Program compile against the object cache: corrupted entries are detected, reported and
// rebuilt (acceptance test b); concurrent compiles of one module into one fresh cache, from
// two threads and from two processes, agree (acceptance test c); warm compiles compile
// nothing.
#include "ProgramTestSupport.h"

#include "pto/wsp/artifact/AtomicFile.h"
#include "pto/wsp/artifact/CompilerInvocation.h"
#include "pto/wsp/artifact/Package.h"

#include <fmt/format.h>
#include <gmock/gmock.h>

#include <algorithm>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

namespace pto::wsp {
namespace {

using namespace pto::wsp::testing;
using ::testing::HasSubstr;
namespace fs = std::filesystem;

std::vector<fs::path> filesWithExt(const fs::path& dir, const std::string& ext) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().extension() == ext) out.push_back(e.path());
  return out;
}

// Runs the small module once and checks Y = 2 X, Z = X + 1 on the N = 4 row blocks of
// 16 rows it covers, and that the rows beyond stay untouched.
void expectCorrectNumbers(Program& p) {
  std::vector<float> x(128 * 32), y(x.size()), z(x.size());
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i % 13) - 6.0f;
  p.bind("X", std::span<float>(x));
  p.bind("Y", std::span<float>(y));
  p.bind("Z", std::span<float>(z));
  p.execute();
  p.synchronize();
  for (size_t i = 0; i < x.size(); ++i) {
    const bool written = i < 4 * 16 * 32;
    ASSERT_FLOAT_EQ(y[i], written ? x[i] * 2.0f : 0.0f) << i;
    ASSERT_FLOAT_EQ(z[i], written ? x[i] + 1.0f : 0.0f) << i;
  }
}

std::string packageFingerprint(const fs::path& dir) {
  std::string s;
  for (const char* f : {"manifest.json", "plan.bin", "kernels.so"}) s += artifact::readFile(dir / f);
  return s;
}

TEST(ProgramCache, WarmCompileCompilesNothingAndReusesThePackage) {
  const auto dir = freshDir("warm");
  const auto wsp = writeSmallModule(dir);
  std::vector<artifact::BuildProgress> events;
  std::mutex mu;
  CompileOptions o = optionsFor(dir / "cache");
  o.onProgress = [&](const artifact::BuildProgress& p) {
    std::lock_guard lock(mu);
    events.push_back(p);
  };
  Program cold = Program::compileFile(wsp, o);
  EXPECT_EQ(cold.stats().compilerInvocations, 3u) << "two kernels + one link";
  auto expectEvents = [&](bool hit) {
    ASSERT_EQ(events.size(), 2u);
    std::vector<std::string> names;
    for (size_t i = 0; i < 2; ++i) {
      EXPECT_EQ(events[i].done, i + 1);
      EXPECT_EQ(events[i].total, 2u);
      EXPECT_EQ(events[i].hit, hit);
      names.push_back(events[i].kernel);
    }
    std::sort(names.begin(), names.end());
    EXPECT_EQ(names, (std::vector<std::string>{"plus1", "scale"}));
  };
  expectEvents(false);
  const auto mtime = fs::last_write_time(cold.packageDir() / "manifest.json");
  events.clear();
  Program warm = Program::compileFile(wsp, o);
  EXPECT_EQ(warm.stats().compilerInvocations, 0u);
  expectEvents(true);
  EXPECT_EQ(warm.packageDir(), cold.packageDir());
  EXPECT_EQ(fs::last_write_time(warm.packageDir() / "manifest.json"), mtime) << "a valid package is not rewritten";
  expectCorrectNumbers(warm);
}

TEST(ProgramCache, CorruptObjectAndLibraryAreDetectedRebuiltAndReported) {
  const auto dir = freshDir("corrupt");
  const auto wsp = writeSmallModule(dir);
  const fs::path cache = dir / "cache";
  { Program first = Program::compileFile(wsp, optionsFor(cache)); }

  const auto objects = filesWithExt(cache / "v1/objects", ".o");
  const auto libs = filesWithExt(cache / "v1/libs", ".so");
  ASSERT_EQ(objects.size(), 2u);
  ASSERT_EQ(libs.size(), 1u);
  fs::resize_file(objects[0], fs::file_size(objects[0]) / 2);  // truncated object
  std::string so = artifact::readFile(libs[0]);                 // flipped library bytes
  for (size_t i = so.size() / 3; i < so.size() / 3 + 64; ++i) so[i] = static_cast<char>(~so[i]);
  writeText(libs[0], so);

  std::vector<Diagnostic> remarks;
  std::mutex mu;
  CompileOptions o = optionsFor(cache);
  o.onRemark = [&](const Diagnostic& d) {
    std::lock_guard lock(mu);
    remarks.push_back(d);
  };
  Program p = Program::compileFile(wsp, o);
  EXPECT_EQ(p.stats().compilerInvocations, 2u) << "one object recompiled, one relink";
  ASSERT_EQ(remarks.size(), 2u);
  for (const Diagnostic& d : remarks) {
    EXPECT_EQ(d.severity, Severity::Remark);
    EXPECT_THAT(d.message, HasSubstr("is corrupt"));
    EXPECT_THAT(d.message, HasSubstr("rebuilding it"));
  }
  expectCorrectNumbers(p);
}

TEST(ProgramCache, DamagedPackageIsRewrittenWithARemark) {
  const auto dir = freshDir("damaged_package");
  const auto wsp = writeSmallModule(dir);
  fs::path pkg;
  { pkg = Program::compileFile(wsp, optionsFor(dir / "cache")).packageDir(); }
  std::string so = artifact::readFile(pkg / "kernels.so");
  so[so.size() / 2] = static_cast<char>(~so[so.size() / 2]);
  writeText(pkg / "kernels.so", so);
  std::vector<std::string> remarks;
  CompileOptions o = optionsFor(dir / "cache");
  o.onRemark = [&](const Diagnostic& d) { remarks.push_back(d.render()); };
  Program p = Program::compileFile(wsp, o);
  EXPECT_EQ(p.stats().compilerInvocations, 0u) << "the cache entries are intact";
  ASSERT_EQ(remarks.size(), 1u);
  EXPECT_THAT(remarks[0], HasSubstr("is damaged"));
  expectCorrectNumbers(p);
}

TEST(ProgramCache, ExplicitPackageDirIsReplacedSilentlyWhenTheModuleChanges) {
  const auto dir = freshDir("package_dir");
  const auto wsp = writeSmallModule(dir);
  std::vector<std::string> remarks;
  CompileOptions o = optionsFor(dir / "cache");
  o.packageDir = dir / "pkg";
  o.onRemark = [&](const Diagnostic& d) { remarks.push_back(d.render()); };
  std::string first;
  {
    Program p = Program::compileFile(wsp, o);
    EXPECT_EQ(p.packageDir(), dir / "pkg");
    first = p.manifest().packageHash;
  }
  std::string text = kSmallWsp;
  text.replace(text.find("symbol K = 1"), 12, "symbol K = 2");
  writeText(wsp, text);
  Program p = Program::compileFile(wsp, o);
  EXPECT_NE(p.manifest().packageHash, first);
  EXPECT_EQ(artifact::readPackage(dir / "pkg").manifest, p.manifest());
  EXPECT_TRUE(remarks.empty()) << remarks.front();
  expectCorrectNumbers(p);
}

TEST(ProgramCache, TwoThreadsCompileIntoOneFreshCache) {
  const auto dir = freshDir("threads");
  const auto wsp = writeSmallModule(dir);
  std::optional<Program> a, b;
  std::exception_ptr ea, eb;
  std::thread ta([&] {
    try {
      a.emplace(Program::compileFile(wsp, optionsFor(dir / "cache")));
    } catch (...) {
      ea = std::current_exception();
    }
  });
  std::thread tb([&] {
    try {
      b.emplace(Program::compileFile(wsp, optionsFor(dir / "cache")));
    } catch (...) {
      eb = std::current_exception();
    }
  });
  ta.join();
  tb.join();
  if (ea) std::rethrow_exception(ea);
  if (eb) std::rethrow_exception(eb);
  EXPECT_EQ(a->packageDir(), b->packageDir());
  EXPECT_EQ(a->manifest(), b->manifest());
  expectCorrectNumbers(*a);
  expectCorrectNumbers(*b);
}

// Helper run as a child process by TwoProcessesCompileIntoOneFreshCache: compiles the
// module named by $PTO_WSP_TEST_HELPER_WSP and writes the package dir to
// $PTO_WSP_TEST_HELPER_OUT. Does nothing in a normal test run.
TEST(ProgramCacheHelper, CompileForParent) {
  const char* wsp = std::getenv("PTO_WSP_TEST_HELPER_WSP");
  const char* out = std::getenv("PTO_WSP_TEST_HELPER_OUT");
  if (!wsp || !out) GTEST_SKIP() << "only run as a child of TwoProcessesCompileIntoOneFreshCache";
  Program p = Program::compileFile(wsp, optionsFor(fs::path(wsp).parent_path() / "cache"));
  expectCorrectNumbers(p);
  artifact::writeFileAtomic(out, p.packageDir().string());
}

TEST(ProgramCache, TwoProcessesCompileIntoOneFreshCache) {
  const auto dir = freshDir("processes");
  const auto wsp = writeSmallModule(dir);
  const fs::path self = fs::read_symlink("/proc/self/exe");
  std::vector<artifact::ProcessResult> results(2);
  std::vector<std::thread> threads;
  for (int i = 0; i < 2; ++i)
    threads.emplace_back([&, i] {
      artifact::ProcessOptions po;
      po.env = {{"PTO_WSP_TEST_HELPER_WSP", wsp.string()},
                {"PTO_WSP_TEST_HELPER_OUT", (dir / fmt::format("out{}.txt", i)).string()}};
      results[i] = artifact::runProcess({self.string(), "--gtest_filter=ProgramCacheHelper.CompileForParent"},
                                        dir / fmt::format("child{}.log", i), po);
    });
  for (auto& t : threads) t.join();
  for (int i = 0; i < 2; ++i) ASSERT_TRUE(results[i].ok()) << results[i].describe() << "\n" << results[i].log;
  const std::string pkgA = artifact::readFile(dir / "out0.txt");
  const std::string pkgB = artifact::readFile(dir / "out1.txt");
  EXPECT_EQ(pkgA, pkgB);
  // Both children succeeded; the package left behind validates and is what a third
  // compile (warm, in this process) finds without compiling.
  Program p = Program::compileFile(wsp, optionsFor(dir / "cache"));
  EXPECT_EQ(p.packageDir().string(), pkgA);
  EXPECT_EQ(p.stats().compilerInvocations, 0u);
  EXPECT_FALSE(packageFingerprint(p.packageDir()).empty());
}

}  // namespace
}  // namespace pto::wsp

namespace pto::wsp {
namespace {

using namespace pto::wsp::testing;
namespace fs = std::filesystem;

// Kernels depend on the tile library through the include root: editing a tile header
// must recompile them, editing an unrelated header must not.
TEST(ProgramCache, TileHeaderEditsInvalidateKernelsOtherHeadersDoNot) {
  const auto dir = freshDir("include_root");
  const auto wsp = writeSmallModule(dir);
  fs::copy(fs::path(PTO_WSP_SOURCE_DIR) / "include", dir / "include", fs::copy_options::recursive);
  ::setenv("PTO_WSP_INCLUDE_DIR", (dir / "include").c_str(), 1);
  struct Restore {
    ~Restore() { ::unsetenv("PTO_WSP_INCLUDE_DIR"); }
  } restore;
  auto compilerRuns = [&] { return Program::compileFile(wsp, optionsFor(dir / "cache")).stats().compilerInvocations; };
  EXPECT_EQ(compilerRuns(), 3u);
  EXPECT_EQ(compilerRuns(), 0u);
  std::ofstream(dir / "include/pto/wsp/ir/Module.h", std::ios::app) << "\n// unrelated edit\n";
  EXPECT_EQ(compilerRuns(), 0u) << "the kernels do not include ir headers";
  std::ofstream(dir / "include/pto/wsp/tile/Elementwise.h", std::ios::app) << "\n// tile edit\n";
  // Both kernels recompile (an external kernel sees the same -I root and may include the
  // tile library too, so its key carries the fingerprint as well), then one relink.
  EXPECT_EQ(compilerRuns(), 3u);
  EXPECT_EQ(compilerRuns(), 0u);
}

TEST(ProgramCache, IncludeRootWithoutTileLibraryIsAnError) {
  const auto dir = freshDir("bad_include_root");
  const auto wsp = writeSmallModule(dir);
  ::setenv("PTO_WSP_INCLUDE_DIR", (dir / "nowhere").c_str(), 1);
  struct Restore {
    ~Restore() { ::unsetenv("PTO_WSP_INCLUDE_DIR"); }
  } restore;
  try {
    Program::compileFile(wsp, optionsFor(dir / "cache"));
    FAIL() << "expected UserError";
  } catch (const UserError& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("does not contain pto/wsp/tile/TileLib.h"));
    EXPECT_THAT(e.what(), ::testing::HasSubstr("PTO_WSP_INCLUDE_DIR"));
  }
}

}  // namespace
}  // namespace pto::wsp
