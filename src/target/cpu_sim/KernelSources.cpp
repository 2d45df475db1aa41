#include "ProgramSources.h"

#include "pto/wsp/artifact/AtomicFile.h"
#include "pto/wsp/lower/KernelCodegen.h"
#include "pto/wsp/support/Assert.h"
#include "pto/wsp/support/Hash.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <map>
#include <mutex>
#include <utility>

#ifndef PTO_WSP_SOURCE_DIR
#error "PTO_WSP_SOURCE_DIR must name the source tree (set by src/api/CMakeLists.txt)"
#endif

namespace pto::wsp::detail {

namespace fs = std::filesystem;

fs::path kernelIncludeRoot() {
  const char* env = std::getenv("PTO_WSP_INCLUDE_DIR");
  fs::path root = (env && *env) ? fs::path(env) : fs::path(PTO_WSP_SOURCE_DIR) / "include";
  std::error_code ec;
  if (!fs::exists(root / "pto/wsp/tile/TileLib.h", ec))
    throw UserError(makeError(SourceLoc{root.string(), 0, 0, {}},
                              "the kernel include root does not contain pto/wsp/tile/TileLib.h")
                        .help(env && *env ? "PTO_WSP_INCLUDE_DIR must name the `include` directory of a PTO-WSP "
                                            "source tree or installation"
                                          : "set PTO_WSP_INCLUDE_DIR to the `include` directory of PTO-WSP"));
  return root;
}

std::string tileHeadersFingerprint(const fs::path& root) {
  struct Seen {
    uintmax_t size = 0;
    fs::file_time_type mtime;
    uint64_t hash = 0;
  };
  static std::mutex mu;
  static std::map<fs::path, Seen> memo;

  std::vector<fs::path> files;
  std::error_code ec;
  for (const auto& e : fs::recursive_directory_iterator(root / "pto/wsp/tile", ec))
    if (e.is_regular_file()) files.push_back(e.path());
  files.push_back(root / "pto/wsp/abi/KernelAbi.h");
  std::sort(files.begin(), files.end());

  Hasher h;
  std::lock_guard lock(mu);
  for (const fs::path& f : files) {
    const uintmax_t size = fs::file_size(f, ec);
    const fs::file_time_type mtime = fs::last_write_time(f, ec);
    auto it = memo.find(f);
    if (it == memo.end() || it->second.size != size || it->second.mtime != mtime) {
      const std::string text = artifact::readFile(f);
      it = memo.insert_or_assign(f, Seen{size, mtime, hash64(text)}).first;
    }
    h.str(f.lexically_relative(root).generic_string()).pod(it->second.hash);
  }
  return h.hex();
}

artifact::CompilerConfig kernelCompilerConfig(unsigned jobs) {
  const fs::path root = kernelIncludeRoot();
  artifact::CompilerConfig cfg;
  // The include root goes in as a flag, not as an includeDir: the cache would hash every
  // header of the project; the kernels only reach the tile library and KernelAbi.h,
  // which the fingerprint covers.
  cfg.compileFlags = {"-std=c++20", "-fPIC"};
  // $PTO_WSP_KERNEL_FLAGS (whitespace-separated) replaces the optimisation flags, for
  // experiments (docs/performance.md); the flags are part of every object key.
  const char* env = std::getenv("PTO_WSP_KERNEL_FLAGS");
  if (env && *env) {
    std::string f;
    for (const char* c = env;; ++c) {
      if (*c == '\0' || std::isspace(static_cast<unsigned char>(*c))) {
        if (!f.empty()) cfg.compileFlags.push_back(std::exchange(f, {}));
        if (*c == '\0') break;
      } else {
        f += *c;
      }
    }
  } else {
    cfg.compileFlags.insert(cfg.compileFlags.end(), {"-O2", "-march=native"});
  }
  cfg.compileFlags.push_back("-I" + root.string());
  cfg.extraKey = "tile-headers:" + tileHeadersFingerprint(root);
  cfg.jobs = jobs;
  return cfg;
}

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
                     lower::cyclesSymbol(k.name));
  out += "  (void)args;\n";
  out += decode;
  out += fmt::format("  const int64_t c = {};\n", cppExpr(k.cycles, vars));
  out += "  return c < 0 ? 0 : static_cast<uint64_t>(c);\n}\n";
  return out;
}

KernelSources kernelSources(const ir::Module& m, const abi::Plan& plan, const arch::ArchModel& a,
                            std::string_view target, const fs::path& sourceDir) {
  KernelSources out;
  std::vector<Diagnostic> errors;
  lower::CodegenOptions copts;
  copts.target = std::string(target);
  copts.sourceDir = sourceDir;
  for (const abi::PlanKernel& pk : plan.kernels) {
    const ir::Kernel* k = m.findKernel(pk.name);
    PTO_INTERNAL_ASSERT(k != nullptr, "plan kernel '{}' is not in module '{}'", pk.name, m.name);
    artifact::KernelSource src{k->name, {}, {}, k->loc};
    artifact::ManifestKernel mk{k->name, lower::kernelSymbol(k->name), lower::cyclesSymbol(k->name), {}, {}};
    try {
      src.text = lower::emitCpuKernel(*k, a, copts);
      if (k->external) {
        fs::path file = k->source;
        if (file.is_relative() && !sourceDir.empty()) file = sourceDir / file;
        src.origin = file.lexically_normal().string();
        src.text = artifact::readFile(file);
        // A user file may bring its own cycle function; otherwise the declared expression.
        if (src.text.find(mk.cyclesSymbol) == std::string::npos) src.text += externalCyclesFunction(*k);
      }
    } catch (const UserError& e) {
      errors.insert(errors.end(), e.diagnostics().begin(), e.diagnostics().end());
      continue;
    }
    mk.sourceHash = hashHex(hash64(src.text));
    out.sources.push_back(std::move(src));
    out.manifest.push_back(std::move(mk));
    out.external.push_back(k->external);
  }
  if (!errors.empty()) throw UserError(std::move(errors));
  return out;
}

}  // namespace pto::wsp::detail
