// Locating a pto-runtime checkout for `ptowsp run --target ascend` (docs/ascend.md): what
// is missing is named, file by file, with how to point at it. No pto-runtime is needed;
// the real run is the ascend_a2a3sim_run ctest.
#include "pto/wsp/target/ascend/PtoRuntimeRun.h"

#include "pto/wsp/support/Diagnostic.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace pto::wsp::target::ascend {
namespace {
namespace fs = std::filesystem;

std::string errorText(const std::string& rt, const std::string& isa, const std::string& runtime) {
  try {
    locateCheckout(rt, isa, runtime);
  } catch (const UserError& e) {
    std::string s;
    for (const Diagnostic& d : e.diagnostics()) s += d.render() + "\n";
    return s;
  }
  return "";
}

// Restores an environment variable on scope exit.
struct EnvGuard {
  std::string name;
  std::string old;
  bool had;
  explicit EnvGuard(std::string n) : name(std::move(n)) {
    const char* v = std::getenv(name.c_str());
    had = v != nullptr;
    if (had) old = v;
    ::unsetenv(name.c_str());
  }
  ~EnvGuard() {
    if (had) ::setenv(name.c_str(), old.c_str(), 1);
  }
};

void touch(const fs::path& p) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << "";
}

TEST(PtoRuntimeCheckout, NoneGivenSaysHowToPointAtOne) {
  EnvGuard a("PTO_RUNTIME_ROOT"), b("PTO_ISA_ROOT");
  const std::string e = errorText("", "", "tensormap_and_ringbuffer");
  EXPECT_NE(e.find("error: running on pto-runtime needs a pto-runtime checkout, and none was given"), std::string::npos)
      << e;
  EXPECT_NE(e.find("help: pass --pto-runtime DIR (or set PTO_RUNTIME_ROOT)"), std::string::npos) << e;
  const std::string i = errorText(fs::temp_directory_path().string(), "", "host_build_graph");
  EXPECT_NE(i.find("needs a PTO-ISA checkout, and none was given"), std::string::npos) << i;
  EXPECT_NE(i.find("--pto-isa DIR (or set PTO_ISA_ROOT)"), std::string::npos) << i;
}

TEST(PtoRuntimeCheckout, UnknownRuntimeIsRefused) {
  const std::string e = errorText("/x", "/y", "gpu_graph");
  EXPECT_NE(e.find("error: unknown pto-runtime runtime 'gpu_graph'"), std::string::npos) << e;
  EXPECT_NE(e.find("help: one of: host_build_graph, tensormap_and_ringbuffer"), std::string::npos) << e;
}

TEST(PtoRuntimeCheckout, NotACheckoutNamesEveryMissingPiece) {
  const fs::path root = fs::temp_directory_path() / "pto_wsp_no_checkout";
  fs::remove_all(root);
  fs::create_directories(root);
  const std::string e = errorText(root.string(), root.string(), "host_build_graph");
  EXPECT_NE(e.find((root / "src/common/worker/pto_runtime_c_api.h").string() +
                   ": error: pto-runtime's host C API header is missing"),
            std::string::npos)
      << e;
  EXPECT_NE(e.find("src/a2a3/runtime/host_build_graph/runtime: error:"), std::string::npos) << e;
  EXPECT_NE(e.find((root / "include/pto/pto-inst.hpp").string() + ": error: "), std::string::npos) << e;
  fs::remove_all(root);
}

TEST(PtoRuntimeCheckout, UnbuiltCheckoutNamesTheLibrariesAndSaysTheProjectDoesNotBuildThem) {
  const fs::path root = fs::temp_directory_path() / "pto_wsp_unbuilt_checkout";
  fs::remove_all(root);
  for (const char* f : {"src/common/worker/pto_runtime_c_api.h", "src/common/task_interface/callable.h",
                        "src/a2a3/runtime/tensormap_and_ringbuffer/runtime/x.h", "src/a2a3/platform/include/x.h",
                        "simpler_setup/incore/pipe_sync.h", "isa/include/pto/pto-inst.hpp"})
    touch(root / f);
  touch(root / "build/lib/libsimpler_log.so");
  const std::string e = errorText(root.string(), (root / "isa").string(), "tensormap_and_ringbuffer");
  EXPECT_EQ(e.find("libsimpler_log.so: error"), std::string::npos) << e;
  for (const char* lib : {"build/lib/libcpu_sim_context.so",
                          "build/lib/a2a3/sim/tensormap_and_ringbuffer/libhost_runtime.so",
                          "build/lib/a2a3/sim/tensormap_and_ringbuffer/libaicpu_kernel.so",
                          "build/lib/a2a3/sim/tensormap_and_ringbuffer/libaicore_kernel.so"})
    EXPECT_NE(e.find((root / lib).string() + ": error: "), std::string::npos) << lib << "\n" << e;
  EXPECT_NE(e.find("is not built in this checkout"), std::string::npos) << e;
  EXPECT_NE(e.find("the project never builds pto-runtime"), std::string::npos) << e;
  // With everything present it is accepted (the commit is unknown without .git).
  for (const char* lib : {"build/lib/libcpu_sim_context.so",
                          "build/lib/a2a3/sim/tensormap_and_ringbuffer/libhost_runtime.so",
                          "build/lib/a2a3/sim/tensormap_and_ringbuffer/libaicpu_kernel.so",
                          "build/lib/a2a3/sim/tensormap_and_ringbuffer/libaicore_kernel.so"})
    touch(root / lib);
  const PtoRuntimeCheckout c = locateCheckout(root.string(), (root / "isa").string(), "tensormap_and_ringbuffer");
  EXPECT_EQ(c.runtime, "tensormap_and_ringbuffer");
  EXPECT_EQ(c.libDir, root / "build/lib");
  EXPECT_EQ(c.runtimeCommit, "");
  fs::remove_all(root);
}

}  // namespace
}  // namespace pto::wsp::target::ascend
