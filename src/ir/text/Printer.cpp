#include "pto/wsp/ir/text/Printer.h"

#include "TextCommon.h"

#include <fmt/format.h>

#include <cmath>
#include <map>

namespace pto::wsp::ir::text {

using detail::quoteName;
using detail::quoteString;
using detail::sigilName;

namespace {

// Binding strength, weakest first (docs/wsp-format.md, "Scalar expressions").
enum Prec : int { kOr = 1, kAnd = 2, kCmp = 3, kAdd = 4, kMul = 5, kUnary = 6, kPrimary = 7 };

int binPrec(BinOp op) {
  switch (op) {
    case BinOp::Or: return kOr;
    case BinOp::And: return kAnd;
    case BinOp::Eq: case BinOp::Ne: case BinOp::Lt: case BinOp::Le: case BinOp::Gt: case BinOp::Ge:
      return kCmp;
    case BinOp::Add: case BinOp::Sub: return kAdd;
    case BinOp::Mul: case BinOp::Div: case BinOp::Mod: return kMul;
    case BinOp::Min: case BinOp::Max: return kPrimary;  // printed as min(a, b)
  }
  return kPrimary;
}

int exprPrec(const Expr& e) {
  if (!e.defined()) return kPrimary;
  if (const auto* b = e.as<BinaryExpr>()) return binPrec(b->op);
  if (e.as<UnaryExpr>()) return kUnary;
  // A negative literal starts with '-': treat it as unary so it gets parentheses where a
  // unary operand would.
  if (const auto* i = e.as<IntConst>()) return i->value < 0 ? kUnary : kPrimary;
  if (const auto* f = e.as<FloatConst>()) return std::signbit(f->value) ? kUnary : kPrimary;
  return kPrimary;
}

std::string floatText(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v < 0 ? "-inf" : "inf";
  std::string s = fmt::format("{}", v);  // shortest text that reads back exactly
  if (s.find_first_of(".eE") == std::string::npos) s += ".0";
  // fmt writes 1e-06; 1e-6 reads back identically and is easier on the eye.
  if (size_t e = s.find('e'); e != std::string::npos) {
    size_t d = e + 1;
    if (d < s.size() && (s[d] == '-' || s[d] == '+')) ++d;
    while (d + 1 < s.size() && s[d] == '0') s.erase(d, 1);
  }
  return s;
}

void printExprTo(std::string& out, const Expr& e);

void printOperand(std::string& out, const Expr& e, bool parens) {
  if (parens) out += '(';
  printExprTo(out, e);
  if (parens) out += ')';
}

void printExprTo(std::string& out, const Expr& e) {
  if (!e.defined()) {
    out += "<undefined>";
    return;
  }
  switch (e.kind()) {
    case ExprKind::IntConst: out += fmt::format("{}", e.as<IntConst>()->value); return;
    case ExprKind::FloatConst: out += floatText(e.as<FloatConst>()->value); return;
    case ExprKind::BoolConst: out += e.as<BoolConst>()->value ? "true" : "false"; return;
    case ExprKind::Symbol:
    case ExprKind::Var: out += quoteName(e.as<NameRef>()->name); return;
    case ExprKind::Slot: out += sigilName('$', e.as<NameRef>()->name); return;
    case ExprKind::Binary: {
      const auto* b = e.as<BinaryExpr>();
      if (b->op == BinOp::Min || b->op == BinOp::Max) {
        out += b->op == BinOp::Min ? "min(" : "max(";
        printExprTo(out, b->a);
        out += ", ";
        printExprTo(out, b->b);
        out += ')';
        return;
      }
      int p = binPrec(b->op);
      // Left-associative: the left operand may be as weak as the operator itself.
      printOperand(out, b->a, exprPrec(b->a) < p);
      out += fmt::format(" {} ", binOpName(b->op));
      printOperand(out, b->b, exprPrec(b->b) <= p);
      return;
    }
    case ExprKind::Unary: {
      const auto* u = e.as<UnaryExpr>();
      out += u->op == UnOp::Neg ? "-" : "not ";
      // -(5) stays a negation of a literal; -5 would read back as the literal -5.
      bool literal = u->a.defined() && (u->a.kind() == ExprKind::IntConst ||
                                        u->a.kind() == ExprKind::FloatConst);
      printOperand(out, u->a, literal || exprPrec(u->a) < kUnary);
      return;
    }
    case ExprKind::Select: {
      const auto* s = e.as<SelectExpr>();
      out += "select(";
      printExprTo(out, s->cond);
      out += ", ";
      printExprTo(out, s->a);
      out += ", ";
      printExprTo(out, s->b);
      out += ')';
      return;
    }
  }
}

std::string ex(const Expr& e) {
  std::string s;
  printExprTo(s, e);
  return s;
}

template <class T, class F>
std::string joined(const std::vector<T>& xs, F f) {
  std::string out;
  for (size_t i = 0; i < xs.size(); ++i) {
    if (i) out += ", ";
    out += f(xs[i]);
  }
  return out;
}

std::string tileTypeText(const TileType& t) {
  return fmt::format("Tile[{}, {}, {}]", t.rows, t.cols, dtypeName(t.dtype));
}

std::string sliceText(const Expr& off, int64_t extent, int64_t step) {
  std::string s = fmt::format("{} : {}", ex(off), extent);
  if (step != 1) s += fmt::format(" : {}", step);
  return s;
}

std::string viewText(const View& v) {
  std::string out = quoteName(v.tensor) + "[";
  size_t n = v.offsets.size();
  bool canonical = n >= 2 || (n == 1 && v.rows == 1 && v.rowStep == 1);
  // Slices print the tensor region (the parser swaps back for '.T').
  const bool swap = v.transposed && n >= 2;
  const int64_t rowExtent = swap ? v.cols : v.rows, colExtent = swap ? v.rows : v.cols;
  for (size_t i = 0; i < n; ++i) {
    if (i) out += ", ";
    if (canonical && n >= 2 && i == n - 2)
      out += sliceText(v.offsets[i], rowExtent, v.rowStep);
    else if (canonical && i == n - 1)
      out += sliceText(v.offsets[i], colExtent, v.colStep);
    else
      out += ex(v.offsets[i]);
  }
  out += ']';
  // Shapes the slice notation cannot carry (a rank-1 view with rows != 1, no offsets).
  if (!canonical)
    out += fmt::format(".shape({}, {}, {}, {})", v.rows, v.cols, v.rowStep, v.colStep);
  if (v.transposed) out += ".T";
  return out;
}

std::string axisText(const Axis& a) {
  switch (a.kind) {
    case AxisKind::Dense: return fmt::format("dense({})", ex(a.extent));
    case AxisKind::DenseDyn: return fmt::format("dense_dyn({})", ex(a.extent));
    case AxisKind::Ragged:
      return fmt::format("ragged({}, {})", quoteName(a.outer), quoteName(a.lengths));
    case AxisKind::Sparse:
      return fmt::format("sparse({}, {}, {})", quoteName(a.outer), quoteName(a.indptr),
                         quoteName(a.indices));
  }
  return "dense(0)";
}

std::string namedExprs(const std::vector<NamedExpr>& ps) {
  return joined(ps, [](const NamedExpr& p) { return quoteName(p.name) + " = " + ex(p.value); });
}

std::string nameList(const std::vector<std::string>& xs) {
  return joined(xs, [](const std::string& s) { return quoteName(s); });
}

class ModulePrinter {
 public:
  std::string run(const Module& m) {
    line(0, "module " + quoteName(m.name));
    if (!m.symbols.empty()) blank();
    for (const SymbolDecl& s : m.symbols)
      line(0, "symbol " + quoteName(s.name) + (s.value ? fmt::format(" = {}", *s.value) : ""));
    if (!m.slots.empty()) blank();
    for (const SlotDecl& s : m.slots)
      line(0, "slot " + sigilName('$', s.name) + (s.init ? fmt::format(" = {}", s.init) : ""));
    if (!m.tensors.empty()) blank();
    for (const Tensor& t : m.tensors) tensor(t);
    for (const Kernel& k : m.kernels) {
      blank();
      kernel(k);
    }
    for (const Workload& w : m.workloads) {
      blank();
      workload(w);
    }
    return std::move(out_);
  }

 private:
  void blank() { out_ += '\n'; }
  void line(int indent, const std::string& s) {
    out_.append(size_t(indent) * 2, ' ');
    out_ += s;
    out_ += '\n';
  }

  void tensor(const Tensor& t) {
    std::string s = fmt::format("{} {} : {}[{}]", tensorRoleName(t.role), quoteName(t.name),
                                dtypeName(t.dtype), joined(t.shape, ex));
    if (!t.dist.empty())
      s += " layout(" + joined(t.dist, [](const DimDist& d) {
             if (d.kind == DimDist::Kind::Replicated) return std::string("R");
             return "S(" + quoteName(d.meshAxis) + ")";
           }) + ")";
    if (!t.strides.empty())
      s += " strides(" + joined(t.strides, [](int64_t x) { return fmt::format("{}", x); }) + ")";
    if (!t.dimOrder.empty())
      s += " order(" + joined(t.dimOrder, [](int x) { return fmt::format("{}", x); }) + ")";
    line(0, s);
  }

  static std::string paramText(const KernelParam& p) {
    if (p.isTile())
      return fmt::format("{} {} : {}", paramDirName(p.dir), quoteName(p.name), tileTypeText(p.tile));
    std::string s = fmt::format("{} : Scalar[{}]", quoteName(p.name), dtypeName(p.scalarType));
    // Scalars are In by definition; print a direction only if the IR holds another one.
    if (p.dir != ParamDir::In) s = std::string(paramDirName(p.dir)) + " " + s;
    return s;
  }

  void kernel(const Kernel& k) {
    std::string head = "kernel " + quoteName(k.name) + "(";
    std::string params = joined(k.params, paramText);
    if (head.size() + params.size() > 96 && k.params.size() > 1) {
      line(0, head);
      for (size_t i = 0; i < k.params.size(); ++i)
        line(1, paramText(k.params[i]) + (i + 1 < k.params.size() ? "," : ""));
      head = ")";
    } else {
      head += params + ")";
    }
    if (k.external) {
      head += " external " + quoteString(k.source);
      if (k.cycles.defined()) head += " cycles " + ex(k.cycles);
      if (k.body.empty()) {
        line(0, head);
        return;
      }
    }
    line(0, head + " {");
    std::map<std::string, TileType> values;
    for (const TileInst& inst : k.body) line(1, instText(inst, k, values));
    line(0, "}");
  }

  static std::string scalarOperandText(const ScalarOperand& s, const Kernel& k) {
    if (s.isParam()) {
      // A bare name here is read as a parameter; words that are op flags are quoted.
      if (s.param == "desc" || s.param == "k") return quoteString(s.param);
      return quoteName(s.param);
    }
    // An expression that is a lone name of a scalar param would read back as a param
    // reference: keep it an expression with parentheses.
    if (const auto* n = s.value.as<NameRef>(); n && n->kind != ExprKind::Slot && k.findParam(n->name))
      return "(" + ex(s.value) + ")";
    if (const auto* n = s.value.as<NameRef>(); n && (n->name == "desc" || n->name == "k"))
      return "(" + ex(s.value) + ")";
    return ex(s.value);
  }

  static std::string instText(const TileInst& inst, const Kernel& k,
                              std::map<std::string, TileType>& values) {
    std::string s;
    if (!inst.results.empty())
      s += joined(inst.results, [](const std::string& r) { return sigilName('%', r); }) + " = ";
    s += tileOpInfo(inst.op).name;
    if (inst.broadcast != Broadcast::None) s += fmt::format(".{}", broadcastName(inst.broadcast));
    std::vector<std::string> items;
    if (!inst.param.empty()) {
      // A parameter name that is also an op flag word is quoted to stay unambiguous.
      items.push_back(inst.param == "desc" || inst.param == "k" ? quoteString(inst.param)
                                                                 : quoteName(inst.param));
    }
    for (const std::string& o : inst.operands) items.push_back(sigilName('%', o));
    if (inst.scalar) items.push_back(scalarOperandText(*inst.scalar, k));
    if (inst.descending) items.emplace_back("desc");
    if (inst.k != 0) items.push_back(fmt::format("k = {}", inst.k));
    if (!items.empty()) s += " " + joined(items, [](const std::string& x) { return x; });
    bool targetOp = inst.op == TileOpKind::Cast || inst.op == TileOpKind::Fill ||
                    inst.op == TileOpKind::Iota;
    auto inferred = detail::inferResultTypes(inst, values, k.params);
    bool omit = !targetOp && inferred && *inferred == inst.resultTypes;
    if (!omit) {
      if (inst.resultTypes.empty())
        s += " : ()";
      else
        s += " : " + joined(inst.resultTypes, tileTypeText);
    }
    for (size_t i = 0; i < inst.results.size() && i < inst.resultTypes.size(); ++i)
      values[inst.results[i]] = inst.resultTypes[i];
    return s;
  }

  // A statement's body: a Block prints as braces, anything else as one statement.
  void body(int indent, const std::string& head, const Stmt& b) {
    if (b.defined() && b.kind() == StmtKind::Block) {
      block(indent, head, *b.as<Block>());
    } else if (b.defined()) {
      // A single-statement body goes on its own line, one level deeper (whitespace only:
      // it reads back as the same non-block body).
      line(indent, head);
      stmt(indent + 1, "", b);
    } else {
      line(indent, head);
    }
  }

  void block(int indent, const std::string& head, const StmtList& l) {
    std::string open = head.empty() ? "{" : head + " {";
    if (l.stmts.empty()) {
      line(indent, open + "}");
      return;
    }
    line(indent, open);
    bool saved = closeWhen_;
    closeWhen_ = false;  // statements inside braces are closed by the '}'
    for (const Stmt& s : l.stmts) stmt(indent + 1, "", s);
    closeWhen_ = saved;
    line(indent, "}");
  }

  // Prints `s` on a line starting with `prefix` (which may already hold text).
  void stmt(int indent, const std::string& prefix, const Stmt& s) {
    if (!s.defined()) {
      line(indent, prefix + "{}");
      return;
    }
    switch (s.kind()) {
      case StmtKind::Block: block(indent, trimRight(prefix), *s.as<Block>()); return;
      case StmtKind::Combine: block(indent, prefix + "combine", *s.as<Combine>()); return;
      case StmtKind::Sequential: block(indent, prefix + "sequential", *s.as<Sequential>()); return;
      case StmtKind::Loop: {
        const auto* l = s.as<Loop>();
        std::string head = prefix + std::string(loopKindName(l->loopKind)) + " " +
                           joined(l->vars, [](const LoopVar& v) {
                             return quoteName(v.name) + " in " + axisText(v.axis);
                           });
        body(indent, head, l->body);
        return;
      }
      case StmtKind::Cond: {
        const auto* c = s.as<Cond>();
        bool blockBody = c->branches.size() == 1 && c->branches[0].body.defined() &&
                         c->branches[0].body.kind() == StmtKind::Block;
        if (c->branches.size() == 1 && !c->otherwise.defined() && !closeWhen_) {
          // "when (p) BODY": open at its end, so not where an 'otherwise' follows.
          body(indent, prefix + "when (" + ex(c->branches[0].pred) + ")", c->branches[0].body);
          return;
        }
        if (c->branches.size() == 1 && c->otherwise.defined() && blockBody) {
          // "when (p) { ... } otherwise BODY", joined on the closing brace line.
          body(indent, prefix + "when (" + ex(c->branches[0].pred) + ")", c->branches[0].body);
          out_.pop_back();  // newline after '}'
          std::string saved = std::move(out_);
          out_.clear();
          body(indent, " otherwise", c->otherwise);  // tail: keeps the caller's closeWhen_
          out_ = std::move(saved) + out_.substr(size_t(indent) * 2);
          return;
        }
        // cond { when ... otherwise ... }: closed by '}', so safe in any position.
        bool saved = closeWhen_;
        line(indent, prefix + "cond {");
        closeWhen_ = c->otherwise.defined();  // a branch followed by 'otherwise' must end closed
        for (const CondBranch& br : c->branches)
          body(indent + 1, "when (" + ex(br.pred) + ")", br.body);
        closeWhen_ = false;
        if (c->otherwise.defined()) body(indent + 1, "otherwise", c->otherwise);
        closeWhen_ = saved;
        line(indent, "}");
        return;
      }
      case StmtKind::Call: call(indent, prefix, *s.as<Call>()); return;
      case StmtKind::ChannelDecl: {
        const auto* c = s.as<ChannelDecl>();
        line(indent, prefix + "channel " + quoteName(c->name) + " : " +
                         std::string(channelElemName(c->elem)));
        return;
      }
      case StmtKind::Process: {
        const auto* p = s.as<Process>();
        std::string head = prefix + "process " + quoteName(p->name);
        if (!p->consumes.empty()) head += " consumes(" + nameList(p->consumes) + ")";
        if (!p->produces.empty()) head += " produces(" + nameList(p->produces) + ")";
        body(indent, head, p->body);
        return;
      }
      case StmtKind::Send: {
        const auto* sd = s.as<Send>();
        std::string head = prefix + "send " + quoteName(sd->channel);
        if (sd->value.defined() || !sd->call.defined()) {
          line(indent, head + " value " + ex(sd->value));
          return;
        }
        stmt(indent, head + " ", sd->call);
        return;
      }
      case StmtKind::Consume: {
        const auto* c = s.as<Consume>();
        body(indent, prefix + "consume " + quoteName(c->channel) + " as " + quoteName(c->var),
             c->body);
        return;
      }
      case StmtKind::Connect: {
        const auto* c = s.as<Connect>();
        line(indent, prefix + "connect " + quoteName(c->from) + " -> " + quoteName(c->to) +
                         " via " + quoteName(c->channel));
        return;
      }
      case StmtKind::Replicate: {
        const auto* r = s.as<Replicate>();
        line(indent, prefix + "replicate " + quoteName(r->process) + " " + ex(r->count));
        return;
      }
      case StmtKind::SlotLoad: {
        const auto* sl = s.as<SlotLoad>();
        line(indent, prefix + "slot_load " + sigilName('$', sl->slot) + " = " +
                         viewText(sl->view) + "[" + ex(sl->row) + ", " + ex(sl->col) + "]");
        return;
      }
      case StmtKind::SlotSet: {
        const auto* ss = s.as<SlotSet>();
        line(indent, prefix + "slot_set " + sigilName('$', ss->slot) + " = " + ex(ss->value));
        return;
      }
      case StmtKind::Scope: body(indent, prefix + "scope", s.as<Scope>()->body); return;
    }
  }

  static std::string trimRight(std::string s) {
    while (!s.empty() && s.back() == ' ') s.pop_back();
    return s;
  }

  static std::string argText(const CallArg& a) { return a.isView ? viewText(a.view) : ex(a.value); }

  // One line when it fits in 100 columns, else one argument per line.
  void call(int indent, const std::string& prefix, const Call& c) {
    std::string head = prefix + "call " + quoteName(c.kernel) + "(";
    std::string flat = head + joined(c.args, argText) + ")";
    if (size_t(indent) * 2 + flat.size() <= 100 || c.args.size() < 2) {
      line(indent, flat);
      return;
    }
    line(indent, head);
    for (size_t i = 0; i < c.args.size(); ++i)
      line(indent + 2, argText(c.args[i]) + (i + 1 < c.args.size() ? "," : ""));
    line(indent, ")");
  }

  void workload(const Workload& w) {
    body(0, "workload " + quoteName(w.name), w.body);
    if (w.schedule.empty()) return;
    line(0, "schedule {");
    for (const Directive& d : w.schedule.directives) line(1, directiveText(d));
    line(0, "}");
  }

  static std::string directiveText(const Directive& d) {
    switch (d.kind) {
      case DirectiveKind::Dispatch: {
        std::string s = "dispatch " + quoteName(d.policy) + "(" + namedExprs(d.params) + ")";
        if (d.key.defined()) s += " key " + ex(d.key);
        return s;
      }
      case DirectiveKind::TaskWindow:
        return fmt::format("task_window {} {} {}", d.size, quoteName(d.unit), quoteName(d.mode));
      case DirectiveKind::ChannelDefaults:
        return fmt::format("channel_defaults capacity {} latency {}", d.capacity, d.latency);
      case DirectiveKind::Channel:
        return fmt::format("channel {} capacity {} latency {}", quoteName(d.target), d.capacity,
                           d.latency);
      case DirectiveKind::Pool: return fmt::format("pool {} {}", quoteName(d.target), d.size);
      case DirectiveKind::Streams: return fmt::format("streams {}", d.size);
      case DirectiveKind::StreamBy: return "stream_by " + ex(d.key);
      case DirectiveKind::Timing: return "timing(" + namedExprs(d.params) + ")";
    }
    return "";
  }

  std::string out_;
  // Set while printing a statement that an 'otherwise' follows: a one-branch `when`
  // without otherwise at its tail would take that 'otherwise' when read back (dangling
  // else), so such a cond prints in the closed `cond { ... }` form instead.
  bool closeWhen_ = false;
};

}  // namespace

std::string printExpr(const Expr& e) { return ex(e); }

std::string print(const Module& m) { return ModulePrinter().run(m); }

}  // namespace pto::wsp::ir::text
