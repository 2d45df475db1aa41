// Running an emitted ascend tree (docs/ascend.md) on a user's pto-runtime checkout: the
// project compiles the tree's orchestration and kernels, and its own host launcher,
// against that checkout's headers (and PTO-ISA's), loads the checkout's already-built
// host runtime through its C API (pto_runtime_c_api.h) and runs on a2a3sim. The project
// never builds pto-runtime itself: a checkout without its built runtime is a located
// error naming every missing file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace pto::wsp::target::ascend {

struct PtoRuntimeCheckout {
  std::filesystem::path runtimeRoot;  // pto-runtime work tree
  std::filesystem::path isaRoot;      // PTO-ISA work tree (include/pto/pto-inst.hpp)
  std::string runtime;                // host_build_graph | tensormap_and_ringbuffer
  std::string platform = "a2a3sim";
  std::filesystem::path libDir;       // <runtimeRoot>/build/lib
  std::string runtimeCommit, isaCommit;  // read from .git when present, else ""
};

// `runtimeDir` / `isaDir` empty: $PTO_RUNTIME_ROOT / $PTO_ISA_ROOT. Throws a UserError
// listing every missing directory or built library, with help on how to point at them.
PtoRuntimeCheckout locateCheckout(std::string runtimeDir, std::string isaDir, std::string_view runtime);

// One entry tensor's host buffer (by the manifest's entry name). Entries without a
// binding (temps of the ring-buffer runtime) get zero-filled buffers.
struct SceneBinding {
  void* data = nullptr;
  uint64_t bytes = 0;
};

struct SceneRunOptions {
  std::filesystem::path tree;      // an emitted tree (pto_wsp_manifest.json)
  std::filesystem::path buildDir;  // where built objects are kept, keyed by content
  int blockDim = 0;      // 0: the tree's case (manifest "config")
  int aicpuThreads = 0;  // 0: the tree's case
};

// One entry tensor of the tree, as its manifest lists it.
struct SceneEntry {
  std::string name, dtype, direction;
  std::vector<int64_t> shape;
  bool bound = false;  // false: a temp the run zero-filled
};

// Objects of one kind a run compiled and found built.
struct BuildCount {
  uint64_t compiled = 0, reused = 0;
};

struct SceneRunResult {
  std::string module, runtime;
  std::vector<SceneEntry> entries;
  std::string treeRuntimeCommit, treeIsaCommit;  // the commits the tree is written for
  uint32_t tasks = 0;        // tasks the orchestration submits (manifest)
  uint64_t compiles = 0;     // compiler processes started for this run
  uint64_t reused = 0;       // objects found built
  BuildCount kernels, orchestration, launcher;  // the same, by kind
  double buildMs = 0;
  double hostWallMs = 0;     // pto-runtime's run_prepared timing
  double deviceWallMs = 0;
  double hostUsPerTask() const { return tasks ? hostWallMs * 1000.0 / tasks : 0.0; }
};

// Builds what is missing and runs the tree once; outputs are copied back into the
// bindings. Throws UserError on a compile failure (with the compiler's log) or a failed
// run (pto-runtime's log is on stderr).
SceneRunResult runScene(const PtoRuntimeCheckout& c, const SceneRunOptions& o,
                        std::map<std::string, SceneBinding>& bindings);

}  // namespace pto::wsp::target::ascend
