// Independent reference for examples/attention: O[h] = softmax(Q[h] K[h]^T / 8) V[h] in
// double, with the two f16 roundings the kernel performs (probabilities before the
// second matmul, the output) mimicked by the f16 store (HostTensor::assign).
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

#include "Golden.h"
#include "Matmul.h"

namespace pto::wsp::golden {
namespace {

constexpr int kHeads = 2, kSeq = 128, kDim = 64;

double roundF16(double v) { return f16ToDouble(f16FromDouble(v)); }

TensorSet compute(const TensorSet& in) {
  const std::vector<double> q = in.at("Q").toDoubles();
  const std::vector<double> k = in.at("K").toDoubles();
  const std::vector<double> v = in.at("V").toDoubles();
  const double scale = 1.0 / std::sqrt(static_cast<double>(kDim));
  constexpr size_t kHead = static_cast<size_t>(kSeq) * kDim;  // elements of one head
  std::vector<double> out(kHeads * kHead);
  for (int h = 0; h < kHeads; ++h) {
    const auto head = [&](const std::vector<double>& t) {
      return std::vector<double>(t.begin() + static_cast<std::ptrdiff_t>(h * kHead),
                                 t.begin() + static_cast<std::ptrdiff_t>((h + 1) * kHead));
    };
    const std::vector<double> qh = head(q), vh = head(v);
    std::vector<double> kt(kHead);  // K of the head transposed: scores are Q K^T
    for (int j = 0; j < kSeq; ++j)
      for (int c = 0; c < kDim; ++c) kt[c * kSeq + j] = k[h * kHead + j * kDim + c];
    std::vector<double> p = matmul(qh, kt, kSeq, kDim, kSeq);  // each dot summed in index order
    for (int i = 0; i < kSeq; ++i) {
      double* pi = p.data() + static_cast<size_t>(i) * kSeq;
      double mx = -INFINITY;
      for (int j = 0; j < kSeq; ++j) mx = std::max(mx, pi[j] = pi[j] * scale);
      double sum = 0;
      for (int j = 0; j < kSeq; ++j) sum += (pi[j] = std::exp(pi[j] - mx));
      for (int j = 0; j < kSeq; ++j) pi[j] = roundF16(pi[j] / sum);
    }
    const std::vector<double> oh = matmul(p, vh, kSeq, kSeq, kDim);
    std::copy(oh.begin(), oh.end(), out.begin() + static_cast<std::ptrdiff_t>(h * kHead));
  }
  HostTensor o = HostTensor::make("f16", {kHeads, kSeq, kDim});
  o.assign(out);
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
