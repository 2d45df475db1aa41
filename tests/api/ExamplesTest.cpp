#include "pto/wsp/api/Examples.h"

#include "pto/wsp/ir/Verifier.h"
#include "pto/wsp/ir/text/Parser.h"
#include "pto/wsp/ir/text/Printer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

using namespace pto::wsp;

TEST(Examples, AllFiveVerifyClean) {
  ASSERT_EQ(examples::all().size(), 5u);
  for (const examples::Example& ex : examples::all()) {
    ir::Module m = ex.build();
    EXPECT_EQ(m.name, ex.name);
    DiagnosticList d = ir::verify(m);
    EXPECT_TRUE(d.empty()) << ex.name << ":\n" << d.render();
    ASSERT_EQ(m.workloads.size(), 1u) << ex.name;
    EXPECT_FALSE(m.workloads[0].schedule.empty()) << ex.name;
  }
}

TEST(Examples, DeterministicAndEqual) {
  for (const examples::Example& ex : examples::all()) EXPECT_TRUE(ex.build() == ex.build()) << ex.name;
  EXPECT_FALSE(examples::rmsnorm() == examples::softmax());
}

// The builder examples survive the text format: parse(print(m)) == m (the .wsp printer and
// parser live in src/ir/text, owned by the text stream).
TEST(Examples, RoundTripThroughText) {
  for (const examples::Example& ex : examples::all()) {
    ir::Module m = ex.build();
    std::string text = ir::text::print(m);
    ir::Module back = ir::text::parse(text, std::string(ex.name) + ".wsp");
    EXPECT_TRUE(back == m) << ex.name << ":\n" << text;
    EXPECT_EQ(ir::text::print(back), text) << ex.name;
    EXPECT_TRUE(ir::verify(back).empty()) << ir::verify(back).render();
  }
}

// The builder examples are the same workloads as examples/<name>/<name>.wsp: parsing the
// file gives a module structurally equal (source locations ignored) to examples::<name>().
namespace {
std::string readExample(std::string_view name) {
  const std::string n(name);
  const std::string path = std::string(PTO_WSP_SOURCE_DIR) + "/examples/" + n + "/" + n + ".wsp";
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot open " << path;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> splitLines(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// The first line where the printed forms differ, both versions shown.
std::string firstDifference(const std::string& fromFile, const std::string& fromBuilder) {
  std::vector<std::string> a = splitLines(fromFile), b = splitLines(fromBuilder);
  for (size_t i = 0; i < std::max(a.size(), b.size()); ++i) {
    std::string la = i < a.size() ? a[i] : "<end of text>";
    std::string lb = i < b.size() ? b[i] : "<end of text>";
    if (la != lb)
      return "first difference at printed line " + std::to_string(i + 1) + ":\n  file:    " + la +
             "\n  builder: " + lb;
  }
  return "printed forms are identical (the difference is not visible in the text format)";
}
}  // namespace

TEST(Examples, SameWorkloadsAsWspFiles) {
  for (const examples::Example& ex : examples::all()) {
    std::string path = "examples/" + std::string(ex.name) + "/" + std::string(ex.name) + ".wsp";
    ir::Module parsed = ir::text::parse(readExample(ex.name), path);
    ir::Module built = ex.build();
    // The streamed message is only evaluated on failure.
    EXPECT_TRUE(parsed == built) << ex.name << ": parse(" << path << ") != examples::" << ex.name << "()\n"
                                 << firstDifference(ir::text::print(parsed), ir::text::print(built))
                                 << "\n--- printed from " << path << ":\n"
                                 << ir::text::print(parsed) << "\n--- printed from examples::" << ex.name
                                 << "():\n"
                                 << ir::text::print(built);
  }
}
