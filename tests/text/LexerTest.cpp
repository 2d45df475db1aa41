#include "pto/wsp/ir/text/Lexer.h"

#include <gtest/gtest.h>

#include <string>

namespace pto::wsp::ir::text {
namespace {

std::string firstError(std::string_view src) {
  try {
    lex(src, "t.wsp");
  } catch (const UserError& e) {
    return e.diagnostics().at(0).loc.str() + ": " + e.diagnostics()[0].message;
  }
  return "<no error>";
}

TEST(Lexer, TokensCarryLineAndColumn) {
  auto toks = lex("module m\n  input X : f16[4, 0x10] // c\n%v $s \"a\\\"b\" 1.5e3", "t.wsp");
  ASSERT_EQ(toks.size(), 16u);
  EXPECT_EQ(toks[0].kind, Tok::Ident);
  EXPECT_EQ(toks[0].text, "module");
  EXPECT_EQ(toks[2].line, 2u);
  EXPECT_EQ(toks[2].col, 3u);
  EXPECT_EQ(toks[9].kind, Tok::Int);
  EXPECT_EQ(toks[9].intValue, 16u);
  EXPECT_EQ(toks[11].kind, Tok::Value);
  EXPECT_EQ(toks[11].text, "v");
  EXPECT_EQ(toks[11].line, 3u);
  EXPECT_EQ(toks[12].kind, Tok::SlotName);
  EXPECT_EQ(toks[12].text, "s");
  EXPECT_EQ(toks[13].kind, Tok::String);
  EXPECT_EQ(toks[13].text, "a\"b");
  EXPECT_EQ(toks[14].kind, Tok::Float);
  EXPECT_DOUBLE_EQ(toks[14].floatValue, 1500.0);
  EXPECT_EQ(toks.back().kind, Tok::End);
}

TEST(Lexer, OperatorsAndModuloVersusValue) {
  auto toks = lex("a % b %c -> == != <= >= && || !", "t.wsp");
  std::vector<Tok> kinds;
  for (const Token& t : toks) kinds.push_back(t.kind);
  std::vector<Tok> want = {Tok::Ident, Tok::Percent, Tok::Ident, Tok::Value, Tok::Arrow,
                           Tok::EqEq, Tok::NotEq, Tok::Le, Tok::Ge, Tok::AndAnd,
                           Tok::OrOr, Tok::Bang, Tok::End};
  EXPECT_EQ(kinds, want);
}

TEST(Lexer, IntegerLimits) {
  auto toks = lex("18446744073709551615 0xffffffffffffffff", "t.wsp");
  EXPECT_EQ(toks[0].intValue, UINT64_MAX);
  EXPECT_EQ(toks[1].intValue, UINT64_MAX);
  EXPECT_EQ(firstError("\n 18446744073709551616"),
            "t.wsp:2:2: integer 18446744073709551616 does not fit in 64 bits");
  EXPECT_EQ(firstError("0x1ffffffffffffffff"), "t.wsp:1:1: integer 0x1ffffffffffffffff does not fit in 64 bits");
}

TEST(Lexer, ErrorsAreLocated) {
  EXPECT_EQ(firstError("a\n  #"), "t.wsp:2:3: unexpected character '#'");
  EXPECT_EQ(firstError("x = \"abc\ny\""), "t.wsp:1:5: unterminated string literal");
  EXPECT_EQ(firstError("\"a\\qb\""), "t.wsp:1:3: unknown escape sequence in string");
  EXPECT_EQ(firstError("12ab"), "t.wsp:1:3: unexpected character 'a' in number");
  EXPECT_EQ(firstError("0x"), "t.wsp:1:1: expected hex digits after '0x'");
  EXPECT_EQ(firstError("a | b"), "t.wsp:1:3: unexpected character '|'");
  EXPECT_EQ(firstError(std::string("a \xc3\xa9")), "t.wsp:1:3: unexpected byte 0xc3");
  EXPECT_EQ(firstError(std::string(2000, 'a')), "t.wsp:1:1: name is 2000 characters long, the limit is 1024");
  EXPECT_EQ(firstError("1e999"), "t.wsp:1:1: number 1e999 is out of range of f64");
}

TEST(Lexer, EmbeddedNulIsAnError) {
  std::string s = "module m";
  s += '\0';
  EXPECT_EQ(firstError(s), "t.wsp:1:9: unexpected byte 0x00");
}

TEST(Lexer, CommentsAndEmptyInput) {
  EXPECT_EQ(lex("", "t.wsp").size(), 1u);
  EXPECT_EQ(lex("// only a comment", "t.wsp").size(), 1u);
  auto toks = lex("a // x\n// y\nb", "t.wsp");
  ASSERT_EQ(toks.size(), 3u);
  EXPECT_EQ(toks[1].line, 3u);
}

}  // namespace
}  // namespace pto::wsp::ir::text
