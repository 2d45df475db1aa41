// Golden invalid inputs: tests/text/invalid/*.wsp, one case per file. The first line of
// each file is `// expect: LINE:COL: error: <message substring>`; parsing (and, if that
// succeeds, verifying) the file must produce an error at exactly that location whose
// message contains the substring, and every error must carry a help note.
#include "TextTestUtil.h"

#include "pto/wsp/ir/Verifier.h"
#include "pto/wsp/ir/text/Parser.h"

#include <gtest/gtest.h>

#include <regex>

namespace pto::wsp::ir::text {
namespace {

using testing::readFile;
using testing::sourceDir;

std::vector<std::string> invalidCases() {
  std::vector<std::string> names;
  for (const auto& p : testing::wspFiles(sourceDir() / "tests/text/invalid", false))
    names.push_back(p.stem().string());
  return names;
}

struct Expectation {
  uint32_t line = 0, col = 0;
  std::string substring;
};

Expectation parseExpectation(const std::string& text) {
  static const std::regex re(R"(^// expect: (\d+):(\d+): error: (.+)\n)");
  std::smatch m;
  Expectation e;
  if (std::regex_search(text, m, re)) {
    e.line = uint32_t(std::stoul(m[1]));
    e.col = uint32_t(std::stoul(m[2]));
    e.substring = m[3];
  }
  return e;
}

class InvalidInput : public ::testing::TestWithParam<std::string> {};

TEST_P(InvalidInput, GivesLocatedErrorWithMessage) {
  std::filesystem::path path = sourceDir() / "tests/text/invalid" / (GetParam() + ".wsp");
  std::string file = path.string();
  std::string text = readFile(path);
  Expectation want = parseExpectation(text);
  ASSERT_NE(want.line, 0u) << file << ": first line must be '// expect: L:C: error: message'";

  std::vector<Diagnostic> diags;
  try {
    Module m = parse(text, file);
    diags = verify(m).all();
  } catch (const UserError& e) {
    diags = e.diagnostics();
  }
  std::string all;
  for (const Diagnostic& d : diags) all += d.render() + "\n";
  bool found = false;
  for (const Diagnostic& d : diags) {
    if (d.severity != Severity::Error) continue;
    EXPECT_EQ(d.loc.file, file) << all;
    bool hasHelp = false;
    for (const DiagNote& n : d.notes) hasHelp |= n.message.rfind("help: ", 0) == 0;
    EXPECT_TRUE(hasHelp) << "error without a help note:\n" << d.render();
    if (d.loc.line == want.line && d.loc.col == want.col &&
        d.message.find(want.substring) != std::string::npos)
      found = true;
  }
  EXPECT_TRUE(found) << "expected " << want.line << ":" << want.col << ": error: "
                     << want.substring << "\ngot:\n" << (all.empty() ? "(no diagnostics)\n" : all);
}

INSTANTIATE_TEST_SUITE_P(Golden, InvalidInput, ::testing::ValuesIn(invalidCases()),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

TEST(InvalidInputFolder, CoversLexerParserAndVerifier) {
  size_t lexN = 0, parseN = 0, verifyN = 0;
  for (const std::string& n : invalidCases()) {
    lexN += n.rfind("lex_", 0) == 0;
    parseN += n.rfind("parse_", 0) == 0;
    verifyN += n.rfind("verify_", 0) == 0;
  }
  EXPECT_GE(lexN, 3u);
  EXPECT_GE(parseN, 10u);
  EXPECT_GE(verifyN, 10u);
}

}  // namespace
}  // namespace pto::wsp::ir::text
