#include "pto/wsp/ir/Tensor.h"

#include "pto/wsp/support/Assert.h"

#include <fmt/format.h>

namespace pto::wsp::ir {

std::string_view tensorRoleName(TensorRole r) {
  switch (r) {
    case TensorRole::Input:
      return "input";
    case TensorRole::Output:
      return "output";
    case TensorRole::InOut:
      return "inout";
    case TensorRole::Temp:
      return "temp";
  }
  return "input";
}

std::optional<TensorRole> parseTensorRole(std::string_view s) {
  for (TensorRole r : {TensorRole::Input, TensorRole::Output, TensorRole::InOut, TensorRole::Temp})
    if (tensorRoleName(r) == s) return r;
  return std::nullopt;
}

std::string DimDist::str() const {
  return kind == Kind::Replicated ? std::string("R") : fmt::format("S({})", meshAxis);
}

Tensor Tensor::make(std::string name, std::vector<Expr> shape, DType dtype, TensorRole role, SourceLoc loc) {
  PTO_INTERNAL_ASSERT(!name.empty(), "tensor with empty name");
  for (const Expr& d : shape) PTO_INTERNAL_ASSERT(d.defined(), "tensor '{}': undefined dim", name);
  Tensor t;
  t.name = std::move(name);
  t.shape = std::move(shape);
  t.dtype = dtype;
  t.role = role;
  t.loc = std::move(loc);
  return t;
}

std::optional<std::vector<int64_t>> Tensor::staticShape(const Env& env) const {
  std::vector<int64_t> out;
  for (const Expr& d : shape) {
    auto a = affineForm(d, env);
    if (!a || !a->coeffs.empty()) return std::nullopt;
    out.push_back(a->constant);
  }
  return out;
}

std::string Tensor::shapeStr() const {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += toString(shape[i]);
  }
  return s + "] " + std::string(dtypeName(dtype));
}

bool operator==(const Tensor& a, const Tensor& b) {
  return a.name == b.name && a.shape == b.shape && a.dtype == b.dtype && a.role == b.role && a.dist == b.dist &&
         a.strides == b.strides && a.dimOrder == b.dimOrder;
}

}  // namespace pto::wsp::ir
