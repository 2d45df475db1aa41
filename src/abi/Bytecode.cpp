// Plan bytecode: builders, checker and evaluator (abi/Bytecode.h).
#include "pto/wsp/abi/Bytecode.h"

#include "pto/wsp/support/Diagnostic.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>

namespace pto::wsp::abi {

namespace {
void emitOp(Bytecode& e, BytecodeOp op) { e.code.push_back(static_cast<uint8_t>(op)); }
// resize + memcpy rather than insert: GCC 12 reports false -Warray-bounds on inserts of
// small ranges into vector<uint8_t>.
void appendBytes(std::vector<uint8_t>& dst, const void* src, size_t n) {
  if (n == 0) return;
  size_t o = dst.size();
  dst.resize(o + n);
  std::memcpy(dst.data() + o, src, n);
}
template <class T>
void emitImm(Bytecode& e, T v) {
  appendBytes(e.code, &v, sizeof v);
}
template <class T>
T readImm(const std::vector<uint8_t>& c, size_t& pc) {
  T v;
  std::memcpy(&v, c.data() + pc, sizeof v);
  pc += sizeof v;
  return v;
}
int arity(BytecodeOp op) {
  switch (op) {
    case BytecodeOp::Const: case BytecodeOp::Sym: case BytecodeOp::Slot: case BytecodeOp::Var: return 0;
    case BytecodeOp::Not: case BytecodeOp::Neg: case BytecodeOp::Load:
    case BytecodeOp::CvtF16: case BytecodeOp::CvtBF16: case BytecodeOp::CvtF32: case BytecodeOp::CvtF64: return 1;
    case BytecodeOp::Select: return 3;
    default: return 2;
  }
}
size_t immBytes(BytecodeOp op) {
  switch (op) {
    case BytecodeOp::Const: return 8;
    case BytecodeOp::Sym: case BytecodeOp::Slot: case BytecodeOp::Var: case BytecodeOp::Load: return 4;
    default: return 0;
  }
}
}  // namespace

// A one-instruction expression: an opcode and its immediate (constant or table index).
template <class Imm>
static Bytecode leaf(BytecodeOp op, Imm imm) {
  Bytecode e;
  emitOp(e, op);
  emitImm(e, imm);
  return e;
}

Bytecode Bytecode::constant(int64_t v) { return leaf(BytecodeOp::Const, v); }
Bytecode Bytecode::sym(uint32_t i) { return leaf(BytecodeOp::Sym, i); }
Bytecode Bytecode::slot(uint32_t i) { return leaf(BytecodeOp::Slot, i); }
Bytecode Bytecode::var(uint32_t i) { return leaf(BytecodeOp::Var, i); }
Bytecode Bytecode::binary(BytecodeOp op, const Bytecode& a, const Bytecode& b) {
  Bytecode e = a.code.empty() ? constant(0) : a;
  const Bytecode bb = b.code.empty() ? constant(0) : b;
  appendBytes(e.code, bb.code.data(), bb.code.size());
  emitOp(e, op);
  return e;
}
Bytecode Bytecode::unary(BytecodeOp op, const Bytecode& a) {
  Bytecode e = a.code.empty() ? constant(0) : a;
  emitOp(e, op);
  return e;
}
Bytecode Bytecode::select(const Bytecode& c, const Bytecode& t, const Bytecode& f) {
  Bytecode e = c.code.empty() ? constant(0) : c;
  for (const Bytecode* x : {&t, &f}) {
    const Bytecode y = x->code.empty() ? constant(0) : *x;
    appendBytes(e.code, y.code.data(), y.code.size());
  }
  emitOp(e, BytecodeOp::Select);
  return e;
}

Bytecode Bytecode::load(uint32_t tensor, const Bytecode& index) {
  Bytecode e = index.code.empty() ? constant(0) : index;
  emitOp(e, BytecodeOp::Load);
  emitImm(e, tensor);
  return e;
}

namespace {
// IEEE binary format with `mBits` mantissa and `eBits` exponent bits, rounded to nearest
// even straight from the double (no double rounding through f32).
uint64_t encodeSmallFloat(double v, int mBits, int eBits) {
  const uint64_t sign = std::signbit(v) ? uint64_t{1} << (mBits + eBits) : 0;
  const int bias = (1 << (eBits - 1)) - 1, expMax = (1 << eBits) - 1;
  const uint64_t inf = static_cast<uint64_t>(expMax) << mBits;
  if (std::isnan(v)) return sign | inf | (uint64_t{1} << (mBits - 1));
  double a = std::fabs(v);
  if (std::isinf(a)) return sign | inf;
  if (a == 0) return sign;
  int ex = 0;
  std::frexp(a, &ex);
  int e = ex - 1;  // a in [2^e, 2^(e+1))
  const int minNormal = 1 - bias;
  if (e < minNormal) {  // subnormal; rounding up to 2^mBits lands on the smallest normal
    auto mant = static_cast<uint64_t>(std::nearbyint(std::ldexp(a, mBits - minNormal)));
    return sign | mant;
  }
  auto mant = static_cast<uint64_t>(std::nearbyint(std::ldexp(a, mBits - e)));
  if (mant == (uint64_t{2} << mBits)) {
    mant >>= 1;
    ++e;
  }
  if (e + bias >= expMax) return sign | inf;
  return sign | (static_cast<uint64_t>(e + bias) << mBits) | (mant - (uint64_t{1} << mBits));
}
}  // namespace

uint64_t floatBits(double v, FloatFormat f) {
  switch (f) {
    case FloatFormat::F16: return encodeSmallFloat(v, 10, 5);
    case FloatFormat::BF16: return encodeSmallFloat(v, 7, 8);
    case FloatFormat::F32: return encodeSmallFloat(v, 23, 8);  // no UB for |v| > FLT_MAX
    case FloatFormat::F64: {
      uint64_t b = 0;
      std::memcpy(&b, &v, 8);
      return b;
    }
  }
  return 0;
}

bool readsRuntimeState(const Bytecode& e) {
  size_t pc = 0;
  while (pc < e.code.size()) {
    uint8_t raw = e.code[pc++];
    if (raw > kMaxBytecodeOp) return true;  // malformed: treat as dynamic
    auto op = static_cast<BytecodeOp>(raw);
    if (op == BytecodeOp::Var || op == BytecodeOp::Slot || op == BytecodeOp::Load) return true;
    pc += immBytes(op);
  }
  return false;
}

bool Bytecode::isConstant(int64_t* v) const {
  if (code.empty()) {
    if (v) *v = 0;
    return true;
  }
  if (code.size() != 9 || code[0] != static_cast<uint8_t>(BytecodeOp::Const)) return false;
  if (v) std::memcpy(v, code.data() + 1, 8);
  return true;
}

std::string checkBytecode(const Bytecode& e, size_t numSymbols, size_t numSlots, size_t numVars, size_t numTensors) {
  if (e.code.empty()) return "";
  size_t pc = 0;
  int depth = 0;
  while (pc < e.code.size()) {
    uint8_t raw = e.code[pc++];
    if (raw > kMaxBytecodeOp) return fmt::format("bad opcode {} at {}", raw, pc - 1);
    auto op = static_cast<BytecodeOp>(raw);
    if (pc + immBytes(op) > e.code.size()) return fmt::format("truncated immediate at {}", pc);
    if (op == BytecodeOp::Sym || op == BytecodeOp::Slot || op == BytecodeOp::Var) {
      uint32_t i = readImm<uint32_t>(e.code, pc);
      size_t lim = op == BytecodeOp::Sym ? numSymbols : op == BytecodeOp::Slot ? numSlots : numVars;
      if (i >= lim)
        return fmt::format("{} index {} out of range ({})",
                           op == BytecodeOp::Sym ? "symbol" : op == BytecodeOp::Slot ? "slot" : "variable", i, lim);
    } else if (op == BytecodeOp::Load) {
      uint32_t i = readImm<uint32_t>(e.code, pc);
      if (i >= numTensors) return fmt::format("tensor index {} out of range ({})", i, numTensors);
    } else {
      pc += immBytes(op);
    }
    int a = arity(op);
    if (depth < a) return fmt::format("stack underflow at {}", pc);
    depth += 1 - a;
    if (depth > 64) return "expression stack deeper than 64";
  }
  if (depth != 1) return fmt::format("expression leaves {} values", depth);
  return "";
}

bool evalVarOpConst(const uint8_t* c, const int64_t* vars, size_t numVars, int64_t& out) {
  if (c[0] != static_cast<uint8_t>(BytecodeOp::Var) || c[5] != static_cast<uint8_t>(BytecodeOp::Const)) return false;
  uint32_t i;
  int64_t b;
  std::memcpy(&i, c + 1, sizeof i);
  std::memcpy(&b, c + 6, sizeof b);
  if (i >= numVars) return false;
  const int64_t a = vars[i];
  switch (static_cast<BytecodeOp>(c[14])) {
    case BytecodeOp::Add: return !__builtin_add_overflow(a, b, &out);
    case BytecodeOp::Sub: return !__builtin_sub_overflow(a, b, &out);
    case BytecodeOp::Mul: return !__builtin_mul_overflow(a, b, &out);
    case BytecodeOp::Div:
      if (b == 0 || b == -1) return false;
      out = a / b;
      return true;
    case BytecodeOp::Mod:
      if (b == 0 || b == -1) return false;
      out = a % b;
      return true;
    default: return false;
  }
}

int64_t evalBytecode(const Bytecode& e, const BytecodeEnv& env) {
  if (int64_t v; evalTrivialBytecode(e, env.vars, env.numVars, v)) return v;
  int64_t st[64];
  int sp = 0;
  size_t pc = 0;
  const auto& c = e.code;
  auto bad = [](const std::string& m) {
    return UserError(makeError({}, "scalar expression: " + m).help("check the plan's bytecode"));
  };
  // Index and shape arithmetic is int64 and checked: a result that does not fit is an
  // error of the run's values, never a wrapped-around offset or size.
  auto overflow = [](const std::string& what) {
    return UserError(makeError({}, fmt::format("scalar expression: integer overflow: {} does not fit in int64", what))
                         .help("check the symbol, slot and loop values the expression reads (--set, setSymbol)"));
  };
  while (pc < c.size()) {
    auto op = static_cast<BytecodeOp>(c[pc++]);
    if (c[pc - 1] > kMaxBytecodeOp || sp < arity(op) || sp >= 64 ||
        pc + immBytes(op) > c.size())
      throw bad("malformed bytecode");
    switch (op) {
      case BytecodeOp::Const: st[sp++] = readImm<int64_t>(c, pc); continue;
      case BytecodeOp::Sym: {
        uint32_t i = readImm<uint32_t>(c, pc);
        if (i >= env.numSymbols) throw bad(fmt::format("symbol {} out of range", i));
        st[sp++] = env.symbols[i];
        continue;
      }
      case BytecodeOp::Slot: {
        uint32_t i = readImm<uint32_t>(c, pc);
        if (i >= env.numSlots) throw bad(fmt::format("slot {} out of range", i));
        st[sp++] = static_cast<int64_t>(env.slots[i]);
        continue;
      }
      case BytecodeOp::Var: {
        uint32_t i = readImm<uint32_t>(c, pc);
        if (i >= env.numVars) throw bad(fmt::format("variable {} out of range", i));
        st[sp++] = env.vars[i];
        continue;
      }
      case BytecodeOp::Not: st[sp - 1] = !st[sp - 1]; continue;
      case BytecodeOp::Neg:
        if (st[sp - 1] == INT64_MIN) throw overflow(fmt::format("-({})", st[sp - 1]));
        st[sp - 1] = -st[sp - 1];
        continue;
      case BytecodeOp::Select: {
        int64_t f = st[--sp], t = st[--sp], cnd = st[--sp];
        st[sp++] = cnd ? t : f;
        continue;
      }
      case BytecodeOp::Load: {
        uint32_t t = readImm<uint32_t>(c, pc);
        if (!env.load)
          throw UserError(makeError({}, fmt::format("scalar expression reads element {} of tensor {} but no tensor "
                                                    "memory is bound", st[sp - 1], t))
                              .help("bind the tensor's memory (lengths / indptr / indices are read at run time)"));
        st[sp - 1] = env.load(env.loadCtx, t, st[sp - 1]);
        continue;
      }
      case BytecodeOp::CvtF16: case BytecodeOp::CvtBF16: case BytecodeOp::CvtF32: case BytecodeOp::CvtF64: {
        auto f = static_cast<FloatFormat>(static_cast<uint8_t>(op) - static_cast<uint8_t>(BytecodeOp::CvtF16));
        st[sp - 1] = static_cast<int64_t>(floatBits(static_cast<double>(st[sp - 1]), f));
        continue;
      }
      default: break;
    }
    int64_t b = st[--sp], a = st[--sp], r = 0;
    switch (op) {
      case BytecodeOp::Add:
        if (__builtin_add_overflow(a, b, &r)) throw overflow(fmt::format("{} + {}", a, b));
        break;
      case BytecodeOp::Sub:
        if (__builtin_sub_overflow(a, b, &r)) throw overflow(fmt::format("{} - {}", a, b));
        break;
      case BytecodeOp::Mul:
        if (__builtin_mul_overflow(a, b, &r)) throw overflow(fmt::format("{} * {}", a, b));
        break;
      case BytecodeOp::Div:
      case BytecodeOp::Mod:
        if (b == 0)  // a user error: the divisor reads a run's symbol, slot or loop value
          throw UserError(makeError({}, fmt::format("scalar expression: {} by zero ({} {} 0)",
                                                    op == BytecodeOp::Div ? "division" : "modulo", a,
                                                    op == BytecodeOp::Div ? "/" : "%"))
                              .help("the divisor reads a symbol, slot or loop variable that is 0 in this run; "
                                    "give it a nonzero value"));
        if (a == INT64_MIN && b == -1) {
          if (op == BytecodeOp::Div) throw overflow(fmt::format("{} / -1", a));
          r = 0;
        } else {
          r = op == BytecodeOp::Div ? a / b : a % b;
        }
        break;
      case BytecodeOp::Min: r = std::min(a, b); break;
      case BytecodeOp::Max: r = std::max(a, b); break;
      case BytecodeOp::Lt: r = a < b; break;
      case BytecodeOp::Le: r = a <= b; break;
      case BytecodeOp::Gt: r = a > b; break;
      case BytecodeOp::Ge: r = a >= b; break;
      case BytecodeOp::Eq: r = a == b; break;
      case BytecodeOp::Ne: r = a != b; break;
      case BytecodeOp::And: r = a && b; break;
      case BytecodeOp::Or: r = a || b; break;
      default: throw bad("bad opcode");
    }
    st[sp++] = r;
  }
  if (sp != 1) throw bad("malformed bytecode");
  return st[0];
}

}  // namespace pto::wsp::abi
