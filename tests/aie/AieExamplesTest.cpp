// Every example either maps onto npu1_4col and emits a module that passes mlir-opt-19
// and the IRDL check, or is refused with a located error naming the unsupported feature.
#include "AieTestUtil.h"

#include <set>

namespace pto::wsp::target::aie::testing {
namespace {

const std::set<std::string> kEmitting = {"gated", "pipeline", "residual", "rmsnorm"};

std::vector<std::string> exampleNames() {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(std::filesystem::path(PTO_WSP_SOURCE_DIR) / "examples"))
    if (std::filesystem::exists(e.path() / (e.path().filename().string() + ".wsp"))) out.push_back(e.path().filename());
  std::sort(out.begin(), out.end());
  return out;
}

std::string emitExample(const std::string& name) {
  const auto path = examplePath(name);
  const ir::Module m = parseVerified(readFile(path), path.string());
  const AieDevice d = npu1();
  const Mapping map = mapWorkload(m, m.workloads.front(), d);
  checkResources(map, d);
  return emitMlir(map);
}

class AieExample : public ::testing::TestWithParam<std::string> {};

TEST_P(AieExample, EmitsACheckedModuleOrIsRefusedWithALocatedError) {
  const std::string name = GetParam();
  if (kEmitting.count(name)) {
    const auto p = writeModule(name, emitExample(name));
    EXPECT_EQ(runChecker(p), 0) << checkerOutput(p);
    return;
  }
  const auto path = examplePath(name);
  const Diagnostic d = firstError([&] { (void)emitExample(name); });
  ASSERT_FALSE(d.message.empty()) << name << " was expected to be refused";
  EXPECT_EQ(d.loc.file, path.string()) << d.render();
  EXPECT_GT(d.loc.line, 0u) << d.render();
  EXPECT_TRUE(d.message.starts_with("aie target: ")) << d.render();
  EXPECT_NE(d.message.find("not supported"), std::string::npos) << d.render();
  bool help = false;
  for (const auto& n : d.notes) help = help || n.message.starts_with("help: ");
  EXPECT_TRUE(help) << d.render();
}

INSTANTIATE_TEST_SUITE_P(Examples, AieExample, ::testing::ValuesIn(exampleNames()),
                         [](const auto& p) { return p.param; });

TEST(AieExamples, EveryExampleIsCovered) {
  const auto names = exampleNames();
  for (const auto& e : kEmitting) EXPECT_NE(std::find(names.begin(), names.end(), e), names.end()) << e;
  EXPECT_GE(names.size(), kEmitting.size() + 5);
}

// The refusals name the feature each example needs.
TEST(AieExamples, RefusalsNameTheFeature) {
  auto msg = [](const std::string& name) { return firstError([&] { (void)emitExample(name); }).message; };
  EXPECT_NE(msg("bgemm").find("dispatch custom"), std::string::npos);
  EXPECT_NE(msg("softmax").find("dispatch custom"), std::string::npos);
  EXPECT_NE(msg("attention").find("transposed view"), std::string::npos);
  EXPECT_NE(msg("gate_mix").find("temp tensor 'G'"), std::string::npos);
  EXPECT_NE(msg("moe").find("'slot_load'"), std::string::npos) << msg("moe");
}

TEST(AieGolden, PipelineText) {
  const std::string text = emitExample("pipeline");
  const auto golden = std::filesystem::path(PTO_WSP_SOURCE_DIR) / "tests/aie/golden/pipeline.mlir";
  if (std::getenv("PTO_WSP_UPDATE_GOLDEN")) std::ofstream(golden) << text;
  EXPECT_EQ(text, readFile(golden)) << "regenerate with PTO_WSP_UPDATE_GOLDEN=1 after an intended change";
}

TEST(AieGolden, DeterministicText) { EXPECT_EQ(emitExample("rmsnorm"), emitExample("rmsnorm")); }

// Broken variants of the pipeline module: the IRDL description must reject each.
class AieBrokenVariant : public ::testing::TestWithParam<std::pair<std::string, std::pair<std::string, std::string>>> {};

TEST_P(AieBrokenVariant, FailsTheIrdlCheck) {
  const auto& [name, edit] = GetParam();
  std::string text = emitExample("pipeline");
  const auto at = text.find(edit.first);
  ASSERT_NE(at, std::string::npos) << edit.first;
  text.replace(at, edit.first.size(), edit.second);
  const auto p = writeModule("broken_" + name, text);
  EXPECT_EQ(runChecker(p, "irdl"), 1) << checkerOutput(p);
  EXPECT_NE(checkerOutput(p).find("error:"), std::string::npos) << checkerOutput(p);
}

INSTANTIATE_TEST_SUITE_P(
    Variants, AieBrokenVariant,
    ::testing::Values(
        std::make_pair(std::string("misspelt_op"),
                       std::make_pair(std::string("\"aie.objectfifo.acquire\""), std::string("\"aie.objectfifo.aquire\""))),
        std::make_pair(std::string("missing_attribute"),
                       std::make_pair(std::string("elemNumber = 2 : i32, "), std::string())),
        std::make_pair(std::string("wrong_element_type"),
                       std::make_pair(std::string("elemType = !aie.objectfifo<memref<16x128xf32>>"),
                                      std::string("elemType = !aie.objectfifo<tensor<16x128xf32>>"))),
        std::make_pair(std::string("tile_outside_array"),
                       std::make_pair(std::string("{col = 0 : i32, row = 5 : i32}"),
                                      std::string("{col = 4 : i32, row = 5 : i32}"))),
        std::make_pair(std::string("wrong_device"),
                       std::make_pair(std::string("{device = 8 : i32}"), std::string("{device = 4 : i32}")))),
    [](const auto& p) { return p.param.first; });

// The unmodified module passes the IRDL check alone too (the variants fail for their edit).
TEST(AieBrokenVariant, UnmodifiedPasses) {
  const auto p = writeModule("unmodified_pipeline", emitExample("pipeline"));
  EXPECT_EQ(runChecker(p, "irdl"), 0) << checkerOutput(p);
}

// A call whose types differ from the declaration fails the call check.
TEST(AieBrokenVariant, CallSignatureMismatch) {
  std::string text = emitExample("pipeline");
  const std::string decl = "function_type = (memref<16x128xf32>, memref<16x128xf32>) -> (), sym_name = \"compute\"";
  const auto at = text.find(decl);
  ASSERT_NE(at, std::string::npos);
  text.replace(at, decl.size(), "function_type = (memref<16x128xf32>, memref<16x64xf32>) -> (), sym_name = \"compute\"");
  const auto p = writeModule("broken_call", text);
  EXPECT_EQ(runChecker(p, "calls"), 1) << checkerOutput(p);
}

// Optional: the real aie-opt (mlir-aie 78da3d91 built against LLVM 19) when $AIE_OPT
// names one: verify and run the lowering passes on every emitted module.
TEST(AieOpt, LowersEveryEmittedModule) {
  const char* aieOpt = std::getenv("AIE_OPT");
  if (!aieOpt || !*aieOpt) GTEST_SKIP() << "AIE_OPT is not set: skipped the real aie-opt check (see docs/aie.md)";
  for (const auto& name : kEmitting) {
    const auto p = writeModule("aieopt_" + name, emitExample(name));
    const std::string cmd = std::string(aieOpt) +
                            " --aie-objectFifo-stateful-transform --aie-assign-bd-ids --aie-create-pathfinder-flows "
                            "--aie-assign-buffer-addresses --aie-dma-to-npu '" +
                            p.string() + "' -o '" + p.string() + ".lowered' 2> '" + p.string() + ".err'";
    EXPECT_EQ(std::system(cmd.c_str()), 0) << name << ": " << readFile(p.string() + ".err");
  }
}

}  // namespace
}  // namespace pto::wsp::target::aie::testing
