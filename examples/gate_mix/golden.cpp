// Independent reference for examples/gate_mix, in double from the f16 inputs:
//   s = x Wg, (g0, g1) = softmax(s0, s1), y = g0 * gelu(x W0) + g1 * silu(x W1)
// per token row, rounded to f16 on store as the kernel does. GELU is the exact
// (erf-based) one. Cycles: examples/gate_mix/README.md, "Cycles by hand".
#include <cmath>

#include "Golden.h"
#include "Matmul.h"

namespace pto::wsp::golden {
namespace {

double gelu(double v) { return 0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0))); }
double silu(double v) { return v / (1.0 + std::exp(-v)); }

TensorSet compute(const TensorSet& in) {
  const HostTensor& xt = in.at("X");
  const size_t tokens = static_cast<size_t>(xt.shape[0]);
  const size_t d = static_cast<size_t>(xt.shape[1]);
  const size_t n = static_cast<size_t>(in.at("W0").shape[1]);
  const std::vector<double> x = xt.toDoubles();
  const std::vector<double> s = matmul(x, in.at("Wg").toDoubles(), tokens, d, 2);
  const std::vector<double> a = matmul(x, in.at("W0").toDoubles(), tokens, d, n);
  const std::vector<double> b = matmul(x, in.at("W1").toDoubles(), tokens, d, n);
  std::vector<double> yv(tokens * n);
  for (size_t r = 0; r < tokens; ++r) {
    const double g1 = 1.0 / (1.0 + std::exp(s[r * 2] - s[r * 2 + 1]));  // softmax over two scores
    const double g0 = 1.0 - g1;
    for (size_t j = 0; j < n; ++j) yv[r * n + j] = g0 * gelu(a[r * n + j]) + g1 * silu(b[r * n + j]);
  }
  HostTensor y = HostTensor::make("f16", {xt.shape[0], static_cast<int64_t>(n)});
  y.assign(yv);
  return {{"Y", y}};
}

// README: the mix of block 3 waits for expert0 of block 3 (worker 1 runs the four expert0
// tasks back to back from 360): 360 + 4 * 2927 + 360 (sync) + 2505 (mix) = 14933.
const Registrar reg({.module = "gate_mix",
                     .arch = "ascend910b",
                     .expectedCycles = 14933,
                     .tol = {.rtol = 2e-3, .atol = 2e-3},
                     .prepare = {},
                     .compute = compute,
                     .readme = "examples/gate_mix/README.md"});

}  // namespace
}  // namespace pto::wsp::golden
