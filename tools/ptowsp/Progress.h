// Compile options shared by `ptowsp run` and `ptowsp compile`: target/arch/cache from
// the command line and progress lines on stderr for kernels that are actually compiled.
#pragma once

#include "pto/wsp/api/Program.h"

#include <string>

namespace pto::wsp::cli {

// Cache misses print "[k/n] compiled NAME (M ms)" to stderr (the first one preceded by
// "compiling kernels..."); cache hits stay quiet so a warm run prints nothing.
CompileOptions cliCompileOptions(const std::string& target, const std::string& arch, const std::string& cacheDir);

// Prints the compile's warnings (Program::warnings) to stderr, located, like `ptowsp check`.
void printWarnings(const Program& p);

}  // namespace pto::wsp::cli
