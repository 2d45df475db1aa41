// Independent reference for examples/moe, in double: per block of 16 tokens the gate
// score of expert e is sum over the block's rows of (x Wg)[row, e]; the larger one wins
// (top-1) and the block's output is gelu(x W0) (expert 0) or silu(x W1) (expert 1).
// prepare() pins the routing to expert t % 2 for block t with a clear score margin, so
// both experts run, f32 rounding in the kernel can never flip a near-tie, and the cycle
// count (which depends on the routing) is fixed. Cycles: examples/moe/README.md.
#include <cmath>
#include <cstdlib>

#include "Golden.h"

namespace pto::wsp::golden {
namespace {

constexpr size_t kBlock = 16;      // tokens per gate decision (Tile[16, 128] of the gate)
constexpr double kMargin = 0.25;   // README: >> the kernel's worst-case f32 score error

// score(e) of block t: sum_r sum_k x[r, k] * wg[k, e].
double blockScore(const HostTensor& x, const HostTensor& wg, size_t t, size_t e) {
  const size_t d = static_cast<size_t>(x.shape[1]);
  double s = 0;
  for (size_t r = t * kBlock; r < (t + 1) * kBlock; ++r)
    for (size_t k = 0; k < d; ++k) s += x.get(r * d + k) * wg.get(k * 2 + e);
  return s;
}

// Block t should pick expert t % 2 by at least kMargin. If it does not, give every x of
// the block the sign of (wg[k, want] - wg[k, other]): the gap becomes
// sum |x| |wg[k, want] - wg[k, other]|, hundreds for uniform data.
void prepare(TensorSet& in) {
  HostTensor& x = in.at("X");
  const HostTensor& wg = in.at("Wg");
  const size_t d = static_cast<size_t>(x.shape[1]);
  const size_t blocks = static_cast<size_t>(x.shape[0]) / kBlock;
  for (size_t t = 0; t < blocks; ++t) {
    const size_t want = t % 2, other = 1 - want;
    if (blockScore(x, wg, t, want) - blockScore(x, wg, t, other) >= kMargin) continue;
    for (size_t r = t * kBlock; r < (t + 1) * kBlock; ++r)
      for (size_t k = 0; k < d; ++k) {
        const double c = wg.get(k * 2 + want) - wg.get(k * 2 + other);
        const double v = std::fabs(x.get(r * d + k));
        x.set(r * d + k, c >= 0 ? v : -v);
      }
  }
}

double gelu(double v) { return 0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0))); }
double silu(double v) { return v / (1.0 + std::exp(-v)); }

TensorSet compute(const TensorSet& in) {
  const HostTensor& x = in.at("X");
  const HostTensor& wg = in.at("Wg");
  const HostTensor* w[2] = {&in.at("W0"), &in.at("W1")};
  const size_t tokens = static_cast<size_t>(x.shape[0]);
  const size_t d = static_cast<size_t>(x.shape[1]);
  const size_t n = static_cast<size_t>(w[0]->shape[1]);
  HostTensor y = HostTensor::make("f32", {x.shape[0], w[0]->shape[1]});
  for (size_t t = 0; t < tokens / kBlock; ++t) {
    // topk(desc, k = 1): the larger score wins (prepare() rules out ties).
    const size_t e = blockScore(x, wg, t, 1) > blockScore(x, wg, t, 0) ? 1 : 0;
    for (size_t r = t * kBlock; r < (t + 1) * kBlock; ++r)
      for (size_t j = 0; j < n; ++j) {
        double a = 0;
        for (size_t k = 0; k < d; ++k) a += x.get(r * d + k) * w[e]->get(k * n + j);
        y.set(r * n + j, e == 0 ? gelu(a) : silu(a));
      }
  }
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
