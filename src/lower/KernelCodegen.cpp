#include "pto/wsp/lower/KernelCodegen.h"

#include "KernelDefUse.h"
#include "MatmulStream.h"

#include "pto/wsp/cost/KernelCost.h"
#include "pto/wsp/support/Assert.h"
#include "pto/wsp/support/Hash.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <fstream>
#include <map>
#include <sstream>
#include <vector>

namespace pto::wsp::lower {

using ir::DType;
using ir::TileInst;
using ir::TileOpKind;
using ir::TileType;

namespace {

bool isIdentChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// Characters outside [A-Za-z0-9_] -> '_'.
std::string identPart(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) out.push_back(isIdentChar(c) ? c : '_');
  return out;
}

// Text safe inside a // comment: no line breaks, no trailing backslash (line splice).
std::string commentSafe(std::string_view s) {
  std::string out;
  for (char c : s) out.push_back(static_cast<unsigned char>(c) < 0x20 ? '?' : c);
  if (!out.empty() && out.back() == '\\') out.push_back('.');
  return out;
}

std::string_view cppType(DType t) {
  switch (t) {
    case DType::F16: return "pto::tile::f16";
    case DType::BF16: return "pto::tile::bf16";
    case DType::F32: return "float";
    case DType::F64: return "double";
    case DType::I8: return "int8_t";
    case DType::I16: return "int16_t";
    case DType::I32: return "int32_t";
    case DType::I64: return "int64_t";
    case DType::U8: return "uint8_t";
    case DType::U16: return "uint16_t";
    case DType::U32: return "uint32_t";
    case DType::U64: return "uint64_t";
    case DType::Bool: return "uint8_t";  // one byte, 0 = false (docs/lowering.md)
  }
  PTO_UNREACHABLE("unknown dtype {}", static_cast<int>(t));
}

std::string tileCppType(const TileType& t) {
  return fmt::format("pto::tile::Tile<{}, {}, {}>", cppType(t.dtype), t.rows, t.cols);
}

bool tileLibUnaryDType(DType t) { return t == DType::F32 || t == DType::F16 || t == DType::BF16; }

std::string valueName(std::string_view ssa) {
  return ssa.starts_with('%') ? std::string(ssa) : "%" + std::string(ssa);
}

// One-line IR spelling of an op (the .wsp form), for the comment above its call.
std::string describe(const TileInst& inst) {
  const ir::TileOpInfo& info = ir::tileOpInfo(inst.op);
  std::string s;
  for (size_t i = 0; i < inst.results.size(); ++i) s += (i ? ", " : "") + valueName(inst.results[i]);
  if (!s.empty()) s += " = ";
  s += info.name;
  if (ir::isBinaryElementwise(inst.op) && inst.broadcast != ir::Broadcast::None)
    s += "." + std::string(ir::broadcastName(inst.broadcast));
  std::vector<std::string> items;
  if (!inst.param.empty()) items.push_back(inst.param);
  for (const std::string& o : inst.operands) items.push_back(valueName(o));
  if (inst.scalar) items.push_back(inst.scalar->isParam() ? inst.scalar->param : ir::toString(inst.scalar->value));
  if (inst.descending) items.push_back("desc");
  if (inst.op == TileOpKind::TopK) items.push_back(fmt::format("k = {}", inst.k));
  for (size_t i = 0; i < items.size(); ++i) s += (i ? ", " : " ") + items[i];
  if (!inst.resultTypes.empty()) {
    s += " :";
    for (size_t i = 0; i < inst.resultTypes.size(); ++i) s += (i ? ", " : " ") + inst.resultTypes[i].str();
  }
  return commentSafe(s);
}

// C++ literal of a constant scalar operand (integers exact, floats shortest round-trip).
std::string constantLiteral(const ir::Expr& e) {
  if (std::optional<int64_t> v = ir::asConstInt(e)) {
    if (*v == INT64_MIN) return "(-INT64_C(9223372036854775807) - 1)";
    return fmt::format("INT64_C({})", *v);
  }
  const double v = ir::evalExprF(e, {});
  if (std::isnan(v)) return "std::numeric_limits<double>::quiet_NaN()";
  if (std::isinf(v)) return v > 0 ? "std::numeric_limits<double>::infinity()" : "-std::numeric_limits<double>::infinity()";
  std::string s = fmt::format("{}", v);
  if (s.find_first_of(".eE") == std::string::npos) s += ".0";
  return s;
}

class Emitter {
 public:
  Emitter(const ir::Kernel& k, const CodegenOptions& opts, const cost::CycleReport& rep)
      : k_(k), opts_(opts), rep_(rep) {}

  std::string run();

 private:
  void header();
  void entry();
  void decodeParams();
  void op(size_t index, const TileInst& inst);
  void planStreams();
  bool streamedStore(size_t index, const TileInst& inst);
  std::string declare(const std::string& ssa, const TileType& t);
  const std::string& use(const std::string& ssa) const;
  const TileType& typeOf(const std::string& ssa) const;
  std::string scalar(const TileInst& inst, const TileType& target) const;
  void line(std::string_view s) { out_ += "  "; out_ += s; out_ += '\n'; }

  const ir::Kernel& k_;
  const CodegenOptions& opts_;
  const cost::CycleReport& rep_;
  std::string out_;
  std::string symbol_;
  std::map<std::string, std::string, std::less<>> paramVar_;  // param name -> C++ local
  std::map<std::string, std::pair<std::string, TileType>, std::less<>> values_;  // SSA -> local, type
  size_t nextLocal_ = 0;
  uint32_t numArgs_ = 0;
  // Streamed chains (planStreams): store index -> the elementwise op it stores, and every
  // load / op index whose code that store's call replaces -> that store index.
  std::map<size_t, size_t> streamOpOf_;
  std::map<size_t, size_t> streamedInto_;
  // Matmul chains (MatmulStream.h): store index -> its chain.
  std::map<size_t, detail::MatmulStream> matmulStreamOf_;
};

void Emitter::header() {
  out_ += fmt::format("// Generated by PTO-WSP (lower::emitCpuKernel, target {}). Do not edit.\n", opts_.target);
  out_ += fmt::format("// kernel '{}' -> {}, {}\n", commentSafe(k_.name), symbol_, cyclesSymbol(k_.name));
  std::string sig;
  for (const ir::KernelParam& p : k_.params)
    sig += (sig.empty() ? "" : ", ") + fmt::format("{} : {}", p.name, p.typeStr());
  out_ += fmt::format("// params: ({})\n", commentSafe(sig));
  out_ += "// ABI (abi/KernelAbi.h, docs/lowering.md): per tile param 3 words (base pointer, row stride,\n"
          "// col stride, in elements), per scalar param 1 word (value bits).\n";
  out_ += "#include <bit>\n#include <cstddef>\n#include <cstdint>\n#include <limits>\n#include <type_traits>\n\n";
  out_ += "#include \"pto/wsp/abi/KernelAbi.h\"\n";
  out_ += fmt::format("#include \"{}\"\n\n", opts_.tileHeader);
}

void Emitter::decodeParams() {
  uint32_t w = 0;
  for (size_t i = 0; i < k_.params.size(); ++i) {
    const ir::KernelParam& p = k_.params[i];
    const std::string var = fmt::format("{}{}_{}", p.isTile() ? "g" : "s", i, identPart(p.name));
    paramVar_[p.name] = var;
    if (p.isTile()) {
      const std::string elem = std::string(p.dir == ir::ParamDir::In ? "const " : "") + std::string(cppType(p.tile.dtype));
      line(fmt::format("// {} {}: args[{}..{}]", commentSafe(p.typeStr()), commentSafe(p.name), w, w + 2));
      line(fmt::format("[[maybe_unused]] const pto::tile::GlobalView<{0}> {1}{{reinterpret_cast<{0}*>(static_cast<uintptr_t>(args[{2}])), "
                       "static_cast<std::ptrdiff_t>(args[{3}]), static_cast<std::ptrdiff_t>(args[{4}])}};",
                       elem, var, w, w + 1, w + 2));
      w += 3;
      continue;
    }
    line(fmt::format("// {} {}: args[{}]", commentSafe(p.typeStr()), commentSafe(p.name), w));
    std::string init;
    switch (p.scalarType) {
      case DType::F32: init = fmt::format("const float {} = std::bit_cast<float>(static_cast<uint32_t>(args[{}]));", var, w); break;
      case DType::F64: init = fmt::format("const double {} = std::bit_cast<double>(args[{}]);", var, w); break;
      case DType::F16:
        init = fmt::format("const float {} = pto::tile::f16::fromBits(static_cast<uint16_t>(args[{}])).toFloat();", var, w);
        break;
      case DType::BF16:
        init = fmt::format("const float {} = pto::tile::bf16::fromBits(static_cast<uint16_t>(args[{}])).toFloat();", var, w);
        break;
      case DType::Bool: init = fmt::format("const bool {} = args[{}] != 0;", var, w); break;
      default: init = fmt::format("const {} {} = static_cast<{}>(args[{}]);", cppType(p.scalarType), var, cppType(p.scalarType), w); break;
    }
    line("[[maybe_unused]] " + init);
    w += 1;
  }
  numArgs_ = w;
}

std::string Emitter::declare(const std::string& ssa, const TileType& t) {
  std::string local = fmt::format("t{}_{}", nextLocal_++, identPart(ssa.starts_with('%') ? ssa.substr(1) : ssa));
  const uint64_t bytes = static_cast<uint64_t>(t.rows) * static_cast<uint64_t>(t.cols) * ir::dtypeBytes(t.dtype);
  const bool big = bytes >= opts_.stackTileLimitBytes;
  line(fmt::format("{}{} {};", big ? "static thread_local " : "", tileCppType(t), local));
  PTO_INTERNAL_ASSERT(!values_.contains(ssa), "SSA value '{}' defined twice in kernel '{}' (unverified IR?)", ssa, k_.name);
  values_[ssa] = {local, t};
  return local;
}

const std::string& Emitter::use(const std::string& ssa) const {
  auto it = values_.find(ssa);
  PTO_INTERNAL_ASSERT(it != values_.end(), "SSA value '{}' used before definition in kernel '{}'", ssa, k_.name);
  return it->second.first;
}

const TileType& Emitter::typeOf(const std::string& ssa) const {
  auto it = values_.find(ssa);
  PTO_INTERNAL_ASSERT(it != values_.end(), "SSA value '{}' used before definition in kernel '{}'", ssa, k_.name);
  return it->second.second;
}

// The scalar operand converted to the compute type of `target`'s element type.
std::string Emitter::scalar(const TileInst& inst, const TileType& target) const {
  PTO_INTERNAL_ASSERT(inst.scalar.has_value(), "'{}' without scalar operand", ir::tileOpInfo(inst.op).name);
  std::string v;
  if (inst.scalar->isParam()) {
    auto it = paramVar_.find(inst.scalar->param);
    PTO_INTERNAL_ASSERT(it != paramVar_.end(), "unknown scalar param '{}'", inst.scalar->param);
    v = it->second;
  } else {
    v = constantLiteral(inst.scalar->value);
  }
  return fmt::format("static_cast<pto::tile::Compute<{}>>({})", cppType(target.dtype), v);
}

// Finds `load; [load;] op; store` chains that the tile library can stream between global
// views (binaryGlobal / binaryScalarGlobal) instead of staging them through local tiles:
// a tile-tile (no broadcast) or tile-scalar binary elementwise op whose tile operands are
// each the result of a load used by nothing else, whose result only feeds one store, with
// the params' dtype and shape equal to the tiles', and no store between the first load
// and the chain's store (the loads then read the same memory at the store's position).
// Tiles at or above the stack limit are left staged: the library's fallback for
// overlapping views stages on the stack. Then the matmul chains (MatmulStream.h).
void Emitter::planStreams() {
  const detail::KernelDefUse du(k_);
  const auto& def = du.def;
  for (size_t s = 0; s < k_.body.size(); ++s) {
    const TileInst& st = k_.body[s];
    if (st.op != TileOpKind::Store || st.operands.size() != 1) continue;
    auto d = def.find(st.operands[0]);
    if (d == def.end() || du.usesOf(st.operands[0]) != 1) continue;
    const size_t o = d->second;
    const TileInst& inst = k_.body[o];
    if (!ir::isBinaryElementwise(inst.op) || inst.results.size() != 1 || inst.resultTypes.size() != 1) continue;
    const bool scalarOp = inst.broadcast == ir::Broadcast::Scalar;
    if (inst.broadcast != ir::Broadcast::None && !scalarOp) continue;
    const TileType& t = inst.resultTypes[0];
    const ir::KernelParam* out = du.tileParam(st.param);
    if (!out || !(out->tile == t)) continue;
    if (static_cast<uint64_t>(t.rows) * static_cast<uint64_t>(t.cols) * ir::dtypeBytes(t.dtype) >=
        opts_.stackTileLimitBytes)
      continue;
    const size_t tileOperands = scalarOp ? 1 : 2;
    if (inst.operands.size() != tileOperands) continue;
    std::vector<size_t> loads;
    for (const std::string& v : inst.operands) {
      auto l = def.find(v);
      if (l == def.end() || du.usesOf(v) != 1) break;
      const TileInst& ld = k_.body[l->second];
      const ir::KernelParam* in = du.tileParam(ld.param);
      if (ld.op != TileOpKind::Load || ld.resultTypes.size() != 1 || !(ld.resultTypes[0] == t) || !in ||
          !(in->tile == t))
        break;
      loads.push_back(l->second);
    }
    if (loads.size() != tileOperands) continue;
    const size_t first = *std::min_element(loads.begin(), loads.end());
    bool storeBetween = false;
    for (size_t i = first; i < s; ++i) storeBetween |= k_.body[i].op == TileOpKind::Store;
    if (storeBetween) continue;
    streamOpOf_[s] = o;
    streamedInto_[o] = s;
    for (size_t l : loads) streamedInto_[l] = s;
  }
  for (detail::MatmulStream& chain : detail::findMatmulStreams(du)) {
    streamedInto_[chain.matmul] = chain.store;
    for (size_t l : chain.loads) streamedInto_[l] = chain.store;
    const size_t s = chain.store;
    matmulStreamOf_.emplace(s, std::move(chain));
  }
}

// The streamed call for store `index` (planStreams), or false when it stores a tile.
bool Emitter::streamedStore(size_t index, const TileInst& st) {
  if (auto mm = matmulStreamOf_.find(index); mm != matmulStreamOf_.end()) {
    line(detail::matmulStreamCall(mm->second, paramVar_));
    return true;
  }
  auto it = streamOpOf_.find(index);
  if (it == streamOpOf_.end()) return false;
  const TileInst& inst = k_.body[it->second];
  const TileType& t = inst.resultTypes[0];
  auto param = [&](const std::string& ssa) -> const std::string& {
    for (const TileInst& ld : k_.body)
      if (ld.op == TileOpKind::Load && !ld.results.empty() && ld.results[0] == ssa) return paramVar_.at(ld.param);
    PTO_UNREACHABLE("streamed operand '{}' is not a load in kernel '{}'", ssa, k_.name);
  };
  const std::string second = inst.broadcast == ir::Broadcast::Scalar ? scalar(inst, t) : param(inst.operands.at(1));
  line(fmt::format("pto::tile::{}_global<{}, {}>({}, {}, {});", ir::tileOpInfo(inst.op).name, t.rows, t.cols,
                   paramVar_.at(st.param), param(inst.operands.at(0)), second));
  return true;
}

void Emitter::op(size_t index, const TileInst& inst) {
  const ir::TileOpInfo& info = ir::tileOpInfo(inst.op);
  std::string timing;
  if (rep_.ops.size() == k_.body.size())
    timing = fmt::format("  [cycles {}..{}]", rep_.ops[index].start, rep_.ops[index].end);
  out_ += '\n';
  line(fmt::format("// [{}] {}{}", index, describe(inst), timing));
  auto result = [&](size_t i) {
    PTO_INTERNAL_ASSERT(i < inst.results.size() && i < inst.resultTypes.size(),
                        "'{}' result {} has no declared type (unverified IR?)", info.name, i);
    return declare(inst.results[i], inst.resultTypes[i]);
  };
  auto param = [&]() -> const std::string& {
    auto it = paramVar_.find(inst.param);
    PTO_INTERNAL_ASSERT(it != paramVar_.end(), "'{}' of unknown param '{}'", info.name, inst.param);
    return it->second;
  };
  if (auto into = streamedInto_.find(index); into != streamedInto_.end()) {
    line(fmt::format("// streamed by [{}]: no local tile", into->second));
    return;
  }
  const std::string name(info.name);
  const TileOpKind kd = inst.op;
  if (kd == TileOpKind::Store && streamedStore(index, inst)) {
    return;
  } else if (kd == TileOpKind::Load) {
    const std::string& g = param();
    const std::string d = result(0);
    line(fmt::format("pto::tile::load({}, {});", d, g));
  } else if (kd == TileOpKind::Store) {
    line(fmt::format("pto::tile::store({}, {});", param(), use(inst.operands.at(0))));
  } else if (ir::isBinaryElementwise(kd)) {
    const std::string& a = use(inst.operands.at(0));
    const TileType at = typeOf(inst.operands.at(0));
    std::string call;
    switch (inst.broadcast) {
      case ir::Broadcast::None: call = fmt::format("pto::tile::{}({{}}, {}, {});", name, a, use(inst.operands.at(1))); break;
      case ir::Broadcast::Row: call = fmt::format("pto::tile::{}_row({{}}, {}, {});", name, a, use(inst.operands.at(1))); break;
      case ir::Broadcast::Col: call = fmt::format("pto::tile::{}_col({{}}, {}, {});", name, a, use(inst.operands.at(1))); break;
      case ir::Broadcast::Scalar: call = fmt::format("pto::tile::{}({{}}, {}, {});", name, a, scalar(inst, at)); break;
    }
    const std::string d = result(0);
    line(fmt::format(fmt::runtime(call), d));
  } else if (ir::isUnaryElementwise(kd) || ir::isReduction(kd) || kd == TileOpKind::Cast ||
             kd == TileOpKind::Transpose) {
    const std::string& a = use(inst.operands.at(0));
    const std::string d = result(0);
    line(fmt::format("pto::tile::{}({}, {});", name, d, a));
  } else if (kd == TileOpKind::Matmul) {
    const std::string& a = use(inst.operands.at(0));
    const std::string& b = use(inst.operands.at(1));
    const std::string acc = inst.operands.size() == 3 ? ", " + use(inst.operands[2]) : "";
    const std::string d = result(0);
    line(fmt::format("pto::tile::matmul({}, {}, {}{});", d, a, b, acc));
  } else if (kd == TileOpKind::Fill) {
    const std::string v = scalar(inst, inst.resultTypes.at(0));
    const std::string d = result(0);
    line(fmt::format("pto::tile::fill({}, {});", d, v));
  } else if (kd == TileOpKind::Iota) {
    const std::string start = inst.scalar ? ", " + scalar(inst, inst.resultTypes.at(0)) : "";
    const std::string d = result(0);
    line(fmt::format("pto::tile::iota({}{});", d, start));
  } else if (kd == TileOpKind::Select) {
    const std::string& m = use(inst.operands.at(0));
    const std::string& a = use(inst.operands.at(1));
    const std::string& b = use(inst.operands.at(2));
    const std::string d = result(0);
    line(fmt::format("pto::tile::select({}, {}, {}, {});", d, m, a, b));
  } else if (kd == TileOpKind::Sort || kd == TileOpKind::TopK) {
    const std::string& a = use(inst.operands.at(0));
    const std::string order = inst.descending ? "pto::tile::SortOrder::Descending" : "pto::tile::SortOrder::Ascending";
    if (kd == TileOpKind::Sort) {
      const std::string d = result(0);
      line(fmt::format("pto::tile::sort({}, {}, {});", d, a, order));
    } else {
      const std::string v = result(0);
      const std::string i = result(1);
      line(fmt::format("pto::tile::topk({}, {}, {}, {});", v, i, a, order));
    }
  } else {
    PTO_UNREACHABLE("no cpu_sim lowering for tile op '{}'", name);
  }
}

void Emitter::entry() {
  std::string body;
  std::swap(body, out_);  // decode first to learn the word count, then emit in order
  decodeParams();
  std::string decode;
  std::swap(decode, out_);
  planStreams();
  for (size_t i = 0; i < k_.body.size(); ++i) op(i, k_.body[i]);
  std::string ops;
  std::swap(ops, out_);
  out_ = std::move(body);

  out_ += fmt::format("extern \"C\" void {}(const uint64_t* args, uint32_t num_args) {{\n", symbol_);
  out_ += fmt::format("  // The runtime passes exactly {} words (plan kernel signature); anything else is a bug.\n", numArgs_);
  out_ += fmt::format("  if (num_args != {}u) __builtin_trap();\n", numArgs_);
  if (numArgs_ == 0) out_ += "  (void)args;\n";
  out_ += decode;
  out_ += ops;
  out_ += "}\n\n";

  out_ += fmt::format("// Cost model (docs/cost-model.md) on arch '{}': total {} cycles (max pipe busy {}, exposed {}).\n",
                      commentSafe(rep_.arch), rep_.total, rep_.maxPipeBusy, rep_.exposed);
  out_ += "// Shapes are static, so the cycle function is this constant (evaluated at codegen time).\n";
  out_ += fmt::format("extern \"C\" uint64_t {}(const uint64_t* args, uint32_t num_args) {{\n", cyclesSymbol(k_.name));
  out_ += "  (void)args;\n  (void)num_args;\n";
  out_ += fmt::format("  return UINT64_C({});\n}}\n\n", rep_.total);
  out_ += fmt::format("static_assert(std::is_same_v<decltype(&{}), pto_kernel_fn>);\n", symbol_);
  out_ += fmt::format("static_assert(std::is_same_v<decltype(&{}), pto_cycles_fn>);\n", cyclesSymbol(k_.name));
}

std::string Emitter::run() {
  symbol_ = kernelSymbol(k_.name);
  header();
  entry();
  return std::move(out_);
}

}  // namespace

std::string kernelSymbol(std::string_view kernelName) {
  std::string s = "pto_k_" + identPart(kernelName);
  bool replaced = false;
  for (char c : kernelName) replaced |= !isIdentChar(c);
  if (replaced) s += "_" + hashHex(hash64(kernelName)).substr(0, 8);
  return s;
}

std::string cyclesSymbol(std::string_view kernelName) { return kernelSymbol(kernelName) + "_cycles"; }

std::optional<std::string> unsupportedReason(std::string_view target, const TileInst& inst,
                                             std::span<const TileType> operandTypes) {
  const std::string_view name = ir::tileOpInfo(inst.op).name;
  // cpu_sim: what the tile library implements (docs/tile-library.md). The IR allows more.
  if (ir::isUnaryElementwise(inst.op) && !operandTypes.empty() && !tileLibUnaryDType(operandTypes[0].dtype))
    return fmt::format("'{}' on {} tiles cannot be lowered for target '{}': the tile library implements unary ops "
                       "for f32, f16 and bf16 only",
                       name, ir::dtypeName(operandTypes[0].dtype), target);
  if (inst.op == TileOpKind::Div && !operandTypes.empty() && !ir::isFloat(operandTypes[0].dtype))
    return fmt::format("'div' on {} tiles cannot be lowered for target '{}': the tile library divides "
                       "floating-point tiles only",
                       ir::dtypeName(operandTypes[0].dtype), target);
  return std::nullopt;
}

void checkLowerable(const ir::Kernel& k, std::string_view target) {
  if (k.external) return;
  std::map<std::string, TileType, std::less<>> types;
  std::vector<Diagnostic> errs;
  for (const TileInst& inst : k.body) {
    std::vector<TileType> ops;
    bool known = true;
    for (const std::string& o : inst.operands) {
      auto it = types.find(o);
      if (it == types.end()) {
        known = false;
        break;
      }
      ops.push_back(it->second);
    }
    if (known)
      if (std::optional<std::string> why = unsupportedReason(target, inst, ops)) {
        Diagnostic d = makeError(inst.loc, fmt::format("{} (kernel '{}')", *why, k.name));
        d.help(fmt::format("cast the operand to f32 before '{}' and back afterwards, or use an external C++ kernel",
                           ir::tileOpInfo(inst.op).name));
        errs.push_back(std::move(d));
      }
    for (size_t i = 0; i < inst.results.size() && i < inst.resultTypes.size(); ++i)
      types[inst.results[i]] = inst.resultTypes[i];
  }
  if (!errs.empty()) throw UserError(std::move(errs));
}

void validateExternalKernel(const ir::Kernel& k, const CodegenOptions& opts) {
  PTO_INTERNAL_ASSERT(k.external, "validateExternalKernel on tile-op kernel '{}'", k.name);
  if (k.source.empty())
    throw UserError(makeError(k.loc, fmt::format("external kernel '{}' has no source file", k.name))
                        .help("give the path of the C++ file that defines the kernel"));
  std::filesystem::path path(k.source);
  if (path.is_relative() && !opts.sourceDir.empty()) path = opts.sourceDir / path;
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  if (in) text << in.rdbuf();
  if (!in || in.bad())
    throw UserError(makeError(k.loc, fmt::format("cannot read source file '{}' of external kernel '{}'", path.string(),
                                                 k.name))
                        .help("check the path (relative paths are resolved against the .wsp file's directory)"));
  const std::string sym = kernelSymbol(k.name);
  if (text.str().find(sym) == std::string::npos)
    throw UserError(
        makeError(k.loc, fmt::format("source file '{}' of external kernel '{}' does not define '{}'", path.string(),
                                     k.name, sym))
            .help(fmt::format("define extern \"C\" void {}(const uint64_t* args, uint32_t num_args) "
                              "(abi/KernelAbi.h; docs/lowering.md names the symbol rule)",
                              sym)));
  if (!k.cycles.defined())
    throw UserError(makeError(k.loc, fmt::format("external kernel '{}' declares no cycles", k.name))
                        .help("declare the kernel's cycle cost, an expression over its scalar params"));
  ir::Env env;
  for (const ir::KernelParam& p : k.params)
    if (!p.isTile()) {
      env.vars[p.name] = 1;
      env.symbols[p.name] = 1;
    }
  (void)ir::evalExpr(k.cycles, env);  // throws a located UserError on unknown names
}

std::string emitCpuKernel(const ir::Kernel& k, const arch::ArchModel& a, const CodegenOptions& opts) {
  if (k.external) {
    validateExternalKernel(k, opts);
    return {};
  }
  checkLowerable(k, opts.target);
  const cost::CycleReport rep = cost::kernelCycles(k, a);
  return Emitter(k, opts, rep).run();
}

}  // namespace pto::wsp::lower
