// Module, workload, loop, call and view rules of the verifier; CSP, slot and schedule
// rules: VerifierCsp.cpp; kernel rules: KernelVerifier.cpp. Rule list: docs/ir.md.
#include "VerifierImpl.h"

namespace pto::wsp::ir {
namespace detail {

void ModuleVerifier::run() {
  checkDuplicates(m_.symbols, "symbol", out_);
  checkDuplicates(m_.slots, "slot", out_);
  checkDuplicates(m_.tensors, "tensor", out_);
  checkDuplicates(m_.kernels, "kernel", out_);
  checkDuplicates(m_.workloads, "workload", out_);
  checkCrossKindNames();
  checkNameAsFile(m_.name, "module", m_.loc);
  for (const Tensor& t : m_.tensors) checkTensor(t);
  for (const Kernel& k : m_.kernels) verifyKernel(k, out_);
  for (const Workload& w : m_.workloads) checkWorkload(w);
}

void ModuleVerifier::checkNames(const Expr& e, const SourceLoc& fallback, const std::string& what, bool allowVars,
                                bool allowSlots, bool allowFloat) {
  if (!e.defined()) return;
  const SourceLoc& loc = e.loc().valid() ? e.loc() : fallback;
  for (const std::string& s : freeNames(e, ExprKind::Symbol))
    if (!m_.findSymbol(s))
      out_.error(loc, fmt::format("{}: unknown symbol '{}'", what, s))
          .help(fmt::format("declare it with `symbol {}`; declared symbols: {}", s, joinList(namesOf(m_.symbols))));
  for (const std::string& s : freeNames(e, ExprKind::Slot)) {
    if (!allowSlots)
      out_.error(loc, fmt::format("{}: slot '{}' is not allowed here", what, s))
          .help("this value is fixed at compile time; use a constant or a symbol");
    else if (!m_.findSlot(s))
      out_.error(loc, fmt::format("{}: unknown slot '{}'", what, s))
          .help(fmt::format("declare it with `slot {}`; declared slots: {}", s, joinList(namesOf(m_.slots))));
  }
  for (const std::string& v : freeNames(e, ExprKind::Var)) {
    if (!allowVars)
      out_.error(loc, fmt::format("{}: loop variable '{}' is not allowed here", what, v))
          .help("use constants and symbols only");
    else if (!bound_.count(v))
      out_.error(loc, fmt::format("{}: unknown variable '{}'", what, v))
          .help(fmt::format("variables in scope: {}", joinList(boundList())));
  }
  if (!allowFloat && hasFloat(e))
    out_.error(loc, fmt::format("{}: float literal in integer expression '{}'", what, toString(e)))
        .help("index, size and predicate expressions take integers only");
  checkDivisors(e, loc, what);
}

// A divisor that folds to 0 without any symbol value (`256 / 0`, `x % (b - b)`) divides
// by zero on every run: a compile-time error rather than a run-time one.
void ModuleVerifier::checkDivisors(const Expr& e, const SourceLoc& fallback, const std::string& what) {
  struct V : IRVisitor {
    ModuleVerifier& self;
    const SourceLoc& fallback;
    const std::string& what;
    V(ModuleVerifier& s, const SourceLoc& f, const std::string& w) : self(s), fallback(f), what(w) {}
    using IRVisitor::visit;
    void visit(const BinaryExpr& b) override {
      IRVisitor::visit(b);
      if (b.op != BinOp::Div && b.op != BinOp::Mod) return;
      auto d = affineForm(b.b, Env{});
      if (!d || !d->coeffs.empty() || d->constant != 0) return;
      const SourceLoc& loc = b.b.loc().valid() ? b.b.loc() : b.loc.valid() ? b.loc : fallback;
      self.out_.error(loc, fmt::format("{}: {} by zero: '{}' is always 0", what,
                                       b.op == BinOp::Div ? "division" : "modulo", toString(b.b)))
          .help("use a divisor that cannot be 0");
    }
  } v(*this, fallback, what);
  v.visit(e);
}

bool ModuleVerifier::hasFloat(const Expr& e) {
  struct F : IRVisitor {
    bool found = false;
    using IRVisitor::visit;
    void visit(const FloatConst&) override { found = true; }
  } f;
  f.visit(e);
  return f.found;
}

// True when `e` has loop-variable ranges for every variable and no slot, yet its bounds
// cannot be computed: then an intermediate value leaves the int64 range (the interval
// analysis gives up only on overflow, unknown names, or division by a range holding 0).
bool ModuleVerifier::mayOverflow(const Expr& e) const {
  if (!freeNames(e, ExprKind::Slot).empty()) return false;
  for (const std::string& v : freeNames(e, ExprKind::Var))
    if (!ranges_.count(v)) return false;
  for (const std::string& s : freeNames(e, ExprKind::Symbol))
    if (!env_.symbols.count(s)) return false;
  struct D : IRVisitor {
    bool divides = false;
    using IRVisitor::visit;
    void visit(const BinaryExpr& b) override {
      divides |= b.op == BinOp::Div || b.op == BinOp::Mod;
      IRVisitor::visit(b);
    }
    void visit(const UnaryExpr&) override { divides = true; }  // casts etc.: not analysed
    void visit(const SelectExpr&) override { divides = true; }
  } d;
  d.visit(e);
  return !d.divides;
}

std::vector<std::string> ModuleVerifier::boundList() const { return {boundOrder_.begin(), boundOrder_.end()}; }

void ModuleVerifier::checkCrossKindNames() {
  std::map<std::string, std::pair<const char*, const SourceLoc*>> first;
  auto add = [&](const std::string& name, const char* kind, const SourceLoc& loc) {
    auto [it, fresh] = first.emplace(name, std::pair{kind, &loc});
    if (fresh || std::string_view(it->second.first) == kind) return;
    out_.error(loc, fmt::format("name '{}' is declared as both a {} and a {}", name, it->second.first, kind))
        .note(fmt::format("{} '{}' declared here", it->second.first, name), *it->second.second)
        .help("symbols, slots, tensors and kernels share one namespace; rename one of them");
  };
  for (const SymbolDecl& x : m_.symbols) add(x.name, "symbol", x.loc);
  for (const SlotDecl& x : m_.slots) add(x.name, "slot", x.loc);
  for (const Tensor& x : m_.tensors) add(x.name, "tensor", x.loc);
  for (const Kernel& x : m_.kernels) add(x.name, "kernel", x.loc);
}

// A tensor's or module's name becomes a file name (`run --outputs DIR` writes
// DIR/NAME.npy, an emitted tree its data files and test_<module>.py) and a string in
// generated sources: no path, no line break, no quote can come from it.
void ModuleVerifier::checkNameAsFile(const std::string& name, const char* what, const SourceLoc& loc) {
  for (const char ch : name) {
    const auto u = static_cast<unsigned char>(ch);
    if (u < 0x20 || u == 0x7f || ch == '/' || ch == '\\' || ch == '"' || ch == '\'' || ch == '`') {
      std::string shown;  // printable: its control characters as \xNN
      for (const char c : name) {
        const auto b = static_cast<unsigned char>(c);
        shown += b < 0x20 || b == 0x7f ? fmt::format("\\x{:02x}", b) : std::string(1, c);
      }
      out_.error(loc, fmt::format("{} name '{}' holds {}, which a {} name cannot", what, shown,
                                  u < 0x20 || u == 0x7f ? fmt::format("control character 0x{:02x}", u)
                                                        : fmt::format("'{}'", ch),
                                  what))
          .help("rename it without path separators (/ \\), quotes (\" ' `) or control characters");
      break;
    }
  }
  if (name == "." || name == "..")
    out_.error(loc, fmt::format("{} name '{}' names a directory", what, name))
        .help(fmt::format("give the {} a real name", what));
}

void ModuleVerifier::checkTensor(const Tensor& t) {
  checkNameAsFile(t.name, "tensor", t.loc);
  std::string what = fmt::format("tensor '{}'", t.name);
  if (t.shape.empty()) out_.error(t.loc, fmt::format("{}: rank 0", what)).help("give at least one dimension");
  if (t.shape.size() > kMaxTensorRank)
    out_.error(t.loc, fmt::format("{}: rank {} is more than the limit of {}", what, t.shape.size(), kMaxTensorRank))
        .help("merge dimensions that are always indexed together (limits: docs/wsp-format.md)");
  for (size_t d = 0; d < t.shape.size(); ++d) {
    checkNames(t.shape[d], t.loc, fmt::format("{} dim {}", what, d), /*allowVars=*/false, /*allowSlots=*/false);
    if (auto c = asConstInt(t.shape[d]); c && *c < 1)
      out_.error(t.loc, fmt::format("{}: dim {} has size {}", what, d, *c)).help("dimension sizes must be >= 1");
  }
  // Size at the symbols' defaults, with checked arithmetic: a tensor whose byte size
  // overflows or exceeds kMaxTensorBytes is refused before anything is allocated for it.
  if (auto dims = t.staticShape(env_)) {
    uint64_t bytes = dtypeBytes(t.dtype);
    bool overflow = false;
    for (int64_t n : *dims) overflow |= n < 1 || __builtin_mul_overflow(bytes, static_cast<uint64_t>(n), &bytes);
    if (overflow || bytes > kMaxTensorBytes)
      out_.error(t.loc, fmt::format("{} {} has {} bytes, more than the limit of {} bytes", what, t.shapeStr(),
                                    overflow ? std::string("more than 2^64") : std::to_string(bytes), kMaxTensorBytes))
          .help("split the tensor or shrink its dimensions (limits: docs/wsp-format.md)");
  }
  if (!t.dist.empty() && t.dist.size() != t.rank())
    out_.error(t.loc, fmt::format("{}: {} distribution facets for rank {}", what, t.dist.size(), t.rank()))
        .help("give one facet (R or S(axis)) per dimension, or none for fully replicated");
  for (const DimDist& d : t.dist)
    if (d.kind == DimDist::Kind::Sharded && d.meshAxis.empty())
      out_.error(t.loc, fmt::format("{}: sharded dim without mesh axis", what)).help("write S(<mesh axis>)");
  if (!t.strides.empty() && t.strides.size() != t.rank())
    out_.error(t.loc, fmt::format("{}: {} strides for rank {}", what, t.strides.size(), t.rank()))
        .help("give one stride per dimension, or none for row-major");
  for (int64_t s : t.strides)
    if (s < 1) out_.error(t.loc, fmt::format("{}: stride {} < 1", what, s)).help("strides are positive element counts");
  if (!t.dimOrder.empty()) {
    std::vector<int> sorted(t.dimOrder);
    std::sort(sorted.begin(), sorted.end());
    bool perm = sorted.size() == t.rank();
    for (size_t i = 0; perm && i < sorted.size(); ++i) perm = sorted[i] == static_cast<int>(i);
    if (!perm)
      out_.error(t.loc, fmt::format("{}: dim order is not a permutation of 0..{}", what, t.rank() - 1))
          .help("list every dimension index exactly once, outermost first");
  }
}

void ModuleVerifier::checkWorkload(const Workload& w) {
  wl_ = &w;
  channels_.clear();
  processes_.clear();
  calls_.clear();
  produced_.clear();
  collectDecls(w.body);
  bound_.clear();
  boundOrder_.clear();
  ranges_.clear();
  process_ = nullptr;
  stmt(w.body);
  checkSchedule(w);
  wl_ = nullptr;
}

void ModuleVerifier::collectDecls(const Stmt& s) {
  struct C : IRVisitor {
    ModuleVerifier& v;
    explicit C(ModuleVerifier& vv) : v(vv) {}
    using IRVisitor::visit;
    void visit(const ChannelDecl& c) override {
      auto [it, fresh] = v.channels_.emplace(c.name, &c);
      if (!fresh)
        v.out_.error(c.loc, fmt::format("duplicate channel name '{}'", c.name))
            .note(fmt::format("first channel '{}' declared here", c.name), it->second->loc)
            .help("rename one of the channels");
    }
    void visit(const Process& p) override {
      auto [it, fresh] = v.processes_.emplace(p.name, &p);
      if (!fresh)
        v.out_.error(p.loc, fmt::format("duplicate process name '{}'", p.name))
            .note(fmt::format("first process '{}' declared here", p.name), it->second->loc)
            .help("rename one of the processes, or use replicate(process, n) for several instances");
      for (const std::string& c : p.produces) v.produced_.insert(c);
      IRVisitor::visit(p);
    }
    void visit(const Send& s) override {
      v.produced_.insert(s.channel);
      IRVisitor::visit(s);
    }
  } c(*this);
  c.visit(s);
}

std::string ModuleVerifier::ctx() const { return wl_ ? fmt::format(" (workload '{}')", wl_->name) : std::string(); }

void ModuleVerifier::bind(const std::string& name, std::optional<Interval> range, const SourceLoc& loc,
                          const char* what) {
  if (bound_.count(name))
    out_.error(loc, fmt::format("{} variable '{}' shadows an enclosing variable of the same name{}", what, name, ctx()))
        .help("use a distinct variable name");
  bound_.insert(name);
  boundOrder_.push_back(name);
  if (range) ranges_[name] = *range;
}

void ModuleVerifier::unbind(const std::string& name) {
  boundOrder_.pop_back();
  if (std::count(boundOrder_.begin(), boundOrder_.end(), name) == 0) {
    bound_.erase(name);
    ranges_.erase(name);
  }
}

const Tensor* ModuleVerifier::checkIndexTensor(const std::string& name, const SourceLoc& loc, const std::string& what) {
  const Tensor* t = m_.findTensor(name);
  if (!t) {
    out_.error(loc, fmt::format("{}: unknown tensor '{}'", what, name))
        .help(fmt::format("declared tensors: {}", joinList(namesOf(m_.tensors))));
    return nullptr;
  }
  if (t->rank() != 1 || !isInteger(t->dtype))
    out_.error(loc, fmt::format("{}: tensor '{}' must be a 1-D integer tensor, got {}", what, name, t->shapeStr()))
        .help("lengths / indptr / indices tensors are 1-D i32 or i64");
  return t;
}

std::optional<Interval> ModuleVerifier::checkAxis(const LoopVar& lv, const SourceLoc& loopLoc) {
  const Axis& a = lv.axis;
  const SourceLoc& loc = a.loc.valid() ? a.loc : loopLoc;
  std::string what = fmt::format("axis of loop variable '{}'", lv.name);
  switch (a.kind) {
    case AxisKind::Dense: {
      auto n = asConstInt(a.extent);
      if (!n) {
        out_.error(loc, fmt::format("{}: dense extent '{}' is not a constant{}", what, toString(a.extent), ctx()))
            .help("use dense_dyn(<symbol>) for run-time sizes");
        return std::nullopt;
      }
      if (*n < 1) {
        out_.error(loc, fmt::format("{}: extent {} < 1{}", what, *n, ctx())).help("axis extents must be >= 1");
        return std::nullopt;
      }
      if (*n > kMaxAxisExtent) {
        out_.error(loc, fmt::format("{}: extent {} is more than the limit of {}{}", what, *n, kMaxAxisExtent, ctx()))
            .help("split the axis into nested loops (limits: docs/wsp-format.md)");
        return std::nullopt;
      }
      return Interval{0, *n - 1};
    }
    case AxisKind::DenseDyn: {
      checkNames(a.extent, loc, what);
      try {
        Env env = env_;
        for (const auto& [v, r] : ranges_) env.vars[v] = r.hi;
        if (freeNames(a.extent, ExprKind::Var).empty()) {
          int64_t n = evalExpr(a.extent, env);
          if (n >= 1) return Interval{0, n - 1};
        }
      } catch (const UserError&) {
      }
      return std::nullopt;  // unknown at compile time: bounds checks skip this var
    }
    case AxisKind::Ragged:
    case AxisKind::Sparse: {
      if (!bound_.count(a.outer))
        out_.error(loc,
                   fmt::format("{}: outer variable '{}' is not an enclosing loop variable{}", what, a.outer, ctx()))
            .help(fmt::format("variables in scope: {}", joinList(boundList())));
      if (a.kind == AxisKind::Ragged) {
        checkIndexTensor(a.lengths, loc, what);
      } else {
        checkIndexTensor(a.indptr, loc, what);
        checkIndexTensor(a.indices, loc, what);
      }
      return std::nullopt;
    }
  }
  return std::nullopt;
}

void ModuleVerifier::stmt(const Stmt& s) {
  if (!s.defined()) return;
  switch (s.kind()) {
    case StmtKind::Loop:
      return loop(*s.as<Loop>());
    case StmtKind::Cond: {
      const auto& c = *s.as<Cond>();
      for (const CondBranch& b : c.branches) {
        checkNames(b.pred, c.loc, "condition");
        stmt(b.body);
      }
      return stmt(c.otherwise);
    }
    case StmtKind::Call:
      return call(*s.as<Call>());
    case StmtKind::Combine:
    case StmtKind::Sequential:
    case StmtKind::Block:
      for (const Stmt& x : static_cast<const StmtList&>(*s).stmts) stmt(x);
      return;
    case StmtKind::ChannelDecl:
      return;  // collected in collectDecls
    case StmtKind::Process:
      return process(*s.as<Process>());
    case StmtKind::Send:
      return send(*s.as<Send>());
    case StmtKind::Consume:
      return consume(*s.as<Consume>());
    case StmtKind::Connect:
      return connect(*s.as<Connect>());
    case StmtKind::Replicate:
      return replicate(*s.as<Replicate>());
    case StmtKind::SlotLoad:
      return slotLoad(*s.as<SlotLoad>());
    case StmtKind::SlotSet: {
      const auto& ss = *s.as<SlotSet>();
      checkSlot(ss.slot, ss.loc, "slot_set");
      checkNames(ss.value, ss.loc, fmt::format("slot_set '{}'", ss.slot));
      return;
    }
    case StmtKind::Scope:
      return stmt(s.as<Scope>()->body);
  }
}

void ModuleVerifier::loop(const Loop& l) {
  std::string kind(loopKindName(l.loopKind));
  if (l.loopKind != LoopKind::Parallel && l.vars.size() != 1)
    out_.error(l.loc, fmt::format("{} loop over {} variables{}", kind, l.vars.size(), ctx()))
        .help(fmt::format("{} takes exactly one variable; nest loops for more", kind));
  if (l.loopKind == LoopKind::Sel)
    for (const LoopVar& v : l.vars)
      if (v.axis.kind != AxisKind::Sparse && v.axis.kind != AxisKind::Ragged)
        out_.error(l.loc,
                   fmt::format("P.sel over variable '{}' with a {} axis{}", v.name, axisKindName(v.axis.kind), ctx()))
            .help("P.sel iterates a sparse(...) or ragged(...) axis; use P for dense axes");
  size_t n = 0;
  for (const LoopVar& v : l.vars) {
    auto r = checkAxis(v, l.loc);
    bind(v.name, r, l.loc, kind.c_str());
    ++n;
  }
  stmt(l.body);
  for (size_t i = n; i-- > 0;) unbind(l.vars[i].name);
}

void ModuleVerifier::checkSlot(const std::string& slot, const SourceLoc& loc, const char* what) {
  if (!m_.findSlot(slot))
    out_.error(loc, fmt::format("{}: unknown slot '{}'{}", what, slot, ctx()))
        .help(fmt::format("declare it with `slot {}`; declared slots: {}", slot, joinList(namesOf(m_.slots))));
}

const Tensor* ModuleVerifier::view(const View& v, const SourceLoc& fallback, const std::string& what) {
  const SourceLoc& loc = v.loc.valid() ? v.loc : fallback;
  const Tensor* t = m_.findTensor(v.tensor);
  for (const Expr& o : v.offsets) checkNames(o, loc, what);
  if (!t) {
    out_.error(loc, fmt::format("{}: unknown tensor '{}'{}", what, v.tensor, ctx()))
        .help(fmt::format("declared tensors: {}", joinList(namesOf(m_.tensors))));
    return nullptr;
  }
  if (v.offsets.size() != t->rank()) {
    out_.error(loc, fmt::format("{}: {} offsets for tensor '{}' of rank {}{}", what, v.offsets.size(), t->name,
                                t->rank(), ctx()))
        .help(fmt::format("give one offset per dimension of '{}' {}", t->name, t->shapeStr()));
    return t;
  }
  if (v.rows < 1 || v.cols < 1) {
    out_.error(loc, fmt::format("{}: tile {}x{} has a non-positive dim{}", what, v.rows, v.cols, ctx()))
        .help("tile dims must be >= 1");
    return t;
  }
  if (v.rowStep < 1 || v.colStep < 1) {
    out_.error(loc, fmt::format("{}: steps {}x{} must be >= 1{}", what, v.rowStep, v.colStep, ctx()))
        .help("steps are positive element counts");
    return t;
  }
  if (t->rank() == 1 && (v.transposed ? v.cols : v.rows) != 1) {
    out_.error(loc, fmt::format("{}: tile {} of the 1-D tensor '{}' must have one row{}", what, v.shapeStr(), t->name,
                                ctx()))
        .help("views of 1-D tensors are 1xW tiles");
    return t;
  }
  auto dims = t->staticShape(env_);
  if (!dims) return t;  // dynamic shape: bounds are checked at run time
  for (size_t d = 0; d < t->rank(); ++d) {
    auto b = exprBounds(v.offsets[d], ranges_, env_);
    if (!b && mayOverflow(v.offsets[d])) {
      out_.error(loc, fmt::format("{}: offset '{}' of '{}' in dim {} overflows 64-bit integers for some iteration{}",
                                  what, toString(v.offsets[d]), t->name, d, ctx()))
          .help("index arithmetic is int64; keep every intermediate value within +-2^63");
      continue;
    }
    if (!b) continue;  // not analysable (dynamic axis, slot ...): checked at run time
    int64_t span = v.span(d);
    int64_t size = (*dims)[d];
    int64_t last = 0;  // last index touched; saturated on overflow (then surely out of bounds)
    if (__builtin_add_overflow(b->hi, span - 1, &last)) last = std::numeric_limits<int64_t>::max();
    if (b->lo < 0 || last >= size) {
      Diagnostic& diag =
          out_.error(loc, fmt::format("{}: view of '{}' out of bounds in dim {}: offset '{}' ranges over [{}, {}], "
                                      "so indices reach [{}, {}], but the dim has size {}{}",
                                      what, t->name, d, toString(v.offsets[d]), b->lo, b->hi, b->lo, last,
                                      size, ctx()));
      diag.help(
          fmt::format("keep offset + {} <= {} for every iteration: shrink the loop range or the tile", span, size));
    }
  }
  return t;
}

void ModuleVerifier::call(const Call& c) {
  calls_.emplace_back(bound_, &c);
  const Kernel* k = m_.findKernel(c.kernel);
  std::string what = fmt::format("call '{}'", c.kernel);
  if (!k) {
    out_.error(c.loc, fmt::format("{}: unknown kernel '{}'{}", what, c.kernel, ctx()))
        .help(fmt::format("declared kernels: {}", joinList(namesOf(m_.kernels))));
    for (const CallArg& a : c.args) {
      if (a.isView)
        view(a.view, c.loc, what);
      else
        checkNames(a.value, c.loc, what, true, true, true);
    }
    return;
  }
  if (c.args.size() != k->params.size()) {
    std::string sig;
    for (const KernelParam& p : k->params) sig += fmt::format("{}{} {}", sig.empty() ? "" : ", ", p.name, p.typeStr());
    out_.error(c.loc, fmt::format("{}: kernel '{}' takes {} argument(s), got {}{}", what, c.kernel, k->params.size(),
                                  c.args.size(), ctx()))
        .help(fmt::format("signature: {}({})", c.kernel, sig));
  }
  for (size_t i = 0; i < c.args.size() && i < k->params.size(); ++i) {
    const CallArg& a = c.args[i];
    const KernelParam& p = k->params[i];
    std::string argWhat = fmt::format("{} argument {} ('{}')", what, i, p.name);
    if (p.isTile() != a.isView) {
      out_.error(a.isView && a.view.loc.valid() ? a.view.loc : c.loc,
                 fmt::format("{}: expected {}, got {}{}", argWhat, p.isTile() ? "a tensor view" : "a scalar value",
                             a.isView ? "a tensor view" : "a scalar value", ctx()))
          .help(fmt::format("parameter '{}' is {}", p.name, p.typeStr()));
      continue;
    }
    if (!a.isView) {
      checkNames(a.value, c.loc, argWhat, true, true, isFloat(p.scalarType));
      continue;
    }
    const Tensor* t = view(a.view, c.loc, argWhat);
    if (!t) continue;
    const SourceLoc& loc = a.view.loc.valid() ? a.view.loc : c.loc;
    if (a.view.rows != p.tile.rows || a.view.cols != p.tile.cols)
      out_.error(loc, fmt::format("{}: expected tile {}x{}, got {}x{} (view of '{}'){}", argWhat, p.tile.rows,
                                  p.tile.cols, a.view.rows, a.view.cols, t->name, ctx()))
          .help(fmt::format("make the view {}x{} or change the kernel parameter", p.tile.rows, p.tile.cols));
    if (t->dtype != p.tile.dtype)
      out_.error(loc, fmt::format("{}: expected dtype {}, tensor '{}' is {}{}", argWhat, dtypeName(p.tile.dtype),
                                  t->name, dtypeName(t->dtype), ctx()))
          .help("cast inside the kernel or declare the tensor with the parameter's dtype");
    if (p.dir != ParamDir::In && t->role == TensorRole::Input)
      out_.error(loc, fmt::format("{}: {} parameter writes tensor '{}', which is declared input{}", argWhat,
                                  paramDirName(p.dir), t->name, ctx()))
          .help(fmt::format("declare '{}' as output, inout or temp", t->name));
  }
}

}  // namespace detail

DiagnosticList verify(const Module& m) {
  DiagnosticList raw;
  detail::ModuleVerifier(m, raw).run();
  // Builder locations carry a context path that already names the workload: drop the
  // " (workload 'w')" suffix there so the message does not say it twice.
  DiagnosticList out;
  for (Diagnostic d : raw.all()) {
    if (!d.loc.context.empty()) {
      size_t at = d.message.rfind(" (workload '");
      if (at != std::string::npos && d.message.back() == ')') d.message.erase(at);
    }
    out.add(std::move(d));
  }
  return out;
}

void verifyOrThrow(const Module& m) { verify(m).throwIfErrors(); }

}  // namespace pto::wsp::ir
