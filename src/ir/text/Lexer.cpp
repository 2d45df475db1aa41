#include "pto/wsp/ir/text/Lexer.h"

#include <fmt/format.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>

namespace pto::wsp::ir::text {

std::string_view tokName(Tok t) {
  switch (t) {
    case Tok::End: return "end of input";
    case Tok::Ident: return "identifier";
    case Tok::Value: return "value";
    case Tok::SlotName: return "slot";
    case Tok::Int: return "integer";
    case Tok::Float: return "number";
    case Tok::String: return "string";
    case Tok::LParen: return "'('";
    case Tok::RParen: return "')'";
    case Tok::LBracket: return "'['";
    case Tok::RBracket: return "']'";
    case Tok::LBrace: return "'{'";
    case Tok::RBrace: return "'}'";
    case Tok::Comma: return "','";
    case Tok::Colon: return "':'";
    case Tok::Semi: return "';'";
    case Tok::Dot: return "'.'";
    case Tok::Assign: return "'='";
    case Tok::Arrow: return "'->'";
    case Tok::Plus: return "'+'";
    case Tok::Minus: return "'-'";
    case Tok::Star: return "'*'";
    case Tok::Slash: return "'/'";
    case Tok::Percent: return "'%'";
    case Tok::EqEq: return "'=='";
    case Tok::NotEq: return "'!='";
    case Tok::Lt: return "'<'";
    case Tok::Le: return "'<='";
    case Tok::Gt: return "'>'";
    case Tok::Ge: return "'>='";
    case Tok::AndAnd: return "'&&'";
    case Tok::OrOr: return "'||'";
    case Tok::Bang: return "'!'";
    case Tok::Question: return "'?'";
    case Tok::At: return "'@'";
  }
  return "token";
}

std::string Token::describe() const {
  switch (kind) {
    case Tok::Ident: return fmt::format("identifier '{}'", text);
    case Tok::Value: return fmt::format("value '%{}'", text);
    case Tok::SlotName: return fmt::format("slot '${}'", text);
    case Tok::Int: return fmt::format("integer {}", text);
    case Tok::Float: return fmt::format("number {}", text);
    case Tok::String: return "string literal";
    default: return std::string(tokName(kind));
  }
}

namespace {

bool isIdentStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool isDigit(char c) { return c >= '0' && c <= '9'; }
bool isIdentChar(char c) { return isIdentStart(c) || isDigit(c); }
bool isHex(char c) {
  return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

class Lexer {
 public:
  Lexer(std::string_view text, std::string_view file) : src_(text), file_(file) {}

  std::vector<Token> run() {
    if (src_.size() > kMaxInputBytes)
      fail(1, 1, fmt::format("input is {} bytes, larger than the limit of {} bytes",
                             src_.size(), kMaxInputBytes),
           "a module is one file: write repeated statements as loops (limits: docs/wsp-format.md)");
    std::vector<Token> out;
    for (;;) {
      skipSpaceAndComments();
      Token t = next();
      bool end = t.kind == Tok::End;
      out.push_back(std::move(t));
      if (end) break;
      if (out.size() > kMaxTokens)
        fail(out.back().line, out.back().col,
             fmt::format("more than {} tokens in one file", kMaxTokens),
             "a module is one file: write repeated statements as loops (limits: docs/wsp-format.md)");
    }
    return out;
  }

 private:
  [[noreturn]] void fail(uint32_t line, uint32_t col, std::string msg, std::string help) {
    Diagnostic d = makeError(SourceLoc{std::string(file_), line, col, {}}, std::move(msg));
    if (!help.empty()) d.help(help);
    throw UserError(std::move(d));
  }

  char peek(size_t k = 0) const { return pos_ + k < src_.size() ? src_[pos_ + k] : '\0'; }
  bool atEnd() const { return pos_ >= src_.size(); }
  void advance() {
    if (src_[pos_] == '\n') {
      ++line_;
      col_ = 1;
    } else {
      ++col_;
    }
    ++pos_;
  }

  void skipSpaceAndComments() {
    while (!atEnd()) {
      char c = peek();
      if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
        advance();
      } else if (c == '/' && peek(1) == '/') {
        while (!atEnd() && peek() != '\n') advance();
      } else {
        break;
      }
    }
  }

  Token make(Tok k, uint32_t line, uint32_t col, std::string text = {}) {
    Token t;
    t.kind = k;
    t.line = line;
    t.col = col;
    t.text = std::move(text);
    return t;
  }

  Token next() {
    uint32_t line = line_, col = col_;
    if (atEnd()) return make(Tok::End, line, col);
    char c = peek();
    if (isIdentStart(c)) return word(Tok::Ident, line, col);
    if (c == '%' && isIdentChar(peek(1))) {
      advance();
      return word(Tok::Value, line, col);
    }
    if (c == '$' && isIdentStart(peek(1))) {
      advance();
      return word(Tok::SlotName, line, col);
    }
    // $"any name" / %"any name": slots and values whose names are not identifiers.
    if ((c == '$' || c == '%') && peek(1) == '"') {
      advance();
      Token t = string(line, col);
      t.kind = c == '$' ? Tok::SlotName : Tok::Value;
      if (t.text.empty()) fail(line, col, "empty name", "give the slot or value a name");
      return t;
    }
    if (isDigit(c)) return number(line, col);
    if (c == '"') return string(line, col);
    auto one = [&](Tok k) {
      advance();
      return make(k, line, col);
    };
    auto two = [&](Tok k) {
      advance();
      advance();
      return make(k, line, col);
    };
    char d = peek(1);
    switch (c) {
      case '(': return one(Tok::LParen);
      case ')': return one(Tok::RParen);
      case '[': return one(Tok::LBracket);
      case ']': return one(Tok::RBracket);
      case '{': return one(Tok::LBrace);
      case '}': return one(Tok::RBrace);
      case ',': return one(Tok::Comma);
      case ':': return one(Tok::Colon);
      case ';': return one(Tok::Semi);
      case '.': return one(Tok::Dot);
      case '+': return one(Tok::Plus);
      case '*': return one(Tok::Star);
      case '/': return one(Tok::Slash);
      case '%': return one(Tok::Percent);
      case '?': return one(Tok::Question);
      case '@': return one(Tok::At);
      case '-': return d == '>' ? two(Tok::Arrow) : one(Tok::Minus);
      case '=': return d == '=' ? two(Tok::EqEq) : one(Tok::Assign);
      case '!': return d == '=' ? two(Tok::NotEq) : one(Tok::Bang);
      case '<': return d == '=' ? two(Tok::Le) : one(Tok::Lt);
      case '>': return d == '=' ? two(Tok::Ge) : one(Tok::Gt);
      case '&':
        if (d == '&') return two(Tok::AndAnd);
        fail(line, col, "unexpected character '&'", "logical and is written '&&'");
      case '|':
        if (d == '|') return two(Tok::OrOr);
        fail(line, col, "unexpected character '|'", "logical or is written '||'");
      default: break;
    }
    auto uc = static_cast<unsigned char>(c);
    if (uc >= 0x20 && uc < 0x7f)
      fail(line, col, fmt::format("unexpected character '{}'", c),
           "comments start with '//'; see docs/wsp-format.md for the token set");
    fail(line, col, fmt::format("unexpected byte 0x{:02x}", uc),
         ".wsp files are ASCII outside comments and strings");
  }

  Token word(Tok k, uint32_t line, uint32_t col) {
    size_t start = pos_;
    while (!atEnd() && isIdentChar(peek())) advance();
    if (pos_ - start > kMaxTokenBytes)
      fail(line, col, fmt::format("name is {} characters long, the limit is {}",
                                  pos_ - start, kMaxTokenBytes),
           "use a shorter name");
    return make(k, line, col, std::string(src_.substr(start, pos_ - start)));
  }

  Token number(uint32_t line, uint32_t col) {
    size_t start = pos_;
    bool hex = peek() == '0' && (peek(1) == 'x' || peek(1) == 'X');
    bool isFloat = false;
    if (hex) {
      advance();
      advance();
      if (!isHex(peek()))
        fail(line, col, "expected hex digits after '0x'", "write e.g. 0xff");
      while (!atEnd() && isHex(peek())) advance();
    } else {
      while (!atEnd() && isDigit(peek())) advance();
      if (peek() == '.' && isDigit(peek(1))) {
        isFloat = true;
        advance();
        while (!atEnd() && isDigit(peek())) advance();
      }
      if ((peek() == 'e' || peek() == 'E') &&
          (isDigit(peek(1)) || ((peek(1) == '+' || peek(1) == '-') && isDigit(peek(2))))) {
        isFloat = true;
        advance();
        if (peek() == '+' || peek() == '-') advance();
        while (!atEnd() && isDigit(peek())) advance();
      }
    }
    if (isIdentChar(peek()))
      fail(line_, col_, fmt::format("unexpected character '{}' in number", peek()),
           "separate a number from a following name with a space");
    std::string spelling(src_.substr(start, pos_ - start));
    if (spelling.size() > kMaxTokenBytes)
      fail(line, col, fmt::format("number literal is {} characters long, the limit is {}",
                                  spelling.size(), kMaxTokenBytes),
           "use a shorter literal");
    Token t = make(isFloat ? Tok::Float : Tok::Int, line, col, spelling);
    if (isFloat) {
      errno = 0;
      char* endp = nullptr;
      double v = std::strtod(t.text.c_str(), &endp);
      if (errno == ERANGE && std::isinf(v))
        fail(line, col, fmt::format("number {} is out of range of f64", spelling),
             "write inf for an infinite value");
      t.floatValue = v;  // underflow to 0/denormal is accepted
      return t;
    }
    uint64_t v = 0;
    unsigned base = hex ? 16 : 10;
    for (size_t i = hex ? 2 : 0; i < spelling.size(); ++i) {
      char ch = spelling[i];
      unsigned digit = isDigit(ch) ? unsigned(ch - '0')
                       : (ch >= 'a' && ch <= 'f') ? unsigned(ch - 'a' + 10)
                                                  : unsigned(ch - 'A' + 10);
      if (v > (UINT64_MAX - digit) / base)
        fail(line, col, fmt::format("integer {} does not fit in 64 bits", spelling),
             "integers must be at most 18446744073709551615");
      v = v * base + digit;
    }
    t.intValue = v;
    return t;
  }

  Token string(uint32_t line, uint32_t col) {
    advance();  // opening quote
    std::string s;
    for (;;) {
      if (atEnd() || peek() == '\n')
        fail(line, col, "unterminated string literal", "close the string with '\"' on the same line");
      char c = peek();
      if (c == '"') {
        advance();
        break;
      }
      if (c == '\\') {
        uint32_t el = line_, ec = col_;
        advance();
        char e = peek();
        if (e == 'n') s += '\n';
        else if (e == 't') s += '\t';
        else if (e == '"' || e == '\\') s += e;
        else
          fail(el, ec, "unknown escape sequence in string", R"(use \", \\, \n or \t)");
        advance();
      } else {
        s += c;
        advance();
      }
      if (s.size() > kMaxTokenBytes)
        fail(line, col, fmt::format("string literal longer than {} bytes", kMaxTokenBytes),
             "use a shorter string");
    }
    return make(Tok::String, line, col, std::move(s));
  }

  std::string_view src_;
  std::string_view file_;
  size_t pos_ = 0;
  uint32_t line_ = 1, col_ = 1;
};

}  // namespace

std::vector<Token> lex(std::string_view text, std::string_view filename) {
  return Lexer(text, filename).run();
}

}  // namespace pto::wsp::ir::text
