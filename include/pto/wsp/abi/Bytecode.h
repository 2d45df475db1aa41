// Plan bytecode: the runtime values of a plan (loop bounds, offsets, conditions,
// dispatch keys, scalar arguments) as postfix code over int64. Not IR: the compiler's
// scalar expressions are ir::Expr; lower encodes them into this form, the runtime
// evaluates it without any compiler code.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace pto::wsp::abi {

// Postfix over an int64 stack. Operands: Const (8-byte immediate), Sym / Slot / Var
// (4-byte index immediates: symbol table, slot table, enclosing loop/consume variable
// by binding index). Binary ops pop b then a and push a op b; comparisons and logic
// push 0/1; Select pops else, then, cond and pushes cond ? then : else.
// Load (4-byte tensor index immediate) pops an element index and pushes that integer
// element of the tensor's memory, read at run time (ragged lengths, CSR indptr /
// indices): the data stays in the tensor, never in the plan. CvtF16/CvtBF16/CvtF32/
// CvtF64 pop an integer and push the bit pattern of its float conversion in the low
// bits (scalar kernel arguments, abi/KernelAbi.h).
enum class BytecodeOp : uint8_t {
  Const, Sym, Slot, Var,
  Add, Sub, Mul, Div, Mod, Min, Max,
  Lt, Le, Gt, Ge, Eq, Ne,
  And, Or, Not, Neg,
  Select,
  Load,
  CvtF16, CvtBF16, CvtF32, CvtF64,
};
inline constexpr uint8_t kMaxBytecodeOp = static_cast<uint8_t>(BytecodeOp::CvtF64);

struct Bytecode {
  std::vector<uint8_t> code;  // empty = the constant 0
  bool operator==(const Bytecode&) const = default;

  // Builders for producers (lower) and tests; each appends postfix code.
  static Bytecode constant(int64_t v);
  static Bytecode sym(uint32_t i);
  static Bytecode slot(uint32_t i);
  static Bytecode var(uint32_t i);
  static Bytecode binary(BytecodeOp op, const Bytecode& a, const Bytecode& b);
  static Bytecode unary(BytecodeOp op, const Bytecode& a);
  static Bytecode select(const Bytecode& c, const Bytecode& t, const Bytecode& e);
  static Bytecode load(uint32_t tensor, const Bytecode& index);  // tensor[index] at run time
  bool isConstant(int64_t* v = nullptr) const;
};

// Float bit patterns of the kernel ABI: f16 / bf16 (round to nearest even) in the low
// 16 bits, f32 in the low 32, f64 in all 64. Used by the Cvt ops and by the compiler
// to constant-fold float scalar arguments.
enum class FloatFormat : uint8_t { F16, BF16, F32, F64 };
uint64_t floatBits(double v, FloatFormat f);

// Values the bytecode reads. Div/Mod by zero and a malformed program are user errors.
struct BytecodeEnv {
  const int64_t* symbols = nullptr;
  size_t numSymbols = 0;
  const uint64_t* slots = nullptr;
  size_t numSlots = 0;
  const int64_t* vars = nullptr;
  size_t numVars = 0;
  // Load: reads element `index` of tensor `tensor` (the interpreter first waits for its
  // writer); null = no tensor memory, a Load is then a user error.
  int64_t (*load)(void* ctx, uint32_t tensor, int64_t index) = nullptr;
  void* loadCtx = nullptr;
};
int64_t evalBytecode(const Bytecode& e, const BytecodeEnv& env);
inline constexpr size_t kVarOpConstBytes = 1 + sizeof(uint32_t) + 1 + sizeof(int64_t) + 1;
// `Var i; Const b; op` for op in +, -, *, /, %: false (evaluate) for anything that would
// be an error (overflow, a zero divisor, INT64_MIN / -1) or another shape.
bool evalVarOpConst(const uint8_t* code, const int64_t* vars, size_t numVars, int64_t& out);
// The common shapes answered without the stack machine: the empty program (0), one
// constant, one variable below numVars, or such a variable +, -, *, / or % a constant. Inline so that a caller can skip building a
// BytecodeEnv (most view offsets and dispatch keys are one of these); false = evaluate.
inline bool evalTrivialBytecode(const Bytecode& e, const int64_t* vars, size_t numVars, int64_t& out) {
  const std::vector<uint8_t>& c = e.code;
  if (c.empty()) {
    out = 0;
    return true;
  }
  if (c.size() == 1 + sizeof(int64_t) && c[0] == static_cast<uint8_t>(BytecodeOp::Const)) {
    std::memcpy(&out, c.data() + 1, sizeof out);
    return true;
  }
  if (c.size() == 1 + sizeof(uint32_t) && c[0] == static_cast<uint8_t>(BytecodeOp::Var)) {
    uint32_t i;
    std::memcpy(&i, c.data() + 1, sizeof i);
    if (i < numVars) {
      out = vars[i];
      return true;
    }
  }
  // var op constant (a row i % 64, a tile offset i * 16), out of line: inlining it
  // grew every caller's common path.
  if (c.size() == kVarOpConstBytes) return evalVarOpConst(c.data(), vars, numVars, out);
  return false;
}
// Checks stack discipline and operand indices against the given table sizes; returns
// "" if fine, else what is wrong.
std::string checkBytecode(const Bytecode& e, size_t numSymbols, size_t numSlots, size_t numVars, size_t numTensors = 0);
// True if the bytecode reads a loop/consume variable, a slot or tensor memory (i.e. it
// is not a function of the symbols alone).
bool readsRuntimeState(const Bytecode& e);

}  // namespace pto::wsp::abi
