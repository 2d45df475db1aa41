// Positions in JSON text: byte offset -> line:col, and JSON pointer -> offset, so that
// errors found after parsing (located by JSON pointer) can also name line:col.
// Pure functions: thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace pto::wsp::arch {

// Byte offset (0-based) in text -> 1-based line and column.
struct LineCol {
  uint32_t line = 1, col = 1;
};
LineCol lineColOf(std::string_view text, size_t offset);

// Offset of the first character of every value in syntactically valid JSON text, keyed
// by JSON pointer ("" = root, "/units/0/name"; keys are not ~-escaped, matching the
// pointers ArchJson's diagnostics use). Garbage in -> partial map, never a crash.
std::map<std::string, size_t> locateJsonPointers(std::string_view text);

}  // namespace pto::wsp::arch
