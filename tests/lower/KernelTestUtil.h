// Test helper: builds verified-shape kernel IR by hand (lower_tests must not link the api
// layer's builder). Result types come from ir::inferTileOpTypes, so every TileInst carries
// the resultTypes the verifier would require.
#pragma once

#include "pto/wsp/ir/Kernel.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace pto::wsp::lower::test {

using ir::Broadcast;
using ir::DType;
using ir::ParamDir;
using ir::ScalarOperand;
using ir::TileOpKind;
using ir::TileType;

class KernelMaker {
 public:
  explicit KernelMaker(std::string name) : name_(std::move(name)) {}

  KernelMaker& tile(const std::string& n, ParamDir d, TileType t) {
    params_.push_back(ir::KernelParam::makeTile(n, d, t));
    ptypes_[n] = t;
    return *this;
  }
  KernelMaker& scalar(const std::string& n, DType t) {
    params_.push_back(ir::KernelParam::makeScalar(n, t));
    return *this;
  }

  std::string load(const std::string& p) {
    ir::TileInst i;
    i.op = TileOpKind::Load;
    i.param = p;
    return emit(std::move(i)).at(0);
  }
  void store(const std::string& p, const std::string& v) {
    ir::TileInst i;
    i.op = TileOpKind::Store;
    i.param = p;
    i.operands = {v};
    emit(std::move(i));
  }
  std::string op(TileOpKind k, std::vector<std::string> operands, Broadcast bc = Broadcast::None) {
    ir::TileInst i;
    i.op = k;
    i.operands = std::move(operands);
    i.broadcast = bc;
    return emit(std::move(i)).at(0);
  }
  std::string opScalar(TileOpKind k, const std::string& a, ScalarOperand s) {
    ir::TileInst i;
    i.op = k;
    i.operands = {a};
    i.broadcast = Broadcast::Scalar;
    i.scalar = std::move(s);
    return emit(std::move(i)).at(0);
  }
  // cast / fill / iota: the declared type is the target.
  std::string typed(TileOpKind k, std::vector<std::string> operands, TileType declared,
                    std::optional<ScalarOperand> s = std::nullopt) {
    ir::TileInst i;
    i.op = k;
    i.operands = std::move(operands);
    i.resultTypes = {declared};
    i.scalar = std::move(s);
    return emit(std::move(i)).at(0);
  }
  std::string sort(const std::string& a, bool desc) {
    ir::TileInst i;
    i.op = TileOpKind::Sort;
    i.operands = {a};
    i.descending = desc;
    return emit(std::move(i)).at(0);
  }
  std::pair<std::string, std::string> topk(const std::string& a, int64_t k, bool desc) {
    ir::TileInst i;
    i.op = TileOpKind::TopK;
    i.operands = {a};
    i.k = k;
    i.descending = desc;
    std::vector<std::string> r = emit(std::move(i));
    return {r.at(0), r.at(1)};
  }

  ir::Kernel build() const { return ir::Kernel::make(name_, params_, body_); }

 private:
  std::vector<std::string> emit(ir::TileInst i) {
    const size_t nres = i.op == TileOpKind::TopK ? 2 : (ir::tileOpInfo(i.op).hasResult ? 1 : 0);
    i.results.clear();
    for (size_t n = 0; n < nres; ++n) i.results.push_back(fmt::format("v{}", next_++));
    std::vector<TileType> ops;
    for (const std::string& o : i.operands) ops.push_back(vtypes_.at(o));
    const TileType* pt = i.param.empty() ? nullptr : &ptypes_.at(i.param);
    auto r = ir::inferTileOpTypes(i, ops, pt);
    if (auto* e = std::get_if<ir::OpTypeError>(&r)) throw std::logic_error("test kernel broken: " + e->message);
    const auto& types = std::get<std::vector<TileType>>(r);
    i.resultTypes = types;
    for (size_t n = 0; n < types.size(); ++n) vtypes_[i.results.at(n)] = types[n];
    body_.push_back(i);
    return i.results;
  }

  std::string name_;
  std::vector<ir::KernelParam> params_;
  std::vector<ir::TileInst> body_;
  std::map<std::string, TileType> ptypes_, vtypes_;
  int next_ = 0;
};

}  // namespace pto::wsp::lower::test

#include "pto/wsp/ir/Module.h"
#include "pto/wsp/ir/text/Parser.h"

#include <filesystem>
#include <fstream>
#include <sstream>

namespace pto::wsp::lower::test {

// Every kernel of every examples/*/*.wsp (sorted by path). Throws UserError on parse errors.
inline std::vector<ir::Kernel> exampleKernels() {
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::recursive_directory_iterator(std::filesystem::path(PTO_WSP_SOURCE_DIR) / "examples"))
    if (e.path().extension() == ".wsp") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  std::vector<ir::Kernel> out;
  for (const auto& f : files) {
    std::ifstream in(f);
    std::stringstream ss;
    ss << in.rdbuf();
    ir::Module m = ir::text::parse(ss.str(), f.string());
    for (const ir::Kernel& k : m.kernels) out.push_back(k);
  }
  return out;
}

}  // namespace pto::wsp::lower::test
