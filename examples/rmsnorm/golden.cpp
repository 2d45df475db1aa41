// Independent reference for examples/rmsnorm: y = x / sqrt(mean(x^2) + eps) * w per
// 128-wide row, computed in double from the f16 inputs and rounded to f16 on store (as
// the kernel does). Cycles: examples/rmsnorm/README.md, "Cycles by hand".
#include <cmath>
#include <vector>

#include "Golden.h"

namespace pto::wsp::golden {
namespace {

constexpr double kEps = 1e-6;  // the scalar argument of the call in rmsnorm.wsp

TensorSet compute(const TensorSet& in) {
  const HostTensor& xt = in.at("X");
  const std::vector<double> x = xt.toDoubles(), w = in.at("W").toDoubles();
  const size_t rows = static_cast<size_t>(xt.shape[0]);
  const size_t cols = static_cast<size_t>(xt.shape[1]);
  std::vector<double> yv(x.size());
  for (size_t r = 0; r < rows; ++r) {
    double sumSq = 0;
    for (size_t c = 0; c < cols; ++c) {
      const double v = x[r * cols + c];
      sumSq += v * v;
    }
    const double inv = 1.0 / std::sqrt(sumSq / static_cast<double>(cols) + kEps);
    for (size_t c = 0; c < cols; ++c) yv[r * cols + c] = x[r * cols + c] * inv * w[c];
  }
  HostTensor y = HostTensor::make("f16", xt.shape);
  y.assign(yv);
  return {{"Y", y}};
}

// README: worker 3's first task is issued at 4 * 180 = 720, then the worker runs four
// 1249-cycle kernels back to back: 720 + 4 * 1249 = 5716.
const Registrar reg({.module = "rmsnorm",
                     .arch = "ascend910b",
                     .expectedCycles = 5716,
                     .tol = {.rtol = 2e-3, .atol = 1e-5},
                     .prepare = {},
                     .compute = compute,
                     .readme = "examples/rmsnorm/README.md"});

}  // namespace
}  // namespace pto::wsp::golden
