#include "pto/wsp/arch/ArchJson.h"
#include "pto/wsp/arch/ArchRegistry.h"
#include "pto/wsp/support/Diagnostic.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <random>

using namespace pto::wsp;
using namespace pto::wsp::arch;
using json = nlohmann::json;

namespace {

// The rendered diagnostics of parsing `text` (fails the test if it parses).
std::string errorsOf(std::string_view text, const std::string& file = "bad.json") {
  try {
    parseArchJson(text, file);
  } catch (const UserError& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected a UserError for:\n" << text;
  return {};
}

// The ascend910b JSON with one edit applied at a JSON pointer.
std::string edited(const std::function<void(json&)>& edit) {
  json j = json::parse(archToJsonText(builtinArch("ascend910b")));
  edit(j);
  return j.dump(2);
}

bool contains(const std::string& hay, const std::string& needle) {
  return hay.find(needle) != std::string::npos;
}

}  // namespace

class BuiltinRoundTrip : public ::testing::TestWithParam<std::string_view> {};

TEST_P(BuiltinRoundTrip, JsonTextRoundTripIsExactAndStable) {
  const ArchModel& a = builtinArch(GetParam());
  std::string text = archToJsonText(a);
  ArchModel back = parseArchJson(text, "roundtrip.json");
  EXPECT_EQ(back, a);
  EXPECT_EQ(archToJsonText(back), text);
  EXPECT_TRUE(validateArch(back).empty());
}

TEST_P(BuiltinRoundTrip, FileRoundTrip) {
  const ArchModel& a = builtinArch(GetParam());
  auto dir = std::filesystem::temp_directory_path() / ("ptowsp_arch_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::string path = (dir / (std::string(GetParam()) + ".json")).string();
  saveArchFile(a, path);
  EXPECT_EQ(loadArchFile(path), a);
  EXPECT_EQ(resolveArch(path), a);  // a path resolves to the file
  std::filesystem::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(Arch, BuiltinRoundTrip,
                         ::testing::Values("ascend910b", "aie_npu1", "host_cpu"),
                         [](const auto& p) { return std::string(p.param); });

TEST(ArchInstances, FactsFromPublicSources) {
  const ArchModel& asc = builtinArch("ascend910b");
  EXPECT_EQ(asc.workerClass("aic")->count, 24u);
  EXPECT_EQ(asc.workerClass("aiv")->count, 48u);
  EXPECT_EQ(asc.totalWorkers(), 72u);
  EXPECT_EQ(asc.memory("UB")->capacityBytes, 192u * 1024);
  EXPECT_EQ(asc.memory("L1")->capacityBytes, 512u * 1024);
  EXPECT_EQ(asc.memory("L0C")->capacityBytes, 128u * 1024);
  EXPECT_EQ(asc.memory("L2")->capacityBytes, 192ull * 1024 * 1024);
  EXPECT_EQ(asc.unit("cube")->matrixShapes.at(ir::DType::F16), (MatrixShape{16, 16, 16}));
  EXPECT_DOUBLE_EQ(asc.clockGhz, 1.8);
  // 1.6 TB/s / 1.8 GHz / 24 clusters
  EXPECT_DOUBLE_EQ(asc.memory("GM")->bytesPerCycle, 1.6e12 / 1.8e9 / 24);

  const ArchModel& aie = builtinArch("aie_npu1");
  EXPECT_EQ(aie.workerClass("compute_tile")->count, 16u);  // 4 columns x 4 rows
  EXPECT_EQ(aie.memory("tile_local")->capacityBytes, 64u * 1024);
  EXPECT_EQ(aie.memory("memtile")->capacityBytes, 512u * 1024);
  EXPECT_EQ(aie.memory("memtile")->instances, 4u);

  const ArchModel& cpu = builtinArch("host_cpu");
  EXPECT_EQ(cpu.workerClass("core")->count, 2u);
}

TEST(ArchInstances, PipesFollowExclusiveGroups) {
  const ArchModel& asc = builtinArch("ascend910b");
  // Every Ascend pipe is independent.
  EXPECT_NE(asc.pipeOf("vector"), asc.pipeOf("cube"));
  EXPECT_NE(asc.pipeOf("mte2"), asc.pipeOf("mte3"));
  const ArchModel& aie = builtinArch("aie_npu1");
  EXPECT_EQ(aie.pipeOf("vector"), aie.pipeOf("mac"));  // same VLIW vector slot
  EXPECT_NE(aie.pipeOf("vector"), aie.pipeOf("dma_in"));
  EXPECT_EQ(aie.pipeOf("nope"), -1);
  const ArchModel& cpu = builtinArch("host_cpu");
  EXPECT_EQ(cpu.pipeOf("vector"), cpu.pipeOf("load_store"));
  EXPECT_EQ(cpu.pipeOf("fma"), cpu.pipeOf("vector"));
}

TEST(ArchRegistry, UnknownNameListsKnownOnes) {
  try {
    builtinArch("ascend910c");
    FAIL();
  } catch (const UserError& e) {
    EXPECT_TRUE(contains(e.what(), "unknown arch 'ascend910c'")) << e.what();
    EXPECT_TRUE(contains(e.what(), "known archs: ascend910b, aie_npu1, host_cpu")) << e.what();
  }
  EXPECT_EQ(resolveArch("aie_npu1").name, "aie_npu1");
  EXPECT_EQ(findBuiltinArch("nope"), nullptr);
}

TEST(ArchRegistry, MissingFileIsLocated) {
  try {
    resolveArch("/nonexistent/dir/my.json");
    FAIL();
  } catch (const UserError& e) {
    EXPECT_EQ(std::string(e.what()).substr(0, 50), "/nonexistent/dir/my.json: error: cannot read arch ");
  }
}

TEST(ArchJsonErrors, SyntaxErrorHasLineAndColumn) {
  std::string e = errorsOf("{\n  \"name\": \"x\",\n  oops\n}\n");
  // 'o' of oops is line 3, column 3
  EXPECT_TRUE(contains(e, "bad.json:3:3: error: invalid JSON: syntax error while parsing object key")) << e;
  EXPECT_TRUE(contains(e, "note: help: fix the JSON syntax")) << e;
}

TEST(ArchJsonErrors, TruncatedAndEmptyInput) {
  // 12 characters, then end of input: reported just past the last one, column 13
  EXPECT_TRUE(contains(errorsOf("{\"name\": \"x\""), "bad.json:1:13: error: invalid JSON: syntax error while parsing object - unexpected end of input"));
  EXPECT_TRUE(contains(errorsOf(""), "bad.json:1:1: error: invalid JSON")) << errorsOf("");
}

TEST(ArchJsonErrors, TopLevelMustBeObject) {
  EXPECT_TRUE(contains(errorsOf("[1, 2]"), "(in /): error: expected an arch model (a JSON object), got an array"));
}

TEST(ArchJsonErrors, MissingFieldNamesItAndItsType) {
  std::string e = errorsOf(edited([](json& j) { j.erase("clock_ghz"); }));
  EXPECT_TRUE(contains(e, "(in /): error: missing required field 'clock_ghz' (positive number)")) << e;
  EXPECT_TRUE(contains(e, "help: add \"clock_ghz\": <positive number>")) << e;
  e = errorsOf(edited([](json& j) { j["memories"][3].erase("capacity_bytes"); }));
  EXPECT_TRUE(contains(e, "(in /memories/3): error: missing required field 'capacity_bytes' (non-negative integer)")) << e;
}

TEST(ArchJsonErrors, MistypedFieldHasPointerAndActualValue) {
  std::string e = errorsOf(edited([](json& j) { j["units"][0]["bytes_per_cycle"] = "fast"; }));
  EXPECT_TRUE(contains(e, "(in /units/0/bytes_per_cycle): error: field 'bytes_per_cycle' expected a number, got string \"fast\"")) << e;
  e = errorsOf(edited([](json& j) { j["workers"][1]["count"] = -3; }));
  EXPECT_TRUE(contains(e, "(in /workers/1/count): error: field 'count' must be non-negative, got -3")) << e;
  e = errorsOf(edited([](json& j) { j["issue_cycles"] = 2.5; }));
  EXPECT_TRUE(contains(e, "(in /issue_cycles): error: field 'issue_cycles' expected a non-negative integer, got number 2.5")) << e;
  e = errorsOf(edited([](json& j) { j["units"][1]["shapes"]["f16"] = json::array({16, 16}); }));
  EXPECT_TRUE(contains(e, "(in /units/1/shapes/f16): error: shape for f16 expected [m, k, n] (3 integers), got an array")) << e;
}

TEST(ArchJsonErrors, EnumValuesListLegalAlternatives) {
  std::string e = errorsOf(edited([](json& j) { j["units"][1]["kind"] = "cubee"; }));
  EXPECT_TRUE(contains(e, "(in /units/1/kind): error: unknown kind 'cubee'")) << e;
  EXPECT_TRUE(contains(e, "help: expected one of: vector, matrix, dma, scalar")) << e;
  e = errorsOf(edited([](json& j) { j["memories"][0]["level"] = "offchip"; }));
  EXPECT_TRUE(contains(e, "(in /memories/0/level): error: unknown level 'offchip'")) << e;
  e = errorsOf(edited([](json& j) { j["units"][0]["dtypes"][0] = "f17"; }));
  EXPECT_TRUE(contains(e, "(in /units/0/dtypes/0): error: unknown dtype 'f17'")) << e;
  EXPECT_TRUE(contains(e, "expected one of: f16, bf16, f32")) << e;
  e = errorsOf(edited([](json& j) { j["units"][0]["op_passes"]["matmul"] = 3; }));
  EXPECT_TRUE(contains(e, "(in /units/0/op_passes/matmul): error: 'matmul' is not a vector tile op")) << e;
}

TEST(ArchJsonErrors, UnknownFieldIsRejectedWithLegalFields) {
  std::string e = errorsOf(edited([](json& j) { j["units"][2]["byte_per_cycle"] = 64; }));
  EXPECT_TRUE(contains(e, "(in /units/2/byte_per_cycle): error: unknown field 'byte_per_cycle' in a dma unit")) << e;
  EXPECT_TRUE(contains(e, "legal fields: name, kind, startup_cycles, bytes_per_cycle, note")) << e;
}

TEST(ArchJsonErrors, CrossReferencesAreChecked) {
  std::string e = errorsOf(edited([](json& j) { j["transfers"][0]["unit"] = "mte9"; }));
  EXPECT_TRUE(contains(e, "(in /transfers/0/unit): error: unknown unit 'mte9'")) << e;
  EXPECT_TRUE(contains(e, "help: known units: vector, cube, mte2, mte3, mte1, fixpipe, scalar")) << e;
  e = errorsOf(edited([](json& j) { j["transfers"][0]["unit"] = "vector"; }));
  EXPECT_TRUE(contains(e, "unit 'vector' is a vector unit, expected a dma unit")) << e;
  e = errorsOf(edited([](json& j) { j["workers"][0]["memories"][0] = "L9"; }));
  EXPECT_TRUE(contains(e, "(in /workers/0/memories/0): error: unknown memory 'L9'")) << e;
  e = errorsOf(edited([](json& j) { j["syncs"].erase(2); }));
  EXPECT_TRUE(contains(e, "(in /syncs): error: no sync primitive with scope 'task'")) << e;
}

TEST(ArchJsonErrors, SchemaVersionIsChecked) {
  std::string e = errorsOf(edited([](json& j) { j["schema_version"] = 2; }));
  EXPECT_TRUE(contains(e, "(in /schema_version): error: unsupported schema_version 2")) << e;
  EXPECT_TRUE(contains(e, "this build reads schema_version 1")) << e;
}

TEST(ArchJsonErrors, AllProblemsAreReportedAtOnce) {
  try {
    parseArchJson(edited([](json& j) {
                    j["clock_ghz"] = 0;
                    j["units"][0]["bytes_per_cycle"] = "x";
                    j["syncs"][0]["scope"] = "warp";
                  }),
                  "bad.json");
    FAIL();
  } catch (const UserError& e) {
    EXPECT_EQ(e.diagnostics().size(), 3u) << e.what();
    for (const Diagnostic& d : e.diagnostics()) {
      EXPECT_EQ(d.loc.file, "bad.json");
      EXPECT_FALSE(d.loc.context.empty());  // the JSON pointer
      EXPECT_FALSE(d.notes.empty());        // help
    }
  }
}

TEST(ArchJsonErrors, PointerErrorsAlsoGetLineAndColumn) {
  // Line 3 holds "clock_ghz"; its value starts at column 16.
  std::string text =
      "{\n"
      "  \"schema_version\": 1, \"name\": \"t\",\n"
      "  \"clock_ghz\": \"fast\"\n"
      "}\n";
  std::string e = errorsOf(text, "t.json");
  EXPECT_TRUE(contains(e, "t.json:3:16 (in /clock_ghz): error: field 'clock_ghz' expected a number, got string \"fast\"")) << e;
  // Missing fields point at the enclosing object (the root, line 1 column 1).
  EXPECT_TRUE(contains(e, "t.json:1:1 (in /): error: missing required field 'memories' (array of objects)")) << e;
}

TEST(ArchJsonErrors, DeeplyNestedDocumentIsAnErrorNotACrash) {
  std::string deep(100000, '[');
  deep += std::string(100000, ']');
  std::string e = errorsOf(deep);
  EXPECT_TRUE(contains(e, "expected an arch model (a JSON object), got an array")) << e.substr(0, 300);
}

TEST(ArchJsonErrors, AbsurdRatesAreRejected) {
  std::string e = errorsOf(edited([](json& j) { j["memories"][0]["bytes_per_cycle"] = 1e-9; }));
  EXPECT_TRUE(contains(e, "(in /memories/0/bytes_per_cycle): error: memory 'GM' bandwidth must be in [0.001, 1e12] bytes/cycle, got 1e-09")) << e;
  e = errorsOf(edited([](json& j) { j["clock_ghz"] = 5000; }));
  EXPECT_TRUE(contains(e, "(in /clock_ghz): error: clock_ghz must be in (0, 1000], got 5000")) << e;
}

TEST(ArchJsonErrors, RandomMutationsNeverCrash) {
  // Replace one value (anywhere in the document) with a value of another type, or
  // delete it; every result must either load (and validate) or be a located UserError.
  json base = json::parse(archToJsonText(builtinArch("aie_npu1")));
  std::vector<json::json_pointer> ptrs;
  json flat = base.flatten();
  for (const auto& [k, v] : flat.items()) {
    json::json_pointer p(k);
    for (; !p.empty(); p = p.parent_pointer()) ptrs.push_back(p);
  }
  const std::vector<json> replacements{nullptr, true, -1, 0, 2.5, 1e300, "x", json::array(), json::object(),
                                       json::array({1, 2, 3})};
  std::mt19937 rng(1234);
  int loaded = 0, rejected = 0;
  for (int iter = 0; iter < 1500; ++iter) {
    json j = base;
    const json::json_pointer& p = ptrs[rng() % ptrs.size()];
    if (rng() % 4 == 0)
      j[p.parent_pointer()].is_object() ? (void)j[p.parent_pointer()].erase(p.back()) : (void)(j[p] = nullptr);
    else
      j[p] = replacements[rng() % replacements.size()];
    try {
      ArchModel a = parseArchJson(j.dump(), "m.json");
      EXPECT_TRUE(validateArch(a).empty());
      ++loaded;
    } catch (const UserError& e) {
      ASSERT_FALSE(e.diagnostics().empty());
      EXPECT_EQ(e.diagnostics()[0].loc.file, "m.json");
      ++rejected;
    }
  }
  EXPECT_GT(rejected, 1000);  // almost every mutation breaks a rule
}
