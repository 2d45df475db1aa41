// Independent reference for examples/residual: Y = silu(X) + R elementwise, in double.
// Cycles: examples/residual/README.md, "Cycles by hand".
#include <cmath>

#include "Golden.h"

namespace pto::wsp::golden {
namespace {

TensorSet compute(const TensorSet& in) {
  const HostTensor& x = in.at("X");
  const HostTensor& r = in.at("R");
  HostTensor y = HostTensor::make("f32", x.shape);
  for (size_t i = 0; i < x.numel(); ++i) {
    const double v = x.get(i);
    y.set(i, v / (1.0 + std::exp(-v)) + r.get(i));
  }
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
