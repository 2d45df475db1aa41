// Parser of the .wsp text format (docs/wsp-format.md).
#pragma once

#include "pto/wsp/ir/Module.h"

#include <string_view>

namespace pto::wsp::ir::text {

// Nesting limit for blocks and expressions: deeper input is a located error, not a
// stack overflow.
inline constexpr int kMaxNestingDepth = 200;

// Parses one module. Every node carries the SourceLoc (filename:line:col) of its first
// token so that verifier errors point into the file. The module is NOT verified: call
// ir::verify() / verifyOrThrow() next.
// Throws UserError on the first lexical or syntax error: "file:line:col: error: expected
// ']' after tile shape, found ','" plus a "help:" note. Never crashes or hangs on any
// input (bounded size, nesting depth and integer ranges). Thread-safe (pure function).
Module parse(std::string_view text, std::string_view filename);

}  // namespace pto::wsp::ir::text
