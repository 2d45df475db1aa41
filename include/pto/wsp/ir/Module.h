// A module: the unit the verifier checks, the printer prints and lowering compiles.
#pragma once

#include "pto/wsp/ir/DType.h"
#include "pto/wsp/ir/Expr.h"
#include "pto/wsp/ir/Kernel.h"
#include "pto/wsp/ir/Tensor.h"
#include "pto/wsp/ir/Workload.h"
#include "pto/wsp/support/Diagnostic.h"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pto::wsp::ir {

// A runtime-settable integer (e.g. a dynamic size); `value` is its default.
struct SymbolDecl {
  std::string name;
  std::optional<int64_t> value;
  SourceLoc loc;
};
bool operator==(const SymbolDecl& a, const SymbolDecl& b);  // ignores loc

// A u64 runtime slot (written by slot_load / slot_set, read by predicates / keys).
struct SlotDecl {
  std::string name;
  uint64_t init = 0;
  SourceLoc loc;
};
bool operator==(const SlotDecl& a, const SlotDecl& b);  // ignores loc

// Plain aggregate; declaration order is kept (printing is deterministic). Lookups are
// linear and return nullptr when absent; pointers are invalidated by edits to the vector.
struct Module {
  std::string name;
  std::vector<SymbolDecl> symbols;
  std::vector<SlotDecl> slots;
  std::vector<Tensor> tensors;
  std::vector<Kernel> kernels;
  std::vector<Workload> workloads;
  SourceLoc loc;

  const SymbolDecl* findSymbol(std::string_view n) const;
  const SlotDecl* findSlot(std::string_view n) const;
  const Tensor* findTensor(std::string_view n) const;
  const Kernel* findKernel(std::string_view n) const;
  const Workload* findWorkload(std::string_view n) const;
  // symbols -> default values (symbols without default omitted), slots -> init values.
  Env defaultEnv() const;
};
// Structural equality ignoring every SourceLoc: parse(print(m)) == m.
bool operator==(const Module& a, const Module& b);

}  // namespace pto::wsp::ir
