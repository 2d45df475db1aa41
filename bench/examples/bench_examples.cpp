// Cold and warm Program::compile of every examples/*/*.wsp.
//
//   bench_examples [--reps N] [--only NAME] [--cache-root DIR]
//   bench_examples --warm-one WSP CACHE   (internal) one warm compile in a fresh process
//
// cold: a fresh, empty cache directory (every kernel compiled, one link, package written).
// warm: a new Program over the same cache (everything hit), median of N in this process;
// "warm(proc)" is the median of 3 warm compiles, each in a fresh process (timed inside the
// child: pays the tile-header fingerprint, the compiler identity memo and first-touch costs).
// "recold" recompiles every kernel into the same cache with the tile-library PCH present
// (objects, libraries, packages removed; the kernels-edited case of a persistent cache).
// "cc cpu s" is the CPU time of the compiler processes of the cold compile: on a loaded
// machine wall time is inflated, CPU time is not. Ratios are measured / target (<= 1 meets it).
#include "pto/wsp/api/Program.h"
#include "pto/wsp/artifact/CompilerInvocation.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <sys/resource.h>

using namespace pto::wsp;
namespace fs = std::filesystem;

namespace {

constexpr double kColdTargetMs = 2000;
constexpr double kWarmTargetMs = 20;

double msSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

CompileOptions options(const fs::path& cache) {
  CompileOptions o;
  o.cacheDir = cache;
  o.onRemark = [](const Diagnostic& d) { std::fprintf(stderr, "%s\n", d.render().c_str()); };
  return o;
}

// CPU seconds of finished child processes (the compilers) so far.
double childCpuSeconds() {
  rusage ru{};
  ::getrusage(RUSAGE_CHILDREN, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

int warmOne(const char* wsp, const char* cache) {
  const auto t0 = std::chrono::steady_clock::now();
  Program p = Program::compileFile(wsp, options(cache));
  const double ms = msSince(t0);
  std::printf("%.3f %llu", ms, static_cast<unsigned long long>(p.stats().compilerInvocations));
  for (const auto& [ph, t] : p.stats().compilePhasesMs) std::printf(" %s %.2f", ph.c_str(), t);
  std::printf("\n");
  return 0;
}

double warmInFreshProcess(const char* self, const fs::path& wsp, const fs::path& cache, const fs::path& log) {
  artifact::ProcessResult r = artifact::runProcess({self, "--warm-one", wsp.string(), cache.string()}, log);
  if (!r.ok()) {
    std::fprintf(stderr, "warm child failed: %s\n%s\n", r.describe().c_str(), r.log.c_str());
    return -1;
  }
  if (std::getenv("PTO_WSP_BENCH_VERBOSE")) std::fprintf(stderr, "warm child: %s", r.log.c_str());
  return std::atof(r.log.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 4 && std::strcmp(argv[1], "--warm-one") == 0) return warmOne(argv[2], argv[3]);
  int reps = 5;
  std::string only;
  fs::path root = fs::path(PTO_WSP_BINARY_DIR) / "bench_examples_cache";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--reps") == 0) reps = std::max(1, std::atoi(argv[i + 1]));
    else if (std::strcmp(argv[i], "--only") == 0) only = argv[i + 1];
    else if (std::strcmp(argv[i], "--cache-root") == 0) root = argv[i + 1];
  }
  std::vector<fs::path> files;
  for (const auto& d : fs::directory_iterator(fs::path(PTO_WSP_SOURCE_DIR) / "examples"))
    if (d.is_directory())
      for (const auto& f : fs::directory_iterator(d.path()))
        if (f.path().extension() == ".wsp" && (only.empty() || f.path().stem() == only)) files.push_back(f.path());
  std::sort(files.begin(), files.end());

  std::printf("%-14s %7s %4s %9s %6s %8s %9s %8s %9s %6s %10s  %s\n", "example", "kernels", "cc", "cold ms", "ratio",
              "cc cpu s", "recold ms", "cpu s", "warm ms", "ratio", "warm(proc)", "warm breakdown (ms, median)");
  int failures = 0;
  for (const fs::path& wsp : files) {
    const std::string name = wsp.stem().string();
    const fs::path cache = root / name;
    fs::remove_all(cache);
    double cold = 0, ccCpu = 0;
    uint64_t cc = 0;
    size_t kernels = 0;
    try {
      const double cpu0 = childCpuSeconds();
      const auto t0 = std::chrono::steady_clock::now();
      Program p = Program::compileFile(wsp, options(cache));
      cold = msSince(t0);
      ccCpu = childCpuSeconds() - cpu0;
      cc = p.stats().compilerInvocations;
      kernels = p.manifest().kernels.size();
    } catch (const UserError& e) {
      std::printf("%-14s compile failed:\n%s\n", name.c_str(), e.what());
      ++failures;
      continue;
    }
    std::vector<double> warm;
    std::map<std::string, std::vector<double>> phases;
    for (int r = 0; r < reps; ++r) {
      const uint64_t before = artifact::compilerInvocationCount();
      const auto t0 = std::chrono::steady_clock::now();
      Program p = Program::compileFile(wsp, options(cache));
      warm.push_back(msSince(t0));
      if (artifact::compilerInvocationCount() != before) {
        std::printf("%-14s warm compile ran the compiler\n", name.c_str());
        ++failures;
      }
      for (const auto& [ph, ms] : p.stats().compilePhasesMs) phases[ph].push_back(ms);
    }
    std::vector<double> procs;
    for (int r = 0; r < 3; ++r) procs.push_back(warmInFreshProcess(argv[0], wsp, cache, cache / "warm_child.log"));
    const double warmProc = median(procs);
    // Kernels edited / new, cache otherwise populated: objects, libraries and packages
    // removed, the tile-library PCH present (built first with PTO_WSP_PCH=1 unless the
    // whole run has PTO_WSP_PCH=0) and the compiler memo kept.
    const char* pchEnv = std::getenv("PTO_WSP_PCH");
    const bool pchOff = pchEnv && std::string(pchEnv) == "0";
    auto clearEntries = [&] {
      for (const char* sub : {"objects", "libs", "packages"}) fs::remove_all(cache / "v1" / sub);
    };
    clearEntries();
    if (!pchOff) {
      ::setenv("PTO_WSP_PCH", "1", 1);
      Program::compileFile(wsp, options(cache));
      clearEntries();
    }
    double recold = 0, recoldCpu = 0;
    {
      const double cpu0 = childCpuSeconds();
      const auto t0 = std::chrono::steady_clock::now();
      Program p = Program::compileFile(wsp, options(cache));
      recold = msSince(t0);
      recoldCpu = childCpuSeconds() - cpu0;
    }
    if (pchEnv) ::setenv("PTO_WSP_PCH", pchEnv, 1);
    else ::unsetenv("PTO_WSP_PCH");
    std::string breakdown;
    for (const char* ph : {"parse", "verify", "lower", "codegen", "config", "compiler", "cache", "package", "load"})
      if (phases.count(ph)) breakdown += fmt::format("{} {:.2f}  ", ph, median(phases[ph]));
    const double w = median(warm);
    std::printf("%-14s %7zu %4llu %9.1f %6.2f %8.2f %9.1f %8.2f %9.2f %6.2f %10.2f  %s\n", name.c_str(), kernels,
                static_cast<unsigned long long>(cc), cold, cold / kColdTargetMs, ccCpu, recold, recoldCpu, w,
                w / kWarmTargetMs, warmProc, breakdown.c_str());
  }
  std::printf("targets: cold <= %.0f ms, warm <= %.0f ms (ratio = measured / target)\n", kColdTargetMs,
              kWarmTargetMs);
  return failures == 0 ? 0 : 1;
}
