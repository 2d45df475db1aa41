// Independent reference for examples/gated: Y[r, c] = silu(X[r, c] * W[0, c]), in double.
// Cycles: examples/gated/README.md, "Cycles by hand".
#include <cmath>
#include <vector>

#include "Golden.h"

namespace pto::wsp::golden {
namespace {

TensorSet compute(const TensorSet& in) {
  const HostTensor& xt = in.at("X");
  const std::vector<double> x = xt.toDoubles(), w = in.at("W").toDoubles();
  const size_t cols = static_cast<size_t>(xt.shape.back());
  std::vector<double> yv(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    const double v = x[i] * w[i % cols];
    yv[i] = v / (1.0 + std::exp(-v));
  }
  HostTensor y = HostTensor::make("f32", xt.shape);
  y.assign(yv);
  return {{"Y", y}};
}

const Registrar reg({.module = "gated",
                     .arch = "ascend910b",
                     .expectedCycles = 3912,
                     .tol = {.rtol = 1e-6, .atol = 1e-6},
                     .prepare = {},
                     .compute = compute,
                     .readme = "examples/gated/README.md"});

}  // namespace
}  // namespace pto::wsp::golden
