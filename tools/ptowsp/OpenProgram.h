// What `ptowsp run` and `ptowsp tune` run: a .wsp file (compiled now) or a package
// directory written by `ptowsp compile -o DIR` (loaded without its source).
#pragma once

#include "pto/wsp/api/Program.h"

#include <string>
#include <vector>

namespace pto::wsp::cli {

struct OpenOptions {
  std::string file;  // FILE.wsp or PKG_DIR
  std::string target;
  bool targetGiven = false;  // --target on the command line (a package is checked against it)
  std::string arch;          // "" = the target's default / the package's
  std::string workload;
  std::string cacheDir;
};

// A directory holding manifest.json.
bool isPackageDir(const std::string& path);

// Compiles FILE.wsp, or loads PKG_DIR after checking --target, --arch and --workload
// against its manifest (a located error naming both values when they differ).
Program openProgram(const OpenOptions& o);

// Every symbol without a default needs a --set NAME=VALUE in `sets`: otherwise a
// UserError per missing symbol, located at its declaration, with the flag as the fix
// (the library's own error names the C++ call).
void requireSymbolValues(const ir::Module& module, const std::vector<std::string>& sets);

}  // namespace pto::wsp::cli
