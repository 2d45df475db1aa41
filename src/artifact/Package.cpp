#include "pto/wsp/artifact/Package.h"

#include "pto/wsp/artifact/AtomicFile.h"
#include "pto/wsp/support/FileRead.h"
#include "pto/wsp/support/Hash.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <set>

namespace pto::wsp::artifact {

namespace fs = std::filesystem;

namespace {

[[noreturn]] void fsError(const fs::path& p, const std::string& what, const std::error_code& ec) {
  throw UserError(makeError(SourceLoc{p.string(), 0, 0, {}}, fmt::format("cannot {}: {}", what, ec.message()))
                      .help("check free space and permissions of the output directory"));
}

void createParents(const fs::path& file) {
  std::error_code ec;
  fs::create_directories(file.parent_path(), ec);
  if (ec) fsError(file.parent_path(), "create directory", ec);
}

// Whether `file` is a manifest this project wrote: a JSON object naming the package
// schema, or the format of an emitted tree ("pto-wsp ..."), however damaged the rest is.
// Any other manifest.json is somebody else's file: its directory is not ours to replace.
bool isOurManifest(const fs::path& file) {
  if (regularFileProblem(file, uint64_t{64} << 20)) return false;
  std::ifstream in(file, std::ios::binary);
  const nlohmann::json j = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return false;
  if (auto it = j.find("schema"); it != j.end() && it->is_string() && *it == kManifestSchemaName) return true;
  if (auto it = j.find("format"); it != j.end() && it->is_string() && it->get<std::string>().rfind("pto-wsp ", 0) == 0)
    return true;
  return false;
}

}  // namespace

void checkPackageDestination(const fs::path& dirIn) {
  const fs::path dir = fs::absolute(dirIn).lexically_normal();
  std::error_code ec;
  const fs::file_status st = fs::symlink_status(dir, ec);
  if (!fs::exists(st)) return;
  std::string what;
  if (!fs::is_directory(st)) {
    what = fs::is_regular_file(st) ? "a file" : "something that is not a directory";
  } else if (!fs::is_empty(dir, ec)) {
    // pto_wsp_manifest.json marks an emitted source tree (a target whose output is a tree
    // for another tool, e.g. a pto-runtime scene), which a recompile may replace too.
    const bool pkg = fs::exists(dir / kManifestFileName, ec), tree = fs::exists(dir / "pto_wsp_manifest.json", ec);
    if (!pkg && !tree)
      what = "a directory that is not a PTO-WSP package (it has no manifest.json)";
    else if (!(pkg && isOurManifest(dir / kManifestFileName)) && !(tree && isOurManifest(dir / "pto_wsp_manifest.json")))
      what = fmt::format("a directory that is not a PTO-WSP package (its {} is not a PTO-WSP manifest)",
                         pkg ? kManifestFileName : "pto_wsp_manifest.json");
  }
  if (what.empty()) return;
  throw UserError(makeError(SourceLoc{dir.string(), 0, 0, {}},
                            fmt::format("refusing to replace {} with a package", what))
                      .help("a package directory only replaces an earlier package; choose a new -o path "
                            "or remove this one yourself"));
}

Manifest writePackage(const fs::path& dirIn, Manifest m, std::string_view planBytes,
                      const std::optional<fs::path>& library, const std::vector<PackageFile>& extra) {
  const fs::path dir = fs::absolute(dirIn).lexically_normal();
  checkPackageDestination(dir);
  const std::string manifestPath = (dir / kManifestFileName).string();
  if (m.plan.file.empty()) m.plan.file = kDefaultPlanFile;
  m.plan.hash = hashHex(hash64(planBytes));
  std::string libBytes;
  if (library) {
    libBytes = readFile(*library);
    if (!m.library) m.library.emplace();
    if (m.library->file.empty()) m.library->file = kDefaultLibraryFile;
    m.library->hash = hashHex(hash64(libBytes));
  } else if (m.library) {
    // The library may also come as an extra file; otherwise the manifest would lie.
    const PackageFile* f = nullptr;
    for (const PackageFile& e : extra)
      if (fs::path(e.path).lexically_normal() == fs::path(m.library->file).lexically_normal()) f = &e;
    if (!f)
      throw UserError(makeError(SourceLoc{manifestPath, 0, 0, "/library/file"},
                                fmt::format("the manifest names library '{}' but no library file was given",
                                            m.library->file))
                          .help("pass the linked shared object to writePackage, or reset Manifest::library"));
    m.library->hash = hashHex(hash64(f->bytes));
  }
  m.schemaVersion = kManifestSchemaVersion;
  m.packageHash = computePackageHash(m);

  // Validate what we are about to write with the reader's rules, located as on disk.
  manifestFromJson(nlohmann::json(m), manifestPath);
  DiagnosticList diags;
  std::set<std::string> shipped;
  for (const PackageFile& f : extra) shipped.insert(fs::path(f.path).lexically_normal().string());
  for (size_t i = 0; i < m.kernels.size(); ++i) {
    const std::string& obj = m.kernels[i].object;
    if (!obj.empty() && !shipped.count(fs::path(obj).lexically_normal().string()))
      diags.error(SourceLoc{manifestPath, 0, 0, fmt::format("/kernels/{}/object", i)},
                  fmt::format("kernel '{}' names object file '{}', which is not among the package files",
                              m.kernels[i].name, obj))
          .help("pass the object as an extra package file or leave 'object' empty");
  }
  diags.throwIfErrors();

  // Assemble next to the destination (same file system), then rename into place.
  std::error_code ec;
  fs::create_directories(dir.parent_path(), ec);
  if (ec) fsError(dir.parent_path(), "create directory", ec);
  const fs::path tmp = uniqueTempPath(dir);
  fs::create_directory(tmp, ec);
  if (ec) fsError(tmp, "create directory", ec);
  try {
    auto put = [&](const std::string& rel, std::string_view bytes) {
      fs::path p = tmp / rel;
      createParents(p);
      writeFileAtomic(p, bytes);
    };
    put(m.plan.file, planBytes);
    if (library) put(m.library->file, libBytes);
    for (const PackageFile& f : extra) put(f.path, f.bytes);
    put(kManifestFileName, manifestText(m));

    if (fs::exists(dir, ec)) {
      const fs::path old = uniqueTempPath(dir.string() + ".old");
      fs::rename(dir, old, ec);
      if (ec) fsError(dir, "move the previous package aside", ec);
      fs::rename(tmp, dir, ec);
      if (ec) fsError(dir, "rename the package into place", ec);
      fs::remove_all(old, ec);
    } else {
      fs::rename(tmp, dir, ec);
      if (ec) fsError(dir, "rename the package into place", ec);
    }
  } catch (...) {
    std::error_code ignore;
    fs::remove_all(tmp, ignore);
    throw;
  }
  return m;
}

Package readPackage(const fs::path& dirIn) {
  Package pkg;
  pkg.dir = fs::absolute(dirIn).lexically_normal();
  const fs::path manifestPath = pkg.dir / kManifestFileName;
  std::error_code ec;
  if (!fs::is_directory(pkg.dir, ec))
    throw UserError(makeError(SourceLoc{pkg.dir.string(), 0, 0, {}}, "artifact package directory not found")
                        .help("pass the directory written by `ptowsp compile` (it contains manifest.json)"));
  pkg.manifest = parseManifest(readFile(manifestPath), manifestPath.string());
  const Manifest& m = pkg.manifest;

  DiagnosticList diags;
  auto at = [&](std::string ptr) { return SourceLoc{manifestPath.string(), 0, 0, std::move(ptr)}; };
  const std::string expect = computePackageHash(m);
  if (m.packageHash != expect)
    diags.error(at("/package_hash"),
                fmt::format("package_hash \"{}\" does not match the manifest contents (hash {})", m.packageHash, expect))
        .help("the manifest was edited after it was written; recompile the artifact with `ptowsp compile`");

  auto checkFile = [&](const ManifestFile& f, const std::string& ptr, const char* what) {
    std::optional<FileDigest> d = digestFile(pkg.dir / f.file);
    std::error_code ec2;
    if (!d && fs::exists(pkg.dir / f.file, ec2)) {
      diags.error(at(ptr + "/file"), fmt::format("{} file '{}' cannot be read: {}", what, f.file,
                                                 regularFileProblem(pkg.dir / f.file).value_or("read error")))
          .help("the package is damaged; recompile it with `ptowsp compile`");
    } else if (!d) {
      diags.error(at(ptr + "/file"), fmt::format("{} file '{}' is missing from the package", what, f.file))
          .help("the package is incomplete; recompile it with `ptowsp compile`");
    } else if (hashHex(d->hash) != f.hash) {
      diags.error(at(ptr + "/hash"), fmt::format("{} file '{}' has hash {}, the manifest records {}", what, f.file,
                                                 hashHex(d->hash), f.hash))
          .help("the file was modified after the package was written; recompile it with `ptowsp compile`");
    }
  };
  checkFile(m.plan, "/plan", "plan");
  if (m.library) checkFile(*m.library, "/library", "library");
  for (size_t i = 0; i < m.files.size(); ++i) checkFile(m.files[i], fmt::format("/files/{}", i), "shipped");
  for (size_t i = 0; i < m.kernels.size(); ++i) {
    const std::string& obj = m.kernels[i].object;
    if (!obj.empty() && !fs::is_regular_file(pkg.dir / obj, ec))
      diags.error(at(fmt::format("/kernels/{}/object", i)),
                  fmt::format("object file '{}' of kernel '{}' is missing from the package", obj, m.kernels[i].name))
          .help("the package is incomplete; recompile it with `ptowsp compile`");
  }
  diags.throwIfErrors();
  return pkg;
}

}  // namespace pto::wsp::artifact
