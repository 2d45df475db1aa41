// The external kernel units: one per declared kernel, with the prototype the MLIR
// declares, built for the host against the tile library (the sanity build) and, for the
// pipeline's compute stage, run against the expected values.
#include "pto/wsp/target/aie/AieKernels.h"

#include "AieTestUtil.h"

#include <regex>

namespace pto::wsp::target::aie::testing {
namespace {

struct Emitted {
  ir::Module module;
  Mapping map;
  std::vector<KernelUnit> units;
};

Emitted emitUnits(const std::string& name) {
  const auto path = examplePath(name);
  Emitted e{parseVerified(readFile(path), path.string()), {}, {}};
  e.map = mapWorkload(e.module, e.module.workloads.front(), npu1());
  e.units = emitKernelUnits(e.module, e.map, *arch::findBuiltinArch("host_cpu"), path.parent_path());
  return e;
}

int sh(const std::string& cmd) {
  const int rc = std::system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

TEST(AieKernels, OneUnitPerDeclaredKernelWithTheDeclaredSignature) {
  const Emitted e = emitUnits("rmsnorm");
  ASSERT_EQ(e.units.size(), 1u);
  EXPECT_EQ(e.units[0].prototype,
            "extern \"C\" void rmsnorm(pto::tile::f16* a0_x, pto::tile::f16* a1_w, pto::tile::f16* a2_y, float a3_eps)");
  // The MLIR declares the same argument list.
  const std::string mlir = emitMlir(e.map);
  EXPECT_NE(mlir.find("function_type = (memref<16x128xf16>, memref<1x128xf16>, memref<16x128xf16>, f32) -> (), "
                      "sym_name = \"rmsnorm\""),
            std::string::npos);
  for (size_t i = 0; i < e.map.kernels.size(); ++i)
    for (const auto& t : e.map.kernels[i].argTypes)
      EXPECT_NE(e.units[i].prototype.find(cppArgType(t)), std::string::npos) << t;
}

TEST(AieKernels, SanityBuildAndRunAgainstTheTileLibrary) {
  const Emitted e = emitUnits("pipeline");
  ASSERT_EQ(e.units.size(), 3u);
  const auto dir = std::filesystem::path(PTO_WSP_BINARY_DIR) / "aie_test_kernels";
  std::filesystem::create_directories(dir);
  std::string srcs;
  for (const auto& u : e.units) {
    std::ofstream(dir / u.fileName) << u.text;
    srcs += " '" + (dir / u.fileName).string() + "'";
  }
  std::ofstream(dir / "main.cpp") << R"(#include <cmath>
extern "C" void load_tile(float*, float*);
extern "C" void compute(float*, float*);
extern "C" void store_tile(float*, float*);
int main() {
  static float x[16 * 128], buf[16 * 128], res[16 * 128], y[16 * 128];
  for (int i = 0; i < 16 * 128; ++i) x[i] = static_cast<float>(i % 17 - 8) * 0.25f;
  load_tile(x, buf);
  compute(buf, res);
  store_tile(res, y);
  for (int i = 0; i < 16 * 128; ++i)
    if (std::fabs(y[i] - x[i] / (1.0f + std::exp(-x[i]))) > 1e-5f) return 1;
  return 0;
}
)";
  const std::string exe = (dir / "pipeline_kernels").string();
  const std::string cmd = "c++ -std=c++20 -O1 -I'" + std::string(PTO_WSP_SOURCE_DIR) + "/include'" + srcs + " '" +
                          (dir / "main.cpp").string() + "' -o '" + exe + "' > '" + exe + ".log' 2>&1";
  ASSERT_EQ(sh(cmd), 0) << readFile(exe + ".log");
  EXPECT_EQ(sh("'" + exe + "'"), 0) << "the kernels computed wrong values";
}

}  // namespace
}  // namespace pto::wsp::target::aie::testing
