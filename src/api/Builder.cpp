#include "pto/wsp/api/Builder.h"

#include "BuilderLoc.h"

#include "pto/wsp/support/Assert.h"

#include <fmt/format.h>

namespace pto::wsp {

namespace {

std::string joinCtx(const std::vector<std::string>& ctx, const std::string& what) {
  std::string s;
  for (const std::string& c : ctx) {
    if (!s.empty()) s += " > ";
    s += c;
  }
  if (!what.empty()) {
    if (!s.empty()) s += " > ";
    s += what;
  }
  return s;
}
}  // namespace

// ---------------------------------------------------------------- vars, axes, views
Var::Var(std::string name) : ir::Expr(ir::var(name)), name_(std::move(name)) {}

Var::Spec Var::in(ir::Axis axis, SrcLoc sl) const {
  SourceLoc l = detail::builderLoc(sl, {});
  if (!axis.loc.valid()) axis.loc = l;
  return Spec{name_, std::move(axis), l};
}

ir::Axis Dense(int64_t n) { return ir::Axis::dense(n); }
ir::Axis DenseDyn(ir::Expr extent) { return ir::Axis::denseDyn(std::move(extent)); }
ir::Axis Ragged(const Var& outer, std::string lengths) { return ir::Axis::ragged(outer.name(), std::move(lengths)); }
ir::Axis Sparse(const Var& outer, std::string indptr, std::string indices) {
  return ir::Axis::sparse(outer.name(), std::move(indptr), std::move(indices));
}

ViewArg ViewArg::T() const {
  ViewArg v = *this;
  v.transposed = !v.transposed;
  return v;
}
ViewArg ViewArg::step(int64_t r, int64_t c) const {
  ViewArg v = *this;
  v.rowStep = r;
  v.colStep = c;
  return v;
}
ViewArg ViewArg::shape(int64_t r, int64_t c) const {
  ViewArg v = *this;
  v.rows = r;
  v.cols = c;
  return v;
}
ir::View ViewArg::toView() const {
  PTO_INTERNAL_ASSERT(rows != 0 && cols != 0, "view of '{}' without a tile shape", tensor);
  ir::View v = ir::View::make(tensor, offsets, rows, cols, loc);
  v.rowStep = rowStep;
  v.colStep = colStep;
  v.transposed = transposed;
  return v;
}

ViewArg TensorRef::at(std::vector<ir::Expr> offsets, SrcLoc sl) const {
  ViewArg v;
  v.tensor = name_;
  v.offsets = std::move(offsets);
  v.loc = detail::builderLoc(sl, fmt::format("view of '{}'", name_));
  return v;
}
ViewArg TensorRef::view(std::vector<ir::Expr> offsets, int64_t rows, int64_t cols, SrcLoc sl) const {
  return at(std::move(offsets), sl).shape(rows, cols);
}
ir::Tensor& TensorRef::decl() const {
  for (ir::Tensor& t : mb_->m_.tensors)
    if (t.name == name_) return t;
  PTO_UNREACHABLE("tensor '{}' vanished from its builder", name_);
}
const TensorRef& TensorRef::dist(std::vector<ir::DimDist> d) const {
  decl().dist = std::move(d);
  return *this;
}
const TensorRef& TensorRef::strides(std::vector<int64_t> s) const {
  decl().strides = std::move(s);
  return *this;
}
const TensorRef& TensorRef::dimOrder(std::vector<int> o) const {
  decl().dimOrder = std::move(o);
  return *this;
}

// ---------------------------------------------------------------- workloads
WorkloadBuilder::WorkloadBuilder(ModuleBuilder* mb, std::string name, SourceLoc loc)
    : mb_(mb), name_(std::move(name)), loc_(std::move(loc)) {
  lists_.push_back(&top_);
  ctx_.push_back(fmt::format("workload '{}'", name_));
}

SourceLoc WorkloadBuilder::at(SrcLoc sl, const std::string& what) const { return detail::builderLoc(sl, joinCtx(ctx_, what)); }

void WorkloadBuilder::add(ir::Stmt s) { lists_.back()->push_back(std::move(s)); }

ir::Stmt WorkloadBuilder::collect(const Body& body, const std::string& what, const SourceLoc& loc) {
  std::vector<ir::Stmt> list;
  lists_.push_back(&list);
  ctx_.push_back(what);
  struct Pop {
    WorkloadBuilder* w;
    ~Pop() {
      w->lists_.pop_back();
      w->ctx_.pop_back();
    }
  } pop{this};
  if (body) body(*this);
  return ir::Block::make(std::move(list), loc);  // braced even with one statement, as in .wsp
}

WorkloadBuilder& WorkloadBuilder::loop(ir::LoopKind kind, std::vector<Var::Spec> vars, const Body& body, SrcLoc sl) {
  std::string names;
  for (const Var::Spec& v : vars) names += (names.empty() ? "" : ", ") + v.name;
  std::string what = fmt::format("{} {}", ir::loopKindName(kind), names);
  SourceLoc loc = at(sl, what);
  std::vector<ir::LoopVar> lv;
  for (Var::Spec& v : vars) lv.push_back({v.name, std::move(v.axis)});
  ir::Stmt b = collect(body, what, loc);
  add(ir::Loop::make(kind, std::move(lv), std::move(b), loc));
  return *this;
}

WorkloadBuilder& WorkloadBuilder::P(std::vector<Var::Spec> vars, const Body& body, SrcLoc sl) {
  return loop(ir::LoopKind::Parallel, std::move(vars), body, sl);
}
WorkloadBuilder& WorkloadBuilder::seq(Var::Spec var, const Body& body, SrcLoc sl) {
  return loop(ir::LoopKind::Seq, {std::move(var)}, body, sl);
}
WorkloadBuilder& WorkloadBuilder::sel(Var::Spec var, const Body& body, SrcLoc sl) {
  return loop(ir::LoopKind::Sel, {std::move(var)}, body, sl);
}

ir::Stmt WorkloadBuilder::makeCall(const KernelRef& k, std::vector<Arg> args, SrcLoc sl) {
  SourceLoc loc = at(sl, fmt::format("call {}", k.name));
  const ir::Kernel* kernel = mb_->m_.findKernel(k.name);
  std::vector<ir::CallArg> out;
  for (size_t i = 0; i < args.size(); ++i) {
    Arg& a = args[i];
    if (!a.isView) {
      out.push_back(ir::CallArg::ofValue(std::move(a.value)));
      continue;
    }
    ViewArg v = std::move(a.view);
    v.loc.context = joinCtx(ctx_, fmt::format("call {} > argument {}", k.name, i));
    if (v.rows == 0 || v.cols == 0) {
      // Shape from the parameter; without one (unknown kernel / extra arg / scalar param)
      // fall back to 1x1 so that ir::verify reports the real problem.
      const ir::KernelParam* p = kernel && i < kernel->params.size() ? &kernel->params[i] : nullptr;
      if (p && p->isTile()) {
        v.rows = p->tile.rows;
        v.cols = p->tile.cols;
      } else {
        v.rows = v.cols = 1;
      }
    }
    out.push_back(ir::CallArg::ofView(v.toView()));
  }
  return ir::Call::make(k.name, std::move(out), loc);
}

WorkloadBuilder& WorkloadBuilder::call(const KernelRef& k, std::vector<Arg> args, SrcLoc sl) {
  add(makeCall(k, std::move(args), sl));
  return *this;
}

WhenChain& WorkloadBuilder::when(ir::Expr pred, const Body& body, SrcLoc sl) {
  add(ir::Stmt());  // placeholder, filled by the chain
  chains_.push_back(std::unique_ptr<WhenChain>(new WhenChain(this, lists_.back(), lists_.back()->size() - 1)));
  WhenChain& c = *chains_.back();
  c.loc_ = at(sl, "when");
  return c.when(std::move(pred), body, sl);
}

WhenChain& WhenChain::when(ir::Expr pred, const Body& body, SrcLoc sl) {
  SourceLoc loc = w_->at(sl, "when");
  ir::Stmt b = w_->collect(body, fmt::format("when {}", ir::toString(pred)), loc);
  branches_.push_back({std::move(pred), std::move(b)});
  rebuild();
  return *this;
}

WorkloadBuilder& WhenChain::otherwise(const Body& body, SrcLoc sl) {
  otherwise_ = w_->collect(body, "otherwise", w_->at(sl, "otherwise"));
  rebuild();
  return *w_;
}

void WhenChain::rebuild() { (*list_)[index_] = ir::Cond::make(branches_, otherwise_, loc_); }

WorkloadBuilder& WorkloadBuilder::combine(const Body& body, SrcLoc sl) {
  SourceLoc loc = at(sl, "combine");
  ir::Stmt b = collect(body, "combine", loc);
  std::vector<ir::Stmt> parts;
  if (const auto* blk = b.as<ir::Block>())
    parts = blk->stmts;
  else
    parts.push_back(b);
  add(ir::Combine::make(std::move(parts), loc));
  return *this;
}

WorkloadBuilder& WorkloadBuilder::sequential(const Body& body, SrcLoc sl) {
  SourceLoc loc = at(sl, "sequential");
  ir::Stmt b = collect(body, "sequential", loc);
  std::vector<ir::Stmt> parts;
  if (const auto* blk = b.as<ir::Block>())
    parts = blk->stmts;
  else
    parts.push_back(b);
  add(ir::Sequential::make(std::move(parts), loc));
  return *this;
}

WorkloadBuilder& WorkloadBuilder::scope(const Body& body, SrcLoc sl) {
  SourceLoc loc = at(sl, "scope");
  add(ir::Scope::make(collect(body, "scope", loc), loc));
  return *this;
}

WorkloadBuilder& WorkloadBuilder::channel(std::string name, ir::ChannelElem elem, SrcLoc sl) {
  SourceLoc loc = at(sl, fmt::format("channel {}", name));
  add(ir::ChannelDecl::make(std::move(name), elem, loc));
  return *this;
}

WorkloadBuilder& WorkloadBuilder::process(std::string name, std::vector<std::string> produces,
                                          std::vector<std::string> consumes, const Body& body, SrcLoc sl) {
  std::string what = fmt::format("process {}", name);
  SourceLoc loc = at(sl, what);
  ir::Stmt b = collect(body, what, loc);
  add(ir::Process::make(std::move(name), std::move(produces), std::move(consumes), std::move(b), loc));
  return *this;
}

WorkloadBuilder& WorkloadBuilder::send(std::string channel, const KernelRef& k, std::vector<Arg> args, SrcLoc sl) {
  SourceLoc loc = at(sl, fmt::format("send {}", channel));
  ctx_.push_back(fmt::format("send {}", channel));
  ir::Stmt c = makeCall(k, std::move(args), sl);
  ctx_.pop_back();
  add(ir::Send::makeCall(std::move(channel), std::move(c), loc));
  return *this;
}

WorkloadBuilder& WorkloadBuilder::sendValue(std::string channel, ir::Expr value, SrcLoc sl) {
  SourceLoc loc = at(sl, fmt::format("send {}", channel));
  add(ir::Send::makeValue(std::move(channel), std::move(value), loc));
  return *this;
}

WorkloadBuilder& WorkloadBuilder::consume(std::string channel, const Var& v, const Body& body, SrcLoc sl) {
  std::string what = fmt::format("consume {} as {}", channel, v.name());
  SourceLoc loc = at(sl, what);
  ir::Stmt b = collect(body, what, loc);
  add(ir::Consume::make(std::move(channel), v.name(), std::move(b), loc));
  return *this;
}

WorkloadBuilder& WorkloadBuilder::connect(std::string channel, std::string from, std::string to, SrcLoc sl) {
  SourceLoc loc = at(sl, fmt::format("connect {}", channel));
  add(ir::Connect::make(std::move(channel), std::move(from), std::move(to), loc));
  return *this;
}

WorkloadBuilder& WorkloadBuilder::replicate(std::string process, ir::Expr n, SrcLoc sl) {
  SourceLoc loc = at(sl, fmt::format("replicate {}", process));
  add(ir::Replicate::make(std::move(process), std::move(n), loc));
  return *this;
}

namespace {
std::string slotName(const ir::Expr& slot) {
  const auto* n = slot.as<ir::NameRef>();
  PTO_INTERNAL_ASSERT(n && slot.kind() == ir::ExprKind::Slot,
                      "slot_load/slot_set needs a slot expression (ModuleBuilder::slot)");
  return n->name;
}
}  // namespace

WorkloadBuilder& WorkloadBuilder::slot_load(const ir::Expr& slot, const ViewArg& v, ir::Expr row, ir::Expr col,
                                            SrcLoc sl) {
  std::string name = slotName(slot);
  SourceLoc loc = at(sl, fmt::format("slot_load {}", name));
  ViewArg va = v;
  if (va.rows == 0 || va.cols == 0) va = va.shape(1, 1);
  add(ir::SlotLoad::make(std::move(name), va.toView(), std::move(row), std::move(col), loc));
  return *this;
}

WorkloadBuilder& WorkloadBuilder::slot_set(const ir::Expr& slot, ir::Expr value, SrcLoc sl) {
  std::string name = slotName(slot);
  SourceLoc loc = at(sl, fmt::format("slot_set {}", name));
  add(ir::SlotSet::make(std::move(name), std::move(value), loc));
  return *this;
}

// ---- schedule ----
WorkloadBuilder& WorkloadBuilder::dispatch(std::string policy, std::vector<ir::NamedExpr> params, SrcLoc sl) {
  schedule_.directives.push_back(
      ir::Directive::dispatch(std::move(policy), std::move(params), {}, detail::builderLoc(sl, joinCtx({ctx_[0]}, "dispatch"))));
  return *this;
}
WorkloadBuilder& WorkloadBuilder::dispatch_custom(ir::Expr key, std::vector<ir::NamedExpr> params, SrcLoc sl) {
  schedule_.directives.push_back(
      ir::Directive::dispatch("custom", std::move(params), std::move(key), detail::builderLoc(sl, joinCtx({ctx_[0]}, "dispatch"))));
  return *this;
}
WorkloadBuilder& WorkloadBuilder::task_window(int64_t n, std::string unit, std::string mode, SrcLoc sl) {
  schedule_.directives.push_back(
      ir::Directive::taskWindow(n, std::move(unit), std::move(mode), detail::builderLoc(sl, joinCtx({ctx_[0]}, "task_window"))));
  return *this;
}
WorkloadBuilder& WorkloadBuilder::channel_defaults(int64_t capacity, int64_t latency, SrcLoc sl) {
  schedule_.directives.push_back(
      ir::Directive::channelDefaults(capacity, latency, detail::builderLoc(sl, joinCtx({ctx_[0]}, "channel_defaults"))));
  return *this;
}
WorkloadBuilder& WorkloadBuilder::channel_config(std::string name, int64_t capacity, int64_t latency, SrcLoc sl) {
  schedule_.directives.push_back(
      ir::Directive::channel(std::move(name), capacity, latency, detail::builderLoc(sl, joinCtx({ctx_[0]}, "channel"))));
  return *this;
}
WorkloadBuilder& WorkloadBuilder::pool(std::string resource, int64_t size, SrcLoc sl) {
  schedule_.directives.push_back(ir::Directive::pool(std::move(resource), size, detail::builderLoc(sl, joinCtx({ctx_[0]}, "pool"))));
  return *this;
}
WorkloadBuilder& WorkloadBuilder::streams(int64_t n, SrcLoc sl) {
  schedule_.directives.push_back(ir::Directive::streams(n, detail::builderLoc(sl, joinCtx({ctx_[0]}, "streams"))));
  return *this;
}
WorkloadBuilder& WorkloadBuilder::stream_by(ir::Expr key, SrcLoc sl) {
  schedule_.directives.push_back(ir::Directive::streamBy(std::move(key), detail::builderLoc(sl, joinCtx({ctx_[0]}, "stream_by"))));
  return *this;
}
WorkloadBuilder& WorkloadBuilder::timing(std::vector<ir::NamedExpr> params, SrcLoc sl) {
  schedule_.directives.push_back(ir::Directive::timing(std::move(params), detail::builderLoc(sl, joinCtx({ctx_[0]}, "timing"))));
  return *this;
}

ir::Workload WorkloadBuilder::build() const {
  return ir::Workload::make(name_, ir::Block::make(top_, loc_), schedule_, loc_);
}

// ---------------------------------------------------------------- modules
ModuleBuilder::ModuleBuilder(std::string name, SrcLoc sl) {
  m_.name = std::move(name);
  m_.loc = detail::builderLoc(sl, fmt::format("module '{}'", m_.name));
}

ir::Expr ModuleBuilder::symbol(std::string name, std::optional<int64_t> value, SrcLoc sl) {
  SourceLoc loc = detail::builderLoc(sl, fmt::format("symbol '{}'", name));
  m_.symbols.push_back({name, value, loc});
  return ir::symbol(std::move(name), std::move(loc));
}

ir::Expr ModuleBuilder::slot(std::string name, uint64_t init, SrcLoc sl) {
  SourceLoc loc = detail::builderLoc(sl, fmt::format("slot '{}'", name));
  m_.slots.push_back({name, init, loc});
  return ir::slotRef(std::move(name), std::move(loc));
}

TensorRef ModuleBuilder::tensor(std::string name, std::vector<ir::Expr> shape, ir::DType dtype, ir::TensorRole role,
                                SrcLoc sl) {
  m_.tensors.push_back(
      ir::Tensor::make(name, std::move(shape), dtype, role, detail::builderLoc(sl, fmt::format("tensor '{}'", name))));
  return TensorRef(this, std::move(name));
}

KernelRef ModuleBuilder::kernel(std::string name, const std::function<void(KernelBuilder&)>& body, SrcLoc sl) {
  KernelBuilder kb(name, detail::builderLoc(sl, fmt::format("kernel '{}'", name)));
  if (body) body(kb);
  m_.kernels.push_back(kb.kernel());
  return KernelRef{std::move(name)};
}

KernelRef ModuleBuilder::externalKernel(std::string name, const std::function<void(KernelBuilder&)>& params,
                                        std::string source, ir::Expr cycles, SrcLoc sl) {
  KernelBuilder kb(name, detail::builderLoc(sl, fmt::format("kernel '{}'", name)));
  if (params) params(kb);
  ir::Kernel k = kb.kernel();
  ir::Kernel e = ir::Kernel::makeExternal(k.name, k.params, std::move(source), std::move(cycles), k.loc);
  e.body = k.body;  // non-empty only if the lambda emitted ops: the verifier reports it
  m_.kernels.push_back(std::move(e));
  return KernelRef{std::move(name)};
}

WorkloadBuilder& ModuleBuilder::workload(std::string name, SrcLoc sl) {
  SourceLoc loc = detail::builderLoc(sl, fmt::format("workload '{}'", name));
  workloads_.push_back(std::unique_ptr<WorkloadBuilder>(new WorkloadBuilder(this, std::move(name), std::move(loc))));
  return *workloads_.back();
}

ir::Module ModuleBuilder::build() const {
  ir::Module m = m_;
  for (const auto& w : workloads_) m.workloads.push_back(w->build());
  return m;
}

ir::Module ModuleBuilder::buildVerified() const {
  ir::Module m = build();
  ir::verifyOrThrow(m);
  return m;
}

}  // namespace pto::wsp
