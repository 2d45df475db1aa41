// Independent reference for examples/flash_decode: plain softmax attention of each
// query row over its KV head's 512 cached tokens in double, with the global max and sum
// taken directly (no partial-state combine, so the example's rescaling is checked, not
// repeated). The kernel's one intermediate f16 rounding, exp(s_j - m_chunk) before the
// PV matmul, depends on the chunk max, so the reference forms that value per chunk of
// 128 tokens, rounds it and scales it by exp(m_chunk - max) afterwards.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

#include "Golden.h"
#include "Matmul.h"

namespace pto::wsp::golden {
namespace {

constexpr int kHeads = 8, kRows = 4, kDim = 64, kLen = 512, kChunk = 128;

double roundF16(double v) { return f16ToDouble(f16FromDouble(v)); }

TensorSet compute(const TensorSet& in) {
  const std::vector<double> q = in.at("Q").toDoubles();
  const std::vector<double> k = in.at("K").toDoubles();
  const std::vector<double> v = in.at("V").toDoubles();
  const double scale = 1.0 / std::sqrt(static_cast<double>(kDim));
  constexpr size_t kKv = static_cast<size_t>(kLen) * kDim, kQ = static_cast<size_t>(kRows) * kDim;
  std::vector<double> out(kHeads * kQ), kt(kKv);
  for (int h = 0; h < kHeads; ++h) {
    const auto slice = [](const std::vector<double>& t, size_t at, size_t len) {
      return std::vector<double>(t.begin() + static_cast<std::ptrdiff_t>(at),
                                 t.begin() + static_cast<std::ptrdiff_t>(at + len));
    };
    const size_t kv = static_cast<size_t>(h) * kKv;
    for (int j = 0; j < kLen; ++j)  // K of the head transposed: the scores are Q K^T
      for (int c = 0; c < kDim; ++c) kt[static_cast<size_t>(c) * kLen + j] = k[kv + static_cast<size_t>(j) * kDim + c];
    // Every dot product below is summed in index order (matmul), as a plain loop would.
    std::vector<double> s = matmul(slice(q, h * kQ, kQ), kt, kRows, kDim, kLen);
    std::vector<double> sums(kRows);
    for (int r = 0; r < kRows; ++r) {
      double* sr = s.data() + static_cast<size_t>(r) * kLen;
      for (int j = 0; j < kLen; ++j) sr[j] *= scale;
      const double mx = *std::max_element(sr, sr + kLen);
      double sum = 0;
      for (int c0 = 0; c0 < kLen; c0 += kChunk) {
        const double mc = *std::max_element(sr + c0, sr + c0 + kChunk);
        const double w = std::exp(mc - mx);  // the combine's rescale factor of this chunk
        for (int j = c0; j < c0 + kChunk; ++j) {
          const double e = std::exp(sr[j] - mc);
          sum += w * e;
          sr[j] = w * roundF16(e);  // the weight of V row j
        }
      }
      sums[r] = sum;
    }
    const std::vector<double> acc = matmul(s, slice(v, kv, kKv), kRows, kLen, kDim);
    for (size_t i = 0; i < kQ; ++i) out[h * kQ + i] = acc[i] / sums[i / kDim];
  }
  HostTensor o = HostTensor::make("f16", {kHeads, kRows, kDim});
  o.assign(out);
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
