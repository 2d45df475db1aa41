// ptowsp cache dir | warm [--cache-dir DIR]: where the object cache is, and preparing it.
// `warm` builds the tile-library precompiled header that generated kernels compile with
// (docs/program.md); the build runs it for build/<preset>/toolchain so that a compile
// into a fresh cache does not pay for the PCH.
#include "Command.h"

#include "pto/wsp/api/Program.h"
#include "pto/wsp/artifact/ObjectCache.h"

#include <fmt/format.h>

#include <functional>
#include <memory>

namespace pto::wsp::cli {
namespace {

struct CacheCmdOptions {
  std::string cacheDir;
};

int runCache(const CacheCmdOptions& o, const CLI::App* dir) {
  if (dir->parsed()) {
    fmt::print("{}\n", artifact::ObjectCache::defaultDir().string());
    return 0;
  }
  const std::filesystem::path pch = Program::warmCache(o.cacheDir);
  if (pch.empty()) {
    fmt::print(stderr, "warning: the compiler could not build the tile-library PCH; kernels compile without it\n");
    return 0;
  }
  fmt::print("{}\n", pch.string());
  return 0;
}

PTOWSP_COMMAND("cache", "show or prepare the object cache", [](CLI::App& sub) {
  auto o = std::make_shared<CacheCmdOptions>();
  sub.require_subcommand(1);
  CLI::App* dir = sub.add_subcommand("dir", "print the cache directory ($PTO_WSP_CACHE_DIR, else XDG)");
  CLI::App* warm = sub.add_subcommand("warm", "build the tile-library precompiled header into the cache");
  warm->add_option("--cache-dir", o->cacheDir, "cache root (default: ptowsp cache dir)");
  // Parenthesised: the capture list's comma must not split the macro argument.
  return std::function<int()>([o, dir] { return runCache(*o, dir); });
});

}  // namespace
}  // namespace pto::wsp::cli
