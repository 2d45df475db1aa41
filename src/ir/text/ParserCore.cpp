// Token handling, scalar expressions and views of the .wsp parser.
#include "ParserImpl.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace pto::wsp::ir::text::detail {

const Token& Parser::peek(size_t k) const {
  size_t i = std::min(pos_ + k, toks_.size() - 1);  // the last token is End
  return toks_[i];
}

const Token& Parser::take() {
  const Token& t = toks_[pos_];
  if (pos_ + 1 < toks_.size()) ++pos_;
  return t;
}

bool Parser::accept(Tok t) {
  if (!at(t)) return false;
  take();
  return true;
}

bool Parser::acceptWord(std::string_view w) {
  if (!atWord(w)) return false;
  take();
  return true;
}

SourceLoc Parser::loc(const Token& t) const { return SourceLoc{file_, t.line, t.col, {}}; }

void Parser::fail(const Token& t, std::string msg, std::string_view help) {
  Diagnostic d = makeError(loc(t), std::move(msg));
  if (!help.empty()) d.help(std::string(help));
  throw UserError(std::move(d));
}

void Parser::failExpected(std::string_view what, std::string_view where, std::string_view help) {
  std::string msg = fmt::format("expected {}", what);
  if (!where.empty()) msg += fmt::format(" {}", where);
  msg += fmt::format(", found {}", peek().describe());
  fail(peek(), std::move(msg), help);
}

const Token& Parser::expect(Tok t, std::string_view where, std::string_view help) {
  if (!at(t)) failExpected(tokName(t), where, help);
  return take();
}

void Parser::expectWord(std::string_view w, std::string_view where, std::string_view help) {
  if (!atWord(w)) failExpected(fmt::format("'{}'", w), where, help);
  take();
}

std::string Parser::expectName(std::string_view what, std::string_view where) {
  if (!atName())
    failExpected(what, where, "names are identifiers ([A-Za-z_][A-Za-z0-9_]*) or \"quoted\"");
  if (peek().text.empty()) fail(peek(), fmt::format("empty {}", what), "give it a non-empty name");
  return take().text;
}

std::string Parser::expectSlotName(std::string_view where) {
  if (at(Tok::SlotName)) return take().text;
  if (at(Tok::Ident) || at(Tok::String)) return expectName("slot name", where);
  failExpected("slot name", where, "slots are written $name");
}

int64_t Parser::expectInt(std::string_view what, std::string_view where) {
  bool neg = false;
  const Token& start = peek();
  if (at(Tok::Minus) && peek(1).kind == Tok::Int) {
    take();
    neg = true;
  }
  if (!at(Tok::Int)) failExpected(what, where, "write an integer literal such as 16");
  uint64_t v = peek().intValue;
  uint64_t limit = neg ? uint64_t(1) << 63 : uint64_t(std::numeric_limits<int64_t>::max());
  if (v > limit)
    fail(start, fmt::format("integer {}{} is out of range of i64", neg ? "-" : "", peek().text),
         "values must lie in [-9223372036854775808, 9223372036854775807]");
  take();
  if (neg) return v == (uint64_t(1) << 63) ? std::numeric_limits<int64_t>::min() : -int64_t(v);
  return int64_t(v);
}

uint64_t Parser::expectUInt(std::string_view what, std::string_view where) {
  if (!at(Tok::Int)) failExpected(what, where, "write a non-negative integer literal");
  return take().intValue;
}

DType Parser::expectDType(std::string_view where) {
  if (!at(Tok::Ident))
    failExpected("dtype", where, fmt::format("dtypes are {}", allDTypeNames()));
  auto t = parseDType(peek().text);
  if (!t)
    fail(peek(), fmt::format("unknown dtype '{}'", peek().text),
         fmt::format("dtypes are {}", allDTypeNames()));
  take();
  return *t;
}

void Parser::enter() {
  if (++depth_ > kMaxNestingDepth) {
    --depth_;
    fail(peek(), fmt::format("nesting deeper than {} levels", kMaxNestingDepth),
         "split the expression or statement into smaller parts");
  }
}

// ---- expressions ----

Expr Parser::parseExpr() {
  enter();
  DepthGuard g(depth_);
  return parseOr();
}

// Each operator of a left-associative chain deepens the tree by one: count it against
// the nesting limit so that "a + a + ... + a" cannot build a tree too deep to print,
// compare or destroy recursively. The depth is restored when the chain ends.
struct ChainDepth {
  explicit ChainDepth(int& d) : depth(d), saved(d) {}
  ~ChainDepth() { depth = saved; }
  int& depth;
  int saved;
};

Expr Parser::parseOr() {
  ChainDepth chain(depth_);
  Expr e = parseAnd();
  while (atWord("or") || at(Tok::OrOr)) {
    enter();
    take();
    SourceLoc l = e.loc();  // a binary expression is located at its first operand
    e = BinaryExpr::make(BinOp::Or, e, parseAnd(), l);
  }
  return e;
}

Expr Parser::parseAnd() {
  ChainDepth chain(depth_);
  Expr e = parseCmp();
  while (atWord("and") || at(Tok::AndAnd)) {
    enter();
    take();
    SourceLoc l = e.loc();
    e = BinaryExpr::make(BinOp::And, e, parseCmp(), l);
  }
  return e;
}

Expr Parser::parseCmp() {
  ChainDepth chain(depth_);
  Expr e = parseAdd();
  for (;;) {
    BinOp op;
    switch (peek().kind) {
      case Tok::EqEq: op = BinOp::Eq; break;
      case Tok::NotEq: op = BinOp::Ne; break;
      case Tok::Lt: op = BinOp::Lt; break;
      case Tok::Le: op = BinOp::Le; break;
      case Tok::Gt: op = BinOp::Gt; break;
      case Tok::Ge: op = BinOp::Ge; break;
      default: return e;
    }
    enter();
    take();
    SourceLoc l = e.loc();
    e = BinaryExpr::make(op, e, parseAdd(), l);
  }
}

Expr Parser::parseAdd() {
  ChainDepth chain(depth_);
  Expr e = parseMul();
  while (at(Tok::Plus) || at(Tok::Minus)) {
    enter();
    BinOp op = at(Tok::Plus) ? BinOp::Add : BinOp::Sub;
    take();
    SourceLoc l = e.loc();
    e = BinaryExpr::make(op, e, parseMul(), l);
  }
  return e;
}

Expr Parser::parseMul() {
  ChainDepth chain(depth_);
  Expr e = parseUnary();
  for (;;) {
    // In kernels a value starts the next instruction; elsewhere it is a mistyped modulo.
    if (at(Tok::Value) && ctx_ != NameCtx::Kernel)
      fail(peek(), fmt::format("unexpected {} in a scalar expression", peek().describe()),
           "write 'a % b' with a space after '%' for modulo; %values are tile op operands");
    BinOp op;
    if (at(Tok::Star)) op = BinOp::Mul;
    else if (at(Tok::Slash)) op = BinOp::Div;
    else if (at(Tok::Percent)) op = BinOp::Mod;
    else return e;
    enter();
    take();
    SourceLoc l = e.loc();
    e = BinaryExpr::make(op, e, parseUnary(), l);
  }
}

Expr Parser::parseUnary() {
  enter();
  DepthGuard g(depth_);
  const Token& t = peek();
  if (at(Tok::Minus)) {
    SourceLoc l = loc(t);
    const Token& n = peek(1);
    // '-' directly before a literal is part of the literal: -5 is IntConst(-5).
    if (n.kind == Tok::Int) return intConst(expectInt("integer", ""), l);
    if (n.kind == Tok::Float) {
      take();
      return floatConst(-take().floatValue, l);
    }
    if (n.kind == Tok::Ident && (n.text == "inf" || n.text == "nan")) {
      take();
      bool inf = take().text == "inf";
      return floatConst(inf ? -std::numeric_limits<double>::infinity()
                            : -std::numeric_limits<double>::quiet_NaN(), l);
    }
    take();
    return UnaryExpr::make(UnOp::Neg, parseUnary(), l);
  }
  if (at(Tok::Bang) || atWord("not")) {
    SourceLoc l = loc(take());
    return UnaryExpr::make(UnOp::Not, parseUnary(), l);
  }
  return parsePrimary();
}

Expr Parser::parsePrimary() {
  const Token& t = peek();
  SourceLoc l = loc(t);
  switch (t.kind) {
    case Tok::Int: return intConst(expectInt("integer", ""), l);
    case Tok::Float: return floatConst(take().floatValue, l);
    case Tok::SlotName: return slotRef(take().text, l);
    case Tok::LParen: {
      take();
      Expr e = parseExpr();
      expect(Tok::RParen, "to close '('", "parentheses must balance");
      return e;
    }
    case Tok::String: return resolveName(expectName("name", ""), l);
    case Tok::Ident: break;
    default:
      failExpected("an expression", "",
                   "expressions are built from integers, numbers, names, $slots, + - * / %, "
                   "comparisons, and/or/not, min(a, b), max(a, b), select(c, a, b)");
  }
  const std::string& w = t.text;
  if (w == "true" || w == "false") {
    take();
    return boolConst(w == "true", l);
  }
  if (w == "inf" || w == "nan") {
    take();
    return floatConst(w == "inf" ? std::numeric_limits<double>::infinity()
                                 : std::numeric_limits<double>::quiet_NaN(), l);
  }
  if (w == "min" || w == "max" || w == "select") {
    std::string fn = take().text;
    std::string where = fmt::format("after '{}'", fn);
    expect(Tok::LParen, where, fmt::format("'{}' is called like a function: {}(...)", fn, fn));
    Expr a = parseExpr();
    expect(Tok::Comma, fmt::format("between the arguments of '{}'", fn), "separate the arguments with ','");
    Expr b = parseExpr();
    if (fn == "select") {
      expect(Tok::Comma, "between the arguments of 'select'", "select(cond, a, b) takes 3 arguments");
      Expr c = parseExpr();
      expect(Tok::RParen, "after the arguments of 'select'", "select(cond, a, b) takes 3 arguments");
      return SelectExpr::make(a, b, c, l);
    }
    expect(Tok::RParen, fmt::format("after the arguments of '{}'", fn),
           fmt::format("{}(a, b) takes 2 arguments", fn));
    return BinaryExpr::make(fn == "min" ? BinOp::Min : BinOp::Max, a, b, l);
  }
  if (w == "and" || w == "or" || w == "not")
    failExpected("an expression", "", fmt::format("'{}' is an operator; quote a name that is a keyword", w));
  return resolveName(take().text, l);
}

Expr Parser::resolveName(std::string name, SourceLoc l) {
  auto has = [&](const std::vector<std::string>& xs) {
    return std::find(xs.begin(), xs.end(), name) != xs.end();
  };
  switch (ctx_) {
    case NameCtx::Module: return symbol(std::move(name), l);
    case NameCtx::Workload:
      return has(vars_) ? var(std::move(name), l) : symbol(std::move(name), l);
    case NameCtx::Schedule:
      return has(symbols_) ? symbol(std::move(name), l) : var(std::move(name), l);
    case NameCtx::Kernel:
      return has(scalarParams_) ? var(std::move(name), l) : symbol(std::move(name), l);
  }
  return symbol(std::move(name), l);
}

std::vector<NamedExpr> Parser::parseNamedExprs(std::string_view where) {
  std::vector<NamedExpr> out;
  expect(Tok::LParen, where, "parameters are written (name = value, ...)");
  if (accept(Tok::RParen)) return out;
  do {
    NamedExpr ne;
    ne.name = expectName("parameter name", where);
    expect(Tok::Assign, fmt::format("after parameter '{}'", ne.name), "write name = value");
    ne.value = parseExpr();
    out.push_back(std::move(ne));
  } while (accept(Tok::Comma));
  expect(Tok::RParen, fmt::format("to close the parameters {}", where),
         "separate parameters with ','");
  return out;
}

TileType Parser::parseTileType(std::string_view where) {
  if (!atWord("Tile")) failExpected("'Tile'", where, "a tile type is Tile[H, W, dtype]");
  take();
  expect(Tok::LBracket, "after 'Tile'", "a tile type is Tile[H, W, dtype]");
  TileType t;
  t.rows = expectInt("tile rows", "in tile shape");
  expect(Tok::Comma, "after tile rows", "a tile type is Tile[H, W, dtype]");
  t.cols = expectInt("tile columns", "in tile shape");
  expect(Tok::Comma, "after tile columns", "a tile type is Tile[H, W, dtype]");
  t.dtype = expectDType("in tile type");
  expect(Tok::RBracket, "after tile shape", "a tile type is Tile[H, W, dtype]");
  return t;
}

// NAME[e, ..., off : extent (: step)?, off : extent (: step)?] (.shape(R, C, RS, CS))? (.T)?
View Parser::parseView() {
  const Token& start = peek();
  std::string tensor = expectName("tensor name", "in view");
  expect(Tok::LBracket, fmt::format("after tensor '{}' in view", tensor),
         "a view is T[offset : extent, offset : extent]");
  struct Entry {
    Expr off;
    bool slice = false;
    int64_t extent = 0, step = 1;
  };
  std::vector<Entry> entries;
  if (!at(Tok::RBracket)) {
    do {
      Entry e;
      const Token& et = peek();
      e.off = parseExpr();
      if (accept(Tok::Colon)) {
        e.slice = true;
        e.extent = expectInt("tile extent", "after ':' in view");
        if (accept(Tok::Colon)) e.step = expectInt("element step", "after extent in view");
      } else if (!entries.empty() && entries.back().slice) {
        fail(et, fmt::format("view of '{}': offset without extent after a sliced dimension", tensor),
             "only the last two dimensions carry 'offset : extent'");
      }
      entries.push_back(std::move(e));
      if (entries.size() > 64)
        fail(et, "view with more than 64 dimensions", "tensors have at most 64 dimensions");
    } while (accept(Tok::Comma));
  }
  expect(Tok::RBracket, fmt::format("to close the view of '{}'", tensor),
         "separate view dimensions with ','");
  std::vector<Expr> offsets;
  size_t slices = 0;
  for (const Entry& e : entries) {
    offsets.push_back(e.off);
    slices += e.slice ? 1 : 0;
  }
  if (slices > 2)
    fail(start, fmt::format("view of '{}' has {} sliced dimensions, at most 2 allowed", tensor, slices),
         "a tile spans the last two dimensions; give leading dimensions as plain offsets");
  View v = View::make(tensor, std::move(offsets), 1, 0, loc(start));
  if (slices >= 1) {
    v.cols = entries.back().extent;
    v.colStep = entries.back().step;
  }
  if (slices == 2) {
    v.rows = entries[entries.size() - 2].extent;
    v.rowStep = entries[entries.size() - 2].step;
  }
  bool shaped = false;
  while (at(Tok::Dot)) {
    take();
    if (acceptWord("T")) {
      v.transposed = !v.transposed;
    } else if (!shaped && slices == 0 && atWord("shape")) {
      take();
      expect(Tok::LParen, "after '.shape'", ".shape(rows, cols, row_step, col_step)");
      v.rows = expectInt("rows", "in .shape");
      expect(Tok::Comma, "in .shape", ".shape(rows, cols, row_step, col_step)");
      v.cols = expectInt("cols", "in .shape");
      expect(Tok::Comma, "in .shape", ".shape(rows, cols, row_step, col_step)");
      v.rowStep = expectInt("row step", "in .shape");
      expect(Tok::Comma, "in .shape", ".shape(rows, cols, row_step, col_step)");
      v.colStep = expectInt("col step", "in .shape");
      expect(Tok::RParen, "to close .shape", ".shape(rows, cols, row_step, col_step)");
      shaped = true;
    } else {
      failExpected("'T'", "after '.' in view", "'.T' transposes a view");
    }
  }
  // The slices describe the tensor region being read; a transposed view's tile is that
  // region turned on its side, so its rows run along the last tensor dim.
  if (v.transposed && slices == 2) std::swap(v.rows, v.cols);
  if (slices == 0 && !shaped)
    fail(start, fmt::format("view of '{}' has no tile extent", tensor),
         fmt::format("write offset : extent on the last two dimensions, e.g. {}[i * 16 : 16, 0 : 128]",
                     tensor));
  return v;
}

}  // namespace pto::wsp::ir::text::detail
