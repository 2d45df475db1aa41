#include "pto/wsp/artifact/AtomicFile.h"
#include "pto/wsp/artifact/Manifest.h"
#include "pto/wsp/artifact/Package.h"

#include "ArtifactTestUtil.h"

#include "pto/wsp/support/Hash.h"

#include <gtest/gtest.h>

#include <fstream>

using namespace pto::wsp;
using namespace pto::wsp::artifact;
using namespace pto::wsp::artifact::test;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

Manifest sampleManifest() {
  Manifest m;
  m.target = "cpu_sim";
  m.archInstance = "host_cpu";
  m.capabilities = {{"channels", true}, {"max_task_args", 48}};
  m.kernels = {{"rmsnorm", "pto_k_rmsnorm", "pto_c_rmsnorm", "0123456789abcdef", "objects/rmsnorm.o"},
               {"matmul", "pto_k_matmul", "", "fedcba9876543210", ""}};
  m.abi.symbols = {{"N", "i64", 0}};
  m.abi.slots = {{"step", "i32", 0}};
  m.abi.tensors = {{"x", "f32", "input", {{128, ""}, {std::nullopt, "N"}}, 0},
                   {"y", "f32", "output", {{128, ""}}, 1}};
  m.scheduleId = "sched-1";
  m.policyId = "round_robin";
  m.compiler = {"/usr/bin/g++", "g++ 12.2.0", {"-O2", "-fPIC"}, {"-shared"}};
  return m;
}

// The first rendered diagnostic of parsing `j` (as manifest.json).
std::string firstError(const json& j) {
  try {
    manifestFromJson(j, "pkg/manifest.json");
  } catch (const UserError& e) {
    return e.diagnostics().front().render();
  }
  return "<no error>";
}

json sampleJson() {
  Manifest m = sampleManifest();
  m.plan = {"plan.bin", "00000000000000aa"};
  return json(m);
}

}  // namespace

TEST(Manifest, JsonRoundTripPreservesEveryField) {
  Manifest m = sampleManifest();
  m.plan = {"plan.bin", "00000000000000aa"};
  m.library = ManifestFile{"kernels.so", "00000000000000bb"};
  m.packageHash = computePackageHash(m);
  Manifest back = parseManifest(manifestText(m), "manifest.json");
  EXPECT_EQ(back, m);
  EXPECT_EQ(json(back), json(m));
  // ADL from_json works for the pieces too.
  EXPECT_EQ(json(m.abi.tensors[0]).get<ManifestTensor>(), m.abi.tensors[0]);
  EXPECT_EQ(json(m).get<Manifest>(), m);
}

TEST(Manifest, PackageHashCoversEveryField) {
  Manifest m = sampleManifest();
  const std::string h = computePackageHash(m);
  Manifest a = m;
  a.capabilities["channels"] = false;
  Manifest b = m;
  b.plan.hash = "0000000000000001";
  Manifest c = m;
  c.abi.tensors[1].shape[0].size = 64;
  Manifest d = m;
  d.compiler.flags.push_back("-march=native");
  Manifest e = m;
  e.packageHash = "ffffffffffffffff";  // the hash itself is excluded
  EXPECT_NE(computePackageHash(a), h);
  EXPECT_NE(computePackageHash(b), h);
  EXPECT_NE(computePackageHash(c), h);
  EXPECT_NE(computePackageHash(d), h);
  EXPECT_EQ(computePackageHash(e), h);
}

TEST(Manifest, MissingFieldIsLocatedByJsonPointer) {
  json j = sampleJson();
  j["kernels"][1].erase("symbol");
  EXPECT_EQ(firstError(j),
            "pkg/manifest.json (in /kernels/1/symbol): error: missing required field 'symbol' (string)\n"
            "pkg/manifest.json (in /kernels/1/symbol): note: help: the manifest schema is documented in "
            "docs/artifact.md; regenerate the artifact with `ptowsp compile`");
}

TEST(Manifest, WrongTypeShowsTheActualValue) {
  json j = sampleJson();
  j["abi"]["symbols"][0]["index"] = "3";
  EXPECT_EQ(firstError(j).substr(0, firstError(j).find('\n')),
            "pkg/manifest.json (in /abi/symbols/0/index): error: field 'index' must be an unsigned integer, got "
            "string \"3\"");
}

TEST(Manifest, UnsupportedSchemaVersion) {
  json j = sampleJson();
  j["schema_version"] = 2;
  EXPECT_EQ(firstError(j),
            "pkg/manifest.json (in /schema_version): error: unsupported manifest schema_version 2 (this build "
            "reads version 1)\n"
            "pkg/manifest.json (in /schema_version): note: help: recompile the workload with this ptowsp "
            "(`ptowsp compile`), or use the ptowsp release that wrote the artifact");
}

TEST(Manifest, WrongSchemaName) {
  json j = sampleJson();
  j["schema"] = "something-else";
  EXPECT_EQ(firstError(j).substr(0, firstError(j).find('\n')),
            "pkg/manifest.json (in /schema): error: expected schema \"pto-wsp-artifact\", got \"something-else\"");
}

TEST(Manifest, NotAnObject) {
  EXPECT_EQ(firstError(json::array()).substr(0, firstError(json::array()).find('\n')),
            "pkg/manifest.json (in /): error: a manifest must be a JSON object, got array");
}

TEST(Manifest, SyntaxErrorHasLineAndColumn) {
  try {
    parseManifest("{\n  \"schema\": \"pto-wsp-artifact\",\n  oops\n}", "m.json");
    FAIL() << "expected UserError";
  } catch (const UserError& e) {
    std::string first = e.diagnostics().front().render();
    EXPECT_EQ(first.rfind("m.json:3:3: error: manifest is not valid JSON: syntax error while parsing object key", 0), 0u)
        << first;
  }
}

TEST(Manifest, AllProblemsAreReportedAtOnce) {
  json j = sampleJson();
  j["abi"]["tensors"][0]["role"] = "sideways";
  j["abi"]["tensors"][1]["shape"][0] = -4;
  j["abi"]["tensors"][1]["name"] = "x";
  j["plan"]["file"] = "/etc/passwd";
  j["kernels"][0]["source_hash"] = "XYZ";
  j["kernels"][0]["symbol"] = "not a symbol";
  try {
    manifestFromJson(j, "pkg/manifest.json");
    FAIL() << "expected UserError";
  } catch (const UserError& e) {
    std::vector<std::string> lines;
    for (const Diagnostic& d : e.diagnostics()) lines.push_back(d.loc.context + ": " + d.message);
    std::vector<std::string> expected{
        "/kernels/0/symbol: kernel symbol must be a C identifier, got \"not a symbol\"",
        "/kernels/0/source_hash: field 'source_hash' must be 16 lowercase hex digits, got \"XYZ\"",
        "/plan/file: field 'file' must be a path inside the package (relative, no '..'), got \"/etc/passwd\"",
        "/abi/tensors/0/role: unknown tensor role \"sideways\"",
        "/abi/tensors/1/shape/0: a dimension must be a non-negative integer or a symbol name, got integer -4",
        "/abi/tensors/1/name: duplicate tensor name 'x' (first at /abi/tensors/0)",
    };
    EXPECT_EQ(lines, expected);
  }
}

TEST(Package, WriteThenReadRoundTrips) {
  TempDir dir;
  const fs::path lib = dir.path() / "built.so";
  std::ofstream(lib) << "not really an ELF but bytes are bytes";
  const fs::path pkgDir = dir.path() / "out" / "pkg";
  Manifest written = writePackage(pkgDir, sampleManifest(), "PLAN-BYTES", lib,
                                  {{"objects/rmsnorm.o", "object bytes"}});
  EXPECT_EQ(written.plan.file, "plan.bin");
  EXPECT_EQ(written.plan.hash, hashHex(hash64("PLAN-BYTES")));
  ASSERT_TRUE(written.library.has_value());
  EXPECT_EQ(written.library->file, "kernels.so");
  EXPECT_EQ(written.packageHash, computePackageHash(written));

  Package pkg = readPackage(pkgDir);
  EXPECT_EQ(pkg.manifest, written);
  EXPECT_EQ(pkg.planPath(), pkgDir / "plan.bin");
  EXPECT_TRUE(fs::exists(*pkg.libraryPath()));
  EXPECT_TRUE(filesContaining(dir.path() / "out", ".tmp.").empty());

  // Rewriting replaces the package as a whole; a different plan gives a different hash.
  Manifest second = writePackage(pkgDir, sampleManifest(), "OTHER-PLAN", lib, {{"objects/rmsnorm.o", "o"}});
  EXPECT_NE(second.packageHash, written.packageHash);
  EXPECT_EQ(readPackage(pkgDir).manifest.packageHash, second.packageHash);
}

TEST(Package, ShippedFilesAreListedAndChecked) {
  TempDir dir;
  const fs::path pkgDir = dir.path() / "pkg";
  Manifest m = sampleManifest();
  m.kernels[0].object = "";
  m.files.push_back({"mlir-aie-78da3d91/k.mlir", hashHex(hash64("MODULE"))});
  const Manifest written = writePackage(pkgDir, m, "PLAN", std::nullopt, {{"mlir-aie-78da3d91/k.mlir", "MODULE"}});
  EXPECT_EQ(readPackage(pkgDir).manifest.files, written.files);
  EXPECT_NE(nlohmann::json(written).dump().find("\"files\""), std::string::npos);
  std::ofstream(pkgDir / "mlir-aie-78da3d91/k.mlir") << "EDITED";
  try {
    readPackage(pkgDir);
    FAIL() << "expected UserError";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("shipped file 'mlir-aie-78da3d91/k.mlir' has hash"), std::string::npos)
        << e.what();
  }
}

TEST(Package, TamperedFilesAreDetected) {
  TempDir dir;
  const fs::path pkgDir = dir.path() / "pkg";
  Manifest m = sampleManifest();
  m.kernels[0].object = "";
  writePackage(pkgDir, m, "PLAN", std::nullopt);

  std::ofstream(pkgDir / "plan.bin") << "PLAN2";
  try {
    readPackage(pkgDir);
    FAIL() << "expected UserError";
  } catch (const UserError& e) {
    const Diagnostic& d = e.diagnostics().front();
    EXPECT_EQ(d.loc.context, "/plan/hash");
    EXPECT_NE(d.message.find("plan file 'plan.bin' has hash " + hashHex(hash64("PLAN2")) + ", the manifest records"),
              std::string::npos)
        << d.message;
  }

  // Editing the manifest by hand breaks package_hash.
  writePackage(pkgDir, m, "PLAN", std::nullopt);
  json j = json::parse(readFile(pkgDir / "manifest.json"));
  j["target"] = "ascend";
  std::ofstream(pkgDir / "manifest.json") << j.dump(2);
  try {
    readPackage(pkgDir);
    FAIL() << "expected UserError";
  } catch (const UserError& e) {
    const Diagnostic& d = e.diagnostics().front();
    EXPECT_EQ(d.loc.file, (pkgDir / "manifest.json").string());
    EXPECT_EQ(d.loc.context, "/package_hash");
    EXPECT_NE(d.message.find("does not match the manifest contents"), std::string::npos) << d.message;
  }

  // A missing plan file.
  writePackage(pkgDir, m, "PLAN", std::nullopt);
  fs::remove(pkgDir / "plan.bin");
  try {
    readPackage(pkgDir);
    FAIL() << "expected UserError";
  } catch (const UserError& e) {
    EXPECT_EQ(e.diagnostics().front().message, "plan file 'plan.bin' is missing from the package");
  }
}

TEST(Package, WriterRejectsObjectsItDoesNotShip) {
  TempDir dir;
  try {
    writePackage(dir.path() / "pkg", sampleManifest(), "PLAN", std::nullopt);
    FAIL() << "expected UserError";
  } catch (const UserError& e) {
    const Diagnostic& d = e.diagnostics().front();
    EXPECT_EQ(d.loc.context, "/kernels/0/object");
    EXPECT_EQ(d.message, "kernel 'rmsnorm' names object file 'objects/rmsnorm.o', which is not among the package files");
  }
  EXPECT_FALSE(fs::exists(dir.path() / "pkg"));
}

TEST(Package, MissingDirectoryIsExplained) {
  TempDir dir;
  try {
    readPackage(dir.path() / "absent");
    FAIL() << "expected UserError";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("artifact package directory not found"), std::string::npos);
  }
}
