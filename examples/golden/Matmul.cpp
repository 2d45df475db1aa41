// The references' matmul (Matmul.h).
#include "Matmul.h"

#include <stdexcept>
#include <string>

namespace pto::wsp::golden {

std::vector<double> matmul(const std::vector<double>& a, const std::vector<double>& b, size_t n, size_t k, size_t m) {
  if (a.size() != n * k || b.size() != k * m)
    throw std::invalid_argument("golden: matmul of " + std::to_string(a.size()) + " and " + std::to_string(b.size()) +
                                " elements as " + std::to_string(n) + "x" + std::to_string(k) + " * " +
                                std::to_string(k) + "x" + std::to_string(m));
  std::vector<double> c(n * m);
  // Two rows by eight columns of c in named accumulators (16 doubles: 8 SSE2 registers),
  // so each loaded element of b serves two rows and nothing is stored until the end; an
  // array of accumulators would live in memory at -O2.
  const auto rows = [&](size_t i, size_t r) {  // r = 1 or 2 rows starting at row i
    const double* a0 = a.data() + i * k;
    const double* a1 = a.data() + (i + r - 1) * k;
    double* c0 = c.data() + i * m;
    double* c1 = c.data() + (i + r - 1) * m;
    size_t j = 0;
    for (; j + 8 <= m; j += 8) {
      double x0 = 0, x1 = 0, x2 = 0, x3 = 0, x4 = 0, x5 = 0, x6 = 0, x7 = 0;
      double y0 = 0, y1 = 0, y2 = 0, y3 = 0, y4 = 0, y5 = 0, y6 = 0, y7 = 0;
      const double* bp = b.data() + j;
      for (size_t p = 0; p < k; ++p, bp += m) {
        const double u = a0[p], v = a1[p];
        x0 += u * bp[0], x1 += u * bp[1], x2 += u * bp[2], x3 += u * bp[3];
        x4 += u * bp[4], x5 += u * bp[5], x6 += u * bp[6], x7 += u * bp[7];
        y0 += v * bp[0], y1 += v * bp[1], y2 += v * bp[2], y3 += v * bp[3];
        y4 += v * bp[4], y5 += v * bp[5], y6 += v * bp[6], y7 += v * bp[7];
      }
      // Row i + 1 (or row i again when r == 1, the same values) first, then row i.
      c1[j] = y0, c1[j + 1] = y1, c1[j + 2] = y2, c1[j + 3] = y3;
      c1[j + 4] = y4, c1[j + 5] = y5, c1[j + 6] = y6, c1[j + 7] = y7;
      c0[j] = x0, c0[j + 1] = x1, c0[j + 2] = x2, c0[j + 3] = x3;
      c0[j + 4] = x4, c0[j + 5] = x5, c0[j + 6] = x6, c0[j + 7] = x7;
    }
    for (; j < m; ++j) {
      double x = 0, y = 0;
      for (size_t p = 0; p < k; ++p) {
        x += a0[p] * b[p * m + j];
        y += a1[p] * b[p * m + j];
      }
      c1[j] = y;
      c0[j] = x;
    }
  };
  size_t i = 0;
  for (; i + 2 <= n; i += 2) rows(i, 2);
  if (i < n) rows(i, 1);
  return c;
}

}  // namespace pto::wsp::golden
