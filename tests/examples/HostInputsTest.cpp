// Host data of `ptowsp run` (tools/ptowsp/HostInputs.h): --set resolution, buffers at
// symbol values, --inputs parsing and binding order.
#include "HostInputs.h"
#include "Npy.h"

#include "pto/wsp/support/Diagnostic.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <functional>

namespace pto::wsp::cli {
namespace {

abi::Plan planWith() {
  abi::Plan p;
  p.symbols = {{"B", 2}, {"T", 8}};
  p.slots = {{"expert"}};
  return p;
}

std::string errorOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const UserError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(HostInputs, SetResolvesSymbolsAndSlots) {
  const abi::Plan p = planWith();
  RunValues d = resolveRunValues(p, {});
  EXPECT_TRUE(d.defaults);
  EXPECT_EQ(d.symbols.at("B"), 2);
  RunValues same = resolveRunValues(p, {"B=2"});
  EXPECT_TRUE(same.defaults);  // setting the default value is not a change
  RunValues v = resolveRunValues(p, {"B=5", "$expert=1"});
  EXPECT_FALSE(v.defaults);
  EXPECT_EQ(v.symbols.at("B"), 5);
  EXPECT_EQ(v.symbols.at("T"), 8);
  EXPECT_EQ(v.slots.at("expert"), 1u);
  EXPECT_EQ(resolveRunValues(p, {"expert=3"}).slots.at("expert"), 3u);  // '$' optional

  EXPECT_NE(errorOf([&] { resolveRunValues(p, {"Q=1"}); })
                .find("<command line>: error: --set names unknown symbol or slot 'Q'\n"
                      "<command line>: note: help: symbols: B, T; slots: $expert"),
            std::string::npos);
  EXPECT_NE(errorOf([&] { resolveRunValues(p, {"B=1.5"}); }).find("symbol B needs an integer value, got '1.5'"),
            std::string::npos);
  EXPECT_NE(errorOf([&] { resolveRunValues(p, {"$expert=-1"}); })
                .find("slot $expert needs an unsigned integer value, got '-1'"),
            std::string::npos);
  EXPECT_NE(errorOf([&] { resolveRunValues(p, {"=3"}); }).find("--set expects NAME=VALUE, got '=3'"),
            std::string::npos);
}

artifact::ManifestAbi abiWith() {
  artifact::ManifestAbi abi;
  abi.tensors = {
      {"X", "f16", "input", {{std::nullopt, "B"}, {int64_t(4), ""}}, 0},
      {"S", "f32", "scratch", {{int64_t(4), ""}}, 1},
      {"A", "i32", "inout", {{int64_t(3), ""}}, 2},
      {"Y", "f32", "output", {{std::nullopt, "B"}, {int64_t(4), ""}}, 3},
  };
  return abi;
}

TEST(HostInputs, AllocatesAtSymbolValuesWithoutScratch) {
  RunTensors t = allocateTensors(abiWith(), {{"B", 5}});
  EXPECT_EQ(t.all.count("S"), 0u);
  EXPECT_EQ(t.all.at("X").shape, (std::vector<int64_t>{5, 4}));
  EXPECT_EQ(t.all.at("X").bytes.size(), 40u);
  EXPECT_EQ(t.inputs, (std::vector<std::string>{"X", "A"}));
  EXPECT_EQ(t.outputs, (std::vector<std::string>{"A", "Y"}));
  EXPECT_NE(errorOf([] { allocateTensors(abiWith(), {{"B", -2}}); }).find("tensor X would have dimension B = -2"),
            std::string::npos);
}

TEST(HostInputs, FillsOnlyInputs) {
  RunTensors t = allocateTensors(abiWith(), {{"B", 2}});
  fillInputs(t, parseInputSpec({}), 1);
  auto nonzero = [](const golden::HostTensor& h) {
    for (std::byte b : h.bytes)
      if (b != std::byte{0}) return true;
    return false;
  };
  EXPECT_TRUE(nonzero(t.all.at("X")));
  EXPECT_TRUE(nonzero(t.all.at("A")));
  EXPECT_FALSE(nonzero(t.all.at("Y")));
  fillInputs(t, parseInputSpec({"zeros"}), 1);
  EXPECT_FALSE(nonzero(t.all.at("X")));
}

TEST(HostInputs, ParsesSpecs) {
  InputSpec s = parseInputSpec({"zeros", "a.npy", "A=b.npy", "c.npy"});
  EXPECT_EQ(s.fill, "zeros");
  EXPECT_EQ(s.positional, (std::vector<std::string>{"a.npy", "c.npy"}));
  ASSERT_EQ(s.named.size(), 1u);
  EXPECT_EQ(s.named[0].first, "A");
  EXPECT_NE(errorOf([] { parseInputSpec({"zeros", "random"}); }).find("--inputs gives both 'zeros' and 'random'"),
            std::string::npos);
  EXPECT_NE(errorOf([] { parseInputSpec({"X="}); }).find("--inputs expects NAME=FILE.npy, got 'X='"),
            std::string::npos);
}

TEST(HostInputs, BindsFilesInDeclarationOrderAndByName) {
  const auto dir = std::filesystem::path(PTO_WSP_BINARY_DIR) / "tests" / "examples_hostinputs";
  std::filesystem::create_directories(dir);
  golden::HostTensor x = golden::HostTensor::make("f16", {2, 4});
  x.set(7, 0.5);
  golden::HostTensor a = golden::HostTensor::make("i32", {3});
  a.set(2, 9);
  writeNpy(dir / "x.npy", x);
  writeNpy(dir / "a.npy", a);

  RunTensors t = allocateTensors(abiWith(), {{"B", 2}});
  loadInputFiles(t, parseInputSpec({(dir / "x.npy").string(), "A=" + (dir / "a.npy").string()}));
  EXPECT_EQ(t.all.at("X").get(7), 0.5);
  EXPECT_EQ(t.all.at("A").get(2), 9);

  // A's file given positionally lands on X (declaration order) and its dtype is wrong.
  EXPECT_NE(errorOf([&] { loadInputFiles(t, parseInputSpec({(dir / "a.npy").string()})); })
                .find("a.npy: error: dtype i32 ('<i4') does not match tensor X of dtype f16"),
            std::string::npos);
  EXPECT_NE(errorOf([&] { loadInputFiles(t, parseInputSpec({"Y=" + (dir / "x.npy").string()})); })
                .find("--inputs binds Y, which is an output"),
            std::string::npos);
  EXPECT_NE(errorOf([&] {
              loadInputFiles(t, parseInputSpec({(dir / "x.npy").string(), "X=" + (dir / "x.npy").string()}));
            }).find("--inputs binds tensor X twice"),
            std::string::npos);
  RunTensors t5 = allocateTensors(abiWith(), {{"B", 5}});
  EXPECT_NE(errorOf([&] { loadInputFiles(t5, parseInputSpec({"X=" + (dir / "x.npy").string()})); })
                .find("x.npy: error: shape 2x4 does not match tensor X of shape 5x4"),
            std::string::npos);
}

TEST(HostInputs, Bf16TakesF32Data) {
  const auto dir = std::filesystem::path(PTO_WSP_BINARY_DIR) / "tests" / "examples_hostinputs";
  std::filesystem::create_directories(dir);
  golden::HostTensor f = golden::HostTensor::make("f32", {2});
  f.set(0, 1.0 + std::ldexp(3.0, -8));  // rounds (to even) to 1 + 2^-6 in bf16
  writeNpy(dir / "f.npy", f);
  artifact::ManifestAbi abi;
  abi.tensors = {{"Z", "bf16", "input", {{int64_t(2), ""}}, 0}};
  RunTensors t = allocateTensors(abi, {});
  loadInputFiles(t, parseInputSpec({(dir / "f.npy").string()}));
  EXPECT_EQ(t.all.at("Z").get(0), 1.0 + std::ldexp(1.0, -6));
}

}  // namespace
}  // namespace pto::wsp::cli
