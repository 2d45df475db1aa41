// The artifact package: a directory holding manifest.json, the plan, and the kernel
// library (plus optional extra files such as kernel objects or sources). Format:
// docs/artifact.md ("Package directory").
#pragma once

#include "pto/wsp/artifact/Manifest.h"

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pto::wsp::artifact {

inline constexpr const char* kManifestFileName = "manifest.json";
inline constexpr const char* kDefaultPlanFile = "plan.bin";
inline constexpr const char* kDefaultLibraryFile = "kernels.so";

// An extra file shipped in the package.
struct PackageFile {
  std::string path;   // relative to the package dir, no ".."
  std::string bytes;
};

// A package read back from disk.
struct Package {
  std::filesystem::path dir;
  Manifest manifest;
  std::filesystem::path planPath() const { return dir / manifest.plan.file; }
  std::optional<std::filesystem::path> libraryPath() const {
    if (!manifest.library) return std::nullopt;
    return dir / manifest.library->file;
  }
};

// Writes a complete package at `dir`: the directory is assembled next to it and renamed
// into place, so readers never see a half-written package (an existing package or
// empty directory at `dir` is replaced; anything else is refused, see
// checkPackageDestination). Fills in plan.hash (and plan.file if empty), library (copied from
// `library` when given; file defaults to kernels.so) and packageHash. Kernel `object`
// paths must name one of `extra`. Returns the manifest as written. Throws UserError on
// invalid input (listing every problem) or I/O failure. Safe to call concurrently for
// different `dir`s; for the same `dir` the last writer wins with a complete package.
// Throws UserError unless `dir` is absent, an empty directory or a package directory
// (one with manifest.json): writePackage never replaces a source file or other data.
void checkPackageDestination(const std::filesystem::path& dir);

Manifest writePackage(const std::filesystem::path& dir, Manifest m, std::string_view planBytes,
                      const std::optional<std::filesystem::path>& library = std::nullopt,
                      const std::vector<PackageFile>& extra = {});

// Reads and validates `dir`: the manifest schema, package_hash against the contents, the
// plan's and library's content hashes, and the presence of kernel object files. Throws
// UserError with every problem, located at manifest.json with a JSON pointer.
Package readPackage(const std::filesystem::path& dir);

}  // namespace pto::wsp::artifact
