#include "pto/wsp/ir/DType.h"

#include <array>

namespace pto::wsp::ir {

namespace {
struct DTypeInfo {
  std::string_view name;
  uint32_t bytes;
  char kind;  // 'f' float, 's' signed, 'u' unsigned, 'b' bool
};
constexpr std::array<DTypeInfo, kNumDTypes> kInfo{{
    {"f16", 2, 'f'}, {"bf16", 2, 'f'}, {"f32", 4, 'f'}, {"f64", 8, 'f'},
    {"i8", 1, 's'},  {"i16", 2, 's'},  {"i32", 4, 's'}, {"i64", 8, 's'},
    {"u8", 1, 'u'},  {"u16", 2, 'u'},  {"u32", 4, 'u'}, {"u64", 8, 'u'},
    {"bool", 1, 'b'},
}};
const DTypeInfo& info(DType t) { return kInfo[static_cast<size_t>(t)]; }
}  // namespace

std::string_view dtypeName(DType t) { return info(t).name; }

std::optional<DType> parseDType(std::string_view name) {
  for (size_t i = 0; i < kInfo.size(); ++i)
    if (kInfo[i].name == name) return static_cast<DType>(i);
  return std::nullopt;
}

uint32_t dtypeBytes(DType t) { return info(t).bytes; }
bool isFloat(DType t) { return info(t).kind == 'f'; }
bool isSignedInt(DType t) { return info(t).kind == 's'; }
bool isUnsignedInt(DType t) { return info(t).kind == 'u'; }

std::string_view allDTypeNames() {
  return "f16, bf16, f32, f64, i8, i16, i32, i64, u8, u16, u32, u64, bool";
}

}  // namespace pto::wsp::ir
