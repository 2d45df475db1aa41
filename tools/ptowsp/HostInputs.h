// Host-side data of `ptowsp run`: runtime values from --set, host buffers for every
// non-scratch tensor of a compiled program, and their input data from --inputs
// (random / zeros / .npy files). Shared by cmd_run.cpp and tests/examples.
#pragma once

#include "Golden.h"

#include "pto/wsp/abi/Plan.h"
#include "pto/wsp/artifact/Manifest.h"

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace pto::wsp::cli {

// Symbol and slot values for a run: the plan's defaults overridden by --set NAME=VALUE.
struct RunValues {
  std::map<std::string, int64_t> symbols;   // every plan symbol, by plan name
  std::map<std::string, uint64_t> slots;    // only slots given with --set, by plan name
  bool defaults = true;                     // no --set changed a value from its default
};
// Throws a UserError (located at "<command line>") for a malformed NAME=VALUE, an
// unknown name (listing the symbols and slots) or a value that is not an integer.
// Slot names may be written with or without their '$'.
RunValues resolveRunValues(const abi::Plan& plan, const std::vector<std::string>& sets);

// Host buffers of every non-scratch tensor, zero-filled, at the run's symbol values.
struct RunTensors {
  golden::TensorSet all;
  std::vector<std::string> inputs;   // role input or inout, in manifest (declaration) order
  std::vector<std::string> outputs;  // role output or inout, in manifest order
};
// Host buffers are bounded (docs/cli.md): a larger request is a located error before
// anything is allocated.
inline constexpr uint64_t kMaxHostTensorBytes = uint64_t(16) << 30;  // 16 GiB
// A dynamic dimension is the plan's shape expression at `symbols` (a symbol or any
// expression of symbols, `B * 2`); without `plan`, a dimension must be a bare symbol.
RunTensors allocateTensors(const artifact::ManifestAbi& abi, const std::map<std::string, int64_t>& symbols,
                           const abi::Plan* plan = nullptr);

// --inputs arguments: "random" | "zeros" (fill every input), "FILE.npy" (bare files bind
// the inputs in declaration order), "NAME=FILE.npy" (by name).
struct InputSpec {
  std::string fill = "random";
  std::vector<std::string> positional;
  std::vector<std::pair<std::string, std::string>> named;
  bool hasFiles() const { return !positional.empty() || !named.empty(); }
};
InputSpec parseInputSpec(const std::vector<std::string>& args);

// Fills every input with spec.fill (seeded by `seed` and the tensor name).
void fillInputs(RunTensors& t, const InputSpec& spec, uint64_t seed);
// Loads the .npy files of `spec` into their tensors. dtype and shape must match exactly
// (a bf16 tensor takes '<f4' data, rounded); errors name the file, the tensor and both
// shapes/dtypes.
void loadInputFiles(RunTensors& t, const InputSpec& spec);

// True if a dry run of `plan` can take other paths than a real run: it has slot_load
// nodes, which in a dry run keep the slot's value instead of reading computed data
// (docs/semantics.md). Such runs are not compared with the README cycles.
bool hasDataDependentControl(const abi::Plan& plan);

std::string shapeString(const std::vector<int64_t>& shape);  // "256x128", "scalar"

}  // namespace pto::wsp::cli
