// Two compilers racing for one cache entry: threads of one process and separate
// processes (this test binary re-executed as a helper) must both succeed and leave
// exactly one valid entry.
#include "pto/wsp/artifact/ObjectCache.h"
#include "pto/wsp/artifact/SharedLibrary.h"

#include "ArtifactTestUtil.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <thread>
#include <unistd.h>

using namespace pto::wsp;
using namespace pto::wsp::artifact;
using namespace pto::wsp::artifact::test;
namespace fs = std::filesystem;

namespace {

constexpr const char* kHelperEnv = "PTO_WSP_ARTIFACT_TEST_HELPER";

// Slow enough to compile (templates) that two racers overlap.
std::string sharedKernel() {
  return R"(
#include <array>
#include <numeric>
template <int N> struct Sum { static int run(int x) { return x + Sum<N - 1>::run(x); } };
template <> struct Sum<0> { static int run(int) { return 0; } };
extern "C" int race_kernel(int x) {
  std::array<int, 64> a{};
  std::iota(a.begin(), a.end(), x);
  return Sum<200>::run(x) + std::accumulate(a.begin(), a.end(), 0) - std::accumulate(a.begin(), a.end(), 0);
}
)";
}

// Helper mode: build + load + call the shared kernel in the cache dir named by the
// environment, print the compiler invocation counts, and exit before GoogleTest runs.
int helperMain(const char* cacheDir) {
  try {
    ObjectCache cache(cacheDir);
    CacheEntry lib = cache.build({{"race", sharedKernel(), {}, {}}}, "artifact 'race'");
    SharedLibrary so = SharedLibrary::open(lib.path);
    int v = so.function<int (*)(int)>("race_kernel")(1);
    std::printf("compiles=%llu links=%llu result=%d\n",
                static_cast<unsigned long long>(compilerInvocationCount(InvocationKind::Compile)),
                static_cast<unsigned long long>(compilerInvocationCount(InvocationKind::Link)), v);
    return v == 200 ? 0 : 2;
  } catch (const std::exception& e) {
    std::printf("helper failed: %s\n", e.what());
    return 1;
  }
}

[[maybe_unused]] const int kHelperMode = [] {
  if (const char* dir = std::getenv(kHelperEnv)) {
    int rc = helperMain(dir);
    std::fflush(stdout);
    std::_Exit(rc);
  }
  return 0;
}();

void expectOneValidEntry(ObjectCache& cache) {
  for (EntryKind kind : {EntryKind::Object, EntryKind::SharedLibrary}) {
    const fs::path d = cache.payloadPath(kind, "x").parent_path();
    EXPECT_EQ(filesContaining(d, ".json").size(), 1u) << d;
    EXPECT_EQ(filesContaining(d, kind == EntryKind::Object ? ".o" : ".so").size(), 1u) << d;
    EXPECT_TRUE(filesContaining(d, ".tmp.").empty()) << d;
  }
  uint64_t c0 = compilerInvocationCount();
  CacheEntry lib = cache.build({{"race", sharedKernel(), {}, {}}}, "artifact 'race'");
  EXPECT_TRUE(lib.hit);
  EXPECT_EQ(compilerInvocationCount(), c0);
  EXPECT_TRUE(cache.takeRemarks().empty());
}

}  // namespace

TEST(CacheConcurrency, TwoThreadsWithSeparateCachesBuildOneEntry) {
  TempDir dir;
  uint64_t c0 = compilerInvocationCount(InvocationKind::Compile);
  uint64_t l0 = compilerInvocationCount(InvocationKind::Link);
  int results[2] = {0, 0};
  std::string errors[2];
  auto racer = [&](int i) {
    try {
      ObjectCache cache(dir.path());
      CacheEntry lib = cache.build({{"race", sharedKernel(), {}, {}}}, "artifact 'race'");
      results[i] = SharedLibrary::open(lib.path).function<int (*)(int)>("race_kernel")(1);
    } catch (const std::exception& e) {
      errors[i] = e.what();
    }
  };
  std::thread a(racer, 0), b(racer, 1);
  a.join();
  b.join();
  EXPECT_EQ(errors[0], "");
  EXPECT_EQ(errors[1], "");
  EXPECT_EQ(results[0], 200);
  EXPECT_EQ(results[1], 200);
  // The entry lock serialises the racers: the loser finds the winner's entry.
  EXPECT_EQ(compilerInvocationCount(InvocationKind::Compile), c0 + 1);
  EXPECT_EQ(compilerInvocationCount(InvocationKind::Link), l0 + 1);
  ObjectCache check(dir.path());
  expectOneValidEntry(check);
}

TEST(CacheConcurrency, TwoThreadsSharingOneCacheBuildOneEntry) {
  TempDir dir;
  ObjectCache cache(dir.path());
  uint64_t c0 = compilerInvocationCount(InvocationKind::Compile);
  std::vector<std::vector<CacheEntry>> got(2);
  std::thread a([&] { got[0] = cache.objects({{"race", sharedKernel(), {}, {}}}); });
  std::thread b([&] { got[1] = cache.objects({{"race", sharedKernel(), {}, {}}}); });
  a.join();
  b.join();
  EXPECT_EQ(compilerInvocationCount(InvocationKind::Compile), c0 + 1);
  ASSERT_EQ(got[0].size(), 1u);
  ASSERT_EQ(got[1].size(), 1u);
  EXPECT_EQ(got[0][0].payloadHash, got[1][0].payloadHash);
  EXPECT_NE(got[0][0].hit, got[1][0].hit);  // exactly one compiled
}

TEST(CacheConcurrency, TwoProcessesBuildOneEntry) {
  TempDir dir;
  const std::string self = fs::read_symlink("/proc/self/exe").string();
  ProcessOptions opts;
  opts.timeout = std::chrono::minutes(2);
  opts.env = {{kHelperEnv, dir.path().string()}};
  ProcessResult r[2];
  std::thread a([&] { r[0] = runProcess({self}, dir.path() / "helper0.log", opts); });
  std::thread b([&] { r[1] = runProcess({self}, dir.path() / "helper1.log", opts); });
  a.join();
  b.join();
  unsigned long long compiles = 0, links = 0;
  for (const ProcessResult& p : r) {
    ASSERT_TRUE(p.ok()) << p.describe() << "\n" << p.log;
    unsigned long long c = 0, l = 0;
    int v = 0;
    ASSERT_EQ(std::sscanf(p.log.c_str(), "compiles=%llu links=%llu result=%d", &c, &l, &v), 3) << p.log;
    EXPECT_EQ(v, 200);
    compiles += c;
    links += l;
  }
  EXPECT_EQ(compiles, 1u) << r[0].log << r[1].log;
  EXPECT_EQ(links, 1u) << r[0].log << r[1].log;
  ObjectCache check(dir.path());
  expectOneValidEntry(check);
}
