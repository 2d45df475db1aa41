// CSP, slot and schedule rules of the verifier (see VerifierImpl.h).
#include "VerifierImpl.h"
#include "pto/wsp/support/ScheduleKnobs.h"

#include <utility>

namespace pto::wsp::ir::detail {

void ModuleVerifier::checkChannel(const std::string& ch, const SourceLoc& loc, const std::string& what) {
  if (!channels_.count(ch)) {
    std::vector<std::string> names;
    for (const auto& [n, _] : channels_) names.push_back(n);
    out_.error(loc, fmt::format("{}: channel '{}' is not declared{}", what, ch, ctx()))
        .help(fmt::format("declare it with `channel {}`; declared channels: {}", ch, joinList(names)));
  }
}

void ModuleVerifier::process(const Process& p) {
  std::string what = fmt::format("process '{}'", p.name);
  for (const std::string& c : p.produces) checkChannel(c, p.loc, what);
  for (const std::string& c : p.consumes) checkChannel(c, p.loc, what);
  if (process_)
    out_.error(p.loc, fmt::format("{} is nested inside process '{}'{}", what, process_->name, ctx()))
        .help("declare processes at workload level");
  const Process* outer = process_;
  process_ = &p;
  std::set<std::string> outerSent = std::exchange(sentIn_, {});
  stmt(p.body);
  // Producers are the processes that send (docs/semantics.md): a listed channel this
  // body never sends on is not closed when it ends, so its consumers would wait forever.
  for (const std::string& c : p.produces)
    if (channels_.count(c) && !sentIn_.count(c))
      out_.warning(p.loc, fmt::format("{} lists '{}' in produces but never sends on it; it does not close "
                                      "'{}', so a consumer waits for it forever{}",
                                      what, c, c, ctx()))
          .help(fmt::format("send on '{}' in '{}', or drop it from the produces list", c, p.name));
  sentIn_ = std::move(outerSent);
  process_ = outer;
}

void ModuleVerifier::send(const Send& s) {
  std::string what = fmt::format("send on '{}'", s.channel);
  checkChannel(s.channel, s.loc, what);
  sentIn_.insert(s.channel);
  if (process_ &&
      std::find(process_->produces.begin(), process_->produces.end(), s.channel) == process_->produces.end())
    out_.error(s.loc,
               fmt::format("{}: process '{}' does not list '{}' in produces{}", what, process_->name, s.channel, ctx()))
        .help(fmt::format("add '{}' to the produces list of '{}'", s.channel, process_->name));
  auto it = channels_.find(s.channel);
  if (s.call.defined()) {
    if (s.call.kind() != StmtKind::Call)
      out_.error(s.loc, fmt::format("{}: payload is a {} statement, not a kernel call{}", what,
                                    stmtKindName(s.call.kind()), ctx()))
          .help("send a kernel call (its task token) or an index value");
    else if (it != channels_.end() && it->second->elem != ChannelElem::Task)
      out_.error(s.loc, fmt::format("{}: channel carries index values, got a task{}", what, ctx()))
          .help("send an index expression, or declare the channel with element 'task'");
    stmt(s.call);
  } else {
    checkNames(s.value, s.loc, what);
    if (it != channels_.end() && it->second->elem != ChannelElem::Index)
      out_.error(s.loc, fmt::format("{}: channel carries task tokens, got a value{}", what, ctx()))
          .help("send a kernel call, or declare the channel with element 'index'");
  }
}

void ModuleVerifier::consume(const Consume& c) {
  std::string what = fmt::format("consume of '{}'", c.channel);
  checkChannel(c.channel, c.loc, what);
  if (channels_.count(c.channel) && !produced_.count(c.channel))
    out_.error(c.loc, fmt::format("channel '{}' is consumed but never produced{}", c.channel, ctx()))
        .help(fmt::format("list '{}' in the produces of a process that sends on it", c.channel));
  if (process_ &&
      std::find(process_->consumes.begin(), process_->consumes.end(), c.channel) == process_->consumes.end())
    out_.error(c.loc,
               fmt::format("{}: process '{}' does not list '{}' in consumes{}", what, process_->name, c.channel, ctx()))
        .help(fmt::format("add '{}' to the consumes list of '{}'", c.channel, process_->name));
  bind(c.var, std::nullopt, c.loc, "consume");
  stmt(c.body);
  unbind(c.var);
}

void ModuleVerifier::connect(const Connect& c) {
  std::string what = fmt::format("connect '{}'", c.channel);
  checkChannel(c.channel, c.loc, what);
  auto has = [](const std::vector<std::string>& v, const std::string& x) {
    return std::find(v.begin(), v.end(), x) != v.end();
  };
  for (const auto& [proc, produces] : {std::pair{c.from, true}, std::pair{c.to, false}}) {
    auto it = processes_.find(proc);
    if (it == processes_.end()) {
      std::vector<std::string> names;
      for (const auto& [n, _] : processes_) names.push_back(n);
      out_.error(c.loc, fmt::format("{}: unknown process '{}'{}", what, proc, ctx()))
          .help(fmt::format("declared processes: {}", joinList(names)));
      continue;
    }
    const Process& p = *it->second;
    if (produces && !has(p.produces, c.channel))
      out_.error(c.loc, fmt::format("{}: process '{}' does not produce '{}'{}", what, proc, c.channel, ctx()))
          .help(fmt::format("add '{}' to the produces list of '{}'", c.channel, proc));
    if (!produces && !has(p.consumes, c.channel))
      out_.error(c.loc, fmt::format("{}: process '{}' does not consume '{}'{}", what, proc, c.channel, ctx()))
          .help(fmt::format("add '{}' to the consumes list of '{}'", c.channel, proc));
  }
}

void ModuleVerifier::replicate(const Replicate& r) {
  std::string what = fmt::format("replicate '{}'", r.process);
  if (!processes_.count(r.process)) {
    std::vector<std::string> names;
    for (const auto& [n, _] : processes_) names.push_back(n);
    out_.error(r.loc, fmt::format("{}: unknown process '{}'{}", what, r.process, ctx()))
        .help(fmt::format("declared processes: {}", joinList(names)));
  }
  checkNames(r.count, r.loc, what, false, false);
  try {
    if (freeNames(r.count, ExprKind::Var).empty() && freeNames(r.count, ExprKind::Slot).empty()) {
      int64_t n = evalExpr(r.count, env_);
      if (n < 1)
        out_.error(r.loc, fmt::format("{}: count {} < 1{}", what, n, ctx())).help("replicate at least one instance");
      if (n > kMaxReplicas)
        out_.error(r.loc, fmt::format("{}: count {} is more than the limit of {}{}", what, n, kMaxReplicas, ctx()))
            .help("replicate fewer instances (limits: docs/wsp-format.md)");
    }
  } catch (const UserError&) {
    // unknown symbol: already reported by checkNames
  }
}

void ModuleVerifier::slotLoad(const SlotLoad& s) {
  std::string what = fmt::format("slot_load '{}'", s.slot);
  checkSlot(s.slot, s.loc, "slot_load");
  const Tensor* t = view(s.view, s.loc, what);
  checkNames(s.row, s.loc, what);
  checkNames(s.col, s.loc, what);
  if (t && t->dtype != DType::Bool && !isInteger(t->dtype))
    out_.warning(s.loc, fmt::format("{}: loads a {} element into a u64 slot", what, dtypeName(t->dtype)))
        .help("the value is truncated toward zero; load from an integer tensor to avoid surprises");
  for (auto [e, lim, dim] : {std::tuple{s.row, s.view.rows, "row"}, std::tuple{s.col, s.view.cols, "col"}}) {
    auto b = exprBounds(e, ranges_, env_);
    if (b && (b->lo < 0 || b->hi >= lim))
      out_.error(s.loc, fmt::format("{}: {} index '{}' ranges over [{}, {}], outside the {} tile [0, {}]{}", what, dim,
                                    toString(e), b->lo, b->hi, s.view.shapeStr(), lim - 1, ctx()))
          .help(fmt::format("the {} index must be in [0, {}]", dim, lim - 1));
  }
}

void ModuleVerifier::checkSchedule(const Workload& w) {
  auto legal = [](std::span<const std::string_view> xs, const std::string& x) {
    return std::find(xs.begin(), xs.end(), x) != xs.end();
  };
  for (const Directive& d : w.schedule.directives) {
    const SourceLoc& loc = d.loc.valid() ? d.loc : w.loc;
    std::string what = fmt::format("schedule of workload '{}': {}", w.name, d.name());
    for (const NamedExpr& p : d.params) {
      checkNames(p.value, loc, fmt::format("{} parameter '{}'", what, p.name), /*allowVars=*/true);
    }
    switch (d.kind) {
      case DirectiveKind::Dispatch: {
        if (!legal(dispatchPolicies(), d.policy)) {
          out_.error(loc, fmt::format("{}: unknown dispatch policy '{}'", what, d.policy))
              .help(fmt::format("legal policies: {}", joinViews(dispatchPolicies())));
          break;
        }
        if (d.policy == "custom" && !d.key.defined())
          out_.error(loc, fmt::format("{}: policy 'custom' needs a key expression", what))
              .help("write dispatch(custom(<key expr>)); the key modulo the worker count picks the worker");
        if (d.key.defined()) checkKey(d.key, loc, what);
        for (const NamedExpr& p : d.params) {
          auto c = asConstInt(p.value);
          if (p.name == "workers" && c && *c < static_cast<int64_t>(knobInfo(ScheduleKnob::Workers).min))
            out_.error(loc, fmt::format("{}: workers = {} < {}", what, *c, knobInfo(ScheduleKnob::Workers).min))
                .help("dispatch to at least one worker");
          if (p.name == "workers" && c && *c > kMaxDispatchWorkers)
            out_.error(loc, fmt::format("{}: workers = {} is more than the limit of {}", what, *c, kMaxDispatchWorkers))
                .help("dispatch to fewer workers (limits: docs/wsp-format.md)");
        }
        break;
      }
      case DirectiveKind::TaskWindow:
        if (d.size < static_cast<int64_t>(knobInfo(ScheduleKnob::TaskWindow).min))
          out_.error(loc, fmt::format("{}: window size {} < {}", what, d.size, knobInfo(ScheduleKnob::TaskWindow).min))
              .help("the task window must hold at least one task");
        if (!legal(windowUnits(), d.unit))
          out_.error(loc, fmt::format("{}: unknown unit '{}'", what, d.unit))
              .help(fmt::format("legal units: {}", joinViews(windowUnits())));
        if (!legal(windowModes(), d.mode))
          out_.error(loc, fmt::format("{}: unknown mode '{}'", what, d.mode))
              .help(fmt::format("legal modes: {} (bounded resources only ever stall)", joinViews(windowModes())));
        break;
      case DirectiveKind::Channel:
        if (!channels_.count(d.target)) {
          std::vector<std::string> names;
          for (const auto& [n, _] : channels_) names.push_back(n);
          out_.error(loc, fmt::format("{}: unknown channel '{}'", what, d.target))
              .help(fmt::format("declared channels: {}", joinList(names)));
        }
        [[fallthrough]];
      case DirectiveKind::ChannelDefaults:
        if (d.capacity < 1)
          out_.error(loc, fmt::format("{}: capacity {} < 1", what, d.capacity))
              .help("a channel holds at least one token");
        if (d.latency < 0)
          out_.error(loc, fmt::format("{}: latency {} < 0", what, d.latency)).help("latency is a cycle count >= 0");
        break;
      case DirectiveKind::Pool:
        if (!legal(poolResources(), d.target))
          out_.error(loc, fmt::format("{}: unknown resource '{}'", what, d.target))
              .help(fmt::format("legal resources: {}", joinViews(poolResources())));
        if (const KnobInfo* k = poolKnob(d.target); k && d.size < static_cast<int64_t>(k->min))
          out_.error(loc, fmt::format("{}: size {} < {}", what, d.size, k->min))
              .help(fmt::format("{} must be >= {}", k->name, k->min));
        break;
      case DirectiveKind::Streams:
        if (d.size < 1)
          out_.error(loc, fmt::format("{}: {} streams < 1", what, d.size)).help("use at least one stream");
        break;
      case DirectiveKind::StreamBy:
        if (!d.key.defined())
          out_.error(loc, fmt::format("{}: missing key expression", what)).help("write stream_by(<key expr>)");
        else
          checkKey(d.key, loc, what);
        break;
      case DirectiveKind::Timing:
        break;
    }
  }
}

void ModuleVerifier::checkKey(const Expr& key, const SourceLoc& loc, const std::string& what) {
  std::set<std::string> allVars;
  struct V : IRVisitor {
    std::set<std::string>& vars;
    explicit V(std::set<std::string>& v) : vars(v) {}
    using IRVisitor::visit;
    void visit(const Loop& l) override {
      for (const LoopVar& lv : l.vars) vars.insert(lv.name);
      IRVisitor::visit(l);
    }
    void visit(const Consume& c) override {
      vars.insert(c.var);
      IRVisitor::visit(c);
    }
  } v(allVars);
  v.visit(wl_->body);
  bound_ = allVars;
  boundOrder_.assign(allVars.begin(), allVars.end());
  checkNames(key, loc, what + " key");
  bound_.clear();
  boundOrder_.clear();
  for (const std::string& name : freeNames(key, ExprKind::Var)) {
    if (!allVars.count(name)) continue;  // unknown: reported above
    for (const auto& [vars, c] : calls_) {
      if (vars.count(name)) continue;
      out_.error(loc, fmt::format("{} key reads variable '{}', which is not bound at call '{}'", what, name, c->kernel))
          .note(fmt::format("call '{}' here is outside the scope of '{}'", c->kernel, name), c->loc)
          .help("a key may read only variables bound at every call of the workload, symbols and slots");
      break;
    }
  }
}

}  // namespace pto::wsp::ir::detail
