// Which body instruction defines each value of a kernel and how many instructions use it,
// and its tile params by name: what the code generator's stream rules (KernelCodegen.cpp,
// MatmulStream.h) ask of a kernel, built once per kernel.
#pragma once

#include "pto/wsp/ir/Kernel.h"

#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <string_view>

namespace pto::wsp::lower::detail {

struct KernelDefUse {
  explicit KernelDefUse(const ir::Kernel& k);
  const ir::Kernel& kernel;
  std::map<std::string, size_t, std::less<>> def;   // value -> body index defining it
  std::map<std::string, size_t, std::less<>> uses;  // value -> operand uses
  size_t usesOf(std::string_view v) const;
  // The param named `name` when it is a tile param, else nullptr.
  const ir::KernelParam* tileParam(std::string_view name) const;
};

}  // namespace pto::wsp::lower::detail
