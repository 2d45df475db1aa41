// Independent reference for examples/flash_decode: plain softmax attention of each
// query row over its KV head's 512 cached tokens in double, with the global max and sum
// taken directly (no partial-state combine, so the example's rescaling is checked, not
// repeated). The kernel's one intermediate f16 rounding, exp(s_j - m_chunk) before the
// PV matmul, depends on the chunk max, so the reference forms that value per chunk of
// 128 tokens, rounds it and scales it by exp(m_chunk - max) afterwards.
#include <algorithm>
#include <cmath>
#include <vector>

#include "Golden.h"

namespace pto::wsp::golden {
namespace {

constexpr int kHeads = 8, kRows = 4, kDim = 64, kLen = 512, kChunk = 128;

double roundF16(double v) { return f16ToDouble(f16FromDouble(v)); }

TensorSet compute(const TensorSet& in) {
  const std::vector<double> q = in.at("Q").toDoubles();
  const std::vector<double> k = in.at("K").toDoubles();
  const std::vector<double> v = in.at("V").toDoubles();
  HostTensor o = HostTensor::make("f16", {kHeads, kRows, kDim});
  const double scale = 1.0 / std::sqrt(static_cast<double>(kDim));
  std::vector<double> s(kLen);
  for (int h = 0; h < kHeads; ++h) {
    const size_t kv = static_cast<size_t>(h) * kLen * kDim;
    for (int r = 0; r < kRows; ++r) {
      const size_t qi = (static_cast<size_t>(h) * kRows + r) * kDim;
      for (int j = 0; j < kLen; ++j) {
        double dot = 0;
        for (int c = 0; c < kDim; ++c) dot += q[qi + c] * k[kv + static_cast<size_t>(j) * kDim + c];
        s[j] = dot * scale;
      }
      const double mx = *std::max_element(s.begin(), s.end());
      double sum = 0;
      std::vector<double> acc(kDim, 0.0);
      for (int c0 = 0; c0 < kLen; c0 += kChunk) {
        const double mc = *std::max_element(s.begin() + c0, s.begin() + c0 + kChunk);
        const double w = std::exp(mc - mx);  // the combine's rescale factor of this chunk
        for (int j = c0; j < c0 + kChunk; ++j) {
          const double e = std::exp(s[j] - mc);
          sum += w * e;
          const double pe = w * roundF16(e);
          for (int c = 0; c < kDim; ++c) acc[c] += pe * v[kv + static_cast<size_t>(j) * kDim + c];
        }
      }
      for (int c = 0; c < kDim; ++c) o.set(qi + c, acc[c] / sum);
    }
  }
  return {{"O", o}};
}

// Cycles and tolerance: derived in examples/flash_decode/README.md.
const Registrar reg({.module = "flash_decode",
                     .arch = "ascend910b",
                     .expectedCycles = 17136,
                     .tol = {.rtol = 2e-3, .atol = 2e-4},
                     .prepare = {},
                     .compute = compute,
                     .readme = "examples/flash_decode/README.md"});

}  // namespace
}  // namespace pto::wsp::golden
