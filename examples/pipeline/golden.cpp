// Independent reference for examples/pipeline: the three stages copy, apply silu and
// copy again, so Y = silu(X) = x / (1 + e^-x) elementwise, in double.
// Cycles: examples/pipeline/README.md, "Cycles by hand".
#include <cmath>
#include <vector>

#include "Golden.h"

namespace pto::wsp::golden {
namespace {

TensorSet compute(const TensorSet& in) {
  const HostTensor& xt = in.at("X");
  std::vector<double> v = xt.toDoubles();
  for (double& e : v) e = e / (1.0 + std::exp(-e));
  HostTensor y = HostTensor::make("f32", xt.shape);
  y.assign(v);
  return {{"Y", y}};
}

// README: the loader's P.seq chain of 8 loads, then compute and store of block 7:
// 180 + 8 * 932 + 7 * 360 + (360 + 1110) + (360 + 932) = 12918.
const Registrar reg({.module = "pipeline",
                     .arch = "ascend910b",
                     .expectedCycles = 12918,
                     .tol = {.rtol = 1e-6, .atol = 1e-30},
                     .prepare = {},
                     .compute = compute,
                     .readme = "examples/pipeline/README.md"});

}  // namespace
}  // namespace pto::wsp::golden
