// Shared fixtures of the Program tests: a small module (text + external kernel file) and
// per-test cache directories under the build dir.
#pragma once

#include "pto/wsp/api/Program.h"
#include "pto/wsp/artifact/AtomicFile.h"
#include "pto/wsp/ir/text/Parser.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace pto::wsp::testing {

inline std::filesystem::path testRoot() {
  return std::filesystem::path(PTO_WSP_BINARY_DIR) / "program_test";
}

// A fresh, empty directory under the build dir.
inline std::filesystem::path freshDir(const std::string& name) {
  auto d = testRoot() / name;
  std::filesystem::remove_all(d);
  std::filesystem::create_directories(d);
  return d;
}

// Atomic (temp + rename): ctest runs tests as parallel processes that rewrite and read the
// same module file.
inline void writeText(const std::filesystem::path& p, const std::string& text) {
  std::filesystem::create_directories(p.parent_path());
  artifact::writeFileAtomic(p, text);
}

// y = x * a per 16x32 tile over N row blocks (dense_dyn), a = 3 when slot $s == 1 else 2;
// plus an external kernel z = x + 1 whose declared cost is 100 * K cycles.
inline constexpr const char* kSmallWsp = R"(module small

symbol N = 4
symbol K = 1
slot $s = 0

input X : f32[128, 32]
output Y : f32[128, 32]
output Z : f32[128, 32]

kernel scale(in x : Tile[16, 32, f32], out y : Tile[16, 32, f32], a : Scalar[f32]) {
  %t = load x
  %r = mul.scalar %t, a
  store y, %r
}

kernel plus1(in x : Tile[16, 32, f32], out z : Tile[16, 32, f32], k : Scalar[i64]) external "plus1.cpp" cycles 100 * k

workload w {
  P i in dense_dyn(N) {
    when ($s == 1) call scale(X[i * 16 : 16, 0 : 32], Y[i * 16 : 16, 0 : 32], 3.0)
    otherwise call scale(X[i * 16 : 16, 0 : 32], Y[i * 16 : 16, 0 : 32], 2.0)
    call plus1(X[i * 16 : 16, 0 : 32], Z[i * 16 : 16, 0 : 32], K)
  }
}
schedule {
  dispatch round_robin(workers = 2)
}
)";

inline constexpr const char* kPlus1Cpp = R"(// external kernel: z = x + 1 on a 16x32 f32 tile
#include <cstdint>
extern "C" void pto_k_plus1(const uint64_t* args, uint32_t num_args) {
  if (num_args != 7) __builtin_trap();
  const float* x = reinterpret_cast<const float*>(args[0]);
  float* z = reinterpret_cast<float*>(args[3]);
  for (int r = 0; r < 16; ++r)
    for (int c = 0; c < 32; ++c) z[r * int64_t(args[4]) + c * int64_t(args[5])] = x[r * int64_t(args[1]) + c * int64_t(args[2])] + 1.0f;
}
)";

// Writes the module and its kernel file into `dir`; returns the .wsp path.
inline std::filesystem::path writeSmallModule(const std::filesystem::path& dir) {
  writeText(dir / "small.wsp", kSmallWsp);
  writeText(dir / "plus1.cpp", kPlus1Cpp);
  return dir / "small.wsp";
}

inline CompileOptions optionsFor(const std::filesystem::path& cache) {
  CompileOptions o;
  o.cacheDir = cache;
  o.jobs = 2;
  return o;
}

}  // namespace pto::wsp::testing
