// PTO-ISA kernel emission (PtoIsaKernel.h). Buffers are assigned statically (TASSIGN at
// increasing 32-byte aligned offsets, never reused), so the only hazards are producer ->
// consumer ones across pipes; each gets one set_flag / wait_flag pair before its first
// consumer.
#include "PtoIsaKernel.h"

#include "pto/wsp/support/Assert.h"

#include <fmt/format.h>

#include <filesystem>

#include <array>
#include <cmath>
#include <map>
#include <set>
#include <vector>

namespace pto::wsp::target::ascend {

using ir::DType;
using ir::TileInst;
using ir::TileOpKind;
using ir::TileType;

std::string_view coreName(CoreKind c) { return c == CoreKind::Aic ? "aic" : "aiv"; }

namespace {

// Per-core buffer sizes of the 910B (FACTS.md).
constexpr uint64_t kUbBytes = 192 * 1024, kL1Bytes = 512 * 1024, kL0aBytes = 64 * 1024, kL0bBytes = 64 * 1024,
                   kL0cBytes = 128 * 1024;

std::optional<std::string_view> elemType(DType t) {
  switch (t) {
    case DType::F32: return "float";
    case DType::F16: return "half";
    case DType::I32: return "int32_t";
    case DType::I16: return "int16_t";
    default: return std::nullopt;
  }
}

std::string ident(std::string_view s) {
  std::string out;
  for (char c : s) out.push_back(std::isalnum(static_cast<unsigned char>(c)) ? c : '_');
  return out;
}

// PTO-ISA vector instruction of a binary op per broadcast mode.
std::string_view binaryInstr(TileOpKind k, ir::Broadcast b) {
  static const std::map<TileOpKind, std::array<std::string_view, 4>> m = {
      {TileOpKind::Add, {"TADD", "TADDS", "TROWEXPANDADD", "TCOLEXPANDADD"}},
      {TileOpKind::Sub, {"TSUB", "TSUBS", "TROWEXPANDSUB", "TCOLEXPANDSUB"}},
      {TileOpKind::Mul, {"TMUL", "TMULS", "TROWEXPANDMUL", "TCOLEXPANDMUL"}},
      {TileOpKind::Div, {"TDIV", "TDIVS", "TROWEXPANDDIV", "TCOLEXPANDDIV"}},
      {TileOpKind::Max, {"TMAX", "TMAXS", "TROWEXPANDMAX", "TCOLEXPANDMAX"}},
      {TileOpKind::Min, {"TMIN", "TMINS", "TROWEXPANDMIN", "TCOLEXPANDMIN"}},
  };
  return m.at(k)[static_cast<size_t>(b)];
}

std::optional<std::string_view> unaryInstr(TileOpKind k) {
  switch (k) {
    case TileOpKind::Exp: return "TEXP";
    case TileOpKind::Log: return "TLOG";
    case TileOpKind::Sqrt: return "TSQRT";
    case TileOpKind::Rsqrt: return "TRSQRT";
    case TileOpKind::Relu: return "TRELU";
    case TileOpKind::Neg: return "TNEG";
    case TileOpKind::Abs: return "TABS";
    default: return std::nullopt;
  }
}

bool isVectorOp(TileOpKind k) { return k != TileOpKind::Load && k != TileOpKind::Store && k != TileOpKind::Matmul; }

// `%t = transpose %x` where %x = load p is used by nothing else: on the cube core this is
// one TLOAD of p through a DN-layout GlobalTensor into L1 (the layout GM -> L1 moves
// support), so the pair is a transposed load. Returns the load per such transpose.
std::map<const TileInst*, const TileInst*> transposedLoads(const ir::Kernel& k) {
  std::map<std::string, const TileInst*, std::less<>> loads;
  std::map<std::string, int, std::less<>> uses;
  for (const TileInst& inst : k.body) {
    if (inst.op == TileOpKind::Load) loads[inst.results.at(0)] = &inst;
    for (const std::string& o : inst.operands) ++uses[o];
  }
  std::map<const TileInst*, const TileInst*> out;
  for (const TileInst& inst : k.body)
    if (inst.op == TileOpKind::Transpose)
      if (auto it = loads.find(inst.operands.at(0)); it != loads.end() && uses[inst.operands[0]] == 1)
        out[&inst] = it->second;
  return out;
}

// One op the emitter knows, else why not.
std::optional<std::string> opProblem(const TileInst& inst) {
  const TileOpKind k = inst.op;
  if (k == TileOpKind::Load || k == TileOpKind::Store || k == TileOpKind::Matmul || k == TileOpKind::Cast ||
      k == TileOpKind::Fill || ir::isBinaryElementwise(k) || unaryInstr(k) || k == TileOpKind::Silu ||
      k == TileOpKind::Sigmoid || k == TileOpKind::Gelu || k == TileOpKind::Tanh || ir::isRowReduction(k) || k == TileOpKind::ColSum || k == TileOpKind::ColMax ||
      k == TileOpKind::Transpose)
    return std::nullopt;
  return fmt::format("tile op '{}' has no PTO-ISA lowering in the ascend target", ir::tileOpInfo(k).name);
}

// What the emitter writes for an op opProblem() accepts (Emitter::op), for the matrix.
std::string loweringNote(TileOpKind k) {
  using B = ir::Broadcast;
  if (ir::isBinaryElementwise(k))
    return fmt::format("AIV: {} (tile), {} (scalar), {} (row), {} (col)", binaryInstr(k, B::None),
                       binaryInstr(k, B::Scalar), binaryInstr(k, B::Row), binaryInstr(k, B::Col));
  if (std::optional<std::string_view> u = unaryInstr(k)) return fmt::format("AIV: {}", *u);
  switch (k) {
    case TileOpKind::Load: return "TLOAD GM -> UB (AIV) or GM -> L1 (AIC)";
    case TileOpKind::Store: return "TSTORE UB -> GM (AIV) or L0C -> GM (AIC)";
    case TileOpKind::Matmul: return "AIC: TMOV L1 -> L0A / L0B, TMATMUL into L0C (f32 accumulate)";
    case TileOpKind::Silu: return "AIV: TMULS, TEXP, TADDS, TDIV (x / (1 + exp(-x)))";
    case TileOpKind::Sigmoid: return "AIV: TMULS, TEXP, TADDS, TRECIP (1 / (1 + exp(-x)))";
    case TileOpKind::Tanh: return "AIV: TMULS, TEXP, TADDS, TRECIP (1 - 2 / (1 + exp(2x)))";
    case TileOpKind::Gelu: return "AIV: TABS, TMULS, TADDS, TRECIP, TMUL, TSUB, TEXP, TRELU (relu(x) - u erfc(u) / sqrt2)";
    case TileOpKind::RowSum: return "AIV: TROWSUM";
    case TileOpKind::RowMax: return "AIV: TROWMAX";
    case TileOpKind::RowMin: return "AIV: TROWMIN";
    case TileOpKind::RowMean: return "AIV: TROWSUM, TMULS by 1 / cols";
    case TileOpKind::ColSum: return "AIV: TCOLSUM";
    case TileOpKind::ColMax: return "AIV: TCOLMAX";
    case TileOpKind::Cast: return "AIV: TCVT (RoundMode::CAST_RINT)";
    case TileOpKind::Fill: return "AIV: TEXPANDS";
    case TileOpKind::Transpose:
      return "AIC only, as a transposed load of a matmul operand (TLOAD through a DN GlobalTensor); "
             "elsewhere a located error";
    default: return "PTO-ISA lowering in PtoIsaKernel.cpp (docs/ascend.md)";
  }
}

struct Value {
  std::string var;
  TileType type;
  std::string buffer;  // "UB", "L1", "L0A", "L0B", "L0C"
  std::string pipe;    // pipe that produced it
};

class Emitter {
 public:
  Emitter(const ir::Kernel& k, ArgStyle s) : k_(k), style_(s) {}

  PtoIsaKernel run();

 private:
  std::string tileType(const TileType& t, std::string_view buffer) const;
  std::string alloc(std::string_view ssa, const TileType& t, std::string_view buffer, std::string_view pipe);
  void sync(const Value& v, std::string_view pipe);
  const Value& use(const std::string& ssa) const;
  std::string scalar(const TileInst& inst) const;
  void op(size_t i, const TileInst& inst);
  void emitGelu(const TileInst& inst, const std::string& x);
  void line(std::string_view s) { body_ += "    " + std::string(s) + "\n"; }
  [[noreturn]] void fail(const SourceLoc& loc, std::string msg, std::string help) const {
    throw UserError(makeError(loc, fmt::format("{} (kernel '{}')", msg, k_.name)).help(std::move(help)));
  }

  const ir::Kernel& k_;
  ArgStyle style_;
  CoreKind core_ = CoreKind::Aiv;
  std::string body_;
  std::map<std::string, Value, std::less<>> values_;
  std::map<std::string, std::string, std::less<>> params_;  // tile param -> GlobalTensor var
  std::map<std::string, std::string, std::less<>> scalars_;  // scalar param -> local
  std::map<std::string, uint64_t, std::less<>> used_;        // buffer -> bytes assigned
  std::set<std::pair<std::string, std::string>> synced_;     // (value, consumer pipe)
  std::map<const TileInst*, const TileInst*> tload_;          // transposed loads (transpose -> load)
  std::set<std::string, std::less<>> tloadValues_;           // their loads' results (emitted at the transpose)
  int tmp_ = 0;
};

// Cube tiles (L1, L0A/B/C) are stored in 16 x 16 fractal boxes (PTO-ISA asserts their
// rows and cols are multiples of the box): their shape is padded up to 16, the valid
// shape is the IR's (a 4-row query tile is a 16-row tile with 4 valid rows).
int64_t cubePad(int64_t n) { return (n + 15) / 16 * 16; }

std::string Emitter::tileType(const TileType& t, std::string_view buffer) const {
  const std::string e(*elemType(t.dtype));
  const uint32_t eb = ir::dtypeBytes(t.dtype);
  // Rows of a vector tile are padded to 32 bytes (the UB block); valid shape = the IR's.
  const int64_t padCols = ((t.cols * eb + 31) / 32) * 32 / eb;
  if (buffer == "UB")
    return fmt::format("Tile<TileType::Vec, {}, {}, {}, BLayout::RowMajor, {}, {}>", e, t.rows, padCols, t.rows, t.cols);
  const int64_t r = cubePad(t.rows), c = cubePad(t.cols);
  if (buffer == "L1")
    return fmt::format("Tile<TileType::Mat, {}, {}, {}, BLayout::ColMajor, {}, {}, SLayout::RowMajor, 512>", e, r, c,
                       t.rows, t.cols);
  if (buffer == "L0A") return fmt::format("TileLeft<{}, {}, {}, {}, {}>", e, r, c, t.rows, t.cols);
  if (buffer == "L0B") return fmt::format("TileRight<{}, {}, {}, {}, {}>", e, r, c, t.rows, t.cols);
  return fmt::format("TileAcc<{}, {}, {}, {}, {}>", e, r, c, t.rows, t.cols);
}

std::string Emitter::alloc(std::string_view ssa, const TileType& t, std::string_view buffer, std::string_view pipe) {
  const uint32_t eb = ir::dtypeBytes(t.dtype);
  const int64_t padCols = buffer == "UB" ? ((t.cols * eb + 31) / 32) * 32 / eb : cubePad(t.cols);
  const int64_t padRows = buffer == "UB" ? t.rows : cubePad(t.rows);
  const uint64_t bytes = static_cast<uint64_t>(padRows * padCols) * eb;
  uint64_t& off = used_[std::string(buffer)];
  const uint64_t at = (off + 31) / 32 * 32;
  const uint64_t cap = buffer == "UB"    ? kUbBytes
                       : buffer == "L1"  ? kL1Bytes
                       : buffer == "L0A" ? kL0aBytes
                       : buffer == "L0B" ? kL0bBytes
                                         : kL0cBytes;
  if (at + bytes > cap)
    fail(k_.loc, fmt::format("tiles of the kernel need {} bytes of {}, the core has {}", at + bytes, buffer, cap),
         "use smaller tiles or split the kernel");
  off = at + bytes;
  const std::string var = fmt::format("{}_{}", ident(ssa.starts_with('%') ? ssa.substr(1) : ssa), ++tmp_);
  line(fmt::format("{} {};  // {} {} @ {:#x}", tileType(t, buffer), var, buffer, t.str(), at));
  line(fmt::format("TASSIGN({}, {:#x});", var, at));
  values_[std::string(ssa)] = {var, t, std::string(buffer), std::string(pipe)};
  return var;
}

void Emitter::sync(const Value& v, std::string_view pipe) {
  if (v.pipe == pipe || !synced_.insert({v.var, std::string(pipe)}).second) return;
  line(fmt::format("set_flag(PIPE_{0}, PIPE_{1}, EVENT_ID0);  // {2} ready for {1}", v.pipe, pipe, v.var));
  line(fmt::format("wait_flag(PIPE_{}, PIPE_{}, EVENT_ID0);", v.pipe, pipe));
}

const Value& Emitter::use(const std::string& ssa) const {
  auto it = values_.find(ssa);
  PTO_INTERNAL_ASSERT(it != values_.end(), "SSA value '{}' used before definition in kernel '{}'", ssa, k_.name);
  return it->second;
}

std::string Emitter::scalar(const TileInst& inst) const {
  PTO_INTERNAL_ASSERT(inst.scalar.has_value(), "'{}' without scalar operand", ir::tileOpInfo(inst.op).name);
  if (inst.scalar->isParam()) return scalars_.at(inst.scalar->param);
  const double v = ir::evalExprF(inst.scalar->value, {});
  if (std::isinf(v)) return v > 0 ? "INFINITY" : "-INFINITY";
  std::string s = fmt::format("{}", v);
  if (s.find_first_of(".eEn") == std::string::npos) s += ".0";
  return s + "f";
}

void Emitter::op(size_t i, const TileInst& inst) {
  const std::string_view name = ir::tileOpInfo(inst.op).name;
  line(fmt::format("// [{}] {}", i, name));
  const TileOpKind kd = inst.op;
  const std::string vpipe = "V";
  auto result = [&](std::string_view buffer, std::string_view pipe) {
    return alloc(inst.results.at(0), inst.resultTypes.at(0), buffer, pipe);
  };
  if (kd == TileOpKind::Load && tloadValues_.count(inst.results.at(0))) {
    line("// loaded transposed at its transpose");
  } else if (kd == TileOpKind::Transpose) {
    // A transposed load (transposedLoads): GM through the DN view straight into L1.
    const TileInst& ld = *tload_.at(&inst);
    const std::string d = result("L1", "MTE2");
    line(fmt::format("TLOAD({}, {});", d, "gt_" + ident(ld.param)));
  } else if (kd == TileOpKind::Load) {
    // On the cube core a loaded tile goes to L1 and on to L0A/L0B at its matmul.
    const std::string d = result(core_ == CoreKind::Aic ? "L1" : "UB", "MTE2");
    line(fmt::format("TLOAD({}, {});", d, params_.at(inst.param)));
  } else if (kd == TileOpKind::Store) {
    const Value& v = use(inst.operands.at(0));
    const std::string pipe = v.buffer == "L0C" ? "FIX" : "MTE3";
    sync(v, pipe);
    line(fmt::format("TSTORE({}, {});", params_.at(inst.param), v.var));
  } else if (kd == TileOpKind::Matmul) {
    if (inst.operands.size() == 3)
      fail(inst.loc, "'matmul' with an accumulator operand has no PTO-ISA lowering in the ascend target yet",
           "accumulate in a separate vector kernel (add) over the matmul's output");
    const Value a = use(inst.operands[0]), b = use(inst.operands[1]);
    if (a.buffer != "L1" || b.buffer != "L1")
      fail(inst.loc, "'matmul' operands must be loaded tiles on the ascend target", "load both operands from tile params");
    sync(a, "MTE1");
    sync(b, "MTE1");
    const std::string la = alloc("%" + a.var + "_l0a", a.type, "L0A", "MTE1");
    line(fmt::format("TMOV({}, {});", la, a.var));
    const std::string lb = alloc("%" + b.var + "_l0b", b.type, "L0B", "MTE1");
    line(fmt::format("TMOV({}, {});", lb, b.var));
    sync(values_.at("%" + a.var + "_l0a"), "M");
    const std::string c = result("L0C", "M");
    line(fmt::format("TMATMUL({}, {}, {});", c, la, lb));
  } else {
    // Vector work: every operand was synced to V.
    for (const std::string& o : inst.operands) sync(use(o), vpipe);
    const std::string a = inst.operands.empty() ? "" : use(inst.operands[0]).var;
    if (ir::isBinaryElementwise(kd)) {
      const std::string instr(binaryInstr(kd, inst.broadcast));
      const std::string rhs = inst.broadcast == ir::Broadcast::Scalar ? scalar(inst) : use(inst.operands.at(1)).var;
      const std::string d = result("UB", vpipe);
      line(fmt::format("{}({}, {}, {});", instr, d, a, rhs));
    } else if (std::optional<std::string_view> u = unaryInstr(kd)) {
      const std::string d = result("UB", vpipe);
      line(fmt::format("{}({}, {});", *u, d, a));
    } else if (kd == TileOpKind::Silu || kd == TileOpKind::Sigmoid) {
      // sigmoid(x) = 1 / (1 + exp(-x)); silu(x) = x * sigmoid(x)
      const TileType& t = inst.resultTypes.at(0);
      const std::string n = alloc(inst.results[0] + "_neg", t, "UB", vpipe);
      line(fmt::format("TMULS({}, {}, -1.0f);", n, a));
      line(fmt::format("TEXP({0}, {0});", n));
      line(fmt::format("TADDS({0}, {0}, 1.0f);", n));
      const std::string d = result("UB", vpipe);
      if (kd == TileOpKind::Silu) {
        line(fmt::format("TDIV({}, {}, {});", d, a, n));
      } else {
        line(fmt::format("TRECIP({}, {});", d, n));
      }
    } else if (kd == TileOpKind::Tanh) {
      // tanh(x) = 1 - 2 / (1 + exp(2x)): exp overflowing to inf gives 1, underflowing to 0 gives -1.
      const std::string d = result("UB", vpipe);
      line(fmt::format("TMULS({}, {}, 2.0f);", d, a));
      line(fmt::format("TEXP({0}, {0});", d));
      line(fmt::format("TADDS({0}, {0}, 1.0f);", d));
      line(fmt::format("TRECIP({0}, {0});", d));
      line(fmt::format("TMULS({0}, {0}, -2.0f);", d));
      line(fmt::format("TADDS({0}, {0}, 1.0f);", d));
    } else if (kd == TileOpKind::Gelu) {
      emitGelu(inst, a);
    } else if (ir::isRowReduction(kd)) {
      const std::string instr = kd == TileOpKind::RowMax ? "TROWMAX" : kd == TileOpKind::RowMin ? "TROWMIN" : "TROWSUM";
      const std::string tmp = alloc(inst.results[0] + "_tmp", use(inst.operands[0]).type, "UB", vpipe);
      const std::string d = result("UB", vpipe);
      line(fmt::format("{}({}, {}, {});", instr, d, a, tmp));
      if (kd == TileOpKind::RowMean)
        line(fmt::format("TMULS({0}, {0}, {1}.0f / {2}.0f);", d, 1, use(inst.operands[0]).type.cols));
    } else if (kd == TileOpKind::ColSum || kd == TileOpKind::ColMax) {
      const std::string d = result("UB", vpipe);
      line(fmt::format("{}({}, {});", kd == TileOpKind::ColSum ? "TCOLSUM" : "TCOLMAX", d, a));
    } else if (kd == TileOpKind::Cast) {
      const std::string d = result("UB", vpipe);
      line(fmt::format("TCVT({}, {}, RoundMode::CAST_RINT);", d, a));
    } else if (kd == TileOpKind::Fill) {
      const std::string d = result("UB", vpipe);
      line(fmt::format("TEXPANDS({}, {});", d, scalar(inst)));
    } else {
      PTO_UNREACHABLE("op '{}' passed the ascend check but has no emitter", name);
    }
  }
}

// gelu(x) = 0.5 x (1 + erf(x / sqrt2)) without compares or selects: x erf(x / sqrt2) is even, so
// with u = |x| / sqrt2, gelu(x) = relu(x) - u erfc(u) / sqrt2 (no cancellation for x < 0, where
// relu is an exact 0). erfc(u) = t exp(-u^2 + P(t)), t = 1 / (1 + u / 2), is Numerical Recipes'
// erfcc (fractional error < 1.2e-7 for u >= 0). u t is formed as 1 / (1/u + 1/2) so that u = inf
// gives 2, not inf * 0: gelu(+-inf) = +inf / 0, never NaN.
void Emitter::emitGelu(const TileInst& inst, const std::string& x) {
  static constexpr std::array<double, 10> kP = {-1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806,
                                                0.27886807,  -1.13520398, 1.48851587, -0.82215223, 0.17087277};
  const std::string_view rs2 = "0.70710678f";  // 1 / sqrt2
  const TileType& ty = inst.resultTypes.at(0);
  const std::string& r = inst.results.at(0);
  const std::string u = alloc(r + "_u", ty, "UB", "V");
  line(fmt::format("TABS({}, {});", u, x));
  line(fmt::format("TMULS({0}, {0}, {1});", u, rs2));
  const std::string t = alloc(r + "_t", ty, "UB", "V");
  line(fmt::format("TMULS({}, {}, 0.5f);", t, u));
  line(fmt::format("TADDS({0}, {0}, 1.0f);", t));
  line(fmt::format("TRECIP({0}, {0});", t));
  const std::string w = alloc(r + "_ut", ty, "UB", "V");
  line(fmt::format("TRECIP({}, {});", w, u));
  line(fmt::format("TADDS({0}, {0}, 0.5f);", w));
  line(fmt::format("TRECIP({0}, {0});", w));
  const std::string p = alloc(r + "_erfc", ty, "UB", "V");
  line(fmt::format("TMULS({}, {}, {}f);", p, t, kP[9]));
  for (size_t i = kP.size() - 1; i-- > 0;) {
    if (i + 2 < kP.size()) line(fmt::format("TMUL({0}, {0}, {1});", p, t));
    line(fmt::format("TADDS({0}, {0}, {1}f);", p, kP[i]));
  }
  line(fmt::format("TMUL({0}, {0}, {0});", u));
  line(fmt::format("TSUB({0}, {0}, {1});", p, u));
  line(fmt::format("TEXP({0}, {0});", p));
  line(fmt::format("TMUL({0}, {0}, {1});", p, w));  // u erfc(u)
  line(fmt::format("TMULS({0}, {0}, {1});", p, rs2));
  const std::string d = alloc(r, ty, "UB", "V");
  line(fmt::format("TRELU({}, {});", d, x));
  line(fmt::format("TSUB({0}, {0}, {1});", d, p));
}

PtoIsaKernel Emitter::run() {
  if (std::optional<Diagnostic> d = unsupported(k_)) throw UserError(std::vector<Diagnostic>{*d});
  for (const TileInst& inst : k_.body)
    if (inst.op == TileOpKind::Matmul) core_ = CoreKind::Aic;
  tload_ = transposedLoads(k_);
  std::set<std::string, std::less<>> dnParams;
  for (const auto& [t, ld] : tload_) {
    tloadValues_.insert(ld->results.at(0));
    dnParams.insert(ld->param);
  }
  PtoIsaKernel out;
  out.name = k_.name;
  out.core = core_;
  std::string decode;
  uint32_t tiles = 0, scalars = 0;
  for (const ir::KernelParam& p : k_.params) (p.isTile() ? tiles : scalars)++;
  uint32_t ti = 0, si = 0;
  for (const ir::KernelParam& p : k_.params) {
    const std::string v = ident(p.name);
    if (p.isTile()) {
      const TileType& t = p.tile;
      const std::string e(*elemType(t.dtype));
      const std::string addr =
          style_ == ArgStyle::DeviceAddress
              ? fmt::format("reinterpret_cast<__gm__ {}*>(args[{}])", e, ti)
              : fmt::format("reinterpret_cast<__gm__ {0}*>(reinterpret_cast<__gm__ Tensor*>(args[{1}])->buffer.addr) + "
                            "reinterpret_cast<__gm__ Tensor*>(args[{1}])->start_offset",
                            e, ti);
      decode += fmt::format("    // {} {}: args[{}] = tile, args[{}] = row stride (elements)\n", p.typeStr(), p.name, ti,
                            tiles + ti);
      decode += fmt::format("    using G_{0} = GlobalTensor<{1}, Shape<1, 1, 1, {2}, {3}>, Stride<1, 1, 1, DYNAMIC, 1>>;\n",
                            v, e, t.rows, t.cols);
      decode += fmt::format("    G_{0} g_{0}({1}, Shape<1, 1, 1, {2}, {3}>(), Stride<1, 1, 1, DYNAMIC, 1>(args[{4}]));\n",
                            v, addr, t.rows, t.cols, tiles + ti);
      if (dnParams.count(p.name)) {
        // The transposed view of the same words: element (i, j) at i + j * row stride.
        decode += fmt::format(
            "    using GT_{0} = GlobalTensor<{1}, Shape<1, 1, 1, {2}, {3}>, Stride<1, 1, 1, 1, DYNAMIC>, Layout::DN>;\n", v,
            e, t.cols, t.rows);
        decode += fmt::format("    GT_{0} gt_{0}({1}, Shape<1, 1, 1, {2}, {3}>(), Stride<1, 1, 1, 1, DYNAMIC>(args[{4}]));\n",
                              v, addr, t.cols, t.rows, tiles + ti);
      }
      params_[p.name] = "g_" + v;
      ++ti;
    } else {
      const uint32_t w = 2 * tiles + si++;
      decode += fmt::format("    // scalar {} : {}: args[{}]\n", p.name, ir::dtypeName(p.scalarType), w);
      if (p.scalarType == DType::F32) {
        decode += fmt::format("    const uint32_t {0}_bits = static_cast<uint32_t>(args[{1}]);\n", v, w);
        decode += fmt::format("    float s_{0};\n    __builtin_memcpy(&s_{0}, &{0}_bits, sizeof(float));\n", v);
      } else {
        decode += fmt::format("    const int64_t s_{} = args[{}];\n", v, w);
      }
      scalars_[p.name] = "s_" + v;
    }
  }
  out.numTiles = tiles;
  out.numScalars = scalars;
  for (size_t i = 0; i < k_.body.size(); ++i) op(i, k_.body[i]);

  std::string sig;
  for (const ir::KernelParam& p : k_.params) sig += (sig.empty() ? "" : ", ") + fmt::format("{} : {}", p.name, p.typeStr());
  std::string& t = out.text;
  t += fmt::format("// Generated by PTO-WSP (target ascend, PTO-ISA). Do not edit.\n");
  // The source file by name only: the tree must not depend on where it was compiled.
  SourceLoc at = k_.loc;
  at.file = std::filesystem::path(at.file).filename().string();
  t += fmt::format("// kernel '{}' ({}) on {}: ({})\n", k_.name, at.str(), core_ == CoreKind::Aic ? "AIC" : "AIV", sig);
  t += "#include <cstdint>\n#include <pto/pto-inst.hpp>\n";
  if (style_ == ArgStyle::TensorPointer) t += "\n#include \"tensor.h\"\n";
  t += "\nusing namespace pto;\n\n#include \"pipe_sync.h\"\n\n";
  t += "#ifndef __gm__\n#define __gm__\n#endif\n#ifndef __aicore__\n#define __aicore__ [aicore]\n#endif\n\n";
  t += "extern \"C\" __aicore__ __attribute__((always_inline)) void kernel_entry(__gm__ int64_t* args) {\n";
  t += decode;
  t += body_;
  t += "    pipe_sync();\n}\n";
  return out;
}

}  // namespace

arch::OpCapability opCapability(TileOpKind k) {
  TileInst inst;
  inst.op = k;
  if (std::optional<std::string> why = opProblem(inst)) return {k, arch::Support::Unsupported, *why};
  return {k, arch::Support::Enforced, loweringNote(k)};
}

std::optional<Diagnostic> unsupported(const ir::Kernel& k) {
  if (k.external)
    return makeError(k.loc, fmt::format("external kernel '{}' has no PTO-ISA source", k.name))
        .help("the ascend target lowers tile-op kernels only; write the kernel with tile ops");
  const TileInst* cube = nullptr;
  const TileInst* vector = nullptr;
  const std::map<const TileInst*, const TileInst*> tloads = transposedLoads(k);
  bool hasMatmul = false;
  for (const TileInst& inst : k.body) hasMatmul |= inst.op == TileOpKind::Matmul;
  for (const TileInst& inst : k.body) {
    if (inst.op == TileOpKind::Transpose && (!hasMatmul || !tloads.count(&inst)))
      return makeError(inst.loc, fmt::format("tile op 'transpose' has no PTO-ISA lowering in the ascend target except "
                                             "as a transposed load on the cube core (kernel '{}')",
                                             k.name))
          .help("transpose a loaded matmul operand (`%t = transpose %x` with %x = load p used only there)");
    if (std::optional<std::string> why = opProblem(inst))
      return makeError(inst.loc, fmt::format("{} (kernel '{}')", *why, k.name))
          .help("docs/ascend.md lists the ops the ascend target lowers; compile for cpu_sim to run this kernel");
    for (const TileType& t : inst.resultTypes)
      if (!elemType(t.dtype))
        return makeError(inst.loc, fmt::format("'{}' produces a {} tile, which the ascend target cannot lower (kernel '{}')",
                                               ir::tileOpInfo(inst.op).name, ir::dtypeName(t.dtype), k.name))
            .help("the ascend target lowers f32, f16, i32 and i16 tiles");
    if (inst.op == TileOpKind::Matmul) cube = cube ? cube : &inst;
    if (isVectorOp(inst.op) && !tloads.count(&inst)) vector = vector ? vector : &inst;
  }
  for (const ir::KernelParam& p : k.params)
    if (p.isTile() && !elemType(p.tile.dtype))
      return makeError(p.loc, fmt::format("tile parameter '{}' is {}, which the ascend target cannot lower (kernel '{}')",
                                          p.name, ir::dtypeName(p.tile.dtype), k.name))
          .help("the ascend target lowers f32, f16, i32 and i16 tiles");
  if (cube && vector)
    return makeError(vector->loc, fmt::format("kernel '{}' mixes cube work ('matmul' at {}) with vector work ('{}'): "
                                              "mixed kernels are not lowered by the ascend target yet",
                                              k.name, cube->loc.str(), ir::tileOpInfo(vector->op).name))
        .help("split the kernel into a matmul kernel and a vector kernel that meet in a temp tensor");
  return std::nullopt;
}

PtoIsaKernel emitPtoIsaKernel(const ir::Kernel& k, ArgStyle style) { return Emitter(k, style).run(); }

}  // namespace pto::wsp::target::ascend
