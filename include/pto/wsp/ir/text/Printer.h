// Printer of the .wsp text format (docs/wsp-format.md): the canonical, human-readable
// text of a Module. parse(print(m)) == m and print(parse(print(m))) == print(m).
#pragma once

#include "pto/wsp/ir/Expr.h"
#include "pto/wsp/ir/Module.h"

#include <string>

namespace pto::wsp::ir::text {

// Canonical text of the whole module. Thread-safe (pure); never throws for any module
// the IR can hold (names that are not identifiers are printed as "quoted" strings).
std::string print(const Module& m);

// Canonical text of one scalar expression, as it appears inside a module (slots as $name).
std::string printExpr(const Expr& e);

}  // namespace pto::wsp::ir::text
