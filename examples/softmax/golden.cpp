// Independent reference for examples/softmax: y = exp(x - max(x)) / sum(exp(x - max(x)))
// over each 512-wide row of X, in double. Cycles: examples/softmax/README.md.
#include <algorithm>
#include <cmath>
#include <vector>

#include "Golden.h"

namespace pto::wsp::golden {
namespace {

TensorSet compute(const TensorSet& in) {
  const HostTensor& xt = in.at("X");
  const std::vector<double> x = xt.toDoubles();
  const size_t rows = static_cast<size_t>(xt.shape[0]);
  const size_t cols = static_cast<size_t>(xt.shape[1]);
  std::vector<double> yv(x.size());
  for (size_t r = 0; r < rows; ++r) {
    const double* xr = x.data() + r * cols;
    double m = -INFINITY;
    for (size_t c = 0; c < cols; ++c) m = std::max(m, xr[c]);
    double s = 0;
    for (size_t c = 0; c < cols; ++c) s += std::exp(xr[c] - m);
    for (size_t c = 0; c < cols; ++c) yv[r * cols + c] = std::exp(xr[c] - m) / s;
  }
  HostTensor y = HostTensor::make("f32", xt.shape);
  y.assign(yv);
  return {{"Y", y}};
}

// README: row chains on their own worker; phase ends 9047 (row 3's max chain) and
// 17310 (every row's sum chain), then 4 normalize tasks per worker: 17670 + 4 * 1882.
const Registrar reg({.module = "softmax",
                     .arch = "ascend910b",
                     .expectedCycles = 25198,
                     .tol = {.rtol = 5e-5, .atol = 0},
                     .prepare = {},
                     .compute = compute,
                     .readme = "examples/softmax/README.md"});

}  // namespace
}  // namespace pto::wsp::golden
