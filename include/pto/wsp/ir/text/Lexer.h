// Lexer of the .wsp text format (docs/wsp-format.md): turns text into tokens that
// carry their file:line:col. Never crashes on any input: bad bytes, unterminated
// strings, overlong literals and integer overflow become located UserErrors.
#pragma once

#include "pto/wsp/support/Diagnostic.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace pto::wsp::ir::text {

enum class Tok : uint8_t {
  End,       // end of input
  Ident,     // [A-Za-z_][A-Za-z0-9_]*
  Value,     // %name or %123: an SSA value in a kernel body (text holds the name, no '%')
  SlotName,  // $name: a runtime slot in a scalar expression (text holds the name, no '$')
  Int,       // decimal or 0x hex integer literal, fits in uint64 (see Token::intValue)
  Float,     // literal with '.' or exponent
  String,    // "..." with \" \\ \n escapes decoded
  LParen, RParen, LBracket, RBracket, LBrace, RBrace,
  Comma, Colon, Semi, Dot, Assign, Arrow,  // , : ; . = ->
  Plus, Minus, Star, Slash, Percent,       // + - * / %
  EqEq, NotEq, Lt, Le, Gt, Ge,             // == != < <= > >=
  AndAnd, OrOr, Bang, Question, At,        // && || ! ? @
};

// Human spelling of a token kind for "expected X, found Y" messages.
std::string_view tokName(Tok t);

struct Token {
  Tok kind = Tok::End;
  std::string text;        // identifier/value name, decoded string, or literal spelling
  uint64_t intValue = 0;   // Tok::Int
  double floatValue = 0;   // Tok::Float
  uint32_t line = 0, col = 0;
  // "identifier 'foo'", "integer 12", "',' ", "end of input": for diagnostics.
  std::string describe() const;
};

// Hard limits that keep hostile input bounded (also documented in docs/wsp-format.md).
inline constexpr size_t kMaxInputBytes = 16u << 20;   // 16 MiB
inline constexpr size_t kMaxTokenBytes = 1024;        // identifiers, literals, strings
inline constexpr size_t kMaxTokens = 4u << 20;

// Tokenizes the whole input. Throws UserError ("file:line:col: error: ...") on the
// first lexical error. The result always ends with a Tok::End token.
// Thread-safe (pure function); the filename is copied into diagnostics only.
std::vector<Token> lex(std::string_view text, std::string_view filename);

}  // namespace pto::wsp::ir::text
