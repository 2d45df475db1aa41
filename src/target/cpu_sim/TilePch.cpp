#include "TilePch.h"

#include "KernelSources.h"

#include "pto/wsp/artifact/AtomicFile.h"
#include "pto/wsp/artifact/FileLock.h"
#include "pto/wsp/support/Hash.h"

#include <fmt/format.h>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <nlohmann/json.hpp>

namespace pto::wsp::target::cpu_sim {

namespace fs = std::filesystem;

namespace {

// The prologue of every generated kernel (lower/KernelCodegen.cpp): with the PCH forced
// in first, the kernel's own #includes hit their include guards.
constexpr const char* kPchText =
    "// tile-library precompiled header (pto-wsp, docs/program.md)\n"
    "#include <bit>\n#include <cstddef>\n#include <cstdint>\n#include <limits>\n#include <type_traits>\n"
    "#include \"pto/wsp/abi/KernelAbi.h\"\n#include \"pto/wsp/tile/TileLib.h\"\n";

// "" when the PCH in `dir` is complete and its bytes match the recorded size and hash,
// else what is wrong.
std::string pchProblem(const fs::path& dir) {
  std::error_code ec;
  if (!fs::exists(dir / "kpch.json", ec)) return "missing";
  std::optional<std::string> meta = artifact::tryReadFile(dir / "kpch.json");
  std::optional<std::string> text = artifact::tryReadFile(dir / "kpch.h");
  if (!meta || !text || *text != kPchText) return "its header text is missing or differs";
  nlohmann::json j = nlohmann::json::parse(*meta, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("size") || !j.contains("xxh3")) return "its metadata is unreadable";
  std::optional<artifact::FileDigest> d = artifact::digestFile(dir / "kpch.h.gch");
  if (!d) return "kpch.h.gch is missing";
  if (d->size != j["size"].get<uint64_t>() || hashHex(d->hash) != j["xxh3"].get<std::string>())
    return fmt::format("kpch.h.gch is {} bytes with hash {}, metadata says {} bytes, hash {}", d->size,
                       hashHex(d->hash), j["size"].get<uint64_t>(), j["xxh3"].get<std::string>());
  return {};
}

// The read-only PCH root the build prepares (build/<preset>/toolchain, `ptowsp cache
// warm`): $PTO_WSP_PCH_DIR when set (empty: none), else the build's directory.
fs::path prebuiltRoot() {
  if (const char* env = std::getenv("PTO_WSP_PCH_DIR")) return fs::path(env);
#ifdef PTO_WSP_PREBUILT_PCH_DIR
  return fs::path(PTO_WSP_PREBUILT_PCH_DIR);
#else
  return {};
#endif
}

}  // namespace

PchMode pchModeFromEnv() {
  const char* env = std::getenv("PTO_WSP_PCH");
  if (!env) return PchMode::Auto;
  const std::string_view v(env);
  return v == "0" ? PchMode::Never : v == "1" ? PchMode::Always : PchMode::Auto;
}

std::vector<std::string> tilePchFlags(const artifact::ObjectCache& cache, bool build,
                                      const std::function<void(const Diagnostic&)>& remark, bool allowPrebuilt) {
  const artifact::CompilerConfig& cfg = cache.config();
  Hasher h;
  h.str("pto-wsp tile pch v1").str(cache.compiler().path).str(cache.compiler().version).str(cfg.extraKey);
  for (const std::string& f : cfg.compileFlags) h.str(f);
  const fs::path base = cache.root() / fmt::format("v{}", artifact::kCacheFormatVersion) / "pch";
  const fs::path dir = base / h.hex();
  const std::vector<std::string> flags{"-include", (dir / "kpch.h").string()};

  std::string problem = pchProblem(dir);
  if (problem.empty()) return flags;
  // The build's PCH (same key, so the same compiler, flags and tile headers): a fresh
  // cache compiles with it at once. It is only read: never rebuilt or reported here.
  if (const fs::path pre = allowPrebuilt ? prebuiltRoot() : fs::path(); !pre.empty()) {
    const fs::path preDir = pre / fmt::format("v{}", artifact::kCacheFormatVersion) / "pch" / h.hex();
    if (pchProblem(preDir).empty()) return {"-include", (preDir / "kpch.h").string()};
  }
  if (!build) return {};
  std::error_code ec;
  fs::create_directories(base, ec);
  artifact::FileLock lock(base / (h.hex() + ".lock"));
  problem = pchProblem(dir);
  if (problem.empty()) return flags;
  if (problem != "missing") {
    Diagnostic d = makeError(SourceLoc{dir.string(), 0, 0, {}},
                             fmt::format("tile-library PCH {} is corrupt: {}; rebuilding it", h.hex(), problem));
    d.severity = Severity::Remark;
    remark(d);
  }
  fs::remove_all(dir, ec);
  const fs::path tmp = artifact::uniqueTempPath(dir);
  fs::create_directories(tmp, ec);
  artifact::writeFileAtomic(tmp / "kpch.h", kPchText);
  std::vector<std::string> args = cfg.compileFlags;
  args.insert(args.end(), {"-x", "c++-header", (tmp / "kpch.h").string(), "-o", (tmp / "kpch.h.gch").string()});
  artifact::ProcessResult r =
      artifact::invokeCompiler(cache.compiler(), artifact::InvocationKind::Compile, args, tmp / "kpch.log", cfg.timeout);
  std::optional<artifact::FileDigest> d;
  if (r.ok()) d = artifact::digestFile(tmp / "kpch.h.gch");
  if (!d) {
    // Kernels still compile without it; their own errors are what the user needs to see.
    fs::remove_all(tmp, ec);
    return {};
  }
  artifact::writeFileAtomic(tmp / "kpch.json",
                            nlohmann::json{{"size", d->size}, {"xxh3", hashHex(d->hash)}, {"build_ms", r.wallMs}}.dump());
  fs::rename(tmp, dir, ec);
  if (ec) {
    fs::remove_all(tmp, ec);
    return {};
  }
  return flags;
}

}  // namespace pto::wsp::target::cpu_sim

