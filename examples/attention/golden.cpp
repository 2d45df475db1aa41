// Independent reference for examples/attention: O[h] = softmax(Q[h] K[h]^T / 8) V[h] in
// double, with the two f16 roundings the kernel performs (probabilities before the
// second matmul, the output) mimicked through HostTensor::set.
#include <algorithm>
#include <cmath>
#include <vector>

#include "Golden.h"

namespace pto::wsp::golden {
namespace {

constexpr int kHeads = 2, kSeq = 128, kDim = 64;

double roundF16(double v) { return f16ToDouble(f16FromDouble(v)); }

TensorSet compute(const TensorSet& in) {
  const std::vector<double> q = in.at("Q").toDoubles();
  const std::vector<double> k = in.at("K").toDoubles();
  const std::vector<double> v = in.at("V").toDoubles();
  HostTensor o = HostTensor::make("f16", {kHeads, kSeq, kDim});
  const double scale = 1.0 / std::sqrt(static_cast<double>(kDim));
  std::vector<double> p(kSeq);
  for (int h = 0; h < kHeads; ++h) {
    const size_t base = static_cast<size_t>(h) * kSeq * kDim;
    for (int i = 0; i < kSeq; ++i) {
      double mx = -INFINITY;
      for (int j = 0; j < kSeq; ++j) {
        double s = 0;
        for (int c = 0; c < kDim; ++c) s += q[base + i * kDim + c] * k[base + j * kDim + c];
        p[j] = s * scale;
        mx = std::max(mx, p[j]);
      }
      double sum = 0;
      for (int j = 0; j < kSeq; ++j) sum += (p[j] = std::exp(p[j] - mx));
      for (int j = 0; j < kSeq; ++j) p[j] = roundF16(p[j] / sum);
      for (int c = 0; c < kDim; ++c) {
        double acc = 0;
        for (int j = 0; j < kSeq; ++j) acc += p[j] * v[base + j * kDim + c];
        o.set(base + i * kDim + c, acc);
      }
    }
  }
  return {{"O", o}};
}

// Cycles and tolerance: derived in examples/attention/README.md.
const Registrar reg({.module = "attention",
                     .arch = "ascend910b",
                     .expectedCycles = 11164,
                     .tol = {.rtol = 2e-3, .atol = 2e-4},
                     .prepare = {},
                     .compute = compute,
                     .readme = "examples/attention/README.md"});

}  // namespace
}  // namespace pto::wsp::golden
