// Independent reference for examples/gated: Y[r, c] = silu(X[r, c] * W[0, c]), in double.
// Cycles: examples/gated/README.md, "Cycles by hand".
#include <cmath>

#include "Golden.h"

namespace pto::wsp::golden {
namespace {

TensorSet compute(const TensorSet& in) {
  const HostTensor& x = in.at("X");
  const HostTensor& w = in.at("W");
  HostTensor y = HostTensor::make("f32", x.shape);
  const size_t cols = static_cast<size_t>(x.shape.back());
  for (size_t i = 0; i < x.numel(); ++i) {
    const double v = x.get(i) * w.get(i % cols);
    y.set(i, v / (1.0 + std::exp(-v)));
  }
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
