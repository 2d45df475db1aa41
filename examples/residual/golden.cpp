// Independent reference for examples/residual: Y = silu(X) + R elementwise, in double.
// Cycles: examples/residual/README.md, "Cycles by hand".
#include <cmath>
#include <vector>

#include "Golden.h"

namespace pto::wsp::golden {
namespace {

TensorSet compute(const TensorSet& in) {
  const HostTensor& xt = in.at("X");
  const std::vector<double> x = xt.toDoubles(), r = in.at("R").toDoubles();
  std::vector<double> yv(x.size());
  for (size_t i = 0; i < x.size(); ++i) yv[i] = x[i] / (1.0 + std::exp(-x[i])) + r[i];
  HostTensor y = HostTensor::make("f32", xt.shape);
  y.assign(yv);
  return {{"Y", y}};
}

const Registrar reg({.module = "residual",
                     .arch = "ascend910b",
                     .expectedCycles = 7696,
                     .tol = {.rtol = 1e-6, .atol = 1e-6},
                     .prepare = {},
                     .compute = compute,
                     .readme = "examples/residual/README.md"});

}  // namespace
}  // namespace pto::wsp::golden
