// Located JSON reading, shared by every JSON format the project reads (arch files,
// artifact manifests): a syntax error is a UserError at file:line:col, and errors found
// after parsing (located by JSON pointer) also get the line:col of the value they name.
// Pure functions: thread-safe.
#pragma once

#include "pto/wsp/support/Diagnostic.h"

#include <nlohmann/json_fwd.hpp>

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace pto::wsp {

// Byte offset (0-based) in text -> 1-based line and column.
struct LineCol {
  uint32_t line = 1, col = 1;
};
LineCol lineColOf(std::string_view text, size_t offset);

// Offset of the first character of every value in syntactically valid JSON text, keyed
// by JSON pointer ("" = root, "/units/0/name"; keys are not ~-escaped, matching the
// pointers the readers' diagnostics use). Garbage in -> partial map, never a crash.
std::map<std::string, size_t> locateJsonPointers(std::string_view text);

// Parses `text`; a syntax error throws UserError at file:line:col of the offending
// character: "<what>: <parser's reason>" with `help` as its help note.
nlohmann::json parseJsonText(std::string_view text, const std::string& file, std::string_view what,
                             std::string_view help);

// Gives every diagnostic located only by a JSON pointer (loc.context, "/" = the root, no
// line yet) the line:col of the value that pointer names in `text`.
std::vector<Diagnostic> locateByPointer(std::vector<Diagnostic> diags, std::string_view text);

}  // namespace pto::wsp
