// Internal helpers shared by the .wsp printer and parser (not a public header).
#pragma once

#include "pto/wsp/ir/Kernel.h"

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pto::wsp::ir::text::detail {

// Words that cannot be bare names inside expressions (they are literals/operators there).
bool isReservedWord(std::string_view s);
bool isPlainIdent(std::string_view s);
// A name as it appears in text: bare when it is a plain identifier and not reserved,
// else a "quoted" string (the parser accepts both wherever a name is expected).
std::string quoteName(std::string_view s);
std::string quoteString(std::string_view s);
// Name of an SSA value / slot with its sigil: %x, %"a b"; $x, $"a b".
std::string sigilName(char sigil, std::string_view s);

// The result types the op would infer from the types known so far (nullopt when an
// operand's type is unknown or the op's rules are broken). Used by the printer to omit
// inferable ': Tile[...]' annotations and by the parser to fill them back in.
std::optional<std::vector<TileType>> inferResultTypes(
    const TileInst& inst, const std::map<std::string, TileType>& values,
    const std::vector<KernelParam>& params);

}  // namespace pto::wsp::ir::text::detail
