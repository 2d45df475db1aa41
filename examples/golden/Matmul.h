// Matrix product for the golden references (examples/<name>/golden.cpp), plain C++
// like the rest of examples/golden: no PTO-WSP headers, no tile library.
#pragma once

#include <cstddef>
#include <vector>

namespace pto::wsp::golden {

// c[n x m] = a[n x k] * b[k x m] in double, row-major. Every element is summed over p
// in ascending order from 0, so it is bit-identical to the textbook triple loop; the
// loop is blocked over columns so it runs from registers (references multiply matrices
// of 10^5 elements on every run).
std::vector<double> matmul(const std::vector<double>& a, const std::vector<double>& b, size_t n, size_t k, size_t m);

}  // namespace pto::wsp::golden
