// Workload statements of the .wsp parser.
#include "ParserImpl.h"

#include <fmt/format.h>

namespace pto::wsp::ir::text::detail {

namespace {
constexpr std::string_view kStmtHelp =
    "statements are P / P.seq / P.sel loops, when, cond, call, combine, sequential, scope, "
    "{ ... }, channel, process, send, consume, connect, replicate, slot_load, slot_set";

// Keeps loop / consume variables in scope for the duration of a body.
struct VarScope {
  VarScope(std::vector<std::string>& v) : vars(v), size(v.size()) {}
  ~VarScope() { vars.resize(size); }
  std::vector<std::string>& vars;
  size_t size;
};
}  // namespace

Workload Parser::parseWorkload() {
  const Token& start = take();
  ctx_ = NameCtx::Workload;
  vars_.clear();
  std::string name = expectName("workload name", "after 'workload'");
  Stmt body = parseBody(fmt::format("workload '{}'", name));
  return Workload::make(std::move(name), std::move(body), {}, loc(start));
}

// A body is a { block } or one statement.
Stmt Parser::parseBody(std::string_view what) {
  if (at(Tok::LBrace)) return parseBlock();
  if (at(Tok::End) || at(Tok::RBrace))
    failExpected("'{' or a statement", fmt::format("as the body of {}", what), kStmtHelp);
  return parseStmt();
}

std::vector<Stmt> Parser::parseStmtList(std::string_view what) {
  expect(Tok::LBrace, fmt::format("to open {}", what), "a block is { statements }");
  std::vector<Stmt> stmts;
  while (!at(Tok::RBrace) && !at(Tok::End)) {
    stmts.push_back(parseStmt());
    if (stmts.size() > 1000000) fail(peek(), "more than 1000000 statements in one block", "");
  }
  expect(Tok::RBrace, fmt::format("to close {}", what), "every '{' needs a matching '}'");
  return stmts;
}

Stmt Parser::parseBlock() {
  const Token& start = peek();
  enter();
  DepthGuard g(depth_);
  VarScope scope(vars_);
  return Block::make(parseStmtList("a block"), loc(start));
}

Axis Parser::parseAxis() {
  const Token& start = peek();
  constexpr std::string_view kHelp =
      "axes are dense(n), dense_dyn(expr), ragged(outer, lengths), sparse(outer, indptr, indices)";
  if (!at(Tok::Ident)) failExpected("axis", "after 'in'", kHelp);
  std::string kind = take().text;
  std::string where = fmt::format("after '{}'", kind);
  Axis a;
  a.loc = loc(start);
  if (kind == "dense" || kind == "dense_dyn") {
    expect(Tok::LParen, where, kHelp);
    a.kind = kind == "dense" ? AxisKind::Dense : AxisKind::DenseDyn;
    a.extent = parseExpr();
    expect(Tok::RParen, fmt::format("after the extent of '{}'", kind), kHelp);
    return a;
  }
  if (kind == "ragged" || kind == "sparse") {
    expect(Tok::LParen, where, kHelp);
    a.kind = kind == "ragged" ? AxisKind::Ragged : AxisKind::Sparse;
    a.outer = expectName("outer loop variable", fmt::format("in '{}'", kind));
    expect(Tok::Comma, fmt::format("after the outer variable of '{}'", kind), kHelp);
    if (kind == "ragged") {
      a.lengths = expectName("lengths tensor", "in 'ragged'");
    } else {
      a.indptr = expectName("indptr tensor", "in 'sparse'");
      expect(Tok::Comma, "after the indptr tensor of 'sparse'", kHelp);
      a.indices = expectName("indices tensor", "in 'sparse'");
    }
    expect(Tok::RParen, fmt::format("to close '{}'", kind), kHelp);
    return a;
  }
  fail(start, fmt::format("unknown axis kind '{}'", kind), kHelp);
}

Stmt Parser::parseLoop() {
  const Token& start = take();  // P
  LoopKind kind = LoopKind::Parallel;
  if (accept(Tok::Dot)) {
    if (acceptWord("seq")) kind = LoopKind::Seq;
    else if (acceptWord("sel")) kind = LoopKind::Sel;
    else failExpected("'seq' or 'sel'", "after 'P.'", "loops are P, P.seq and P.sel");
  }
  VarScope scope(vars_);
  std::vector<LoopVar> vars;
  do {
    LoopVar v;
    v.name = expectName("loop variable", fmt::format("after '{}'", loopKindName(kind)));
    expectWord("in", fmt::format("after loop variable '{}'", v.name), "a loop is P i in dense(n) { ... }");
    v.axis = parseAxis();
    vars_.push_back(v.name);  // visible to later axes of the same grid and to the body
    vars.push_back(std::move(v));
    if (vars.size() > 64) fail(peek(), "loop grid with more than 64 variables", "nest loops instead");
  } while (accept(Tok::Comma));
  Stmt body = parseBody(fmt::format("the {} loop", loopKindName(kind)));
  return Loop::make(kind, std::move(vars), std::move(body), loc(start));
}

Stmt Parser::parseWhen() {
  const Token& start = take();
  expect(Tok::LParen, "after 'when'", "a condition is when (predicate) { ... }");
  Expr pred = parseExpr();
  expect(Tok::RParen, "after the predicate of 'when'", "a condition is when (predicate) { ... }");
  std::vector<CondBranch> branches;
  branches.push_back({pred, parseBody("'when'")});
  Stmt otherwise;
  if (acceptWord("otherwise")) otherwise = parseBody("'otherwise'");
  return Cond::make(std::move(branches), otherwise, loc(start));
}

Stmt Parser::parseCondBlock() {
  const Token& start = take();
  expect(Tok::LBrace, "after 'cond'", "cond { when (p) { ... } when (q) { ... } otherwise { ... } }");
  std::vector<CondBranch> branches;
  Stmt otherwise;
  while (atWord("when")) {
    take();
    expect(Tok::LParen, "after 'when'", "a branch is when (predicate) { ... }");
    Expr pred = parseExpr();
    expect(Tok::RParen, "after the predicate of 'when'", "a branch is when (predicate) { ... }");
    branches.push_back({pred, parseBody("'when'")});
    if (branches.size() > 100000) fail(peek(), "more than 100000 branches", "");
  }
  if (branches.empty())
    failExpected("'when'", "in 'cond'", "a cond needs at least one when (predicate) { ... } branch");
  if (acceptWord("otherwise")) otherwise = parseBody("'otherwise'");
  expect(Tok::RBrace, "to close 'cond'", "'otherwise' is the last branch of a cond");
  return Cond::make(std::move(branches), otherwise, loc(start));
}

Stmt Parser::parseCall() {
  const Token& start = take();
  std::string kernel = expectName("kernel name", "after 'call'");
  expect(Tok::LParen, fmt::format("after kernel name '{}'", kernel), "a call is call kernel(args)");
  std::vector<CallArg> args;
  if (!at(Tok::RParen)) {
    do {
      if (atName() && peek(1).kind == Tok::LBracket) args.push_back(CallArg::ofView(parseView()));
      else args.push_back(CallArg::ofValue(parseExpr()));
      if (args.size() > 1024) fail(peek(), "more than 1024 call arguments", "");
    } while (accept(Tok::Comma));
  }
  expect(Tok::RParen, fmt::format("to close the arguments of '{}'", kernel),
         "separate arguments with ','");
  return Call::make(std::move(kernel), std::move(args), loc(start));
}

Stmt Parser::parseStmt() {
  enter();
  DepthGuard g(depth_);
  const Token& start = peek();
  SourceLoc l = loc(start);
  if (at(Tok::LBrace)) return parseBlock();
  if (!at(Tok::Ident)) failExpected("a statement", "", kStmtHelp);
  const std::string& w = start.text;
  if (w == "P") return parseLoop();
  if (w == "when") return parseWhen();
  if (w == "cond") return parseCondBlock();
  if (w == "call") return parseCall();
  if (w == "combine" || w == "sequential") {
    take();
    VarScope scope(vars_);
    std::vector<Stmt> parts = parseStmtList(fmt::format("'{}'", w));
    return w == "combine" ? Combine::make(std::move(parts), l) : Sequential::make(std::move(parts), l);
  }
  if (w == "scope") {
    take();
    return Scope::make(parseBody("'scope'"), l);
  }
  if (w == "channel") {
    take();
    std::string name = expectName("channel name", "after 'channel'");
    expect(Tok::Colon, fmt::format("after channel '{}'", name), "a channel is channel NAME : task|index");
    ChannelElem elem = ChannelElem::Task;
    if (acceptWord("task")) elem = ChannelElem::Task;
    else if (acceptWord("index")) elem = ChannelElem::Index;
    else failExpected("'task' or 'index'", "as the channel element", "channels carry task ids (task) or index values (index)");
    return ChannelDecl::make(std::move(name), elem, l);
  }
  if (w == "process") {
    take();
    std::string name = expectName("process name", "after 'process'");
    std::vector<std::string> produces, consumes;
    bool seenP = false, seenC = false;
    while ((!seenP && atWord("produces")) || (!seenC && atWord("consumes"))) {
      bool p = take().text == "produces";
      (p ? seenP : seenC) = true;
      auto& list = p ? produces : consumes;
      expect(Tok::LParen, p ? "after 'produces'" : "after 'consumes'", "produces(ch, ...) / consumes(ch, ...)");
      do {
        list.push_back(expectName("channel name", "in the channel list"));
        if (list.size() > 1024) fail(peek(), "more than 1024 channels", "");
      } while (accept(Tok::Comma));
      expect(Tok::RParen, "to close the channel list", "separate channels with ','");
    }
    Stmt body = parseBody(fmt::format("process '{}'", name));
    return Process::make(std::move(name), std::move(produces), std::move(consumes), std::move(body), l);
  }
  if (w == "send") {
    take();
    std::string ch = expectName("channel name", "after 'send'");
    if (acceptWord("value")) return Send::makeValue(std::move(ch), parseExpr(), l);
    if (at(Tok::End) || at(Tok::RBrace))
      failExpected("'value' or a call", fmt::format("after 'send {}'", ch), "send ch call k(...) or send ch value expr");
    return Send::makeCall(std::move(ch), parseStmt(), l);
  }
  if (w == "consume") {
    take();
    std::string ch = expectName("channel name", "after 'consume'");
    expectWord("as", fmt::format("after 'consume {}'", ch), "consume ch as v { ... }");
    std::string v = expectName("variable name", "after 'as'");
    VarScope scope(vars_);
    vars_.push_back(v);
    Stmt body = parseBody("'consume'");
    return Consume::make(std::move(ch), std::move(v), std::move(body), l);
  }
  if (w == "connect") {
    take();
    std::string from = expectName("producer process", "after 'connect'");
    expect(Tok::Arrow, "after the producer process", "connect producer -> consumer via channel");
    std::string to = expectName("consumer process", "after '->'");
    expectWord("via", "after the consumer process", "connect producer -> consumer via channel");
    std::string ch = expectName("channel name", "after 'via'");
    return Connect::make(std::move(ch), std::move(from), std::move(to), l);
  }
  if (w == "replicate") {
    take();
    std::string p = expectName("process name", "after 'replicate'");
    return Replicate::make(std::move(p), parseExpr(), l);
  }
  if (w == "slot_load") {
    take();
    std::string slot = expectSlotName("after 'slot_load'");
    expect(Tok::Assign, "after the slot of 'slot_load'", "slot_load $s = T[r : 1, c : 1][row, col]");
    View v = parseView();
    expect(Tok::LBracket, "after the view of 'slot_load'", "give the element as [row, col] after the view");
    Expr row = parseExpr();
    expect(Tok::Comma, "between row and col of 'slot_load'", "give the element as [row, col]");
    Expr col = parseExpr();
    expect(Tok::RBracket, "after the element of 'slot_load'", "give the element as [row, col]");
    return SlotLoad::make(std::move(slot), std::move(v), row, col, l);
  }
  if (w == "slot_set") {
    take();
    std::string slot = expectSlotName("after 'slot_set'");
    expect(Tok::Assign, "after the slot of 'slot_set'", "slot_set $s = expr");
    return SlotSet::make(std::move(slot), parseExpr(), l);
  }
  fail(start, fmt::format("expected a statement, found {}", start.describe()), kStmtHelp);
}

}  // namespace pto::wsp::ir::text::detail
