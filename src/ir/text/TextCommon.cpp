#include "TextCommon.h"

#include <array>

namespace pto::wsp::ir::text::detail {

bool isReservedWord(std::string_view s) {
  static constexpr std::array<std::string_view, 10> kWords = {
      "true", "false", "inf", "nan", "and", "or", "not", "min", "max", "select"};
  for (std::string_view w : kWords)
    if (w == s) return true;
  return false;
}

bool isPlainIdent(std::string_view s) {
  if (s.empty()) return false;
  auto start = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; };
  if (!start(s[0])) return false;
  for (char c : s)
    if (!start(c) && !(c >= '0' && c <= '9')) return false;
  return true;
}

std::string quoteString(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default: out += c;
    }
  }
  out += '"';
  return out;
}

std::string quoteName(std::string_view s) {
  if (isPlainIdent(s) && !isReservedWord(s)) return std::string(s);
  return quoteString(s);
}

std::string sigilName(char sigil, std::string_view s) {
  bool plain = !s.empty();
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (c >= '0' && c <= '9')))
      plain = false;
  return std::string(1, sigil) + (plain ? std::string(s) : quoteString(s));
}

std::optional<std::vector<TileType>> inferResultTypes(
    const TileInst& inst, const std::map<std::string, TileType>& values,
    const std::vector<KernelParam>& params) {
  std::vector<TileType> operandTypes;
  for (const std::string& o : inst.operands) {
    auto it = values.find(o);
    if (it == values.end()) return std::nullopt;
    operandTypes.push_back(it->second);
  }
  const TileType* paramType = nullptr;
  if (!inst.param.empty()) {
    for (const KernelParam& p : params)
      if (p.name == inst.param && p.isTile()) paramType = &p.tile;
    if (!paramType) return std::nullopt;
  }
  // load/store without a tile parameter cannot be typed (and would trip an assert).
  if ((inst.op == TileOpKind::Load || inst.op == TileOpKind::Store) && !paramType)
    return std::nullopt;
  auto r = inferTileOpTypes(inst, operandTypes, paramType);
  if (auto* types = std::get_if<std::vector<TileType>>(&r)) return *types;
  return std::nullopt;
}

}  // namespace pto::wsp::ir::text::detail
