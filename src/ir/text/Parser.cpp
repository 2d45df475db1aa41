// Module-level constructs of the .wsp parser: declarations, kernels, schedules.
#include "pto/wsp/ir/text/Parser.h"

#include "ParserImpl.h"
#include "TextCommon.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>

namespace pto::wsp::ir::text {

Module parse(std::string_view text, std::string_view filename) {
  return detail::Parser(lex(text, filename), filename).parseModule();
}

namespace detail {

namespace {
constexpr std::string_view kDeclHelp =
    "a module holds: symbol, slot, input/output/inout/temp tensors, kernel, workload "
    "(each optionally followed by a schedule)";
}  // namespace

Module Parser::parseModule() {
  Module m;
  const Token& start = peek();
  expectWord("module", "at the start of the file", "a .wsp file starts with 'module NAME'");
  m.loc = loc(start);
  m.name = expectName("module name", "after 'module'");
  bool scheduled = true;  // the last workload already has a schedule (or there is none)
  while (!at(Tok::End)) {
    if (atWord("symbol")) {
      parseSymbol(m);
    } else if (atWord("slot")) {
      parseSlot(m);
    } else if (atWord("input") || atWord("output") || atWord("inout") || atWord("temp")) {
      TensorRole role = *parseTensorRole(peek().text);
      parseTensor(m, role);
    } else if (atWord("kernel")) {
      m.kernels.push_back(parseKernel());
    } else if (atWord("workload")) {
      m.workloads.push_back(parseWorkload());
      scheduled = false;
    } else if (atWord("schedule")) {
      if (scheduled)
        fail(peek(),
             m.workloads.empty() ? std::string("schedule before any workload")
                                 : fmt::format("workload '{}' already has a schedule",
                                               m.workloads.back().name),
             "write one 'schedule { ... }' directly after the workload it belongs to");
      m.workloads.back().schedule = parseSchedule();
      scheduled = true;
    } else if (atWord("tensor")) {
      failExpected("a declaration", "",
                   "a tensor is declared with its role: input / output / inout / temp X : f32[64, 128]");
    } else {
      failExpected("a declaration", "", kDeclHelp);
    }
  }
  return m;
}

void Parser::parseSymbol(Module& m) {
  const Token& start = take();
  SymbolDecl s;
  s.loc = loc(start);
  s.name = expectName("symbol name", "after 'symbol'");
  if (accept(Tok::Assign)) s.value = expectInt("default value", "of symbol");
  symbols_.push_back(s.name);
  m.symbols.push_back(std::move(s));
}

void Parser::parseSlot(Module& m) {
  const Token& start = take();
  SlotDecl s;
  s.loc = loc(start);
  s.name = expectSlotName("after 'slot'");
  if (accept(Tok::Assign)) s.init = expectUInt("initial value", "of slot");
  m.slots.push_back(std::move(s));
}

void Parser::parseTensor(Module& m, TensorRole role) {
  const Token& start = take();
  ctx_ = NameCtx::Module;
  std::string name = expectName("tensor name", fmt::format("after '{}'", start.text));
  expect(Tok::Colon, fmt::format("after tensor '{}'", name), "a tensor is NAME : dtype[dims]");
  DType dt = expectDType(fmt::format("of tensor '{}'", name));
  expect(Tok::LBracket, fmt::format("after the dtype of tensor '{}'", name),
         "a tensor is NAME : dtype[dims], e.g. X : f16[256, 128]");
  std::vector<Expr> shape;
  if (!at(Tok::RBracket)) {
    do {
      shape.push_back(parseExpr());
      if (shape.size() > 64) fail(peek(), "tensor with more than 64 dimensions", "use at most 64");
    } while (accept(Tok::Comma));
  }
  expect(Tok::RBracket, "after tensor shape", "separate dimensions with ','");
  Tensor t = Tensor::make(name, std::move(shape), dt, role, loc(start));
  for (;;) {
    if (acceptWord("layout")) {
      expect(Tok::LParen, "after 'layout'", "layout(R, S(axis), ...) has one facet per dimension");
      do {
        if (acceptWord("R")) {
          t.dist.push_back(DimDist::R());
        } else if (acceptWord("S")) {
          expect(Tok::LParen, "after 'S'", "a sharded facet is S(mesh_axis)");
          std::string axis;
          if (at(Tok::Int)) axis = take().text;
          else axis = expectName("mesh axis", "in S(...)");
          expect(Tok::RParen, "after mesh axis", "a sharded facet is S(mesh_axis)");
          t.dist.push_back(DimDist::S(std::move(axis)));
        } else {
          failExpected("'R' or 'S(axis)'", "in layout", "each dimension is replicated (R) or sharded S(axis)");
        }
        if (t.dist.size() > 64) fail(peek(), "layout with more than 64 facets", "one facet per dimension");
      } while (accept(Tok::Comma));
      expect(Tok::RParen, "to close layout", "separate facets with ','");
    } else if (acceptWord("strides")) {
      expect(Tok::LParen, "after 'strides'", "strides(s0, s1, ...) in elements");
      do {
        t.strides.push_back(expectInt("stride", "in strides"));
        if (t.strides.size() > 64) fail(peek(), "more than 64 strides", "one stride per dimension");
      } while (accept(Tok::Comma));
      expect(Tok::RParen, "to close strides", "separate strides with ','");
    } else if (acceptWord("order")) {
      expect(Tok::LParen, "after 'order'", "order(d0, d1, ...) lists dims outermost first");
      do {
        const Token& it = peek();
        int64_t d = expectInt("dimension index", "in order");
        if (d < std::numeric_limits<int>::min() || d > std::numeric_limits<int>::max())
          fail(it, fmt::format("dimension index {} out of range", d), "use a dimension index 0..rank-1");
        t.dimOrder.push_back(int(d));
        if (t.dimOrder.size() > 64) fail(peek(), "more than 64 order entries", "one per dimension");
      } while (accept(Tok::Comma));
      expect(Tok::RParen, "to close order", "separate dimension indices with ','");
    } else {
      break;
    }
  }
  m.tensors.push_back(std::move(t));
}

KernelParam Parser::parseParam() {
  const Token& start = peek();
  std::optional<ParamDir> dir;
  // A direction word is a direction unless it is the parameter's own name ("in : ...").
  if (at(Tok::Ident) && peek(1).kind != Tok::Colon) {
    dir = parseParamDir(peek().text);
    if (dir) take();
  }
  std::string name = expectName("parameter name", "in kernel parameters");
  expect(Tok::Colon, fmt::format("after parameter '{}'", name),
         "a parameter is 'in|out|inout NAME : Tile[H, W, dtype]' or 'NAME : Scalar[dtype]'");
  if (atWord("Scalar")) {
    take();
    expect(Tok::LBracket, "after 'Scalar'", "a scalar type is Scalar[dtype]");
    DType dt = expectDType("in scalar type");
    expect(Tok::RBracket, "after scalar dtype", "a scalar type is Scalar[dtype]");
    KernelParam p = KernelParam::makeScalar(name, dt, loc(start));
    if (dir) p.dir = *dir;
    return p;
  }
  if (!atWord("Tile"))
    failExpected("'Tile' or 'Scalar'", fmt::format("as the type of parameter '{}'", name),
                 "parameter types are Tile[H, W, dtype] and Scalar[dtype]");
  TileType tt = parseTileType(fmt::format("of parameter '{}'", name));
  if (!dir)
    fail(start, fmt::format("tile parameter '{}' has no direction", name),
         fmt::format("write 'in {0} : ...', 'out {0} : ...' or 'inout {0} : ...'", name));
  return KernelParam::makeTile(name, *dir, tt, loc(start));
}

Kernel Parser::parseKernel() {
  const Token& start = take();
  std::string name = expectName("kernel name", "after 'kernel'");
  expect(Tok::LParen, fmt::format("after kernel name '{}'", name), "kernel NAME(params) { body }");
  std::vector<KernelParam> params;
  if (!at(Tok::RParen)) {
    do {
      params.push_back(parseParam());
      if (params.size() > 1024) fail(peek(), "more than 1024 kernel parameters", "use fewer parameters");
    } while (accept(Tok::Comma));
  }
  expect(Tok::RParen, fmt::format("to close the parameters of kernel '{}'", name),
         "separate parameters with ','");
  scalarParams_.clear();
  for (const KernelParam& p : params)
    if (!p.isTile()) scalarParams_.push_back(p.name);
  ctx_ = NameCtx::Kernel;
  Kernel k;
  if (acceptWord("external")) {
    if (!at(Tok::String))
      failExpected("source path string", "after 'external'", "external \"path/to/kernel.cpp\"");
    std::string src = take().text;
    Expr cycles;
    if (acceptWord("cycles")) cycles = parseExpr();
    k = Kernel::makeExternal(name, std::move(params), std::move(src), cycles, loc(start));
    if (!at(Tok::LBrace)) return k;
  } else {
    k = Kernel::make(name, std::move(params), {}, loc(start));
  }
  expect(Tok::LBrace, fmt::format("to open the body of kernel '{}'", name),
         "a kernel body is { %r = op operands ... }");
  std::map<std::string, TileType> values;
  while (!at(Tok::RBrace) && !at(Tok::End)) {
    k.body.push_back(parseInst(k, values));
    if (k.body.size() > 100000) fail(peek(), "more than 100000 tile ops in one kernel", "split the kernel");
  }
  expect(Tok::RBrace, fmt::format("to close the body of kernel '{}'", name),
         "a kernel body is one instruction per line (`%v = op ...`, `store param, %v`) closed by '}'");
  return k;
}

TileInst Parser::parseInst(const Kernel& k, std::map<std::string, TileType>& values) {
  TileInst inst;
  const Token& start = peek();
  inst.loc = loc(start);
  if (at(Tok::Value)) {
    do {
      if (!at(Tok::Value)) failExpected("value", "in result list", "results are written %name");
      inst.results.push_back(take().text);
      if (inst.results.size() > 16) fail(peek(), "more than 16 results", "tile ops have at most 2 results");
    } while (accept(Tok::Comma));
    expect(Tok::Assign, "after results", "an op is written %r = op operands");
  }
  if (!at(Tok::Ident)) failExpected("tile op", "", "an op is written %r = op operands, e.g. %s = rowsum %x");
  const Token& opTok = peek();
  auto op = parseTileOp(opTok.text);
  if (!op) {
    std::string names;
    for (const TileOpInfo& i : allTileOps()) names += (names.empty() ? "" : ", ") + std::string(i.name);
    fail(opTok, fmt::format("unknown tile op '{}'", opTok.text), fmt::format("tile ops are {}", names));
  }
  take();
  inst.op = *op;
  if (accept(Tok::Dot)) {
    const Token& bt = peek();
    if (!at(Tok::Ident)) failExpected("broadcast mode", "after '.'", "broadcast modes are none, scalar, row, col");
    auto b = parseBroadcast(bt.text);
    if (!b) fail(bt, fmt::format("unknown broadcast mode '{}'", bt.text), "broadcast modes are none, scalar, row, col");
    take();
    inst.broadcast = *b;
  }
  // Items: [tile param], %operands..., [scalar], [desc], [k = N]; comma separated. With
  // no items the instruction ends where the next one starts: a result list
  // "%a (, %b)* =" or an op name.
  auto resultListAhead = [&] {
    size_t i = 0;
    while (peek(i).kind == Tok::Value) {
      if (peek(i + 1).kind == Tok::Assign) return true;
      if (peek(i + 1).kind != Tok::Comma) return false;
      i += 2;
      if (i > 40) return false;
    }
    return false;
  };
  bool any;
  if (at(Tok::Value)) any = !resultListAhead();
  else if (at(Tok::Ident)) any = !(parseTileOp(peek().text) && !k.findParam(peek().text));
  else
    any = at(Tok::String) || at(Tok::Int) || at(Tok::Float) || at(Tok::Minus) ||
          at(Tok::LParen) || at(Tok::SlotName) || at(Tok::Bang);
  while (any) {
    const Token& it = peek();
    if (at(Tok::Value)) {
      inst.operands.push_back(take().text);
      if (inst.operands.size() > 16) fail(it, "more than 16 operands", "tile ops take at most 3 operands");
    } else if (atWord("desc")) {
      take();
      inst.descending = true;
    } else if (atWord("k") && peek(1).kind == Tok::Assign) {
      take();
      take();
      inst.k = expectInt("k", "after 'k ='");
    } else if ((at(Tok::Ident) || at(Tok::String)) && k.findParam(peek().text) &&
               k.findParam(peek().text)->isTile()) {
      if (!inst.param.empty())
        fail(it, fmt::format("op '{}' names two tile parameters", tileOpInfo(inst.op).name),
             "load and store take exactly one tile parameter");
      inst.param = take().text;
    } else {
      if (inst.scalar)
        fail(it, fmt::format("op '{}' has more than one scalar operand", tileOpInfo(inst.op).name),
             "tile ops take at most one scalar operand");
      bool paren = at(Tok::LParen);
      Expr e = parseExpr();
      const auto* n = e.as<NameRef>();
      // A bare scalar-param name is a param reference; "(p)" keeps it an expression.
      if (!paren && n && n->kind == ExprKind::Var) {
        inst.scalar = ScalarOperand::ofParam(n->name);
      } else {
        inst.scalar = ScalarOperand::of(e);
      }
    }
    if (!accept(Tok::Comma)) break;
  }
  if (accept(Tok::Colon)) {
    if (accept(Tok::LParen)) {
      expect(Tok::RParen, "after '(' in result types", "': ()' declares no result types");
    } else {
      do {
        inst.resultTypes.push_back(parseTileType("in result types"));
        if (inst.resultTypes.size() > 16) fail(peek(), "more than 16 result types", "an instruction has at most 16 results");
      } while (accept(Tok::Comma));
    }
  } else {
    if (auto types = inferResultTypes(inst, values, k.params)) inst.resultTypes = *types;
  }
  for (size_t i = 0; i < inst.results.size() && i < inst.resultTypes.size(); ++i)
    values[inst.results[i]] = inst.resultTypes[i];
  return inst;
}

Schedule Parser::parseSchedule() {
  take();
  ctx_ = NameCtx::Schedule;
  Schedule s;
  expect(Tok::LBrace, "after 'schedule'", "schedule { directive ... }");
  while (!at(Tok::RBrace) && !at(Tok::End)) {
    s.directives.push_back(parseDirective());
    if (s.directives.size() > 10000) fail(peek(), "more than 10000 schedule directives", "a schedule has at most 10000 directives");
  }
  expect(Tok::RBrace, "to close the schedule", "a schedule is `schedule { directive ... }`, one directive per line");
  return s;
}

Directive Parser::parseDirective() {
  const Token& start = peek();
  SourceLoc l = loc(start);
  constexpr std::string_view kHelp =
      "directives are dispatch, task_window, channel_defaults, channel, pool, streams, "
      "stream_by, timing";
  if (!at(Tok::Ident)) failExpected("schedule directive", "", kHelp);
  std::string w = take().text;
  auto capLat = [&](Directive d) {
    while (atWord("capacity") || atWord("latency")) {
      bool cap = take().text == "capacity";
      int64_t v = expectInt(cap ? "capacity" : "latency", cap ? "after 'capacity'" : "after 'latency'");
      (cap ? d.capacity : d.latency) = v;
    }
    return d;
  };
  if (w == "dispatch") {
    std::string policy = expectName("dispatch policy", "after 'dispatch'");
    std::vector<NamedExpr> params;
    if (at(Tok::LParen)) params = parseNamedExprs(fmt::format("of dispatch policy '{}'", policy));
    Expr key;
    if (acceptWord("key")) key = parseExpr();
    return Directive::dispatch(std::move(policy), std::move(params), key, l);
  }
  if (w == "task_window") {
    int64_t n = expectInt("window size", "after 'task_window'");
    std::string unit = expectName("window unit", "after the task_window size");
    std::string mode = expectName("window mode", "after the task_window unit");
    return Directive::taskWindow(n, std::move(unit), std::move(mode), l);
  }
  if (w == "channel_defaults") return capLat(Directive::channelDefaults(1, 0, l));
  if (w == "channel") {
    std::string name = expectName("channel name", "after 'channel'");
    return capLat(Directive::channel(std::move(name), 1, 0, l));
  }
  if (w == "pool") {
    std::string res = expectName("pool resource", "after 'pool'");
    return Directive::pool(std::move(res), expectInt("pool size", fmt::format("after 'pool {}'", res)), l);
  }
  if (w == "streams") return Directive::streams(expectInt("stream count", "after 'streams'"), l);
  if (w == "stream_by") return Directive::streamBy(parseExpr(), l);
  if (w == "timing") return Directive::timing(parseNamedExprs("of 'timing'"), l);
  fail(start, fmt::format("unknown schedule directive '{}'", w), kHelp);
}

}  // namespace detail
}  // namespace pto::wsp::ir::text
