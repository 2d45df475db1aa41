// Self-checking examples: each example directory has a golden.cpp that registers how to
// check the example's outputs, computed independently in plain C++ (scalar loops in
// double / float, no tile library, no PTO-WSP headers), and the total_cycles derived by
// hand in the example's README.
//
//   // examples/rmsnorm/golden.cpp
//   #include "Golden.h"
//   namespace pto::wsp::golden {
//   static TensorSet compute(const TensorSet& in) { ... return {{"Y", y}}; }
//   static const Registrar reg({.module = "rmsnorm", .arch = "ascend910b",
//                               .expectedCycles = 12345, .tol = {1e-2, 1e-3},
//                               .compute = compute});
//   }
//
// ptowsp run and tests/examples find a golden by module name. The library is a CMake
// OBJECT library (ptowsp_golden), so every registrar is linked in.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace pto::wsp::golden {

// A host tensor: row-major contiguous; dtype is an ir::DType name ("f32", "f16",
// "bf16", "f64", "i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64", "bool").
struct HostTensor {
  std::string dtype = "f32";
  std::vector<int64_t> shape;
  std::vector<std::byte> bytes;

  static HostTensor make(std::string dtype, std::vector<int64_t> shape);  // zero-filled
  size_t numel() const;
  size_t elemBytes() const;
  // Element i converted to / from double (f16 / bf16 with round-to-nearest-even, integers
  // truncated toward zero and saturated). Independent of the tile library.
  double get(size_t i) const;
  void set(size_t i, double v);
  // Every element at once, dtype resolved once (what references use: get / set resolve
  // it per call). assign's values.size() must be numel().
  std::vector<double> toDoubles() const;
  void assign(const std::vector<double>& values);
};
using TensorSet = std::map<std::string, HostTensor>;  // by tensor name

// IEEE binary16 and bfloat16 bit patterns (round-to-nearest-even, overflow to inf,
// subnormals kept); the conversions HostTensor::get/set use for "f16" / "bf16".
uint16_t f16FromDouble(double v);
double f16ToDouble(uint16_t bits);
uint16_t bf16FromDouble(double v);
double bf16ToDouble(uint16_t bits);

// Element check: |got - want| <= atol + rtol * |want| (NaN only matches NaN).
struct Tolerance {
  double rtol = 0;
  double atol = 0;
};

struct Golden {
  std::string module;             // module name (`module rmsnorm`) this golden checks
  std::string arch = "ascend910b";  // arch instance expectedCycles is derived for
  uint64_t expectedCycles = 0;    // hand-derived total_cycles (default symbols/slots)
  Tolerance tol;
  // Optional: overwrite inputs that must satisfy constraints (indices, lengths, ...)
  // after they were filled (random or zeros). Must be deterministic.
  std::function<void(TensorSet& inputs)> prepare;
  // Expected value of every output / inout tensor from the inputs (and initial inouts).
  std::function<TensorSet(const TensorSet& inputs)> compute;
  std::string readme;             // path of the README with the derivation, for messages
};

struct Registrar {
  explicit Registrar(Golden g);
};
const Golden* findGolden(std::string_view module);
std::vector<const Golden*> allGoldens();  // sorted by module name

// Deterministic data: uniform in [-1, 1) for floats, [0, 8) for integers, seeded by
// seed and the tensor name (same data on every machine).
void fillRandom(HostTensor& t, std::string_view name, uint64_t seed = 1);

struct CheckResult {
  bool ok = true;
  std::string tensor;     // first tensor that failed ("" if ok)
  size_t index = 0;       // its worst element (row-major)
  double got = 0, want = 0, maxError = 0, allowed = 0;
  size_t mismatches = 0;  // elements out of tolerance over all tensors
  std::string summary;    // "check passed: Y (32768 elements) max abs err 3.1e-04 ..."
                          // or "check FAILED: Y[12] = 0.5, expected 0.25 (|err| 0.25 > 0.0035)"
};
// Compares every tensor of `want` against the same name in `got` (missing / shape
// mismatch = failure).
CheckResult compare(const TensorSet& got, const TensorSet& want, Tolerance tol);

}  // namespace pto::wsp::golden
