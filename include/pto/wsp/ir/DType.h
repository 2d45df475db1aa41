// Element types of tensors, tiles and scalars.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace pto::wsp::ir {

enum class DType : uint8_t {
  F16, BF16, F32, F64,
  I8, I16, I32, I64,
  U8, U16, U32, U64,
  Bool,
};
inline constexpr int kNumDTypes = 13;

// "f16", "bf16", "f32", ... "bool": the spelling used in .wsp text and JSON.
std::string_view dtypeName(DType t);
std::optional<DType> parseDType(std::string_view name);
// Storage size in bytes (bool is 1 byte).
uint32_t dtypeBytes(DType t);
bool isFloat(DType t);
bool isSignedInt(DType t);
bool isUnsignedInt(DType t);
inline bool isInteger(DType t) { return isSignedInt(t) || isUnsignedInt(t); }
// Comma-separated list of every dtype name, for "expected one of ..." messages.
std::string_view allDTypeNames();

}  // namespace pto::wsp::ir
