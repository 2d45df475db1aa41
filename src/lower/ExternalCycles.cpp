// C++ source of an external kernel's cycle function (lower/ExternalCycles.h).
#include "pto/wsp/lower/ExternalCycles.h"

#include "pto/wsp/lower/KernelCodegen.h"
#include "pto/wsp/support/Assert.h"

#include <fmt/format.h>

#include <map>

namespace pto::wsp::lower {

namespace {

std::string cppExpr(const ir::Expr& e, const std::map<std::string, std::string, std::less<>>& vars) {
  using ir::ExprKind;
  switch (e.kind()) {
    case ExprKind::IntConst: return fmt::format("int64_t{{{}}}", e.as<ir::IntConst>()->value);
    case ExprKind::BoolConst: return e.as<ir::BoolConst>()->value ? "int64_t{1}" : "int64_t{0}";
    case ExprKind::Var: {
      auto it = vars.find(e.as<ir::NameRef>()->name);
      PTO_INTERNAL_ASSERT(it != vars.end(), "cycle expression reads '{}', not a scalar param (validated)",
                          e.as<ir::NameRef>()->name);
      return it->second;
    }
    case ExprKind::Unary: {
      const auto* u = e.as<ir::UnaryExpr>();
      const std::string a = cppExpr(u->a, vars);
      return u->op == ir::UnOp::Not ? "int64_t(!(" + a + "))" : "(-(" + a + "))";
    }
    case ExprKind::Select: {
      const auto* s = e.as<ir::SelectExpr>();
      return fmt::format("(({}) ? ({}) : ({}))", cppExpr(s->cond, vars), cppExpr(s->a, vars), cppExpr(s->b, vars));
    }
    case ExprKind::Binary: {
      const auto* b = e.as<ir::BinaryExpr>();
      const std::string x = cppExpr(b->a, vars), y = cppExpr(b->b, vars);
      switch (b->op) {
        case ir::BinOp::Add: return fmt::format("({} + {})", x, y);
        case ir::BinOp::Sub: return fmt::format("({} - {})", x, y);
        case ir::BinOp::Mul: return fmt::format("({} * {})", x, y);
        // A zero divisor costs nothing rather than trapping inside the runtime.
        case ir::BinOp::Div: return fmt::format("pto_div({}, {})", x, y);
        case ir::BinOp::Mod: return fmt::format("pto_mod({}, {})", x, y);
        case ir::BinOp::Min: return fmt::format("std::min<int64_t>({}, {})", x, y);
        case ir::BinOp::Max: return fmt::format("std::max<int64_t>({}, {})", x, y);
        case ir::BinOp::Eq: return fmt::format("int64_t({} == {})", x, y);
        case ir::BinOp::Ne: return fmt::format("int64_t({} != {})", x, y);
        case ir::BinOp::Lt: return fmt::format("int64_t({} < {})", x, y);
        case ir::BinOp::Le: return fmt::format("int64_t({} <= {})", x, y);
        case ir::BinOp::Gt: return fmt::format("int64_t({} > {})", x, y);
        case ir::BinOp::Ge: return fmt::format("int64_t({} >= {})", x, y);
        case ir::BinOp::And: return fmt::format("int64_t(({}) && ({}))", x, y);
        case ir::BinOp::Or: return fmt::format("int64_t(({}) || ({}))", x, y);
      }
      break;
    }
    default: break;
  }
  PTO_UNREACHABLE("cycle expression of kind {} cannot be emitted (validated earlier)", static_cast<int>(e.kind()));
}

const char* scalarDecode(ir::DType t) {
  switch (t) {
    case ir::DType::I8: return "int64_t(static_cast<int8_t>(args[{}]))";
    case ir::DType::I16: return "int64_t(static_cast<int16_t>(args[{}]))";
    case ir::DType::I32: return "int64_t(static_cast<int32_t>(args[{}]))";
    case ir::DType::U8: return "int64_t(static_cast<uint8_t>(args[{}]))";
    case ir::DType::U16: return "int64_t(static_cast<uint16_t>(args[{}]))";
    case ir::DType::U32: return "int64_t(static_cast<uint32_t>(args[{}]))";
    case ir::DType::Bool: return "int64_t(args[{}] != 0)";
    default: return "static_cast<int64_t>(args[{}])";
  }
}

}  // namespace

std::string externalCyclesFunction(const ir::Kernel& k) {
  std::map<std::string, std::string, std::less<>> vars;
  std::string decode;
  uint32_t w = 0;
  for (size_t i = 0; i < k.params.size(); ++i) {
    const ir::KernelParam& p = k.params[i];
    if (p.isTile()) {
      w += 3;
      continue;
    }
    const std::string var = fmt::format("s{}", i);
    vars[p.name] = var;
    if (ir::isInteger(p.scalarType) || p.scalarType == ir::DType::Bool)
      decode += fmt::format("  [[maybe_unused]] const int64_t {} = num_args > {} ? {} : 0;\n", var, w,
                            fmt::format(fmt::runtime(scalarDecode(p.scalarType)), w));
    ++w;
  }
  std::string out = fmt::format("\n#line 1 \"<cycle function of kernel '{}'>\"\n", k.name);
  out += "#include <algorithm>\n#include <cstdint>\n";
  out += "namespace {\n";
  out += "[[maybe_unused]] int64_t pto_div(int64_t a, int64_t b) { return b == 0 ? 0 : a / b; }\n";
  out += "[[maybe_unused]] int64_t pto_mod(int64_t a, int64_t b) { return b == 0 ? 0 : a % b; }\n";
  out += "}  // namespace\n";
  out += fmt::format("extern \"C\" uint64_t {}(const uint64_t* args, uint32_t num_args) {{\n",
                     cyclesSymbol(k.name));
  out += "  (void)args;\n";
  out += decode;
  out += fmt::format("  const int64_t c = {};\n", cppExpr(k.cycles, vars));
  out += "  return c < 0 ? 0 : static_cast<uint64_t>(c);\n}\n";
  return out;
}

}  // namespace pto::wsp::lower
