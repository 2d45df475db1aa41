// The Engine example of docs/runtime.md ("## Engine"), compiled and run here; the text
// test checks that the doc shows exactly these lines, so the doc cannot drift from the
// API again.
#include "pto/wsp/runtime/Engine.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace pto::wsp::rt {
namespace {

namespace rt = pto::wsp::rt;

TEST(DocExample, RuntimeMdEngineExampleRuns) {
  // doc: begin
  rt::Engine eng({.schedule = {.workers = 4, .dispatch = "least_loaded", .syncLatency = 20,
                               .taskWindow = 4096},
                  .trace = true, .sink = nullptr /* or &executor: run the kernels */});
  const uint32_t A = 0, B = 1;  // tensor ids
  for (int64_t i = 0; i < 8; ++i) {
    const rt::Region r[2] = {rt::Region::box2d(A, i * 16, 0, 16, 64, rt::Access::Read),
                             rt::Region::box2d(B, i * 16, 0, 16, 64, rt::Access::Write)};
    rt::TaskTimes t = eng.issue({.kernel = 0, .regions = r, .cycles = 100,
                                 .dispatchKey = static_cast<uint64_t>(i)});
    (void)t;  // t.start, t.finish, t.worker, t.numDeps
  }
  eng.scopeBegin();
  eng.issue({.kernel = 1, .cycles = 10});
  eng.scopeEnd();
  eng.awaitRegion(0, rt::Region::box2d(B, 3, 5, 1, 1, rt::Access::Read));  // slot load
  eng.drain();
  rt::RunStats s = eng.stats();  // s.toJson(), s.toText()
  std::string perfetto = eng.chromeTrace({.kernelNames = {"copy", "mark"}});
  // doc: end

  // Eight independent 100-cycle tasks on four workers, then the 10-cycle one on the
  // first worker free (least_loaded): 200 + 10.
  EXPECT_EQ(s.tasks, 9u);
  EXPECT_EQ(s.totalCycles, 210u);
  EXPECT_NE(perfetto.find("\"copy\""), std::string::npos);
  EXPECT_NE(perfetto.find("\"mark\""), std::string::npos);
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

std::string slurp(const std::string& path) {
  std::ifstream f(path);
  EXPECT_TRUE(f.good()) << "cannot read " << path;
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

TEST(DocExample, RuntimeMdShowsTheCompiledExample) {
  // The lines between the markers above, without the test's two levels of indentation.
  std::vector<std::string> code;
  bool in = false;
  const std::string self = slurp(PTO_WSP_SOURCE_DIR "/tests/runtime/DocExampleTest.cpp");
  for (const std::string& l : lines(self)) {
    if (l.find("// doc: end") != std::string::npos) break;
    if (in) code.push_back(l.size() >= 2 ? l.substr(2) : l);
    if (l.find("// doc: begin") != std::string::npos) in = true;
  }
  ASSERT_FALSE(code.empty());
  // The first ```cpp block of the doc's "## Engine" section.
  std::vector<std::string> doc;
  bool section = false, block = false;
  for (const std::string& l : lines(slurp(PTO_WSP_SOURCE_DIR "/docs/runtime.md"))) {
    if (l == "## Engine") section = true;
    if (!section) continue;
    if (block && l == "```") break;
    if (block) doc.push_back(l);
    if (l == "```cpp") block = true;
  }
  EXPECT_EQ(doc, code) << "docs/runtime.md's Engine example differs from "
                          "tests/runtime/DocExampleTest.cpp";
}

}  // namespace
}  // namespace pto::wsp::rt
