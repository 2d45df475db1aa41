// Precompiled header of the tile library for generated kernels, kept in the object cache.
// Parsing TileLib.h (+ <immintrin.h>, <cmath>) is most of a kernel's compile time; with
// the PCH a kernel compiles 3-4x faster (docs/performance.md). Internal to the cpu_sim target.
#pragma once

#include "pto/wsp/artifact/ObjectCache.h"
#include "pto/wsp/support/Diagnostic.h"

#include <functional>
#include <string>
#include <vector>

namespace pto::wsp::target::cpu_sim {

// $PTO_WSP_PCH: "0" = never use or build the PCH (measurements, or a compiler whose PCH
// support is broken), "1" = build it for any generated-kernel miss, else automatic
// (build for many misses, use whenever present). Objects are the same cache entries in
// every mode.
enum class PchMode : uint8_t { Auto, Always, Never };
PchMode pchModeFromEnv();

// The flags (`-include <dir>/kpch.h`) that make `cfg`'s compiles use the tile-library PCH
// of <cache root>/v1/pch/<key>/ (key: compiler identity + compile flags + cfg.extraKey,
// i.e. the tile-header fingerprint), or {} when there is none and `build` is false. With
// `build`, a missing or corrupt PCH is (re)built under a lock (one compiler run). A PCH
// that fails to build or verify is never used: kernels then compile without it. A corrupt
// one is reported through `remark`. Thread- and process-safe.
// When the cache has none, the build's read-only PCH with the same key is used
// ($PTO_WSP_PCH_DIR, else build/<preset>/toolchain, made by `ptowsp cache warm` at build
// time), so a fresh cache does not pay for the PCH.
std::vector<std::string> tilePchFlags(const artifact::ObjectCache& cache, bool build,
                                      const std::function<void(const Diagnostic&)>& remark,
                                      bool allowPrebuilt = true);

}  // namespace pto::wsp::target::cpu_sim
