// Independent reference for examples/gate_mix, in double from the f16 inputs:
//   s = x Wg, (g0, g1) = softmax(s0, s1), y = g0 * gelu(x W0) + g1 * silu(x W1)
// per token row, rounded to f16 on store as the kernel does. GELU is the exact
// (erf-based) one. Cycles: examples/gate_mix/README.md, "Cycles by hand".
#include <cmath>

#include "Golden.h"

namespace pto::wsp::golden {
namespace {

double gelu(double v) { return 0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0))); }
double silu(double v) { return v / (1.0 + std::exp(-v)); }

TensorSet compute(const TensorSet& in) {
  const HostTensor& x = in.at("X");
  const HostTensor& wg = in.at("Wg");
  const HostTensor& w0 = in.at("W0");
  const HostTensor& w1 = in.at("W1");
  const size_t tokens = static_cast<size_t>(x.shape[0]);
  const size_t d = static_cast<size_t>(x.shape[1]);
  const size_t n = static_cast<size_t>(w0.shape[1]);
  HostTensor y = HostTensor::make("f16", {x.shape[0], w0.shape[1]});
  for (size_t r = 0; r < tokens; ++r) {
    double s0 = 0, s1 = 0;
    for (size_t k = 0; k < d; ++k) {
      s0 += x.get(r * d + k) * wg.get(k * 2 + 0);
      s1 += x.get(r * d + k) * wg.get(k * 2 + 1);
    }
    const double g1 = 1.0 / (1.0 + std::exp(s0 - s1));  // softmax over two scores
    const double g0 = 1.0 - g1;
    for (size_t j = 0; j < n; ++j) {
      double a = 0, b = 0;
      for (size_t k = 0; k < d; ++k) {
        a += x.get(r * d + k) * w0.get(k * n + j);
        b += x.get(r * d + k) * w1.get(k * n + j);
      }
      y.set(r * n + j, g0 * gelu(a) + g1 * silu(b));
    }
  }
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
