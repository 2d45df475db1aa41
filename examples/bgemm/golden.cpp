// Independent reference for examples/bgemm: C[b] = A[b] x B[b] (f16 inputs, exact double
// accumulation, f32 result). Cycles: examples/bgemm/README.md, "Cycles by hand".
#include <cstddef>
#include <vector>

#include "Golden.h"
#include "Matmul.h"

namespace pto::wsp::golden {
namespace {

TensorSet compute(const TensorSet& in) {
  const HostTensor& a = in.at("A");
  const HostTensor& b = in.at("B");
  const size_t batches = static_cast<size_t>(a.shape[0]);
  const size_t m = static_cast<size_t>(a.shape[1]);
  const size_t k = static_cast<size_t>(a.shape[2]);
  const size_t n = static_cast<size_t>(b.shape[2]);
  HostTensor c = HostTensor::make("f32", {a.shape[0], a.shape[1], b.shape[2]});
  // Decoded once, not per use in the inner loop.
  const std::vector<double> av = a.toDoubles(), bv = b.toDoubles();
  std::vector<double> cv;
  cv.reserve(batches * m * n);
  for (size_t bi = 0; bi < batches; ++bi) {
    const auto slice = [](const std::vector<double>& v, size_t at, size_t len) {
      return std::vector<double>(v.begin() + static_cast<std::ptrdiff_t>(at),
                                 v.begin() + static_cast<std::ptrdiff_t>(at + len));
    };
    const std::vector<double> cb = matmul(slice(av, bi * m * k, m * k), slice(bv, bi * k * n, k * n), m, k, n);
    cv.insert(cv.end(), cb.begin(), cb.end());
  }
  c.assign(cv);
  return {{"C", c}};
}

// README: worker 7 runs groups 7 and 15 back to back, 14095 cycles each, from the
// issue of group 7's zero task at 6480: 6480 + 2 * 14095 = 34670.
const Registrar reg({.module = "bgemm",
                     .arch = "ascend910b",
                     .expectedCycles = 34670,
                     .tol = {.rtol = 0, .atol = 4e-3},
                     .prepare = {},
                     .compute = compute,
                     .readme = "examples/bgemm/README.md"});

}  // namespace
}  // namespace pto::wsp::golden
