// Independent reference for examples/moe, in double: per block of 16 tokens the gate
// score of expert e is sum over the block's rows of (x Wg)[row, e]; the larger one wins
// (top-1) and the block's output is gelu(x W0) (expert 0) or silu(x W1) (expert 1).
// prepare() pins the routing to expert t % 2 for block t with a clear score margin, so
// both experts run, f32 rounding in the kernel can never flip a near-tie, and the cycle
// count (which depends on the routing) is fixed. Cycles: examples/moe/README.md.
#include <cmath>
#include <cstddef>
#include <cstdlib>
#include <vector>

#include "Golden.h"
#include "Matmul.h"

namespace pto::wsp::golden {
namespace {

constexpr size_t kBlock = 16;      // tokens per gate decision (Tile[16, 128] of the gate)
constexpr double kMargin = 0.25;   // README: >> the kernel's worst-case f32 score error

// score(e) of block t: sum_r sum_k x[r, k] * wg[k, e] (x and wg as doubles, row-major).
double blockScore(const std::vector<double>& x, const std::vector<double>& wg, size_t d, size_t t, size_t e) {
  double s = 0;
  for (size_t r = t * kBlock; r < (t + 1) * kBlock; ++r)
    for (size_t k = 0; k < d; ++k) s += x[r * d + k] * wg[k * 2 + e];
  return s;
}

// Block t should pick expert t % 2 by at least kMargin. If it does not, give every x of
// the block the sign of (wg[k, want] - wg[k, other]): the gap becomes
// sum |x| |wg[k, want] - wg[k, other]|, hundreds for uniform data.
void prepare(TensorSet& in) {
  HostTensor& xt = in.at("X");
  const std::vector<double> wg = in.at("Wg").toDoubles();
  std::vector<double> x = xt.toDoubles();
  const size_t d = static_cast<size_t>(xt.shape[1]);
  const size_t blocks = static_cast<size_t>(xt.shape[0]) / kBlock;
  for (size_t t = 0; t < blocks; ++t) {
    const size_t want = t % 2, other = 1 - want;
    if (blockScore(x, wg, d, t, want) - blockScore(x, wg, d, t, other) >= kMargin) continue;
    for (size_t r = t * kBlock; r < (t + 1) * kBlock; ++r)
      for (size_t k = 0; k < d; ++k) {
        const double c = wg[k * 2 + want] - wg[k * 2 + other];
        const double v = std::fabs(x[r * d + k]);
        x[r * d + k] = c >= 0 ? v : -v;
      }
  }
  xt.assign(x);
}

double gelu(double v) { return 0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0))); }
double silu(double v) { return v / (1.0 + std::exp(-v)); }

TensorSet compute(const TensorSet& in) {
  const HostTensor& xt = in.at("X");
  const std::vector<double> x = xt.toDoubles();
  const std::vector<double> wg = in.at("Wg").toDoubles();
  const std::vector<double> w[2] = {in.at("W0").toDoubles(), in.at("W1").toDoubles()};
  const size_t tokens = static_cast<size_t>(xt.shape[0]);
  const size_t d = static_cast<size_t>(xt.shape[1]);
  const int64_t n64 = in.at("W0").shape[1];
  const size_t n = static_cast<size_t>(n64);
  std::vector<double> yv(tokens * n);
  for (size_t t = 0; t < tokens / kBlock; ++t) {
    // topk(desc, k = 1): the larger score wins (prepare() rules out ties).
    const size_t e = blockScore(x, wg, d, t, 1) > blockScore(x, wg, d, t, 0) ? 1 : 0;
    const std::vector<double> xb(x.begin() + static_cast<std::ptrdiff_t>(t * kBlock * d),
                                 x.begin() + static_cast<std::ptrdiff_t>((t + 1) * kBlock * d));
    const std::vector<double> a = matmul(xb, w[e], kBlock, d, n);
    for (size_t i = 0; i < a.size(); ++i) yv[t * kBlock * n + i] = e == 0 ? gelu(a[i]) : silu(a[i]);
  }
  HostTensor y = HostTensor::make("f32", {xt.shape[0], n64});
  y.assign(yv);
  return {{"Y", y}};
}

// README: routing e0, e1, e0, e1; 5842 + (1891 + 3875) + (1891 + 4131) + (1891 + 3875).
const Registrar reg({.module = "moe",
                     .arch = "ascend910b",
                     .expectedCycles = 23396,
                     .tol = {.rtol = 1e-5, .atol = 1e-3},
                     .prepare = prepare,
                     .compute = compute,
                     .readme = "examples/moe/README.md"});

}  // namespace
}  // namespace pto::wsp::golden
