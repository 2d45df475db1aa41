// The artifact manifest (manifest.json): plain structs, their JSON form, and a
// validating reader whose errors carry the JSON pointer of the offending field.
// Schema: docs/artifact.md ("Manifest schema"). The lowering fills these structs.
#pragma once

#include "pto/wsp/support/Diagnostic.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pto::wsp::artifact {

inline constexpr const char* kManifestSchemaName = "pto-wsp-artifact";
// Bumped on any incompatible change; readers reject versions they do not know.
inline constexpr uint32_t kManifestSchemaVersion = 1;

// One compiled kernel.
struct ManifestKernel {
  std::string name;          // kernel name in the module
  std::string symbol;        // extern "C" entry (pto_kernel_fn, abi/KernelAbi.h)
  std::string cyclesSymbol;  // extern "C" cycle function (pto_cycles_fn); "" if none
  std::string sourceHash;    // 16 hex digits: hash64 of the compiled source text
  std::string object;        // object file, relative to the package dir; "" if not shipped
  friend bool operator==(const ManifestKernel&, const ManifestKernel&) = default;
};

// A file of the package with its content hash.
struct ManifestFile {
  std::string file;  // relative to the package dir, no ".." components
  std::string hash;  // 16 hex digits: hash64 of the contents
  friend bool operator==(const ManifestFile&, const ManifestFile&) = default;
};

// A runtime-settable scalar: a symbol (e.g. a dynamic axis size) or a slot.
struct ManifestScalar {
  std::string name;
  std::string dtype;   // "i64", "i32", "f32", ... (ir::DType names)
  uint32_t index = 0;  // position in the plan's symbol/slot table
  friend bool operator==(const ManifestScalar&, const ManifestScalar&) = default;
};

// A tensor dimension: a static size or the name of a symbol.
struct ManifestDim {
  std::optional<int64_t> size;  // set for a static dimension
  std::string symbol;           // set for a dynamic dimension
  friend bool operator==(const ManifestDim&, const ManifestDim&) = default;
};

struct ManifestTensor {
  std::string name;
  std::string dtype;
  std::string role;  // "input", "output", "inout" or "scratch"
  std::vector<ManifestDim> shape;
  uint32_t index = 0;  // binding slot in the plan
  friend bool operator==(const ManifestTensor&, const ManifestTensor&) = default;
};

struct ManifestAbi {
  std::vector<ManifestScalar> symbols;
  std::vector<ManifestScalar> slots;
  std::vector<ManifestTensor> tensors;
  friend bool operator==(const ManifestAbi&, const ManifestAbi&) = default;
};

struct ManifestCompiler {
  std::string path;
  std::string version;  // first line of `--version`
  std::vector<std::string> flags;
  std::vector<std::string> linkFlags;
  friend bool operator==(const ManifestCompiler&, const ManifestCompiler&) = default;
};

// What the package needs of the host that loads its kernel library (docs/artifact.md,
// "Host requirements"): checked before the library is opened.
struct ManifestHost {
  std::string os;       // "linux"
  std::string machine;  // uname machine: "x86_64", "aarch64"
  // CPU features the kernel objects may use: with -march=native, the compiling CPU's
  // /proc/cpuinfo flags; empty when the flags name no host-specific ISA.
  std::vector<std::string> cpuFeatures;
  uint32_t kernelAbi = 0;  // abi::kKernelAbiVersion of the kernels' calling convention
  friend bool operator==(const ManifestHost&, const ManifestHost&) = default;
};

struct Manifest {
  uint32_t schemaVersion = kManifestSchemaVersion;
  std::string packageHash;   // 16 hex digits, see packageHash(); "" until written
  std::string target;        // "cpu_sim", "ascend", "aie"
  std::string archInstance;  // arch instance name
  nlohmann::json capabilities = nlohmann::json::object();  // capability matrix, opaque here
  std::vector<ManifestKernel> kernels;
  ManifestFile plan;
  std::optional<ManifestFile> library;  // the linked kernel library (cpu_sim)
  ManifestAbi abi;
  std::string scheduleId;
  std::string policyId;
  ManifestCompiler compiler;
  // Capability features (arch/Capability.h names) the workload and schedule exercise,
  // sorted; optional in the JSON (absent = none recorded).
  std::vector<std::string> features;
  // Further files the target ships as they are (e.g. the aie target's MLIR module and
  // kernel sources), content-checked like the plan; optional in the JSON.
  std::vector<ManifestFile> files;
  // Optional in the JSON (absent = not recorded: packages of source-tree targets).
  std::optional<ManifestHost> host;
  friend bool operator==(const Manifest&, const Manifest&) = default;
};

// JSON form (to_json) and strict reading (from_json throws UserError, located by JSON
// pointer, on the first broken rule; use parseManifest to get every error at once).
void to_json(nlohmann::json& j, const ManifestKernel& v);
void to_json(nlohmann::json& j, const ManifestFile& v);
void to_json(nlohmann::json& j, const ManifestScalar& v);
void to_json(nlohmann::json& j, const ManifestDim& v);
void to_json(nlohmann::json& j, const ManifestTensor& v);
void to_json(nlohmann::json& j, const ManifestAbi& v);
void to_json(nlohmann::json& j, const ManifestCompiler& v);
void to_json(nlohmann::json& j, const ManifestHost& v);
void to_json(nlohmann::json& j, const Manifest& v);
void from_json(const nlohmann::json& j, ManifestKernel& v);
void from_json(const nlohmann::json& j, ManifestFile& v);
void from_json(const nlohmann::json& j, ManifestScalar& v);
void from_json(const nlohmann::json& j, ManifestDim& v);
void from_json(const nlohmann::json& j, ManifestTensor& v);
void from_json(const nlohmann::json& j, ManifestAbi& v);
void from_json(const nlohmann::json& j, ManifestCompiler& v);
void from_json(const nlohmann::json& j, Manifest& v);

// Validates `j` against the schema; every problem becomes an error located at
// `file` with the JSON pointer (e.g. "/kernels/1/symbol") as context. Throws UserError
// with all errors. Unknown fields are ignored (forward compatibility within a version).
Manifest manifestFromJson(const nlohmann::json& j, const std::string& file = "manifest.json");
// Parses text first (a syntax error is reported with its byte offset).
Manifest parseManifest(std::string_view text, const std::string& file = "manifest.json");

// Canonical text written to manifest.json (sorted keys, 2-space indent, trailing newline).
std::string manifestText(const Manifest& m);

// Hash of everything in the manifest except packageHash itself. The manifest names the
// plan and library by content hash, so this covers every byte that affects execution.
std::string computePackageHash(const Manifest& m);

}  // namespace pto::wsp::artifact
