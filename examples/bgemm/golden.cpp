// Independent reference for examples/bgemm: C[b] = A[b] x B[b] (f16 inputs, exact double
// accumulation, f32 result). Cycles: examples/bgemm/README.md, "Cycles by hand".
#include "Golden.h"

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
  for (size_t bi = 0; bi < batches; ++bi)
    for (size_t i = 0; i < m; ++i)
      for (size_t j = 0; j < n; ++j) {
        double acc = 0;
        for (size_t p = 0; p < k; ++p) acc += av[(bi * m + i) * k + p] * bv[(bi * k + p) * n + j];
        c.set((bi * m + i) * n + j, acc);
      }
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
