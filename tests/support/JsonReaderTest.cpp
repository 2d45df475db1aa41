// Located JSON reading (support/JsonReader.h): offsets -> line:col, pointers -> offsets,
// located syntax errors, pointer-located diagnostics gaining line:col.
#include "pto/wsp/support/JsonReader.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

using namespace pto::wsp;

TEST(JsonReader, LineColOfByteOffsets) {
  std::string_view t = "ab\ncd\n\nx";
  EXPECT_EQ(lineColOf(t, 0).line, 1u);
  EXPECT_EQ(lineColOf(t, 1).col, 2u);
  EXPECT_EQ(lineColOf(t, 3).line, 2u);
  EXPECT_EQ(lineColOf(t, 3).col, 1u);
  EXPECT_EQ(lineColOf(t, 7).line, 4u);
}

TEST(JsonReader, PointersMapToValueStarts) {
  std::string_view t = "{\"a\": [1, {\"b\": \"x\"}], \"c\": true}";
  auto at = locateJsonPointers(t);
  EXPECT_EQ(at.at(""), 0u);
  EXPECT_EQ(at.at("/a"), 6u);
  EXPECT_EQ(at.at("/a/0"), 7u);
  EXPECT_EQ(at.at("/a/1/b"), 16u);
  EXPECT_EQ(at.at("/c"), 28u);
  // Garbage never hangs or crashes.
  for (std::string_view g : {"{", "[,,]", "{\"a\"", "}}}", "[\"\\", ""}) (void)locateJsonPointers(g);
}

TEST(JsonReader, SyntaxErrorIsLocatedWithoutTheParsersOwnPosition) {
  try {
    parseJsonText("{\n  \"a\": 1,\n  oops\n}", "x.json", "x is not valid JSON", "fix it");
    FAIL() << "expected UserError";
  } catch (const UserError& e) {
    ASSERT_EQ(e.diagnostics().size(), 1u);
    std::string r = e.diagnostics()[0].render();
    EXPECT_EQ(r.rfind("x.json:3:3: error: x is not valid JSON: syntax error while parsing object key", 0), 0u) << r;
    EXPECT_EQ(r.find("parse error at line"), std::string::npos) << r;
    EXPECT_NE(r.find("help: fix it"), std::string::npos) << r;
  }
  EXPECT_EQ(parseJsonText("[1, 2]", "x.json", "x", "h").size(), 2u);
}

TEST(JsonReader, PointerLocatedDiagnosticsGainLineAndColumn) {
  std::string_view t = "{\n  \"a\": [1,\n    true]\n}";
  std::vector<Diagnostic> ds{makeError(SourceLoc{"x.json", 0, 0, "/a/1"}, "bad"),
                             makeError(SourceLoc{"x.json", 0, 0, "/"}, "root"),
                             makeError(SourceLoc{"x.json", 0, 0, "/missing"}, "absent")};
  ds = locateByPointer(std::move(ds), t);
  EXPECT_EQ(ds[0].loc.line, 3u);
  EXPECT_EQ(ds[0].loc.col, 5u);
  EXPECT_EQ(ds[1].loc.line, 1u);
  EXPECT_EQ(ds[1].loc.col, 1u);
  EXPECT_EQ(ds[2].loc.line, 0u);  // no such value: stays pointer-only
}
