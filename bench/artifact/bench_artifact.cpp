// Cold compile and warm (cache hit) time of the artifact object cache on a stand-in
// example: three tile-style kernels (rmsnorm, softmax, f16 bgemm), one object each, linked
// into one shared object, loaded, symbols resolved and one kernel called.
//
//   bench_artifact [--reps N]        prints figures (docs/performance.md, "Artifact cache")
//   bench_artifact --warm DIR        (internal) one warm load in a fresh process, prints ms
//
// Targets: cold <= 2 s and warm <= 20 ms per example.
#include "pto/wsp/abi/KernelAbi.h"
#include "pto/wsp/artifact/AtomicFile.h"
#include "pto/wsp/artifact/ObjectCache.h"
#include "pto/wsp/artifact/SharedLibrary.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <sys/resource.h>
#include <unistd.h>

using namespace pto::wsp;
using namespace pto::wsp::artifact;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

double msSince(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

const char* kEntries[3] = {
    R"(
extern "C" void pto_k_rmsnorm(const uint64_t* args, uint32_t) {
  using namespace standin;
  Tile<float, 16, 128> x;
  Tile<float, 1, 128> w;
  load(x, viewArg<float>(args, 0));
  load(w, viewArg<float>(args, 3));
  rmsnorm(x, w, floatArg(args[9]));
  store(viewArg<float>(args, 6), x);
}
extern "C" uint64_t pto_c_rmsnorm(const uint64_t*, uint32_t) { return 16 * 128 * 3 / 32 + 40; }
)",
    R"(
extern "C" void pto_k_softmax(const uint64_t* args, uint32_t) {
  using namespace standin;
  Tile<float, 16, 128> x;
  load(x, viewArg<float>(args, 0));
  softmax(x);
  store(viewArg<float>(args, 3), x);
}
extern "C" uint64_t pto_c_softmax(const uint64_t*, uint32_t) { return 16 * 128 * 4 / 32 + 60; }
)",
    R"(
extern "C" void pto_k_bgemm(const uint64_t* args, uint32_t) {
  using namespace standin;
  Tile<float, 16, 64> a;
  Tile<float, 64, 128> b;
  Tile<float, 16, 128> c{};
  load(a, viewArg<f16>(args, 0));
  load(b, viewArg<f16>(args, 3));
  matmul(c, a, b);
  store(viewArg<float>(args, 6), c);
}
extern "C" uint64_t pto_c_bgemm(const uint64_t*, uint32_t) { return 16 * 128 * 64 / 256 + 100; }
)"};
const char* kNames[3] = {"rmsnorm", "softmax", "bgemm"};

std::vector<KernelSource> kernels() {
  std::string lib = readFile(fs::path(PTO_WSP_BENCH_DIR) / "standin_tile_lib.inc");
  std::vector<KernelSource> ks;
  for (int i = 0; i < 3; ++i) ks.push_back({kNames[i], lib + kEntries[i], {}, {}});
  return ks;
}

uint64_t floatWord(float f) {
  uint32_t b;
  std::memcpy(&b, &f, 4);
  return b;
}

// Everything a Program does with the cache before its first execute: open the cache,
// get the library (compiling on a miss), load it, resolve every kernel's two symbols.
struct Loaded {
  SharedLibrary lib;
  std::vector<pto_kernel_fn> run;
  bool hit = false;
};

Loaded obtain(const fs::path& dir, const std::vector<KernelSource>& ks, unsigned jobs) {
  CompilerConfig cfg;
  cfg.jobs = jobs;
  ObjectCache cache(dir, cfg);
  CacheEntry e = cache.build(ks, "artifact 'standin'");
  Loaded l;
  l.hit = e.hit;
  l.lib = SharedLibrary::open(e.path);
  for (const char* n : kNames) {
    l.run.push_back(l.lib.function<pto_kernel_fn>(fmt::format("pto_k_{}", n)));
    (void)l.lib.function<pto_cycles_fn>(fmt::format("pto_c_{}", n));
  }
  return l;
}

// The loaded rmsnorm must compute the right numbers, or the timing means nothing.
void checkRmsnorm(const Loaded& l) {
  std::vector<float> x(16 * 128), w(128, 2.0f), y(16 * 128, 0.0f);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i % 7) - 3.0f;
  std::vector<uint64_t> args{reinterpret_cast<uint64_t>(x.data()), 128, 1, reinterpret_cast<uint64_t>(w.data()),
                             128, 1, reinterpret_cast<uint64_t>(y.data()), 128, 1, floatWord(1e-6f)};
  l.run[0](args.data(), static_cast<uint32_t>(args.size()));
  for (int r = 0; r < 16; ++r) {
    double ss = 0;
    for (int c = 0; c < 128; ++c) ss += double(x[r * 128 + c]) * x[r * 128 + c];
    double inv = 1.0 / std::sqrt(ss / 128 + 1e-6);
    for (int c = 0; c < 128; ++c) {
      double want = x[r * 128 + c] * inv * 2.0;
      if (std::fabs(want - y[r * 128 + c]) > 1e-4 * (1 + std::fabs(want))) {
        fmt::print(stderr, "rmsnorm mismatch at {},{}: {} vs {}\n", r, c, y[r * 128 + c], want);
        std::exit(1);
      }
    }
  }
}

fs::path freshDir(const fs::path& base, const std::string& name) {
  fs::path d = base / name;
  fs::remove_all(d);
  return d;
}

// CPU time (user + sys) of all reaped children: the compiler's cost independent of how
// loaded the machine is (wall times on a shared 2-core box are not).
double childCpuMs() {
  rusage ru{};
  ::getrusage(RUSAGE_CHILDREN, &ru);
  auto ms = [](const timeval& t) { return t.tv_sec * 1e3 + t.tv_usec / 1e3; };
  return ms(ru.ru_utime) + ms(ru.ru_stime);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  try {
    if (argc == 3 && std::string(argv[1]) == "--warm") {
      auto t0 = Clock::now();
      Loaded l = obtain(argv[2], kernels(), 0);
      double ms = msSince(t0);
      fmt::print("{} {:.3f}\n", l.hit ? "hit" : "miss", ms);
      return l.hit ? 0 : 3;
    }
    int reps = 3;
    if (argc == 3 && std::string(argv[1]) == "--reps") reps = std::max(1, std::atoi(argv[2]));

    const fs::path base = fs::temp_directory_path() / fmt::format("ptowsp-bench-artifact-{}", ::getpid());
    const std::vector<KernelSource> ks = kernels();
    const CompilerIdentity& cc = compilerIdentity();
    size_t lines = 0;
    for (char c : ks[0].text) lines += c == '\n';
    fmt::print("compiler: {} ({})\n", cc.path, cc.firstVersionLine());
    fmt::print("stand-in example: 3 kernels, {} lines each, flags -std=c++20 -O2 -fPIC\n\n", lines);

    // Cold: empty cache, everything compiled, linked, loaded.
    std::vector<double> cold1, cold2, coldOne, cpu3, cpuOne;
    for (int r = 0; r < reps; ++r) {
      for (unsigned jobs : {1u, 2u}) {
        fs::path d = freshDir(base, fmt::format("cold-{}-{}", jobs, r));
        double c0 = childCpuMs();
        auto t0 = Clock::now();
        Loaded l = obtain(d, ks, jobs);
        (jobs == 1 ? cold1 : cold2).push_back(msSince(t0));
        cpu3.push_back(childCpuMs() - c0);
        checkRmsnorm(l);
      }
      fs::path d = freshDir(base, fmt::format("one-{}", r));
      CompilerConfig cfg;
      ObjectCache cache(d, cfg);
      double c0 = childCpuMs();
      auto t0 = Clock::now();
      cache.object(ks[2]);
      coldOne.push_back(msSince(t0));
      cpuOne.push_back(childCpuMs() - c0);
    }
    // Warm, same process: cache object + verified lookups + (already mapped) dlopen.
    const fs::path warmDir = base / "cold-2-0";
    std::vector<double> warmIn;
    for (int i = 0; i < 200; ++i) {
      auto t0 = Clock::now();
      Loaded l = obtain(warmDir, ks, 0);
      warmIn.push_back(msSince(t0));
      if (!l.hit) return 3;
    }
    // Warm, fresh process (what `ptowsp run` pays): includes the compiler `--version`
    // probe, JSON parses, payload hashing, a real dlopen.
    std::vector<double> warmProc;
    const std::string self = fs::read_symlink("/proc/self/exe").string();
    for (int i = 0; i < 20; ++i) {
      ProcessResult p = runProcess({self, "--warm", warmDir.string()}, base / "warm.log");
      double ms = 0;
      char kind[8] = {};
      if (!p.ok() || std::sscanf(p.log.c_str(), "%7s %lf", kind, &ms) != 2 || std::string(kind) != "hit") {
        fmt::print(stderr, "warm child failed: {}\n{}\n", p.describe(), p.log);
        return 1;
      }
      warmProc.push_back(ms);
    }
    // The `--version` probe alone (once per process).
    std::vector<double> probe;
    for (int i = 0; i < 10; ++i) {
      auto t0 = Clock::now();
      runProcess({cc.path, "--version"}, base / "probe.log");
      probe.push_back(msSince(t0));
    }
    fs::remove_all(base);
    double load[3] = {0, 0, 0};
    ::getloadavg(load, 3);
    fmt::print("machine: {} hardware threads, load average {:.2f} (1 min)\n\n", std::thread::hardware_concurrency(),
               load[0]);

    fmt::print("{:<52} {:>10} {:>10}\n", "case", "median ms", "min ms");
    auto row = [](const std::string& name, const std::vector<double>& v) {
      fmt::print("{:<52} {:>10.2f} {:>10.2f}\n", name, median(v), *std::min_element(v.begin(), v.end()));
    };
    row("cold: 3 kernels + link + load, 1 job", cold1);
    row("cold: 3 kernels + link + load, 2 jobs", cold2);
    row("cold: one kernel object (bgemm)", coldOne);
    row("warm: same process (200 reps)", warmIn);
    row("warm: fresh process, incl. compiler probe (20 reps)", warmProc);
    row("  of which: `g++ --version` probe", probe);
    row("compiler CPU (user+sys): 3 kernels + link", cpu3);
    row("compiler CPU (user+sys): one kernel object (bgemm)", cpuOne);
    fmt::print("\ntargets: cold <= 2000 ms, warm <= 20 ms per example\n");
    fmt::print("cold/target = {:.2f}, warm(fresh process)/target = {:.2f}\n", median(cold2) / 2000.0,
               median(warmProc) / 20.0);
    return 0;
  } catch (const std::exception& e) {
    fmt::print(stderr, "{}\n", e.what());
    return 1;
  }
}
