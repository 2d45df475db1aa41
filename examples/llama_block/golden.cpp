// Independent reference for examples/llama_block: one decoder block in double, with the
// f16 roundings the kernels perform (normalised activations, q/k/v, probabilities,
// attention output, MLP activation, Y) mimicked by f16ToDouble(f16FromDouble(v)). H is stored in
// f32, so it is rounded to f32.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "Golden.h"
#include "Matmul.h"

namespace pto::wsp::golden {
namespace {

constexpr int kSeq = 128, kModel = 128, kHeads = 2, kHeadDim = 64, kHidden = 256;
constexpr double kEps = 1e-6;

using Mat = std::vector<double>;  // row-major

double roundF16(double v) { return f16ToDouble(f16FromDouble(v)); }
void roundAllF16(Mat& m) {
  for (double& v : m) v = roundF16(v);
}

// x / sqrt(mean(x^2) + eps) * w per row, then f16 as the kernels cast before the matmuls
Mat rmsnormF16(const Mat& x, const Mat& w) {
  Mat y(x.size());
  for (int i = 0; i < kSeq; ++i) {
    double ms = 0;
    for (int c = 0; c < kModel; ++c) ms += x[i * kModel + c] * x[i * kModel + c];
    const double r = 1.0 / std::sqrt(ms / kModel + kEps);
    for (int c = 0; c < kModel; ++c) y[i * kModel + c] = x[i * kModel + c] * r * w[c];
  }
  roundAllF16(y);
  return y;
}

// Causal attention of one head: columns [hd*64, hd*64+64) of q/k/v -> same columns of a.
// Scores and P V are matmuls of the head's columns (each dot product still summed in
// index order).
void attentionHead(const Mat& q, const Mat& k, const Mat& v, const Mat& mask, int hd, Mat& a) {
  const int c0 = hd * kHeadDim;
  Mat qh(static_cast<size_t>(kSeq) * kHeadDim), kt(qh.size()), vh(qh.size());  // kt: K_h transposed
  for (int i = 0; i < kSeq; ++i)
    for (int c = 0; c < kHeadDim; ++c) {
      qh[i * kHeadDim + c] = q[i * kModel + c0 + c];
      kt[c * kSeq + i] = k[i * kModel + c0 + c];
      vh[i * kHeadDim + c] = v[i * kModel + c0 + c];
    }
  Mat p = matmul(qh, kt, kSeq, kHeadDim, kSeq);
  for (int i = 0; i < kSeq; ++i) {
    double* pi = p.data() + static_cast<size_t>(i) * kSeq;
    double mx = -INFINITY;
    for (int j = 0; j < kSeq; ++j) {
      pi[j] = pi[j] / std::sqrt(static_cast<double>(kHeadDim)) + mask[i * kSeq + j];
      mx = std::max(mx, pi[j]);
    }
    double sum = 0;
    for (int j = 0; j < kSeq; ++j) sum += (pi[j] = std::exp(pi[j] - mx));
    for (int j = 0; j < kSeq; ++j) pi[j] = roundF16(pi[j] / sum);
  }
  const Mat ah = matmul(p, vh, kSeq, kSeq, kHeadDim);
  for (int i = 0; i < kSeq; ++i)
    for (int c = 0; c < kHeadDim; ++c) a[i * kModel + c0 + c] = ah[i * kHeadDim + c];
}

TensorSet compute(const TensorSet& in) {
  auto get = [&](const char* name) { return in.at(name).toDoubles(); };
  const Mat x = get("X"), mask = get("Mask");
  const Mat xn = rmsnormF16(x, get("Wn1"));
  Mat q = matmul(xn, get("Wq"), kSeq, kModel, kModel);
  Mat k = matmul(xn, get("Wk"), kSeq, kModel, kModel);
  Mat v = matmul(xn, get("Wv"), kSeq, kModel, kModel);
  roundAllF16(q);
  roundAllF16(k);
  roundAllF16(v);
  Mat a(static_cast<size_t>(kSeq) * kModel);
  for (int hd = 0; hd < kHeads; ++hd) attentionHead(q, k, v, mask, hd, a);
  roundAllF16(a);
  Mat h = matmul(a, get("Wo"), kSeq, kModel, kModel);
  for (size_t i = 0; i < h.size(); ++i) h[i] += x[i];
  for (double& e : h) e = static_cast<float>(e);
  const Mat hn = rmsnormF16(h, get("Wn2"));
  const Mat g = matmul(hn, get("Wg"), kSeq, kModel, kHidden);
  const Mat u = matmul(hn, get("Wu"), kSeq, kModel, kHidden);
  Mat act(g.size());
  for (size_t i = 0; i < g.size(); ++i) act[i] = g[i] / (1.0 + std::exp(-g[i])) * u[i];
  roundAllF16(act);
  const Mat dn = matmul(act, get("Wd"), kSeq, kHidden, kModel);
  Mat yv(dn.size());
  for (size_t i = 0; i < dn.size(); ++i) yv[i] = h[i] + dn[i];
  HostTensor y = HostTensor::make("f16", {kSeq, kModel});
  y.assign(yv);
  return {{"Y", y}};
}

// Weights scaled by 1/sqrt(fan_in) (as a trained model's are, roughly): with raw
// uniform [-1, 1) weights the attention scores would have a standard deviation of ~14
// and the check would measure f16 noise amplified by a near-argmax softmax. The mask
// is the causal one: 0 on and below the diagonal, -inf above.
void prepare(TensorSet& in) {
  auto scale = [&](const char* name, double s) {
    HostTensor& t = in.at(name);
    Mat v = t.toDoubles();
    for (double& e : v) e *= s;
    t.assign(v);
  };
  for (const char* w : {"Wq", "Wk", "Wv", "Wo", "Wg", "Wu"}) scale(w, 1.0 / std::sqrt(double{kModel}));
  scale("Wd", 1.0 / std::sqrt(double{kHidden}));
  Mat mask(static_cast<size_t>(kSeq) * kSeq);
  for (int i = 0; i < kSeq; ++i)
    for (int j = 0; j < kSeq; ++j) mask[static_cast<size_t>(i) * kSeq + j] = j <= i ? 0.0 : -INFINITY;
  in.at("Mask").assign(mask);
}

// Cycles and tolerance: derived in examples/llama_block/README.md.
const Registrar reg({.module = "llama_block",
                     .arch = "ascend910b",
                     .expectedCycles = 34238,
                     .tol = {.rtol = 2e-3, .atol = 2e-3},
                     .prepare = prepare,
                     .compute = compute,
                     .readme = "examples/llama_block/README.md"});

}  // namespace
}  // namespace pto::wsp::golden
