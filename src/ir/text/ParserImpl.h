// Internal: the recursive-descent .wsp parser (split over ParserCore.cpp: tokens,
// expressions, views; Parser.cpp: module, tensors, kernels, schedule; ParserStmt.cpp:
// workload statements). Not a public header.
#pragma once

#include "pto/wsp/ir/Module.h"
#include "pto/wsp/ir/text/Lexer.h"
#include "pto/wsp/ir/text/Parser.h"

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace pto::wsp::ir::text::detail {

// How a bare name in an expression resolves (see docs/wsp-format.md, "Names").
enum class NameCtx : uint8_t {
  Module,    // tensor shapes: symbols
  Workload,  // loop / consume variables in scope, else symbols
  Schedule,  // declared symbols, else variables (dispatch keys name loop variables)
  Kernel,    // scalar params of the kernel are variables, else symbols
};

class Parser {
 public:
  Parser(std::vector<Token> toks, std::string_view file) : toks_(std::move(toks)), file_(file) {}
  Module parseModule();

 private:
  // ---- tokens (ParserCore.cpp) ----
  const Token& peek(size_t k = 0) const;
  const Token& take();
  bool at(Tok t) const { return peek().kind == t; }
  bool atWord(std::string_view w) const { return at(Tok::Ident) && peek().text == w; }
  bool accept(Tok t);
  bool acceptWord(std::string_view w);
  const Token& expect(Tok t, std::string_view where, std::string_view help);
  void expectWord(std::string_view w, std::string_view where, std::string_view help);
  [[noreturn]] void fail(const Token& at, std::string msg, std::string_view help);
  [[noreturn]] void failExpected(std::string_view what, std::string_view where,
                                 std::string_view help);
  SourceLoc loc(const Token& t) const;
  bool atName() const { return at(Tok::Ident) || at(Tok::String); }
  std::string expectName(std::string_view what, std::string_view where);
  std::string expectSlotName(std::string_view where);
  int64_t expectInt(std::string_view what, std::string_view where);
  uint64_t expectUInt(std::string_view what, std::string_view where);
  DType expectDType(std::string_view where);
  void enter();  // nesting guard
  void leave() { --depth_; }

  // ---- expressions and views (ParserCore.cpp) ----
  Expr parseExpr();
  Expr parseOr();
  Expr parseAnd();
  Expr parseCmp();
  Expr parseAdd();
  Expr parseMul();
  Expr parseUnary();
  Expr parsePrimary();
  Expr resolveName(std::string name, SourceLoc l);
  View parseView();
  TileType parseTileType(std::string_view where);
  std::vector<NamedExpr> parseNamedExprs(std::string_view where);

  // ---- module level (Parser.cpp) ----
  void parseSymbol(Module& m);
  void parseSlot(Module& m);
  void parseTensor(Module& m, TensorRole role);
  Kernel parseKernel();
  KernelParam parseParam();
  TileInst parseInst(const Kernel& k, std::map<std::string, TileType>& values);
  Schedule parseSchedule();
  Directive parseDirective();

  // ---- workload statements (ParserStmt.cpp) ----
  Workload parseWorkload();
  Stmt parseStmt();
  Stmt parseBody(std::string_view what);
  Stmt parseBlock();
  std::vector<Stmt> parseStmtList(std::string_view what);
  Stmt parseLoop();
  Stmt parseWhen();
  Stmt parseCondBlock();
  Stmt parseCall();
  Axis parseAxis();

  std::vector<Token> toks_;
  std::string file_;
  size_t pos_ = 0;
  int depth_ = 0;
  NameCtx ctx_ = NameCtx::Module;
  std::vector<std::string> vars_;           // Workload: variables in scope (innermost last)
  std::vector<std::string> scalarParams_;   // Kernel: scalar params of the current kernel
  std::vector<std::string> symbols_;        // declared module symbols
};

// RAII nesting guard.
struct DepthGuard {
  explicit DepthGuard(int& d) : depth(d) {}
  ~DepthGuard() { --depth; }
  int& depth;
};

}  // namespace pto::wsp::ir::text::detail
