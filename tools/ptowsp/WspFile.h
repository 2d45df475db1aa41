// Reading a .wsp file for the CLI: located errors for unreadable files, then parse.
#pragma once

#include "pto/wsp/ir/Module.h"

#include <string>

namespace pto::wsp::cli {

// Reads and parses `path`; throws UserError (file:line:col) on any read or parse error.
ir::Module parseWspFile(const std::string& path);

}  // namespace pto::wsp::cli
