// Readable text of an orchestration plan (`ptowsp compile --dump=plan`, the plan golden
// files). One line per table entry and per plan node, nested by indentation; bytecode
// expressions are printed infix with the plan's own names (symbols, slots, tensors,
// kernels, channels). Loop and consume variables have no names in the plan: they print
// as %<binding index>. Entries with a source location end in " @line:col" (a file other
// than the plan's first adds its name, without directories). The text is for people and golden tests; it is not parsed back
// (serializePlan is the interchange format).
#pragma once

#include "pto/wsp/abi/Plan.h"

#include <cstdint>
#include <functional>
#include <string>

namespace pto::wsp::abi {

struct PlanPrintOptions {
  // Name of a tensor / param dtype code (the compiler's, opaque to abi); unset prints
  // the element kind and width ("float32").
  std::function<std::string(uint8_t)> dtypeName;
};

// Infix text of a bytecode expression; names come from `p`. A malformed program prints
// as "<malformed: ...>" rather than throwing (the printer is a debugging aid).
std::string printBytecode(const Bytecode& e, const Plan& p);
std::string printPlan(const Plan& p, const PlanPrintOptions& opts = {});

}  // namespace pto::wsp::abi
