// PlanInterpreter: processes as resumable frame stacks over plan nodes, scheduled by
// smallest local time; CSP channels; structural (seq) joins; deadlock reports.
#include "pto/wsp/runtime/PlanInterpreter.h"

#include "pto/wsp/support/Assert.h"
#include "pto/wsp/support/Diagnostic.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <deque>

namespace pto::wsp::rt {

using namespace pto::wsp::abi;

namespace {
constexpr size_t kJoinFold = 64;  // a seq frame folds its collected tasks into a join at this size

enum class Step : uint8_t { Acted, Blocked, Finished };

struct Token {
  int64_t value = 0;
  uint64_t time = 0;
};

struct Channel {
  const PlanChannel* def = nullptr;
  std::deque<Token> tokens;            // <= capacity
  std::vector<uint64_t> consumeTimes;  // ring: free time of each logical slot
  uint64_t sent = 0, consumed = 0;
  uint32_t producersLeft = 0;
  uint32_t producers = 0;
  bool closed = false;
};

struct Frame {
  const PlanNode* node = nullptr;
  size_t idx = 0;           // next child
  bool entered = false;
  // Loop
  int64_t iter = 0, extent = 0;
  bool iterStarted = false;
  bool listOnly = false;    // run node->children as a Combine (a Consume body)
  // seq frames (Seq nodes, sequential loops)
  bool seqFrame = false;
  bool boundaryPending = false;
  int64_t boundaryBefore = -1;  // child index / iteration whose boundary was scheduled
  std::optional<TaskId> prevJoin;
  std::vector<TaskId> collected;
};

struct Proc {
  const PlanProcess* def = nullptr;
  PlanNode root;  // Combine over the body
  std::vector<Frame> stack;
  std::vector<int64_t> vars;
  std::vector<uint32_t> produces;  // channel ids
  bool finished = false;
  std::string waitsOn;
  Resource blockedRes = Resource::TaskRing;
  uint64_t blockedMinimal = 0;
  bool blockedOnEngine = false;
  int64_t blockedChannel = -1;
  bool blockedFull = false;
};

void collectSends(const PlanNode& n, std::vector<uint32_t>& out) {
  if (n.kind == NodeKind::Send && std::find(out.begin(), out.end(), n.channel) == out.end())
    out.push_back(n.channel);
  for (const auto& c : n.children) collectSends(c, out);
}
}  // namespace

struct PlanInterpreter::Impl {
  const Plan& plan;
  PlanRunConfig cfg;
  Engine eng;
  std::vector<int64_t> symbols;
  std::vector<uint64_t> slots;
  std::vector<Channel> chans;
  std::vector<Proc> procs;
  std::vector<Region> regionScratch;
  std::vector<uint64_t> argScratch;
  std::vector<TaskId> depScratch;

  Impl(const Plan& p, PlanRunConfig c) : plan(p), cfg(std::move(c)), eng(cfg.engine) {}

  ExprEnv env(const Proc& pr) const {
    return ExprEnv{symbols.data(), symbols.size(), slots.data(), slots.size(), pr.vars.data(), pr.vars.size()};
  }
  int64_t eval(const Proc& pr, const Expr& e) const { return evalExpr(e, env(pr)); }

  Step step(uint32_t p);
  Step runCall(uint32_t p, Proc& pr, const PlanNode& call, TaskId* out, uint64_t* finish);
  Step boundary(uint32_t p, Proc& pr, Frame& f);
  void finishProcess(uint32_t p);
  void slotLoad(uint32_t p, Proc& pr, const PlanNode& n);
  Region viewRegion(const Proc& pr, const PlanView& v, Access mode, std::vector<int64_t>* lo) const;
};

Region PlanInterpreter::Impl::viewRegion(const Proc& pr, const PlanView& v, Access mode,
                                         std::vector<int64_t>* lo) const {
  Region r;
  r.tensor = v.tensor;
  r.rank = static_cast<uint8_t>(v.offsets.size());
  r.mode = mode;
  for (size_t d = 0; d < v.offsets.size(); ++d) {
    r.lo[d] = eval(pr, v.offsets[d]);
    r.hi[d] = r.lo[d] + v.extents[d];
    if (lo) lo->push_back(r.lo[d]);
    const auto& shape = plan.tensors[v.tensor].shape;
    if (d < shape.size() && (r.lo[d] < 0 || r.hi[d] > shape[d]))
      throw UserError(makeError({}, fmt::format("view of tensor '{}' is out of bounds in dim {}: [{}, {}) of {}",
                                                plan.tensors[v.tensor].name, d, r.lo[d], r.hi[d], shape[d]))
                          .help("check the view's offset expressions and the symbols/slots they read"));
  }
  return r;
}

// Issues one Call node. Blocked leaves no trace.
Step PlanInterpreter::Impl::runCall(uint32_t p, Proc& pr, const PlanNode& n, TaskId* out, uint64_t* finish) {
  const PlanKernel& k = plan.kernels[n.kernel];
  regionScratch.clear();
  argScratch.clear();
  size_t vi = 0, si = 0;
  std::vector<int64_t> lo;
  for (const PlanParam& pa : k.params) {
    if (pa.kind == ParamKind::Scalar) {
      argScratch.push_back(static_cast<uint64_t>(eval(pr, n.scalars[si++])));
      continue;
    }
    const PlanView& v = n.views[vi++];
    Access m = pa.kind == ParamKind::In ? Access::Read : pa.kind == ParamKind::Out ? Access::Write : Access::ReadWrite;
    lo.clear();
    regionScratch.push_back(viewRegion(pr, v, m, &lo));
    const PlanTensor& t = plan.tensors[v.tensor];
    uint64_t base = 0;
    if (v.tensor < cfg.tensorBase.size() && cfg.tensorBase[v.tensor]) {
      int64_t off = 0;
      for (size_t d = 0; d < lo.size() && d < t.strides.size(); ++d) off += lo[d] * t.strides[d];
      base = reinterpret_cast<uint64_t>(static_cast<char*>(cfg.tensorBase[v.tensor]) + off * t.elemBytes);
    }
    const size_t r = t.strides.size();
    argScratch.push_back(base);
    argScratch.push_back(static_cast<uint64_t>(r >= 2 ? t.strides[r - 2] : 0));
    argScratch.push_back(static_cast<uint64_t>(r >= 1 ? t.strides[r - 1] : 1));
  }
  KernelBinding kb;
  if (k.fnIndex < cfg.kernels.size()) kb = cfg.kernels[k.fnIndex];
  uint64_t cycles = kb.cycles ? kb.cycles(argScratch.data(), static_cast<uint32_t>(argScratch.size())) : k.cost;
  depScratch.clear();
  for (const Frame& f : pr.stack)
    if (f.seqFrame && f.prevJoin) depScratch.push_back(*f.prevJoin);
  IssueResult res = eng.tryIssue(p, {.kernel = n.kernel,
                                     .fn = kb.fn,
                                     .args = argScratch,
                                     .regions = regionScratch,
                                     .deps = depScratch,
                                     .cycles = cycles,
                                     .dispatchKey = static_cast<uint64_t>(eval(pr, n.dispatchKey))});
  if (res.status == IssueStatus::Blocked) {
    pr.blockedOnEngine = true;
    pr.blockedRes = res.blockedOn;
    pr.blockedMinimal = res.minimalCapacity;
    pr.waitsOn = fmt::format("{} full, held until an open scope ends (issuing kernel '{}')",
                             resourceName(res.blockedOn), k.name);
    return Step::Blocked;
  }
  for (Frame& f : pr.stack)
    if (f.seqFrame) f.collected.push_back(res.task.id);
  if (out) *out = res.task.id;
  if (finish) *finish = res.task.finish;
  return Step::Acted;
}

// Between two children/iterations of a seq frame: later tasks wait for all earlier ones.
Step PlanInterpreter::Impl::boundary(uint32_t p, Proc& pr, Frame& f) {
  if (f.collected.size() == 1) {
    f.prevJoin = f.collected[0];
  } else if (f.collected.size() > 1) {
    IssueResult r = eng.tryIssue(p, {.deps = f.collected, .structural = true});
    if (r.status == IssueStatus::Blocked) {
      pr.blockedOnEngine = true;
      pr.blockedRes = r.blockedOn;
      pr.blockedMinimal = r.minimalCapacity;
      pr.waitsOn = fmt::format("{} full, held until an open scope ends (sequential join)",
                             resourceName(r.blockedOn));
      return Step::Blocked;
    }
    f.prevJoin = r.task.id;  // enclosing seq frames already hold the joined tasks
  }
  f.collected.clear();
  f.boundaryPending = false;
  return Step::Acted;
}

void PlanInterpreter::Impl::finishProcess(uint32_t p) {
  Proc& pr = procs[p];
  pr.finished = true;
  for (uint32_t c : pr.produces) {
    Channel& ch = chans[c];
    if (ch.producersLeft > 0 && --ch.producersLeft == 0) ch.closed = true;
  }
}

// Runs process p until it performs one action (issue / send / take), blocks or ends.
// A Blocked return leaves the frame stack as it was, so the step is retried later.
Step PlanInterpreter::Impl::step(uint32_t p) {
  Proc& pr = procs[p];
  pr.blockedOnEngine = false;
  pr.blockedChannel = -1;
  auto engineBlocked = [&](const IssueResult& r, const std::string& what) {
    pr.blockedOnEngine = true;
    pr.blockedRes = r.blockedOn;
    pr.blockedMinimal = r.minimalCapacity;
    pr.waitsOn = fmt::format("{} full, held until an open scope ends ({})", resourceName(r.blockedOn), what);
    return Step::Blocked;
  };
  for (;;) {
    if (pr.stack.empty()) {
      finishProcess(p);
      return Step::Finished;
    }
    // Bounded memory: fold any seq frame's collected tasks into one structural join.
    for (Frame& o : pr.stack)
      if (o.seqFrame && o.collected.size() >= kJoinFold) {
        IssueResult r = eng.tryIssue(p, {.deps = o.collected, .structural = true});
        if (r.status == IssueStatus::Blocked) return engineBlocked(r, "sequential join");
        o.collected.assign(1, r.task.id);
      }
    Frame& f = pr.stack.back();
    const PlanNode& n = *f.node;
    auto pushChild = [&](const PlanNode& c) {
      Frame nf;
      nf.node = &c;
      pr.stack.push_back(std::move(nf));
    };
    if (f.boundaryPending) {
      if (boundary(p, pr, f) == Step::Blocked) return Step::Blocked;
      continue;
    }
    const NodeKind kind = f.listOnly ? NodeKind::Combine : n.kind;
    switch (kind) {
      case NodeKind::Call: {
        Step s = runCall(p, pr, n, nullptr, nullptr);
        if (s == Step::Acted) pr.stack.pop_back();
        return s;
      }
      case NodeKind::Send: {
        Channel& ch = chans[n.channel];
        if (ch.closed)
          throw UserError(makeError({}, fmt::format("send on closed channel '{}' in process '{}'", ch.def->name,
                                                    pr.def->name))
                              .help("a channel closes when its last producer ends; send before that"));
        const uint32_t cap = ch.def->capacity;
        if (ch.sent - ch.consumed >= cap) {
          pr.blockedChannel = n.channel;
          pr.blockedFull = true;
          pr.waitsOn = fmt::format("channel '{}' full ({} of {} tokens)", ch.def->name, ch.sent - ch.consumed, cap);
          return Step::Blocked;
        }
        // The slot this token takes was freed when its previous token was consumed.
        eng.advanceTo(p, ch.consumeTimes[ch.sent % cap]);
        TaskId id = 0;
        uint64_t fin = 0;
        Step s = runCall(p, pr, n.children[0], &id, &fin);
        if (s != Step::Acted) return s;
        int64_t value = n.expr.code.empty() ? static_cast<int64_t>(id) : eval(pr, n.expr);
        ch.tokens.push_back({value, fin + ch.def->latency});
        ++ch.sent;
        pr.stack.pop_back();
        return Step::Acted;
      }
      case NodeKind::Consume: {  // the body of the previous token (if any) has finished
        Channel& ch = chans[n.channel];
        if (ch.tokens.empty()) {
          if (ch.closed) {
            pr.stack.pop_back();
            continue;
          }
          pr.blockedChannel = n.channel;
          pr.blockedFull = false;
          pr.waitsOn = ch.producers == 0
                           ? fmt::format("channel '{}' empty (no process produces it)", ch.def->name)
                           : fmt::format("channel '{}' empty", ch.def->name);
          return Step::Blocked;
        }
        Token tk = ch.tokens.front();
        ch.tokens.pop_front();
        eng.advanceTo(p, tk.time);
        ch.consumeTimes[ch.consumed % ch.def->capacity] = eng.localTime(p);
        ++ch.consumed;
        pr.vars[n.var] = tk.value;
        Frame body;
        body.node = &n;
        body.listOnly = true;  // the consume body runs as a Combine of its children
        pr.stack.push_back(std::move(body));
        return Step::Acted;
      }
      case NodeKind::Combine:
      case NodeKind::Seq:
      case NodeKind::Scope: {
        if (!f.entered) {
          f.entered = true;
          f.seqFrame = kind == NodeKind::Seq;
          if (kind == NodeKind::Scope) eng.scopeBegin(p);
        }
        if (f.idx < n.children.size()) {
          if (f.seqFrame && f.idx > 0 && f.boundaryBefore != static_cast<int64_t>(f.idx)) {
            f.boundaryBefore = static_cast<int64_t>(f.idx);
            f.boundaryPending = true;
            continue;
          }
          pushChild(n.children[f.idx++]);
          continue;
        }
        if (kind == NodeKind::Scope) eng.scopeEnd(p);
        pr.stack.pop_back();
        continue;
      }
      case NodeKind::Loop: {
        if (!f.entered) {
          f.entered = true;
          f.seqFrame = n.loopKind == LoopKind::Sequential;
          f.extent = n.axis == AxisKind::Sparse ? static_cast<int64_t>(n.indices.size()) : eval(pr, n.expr);
          if (f.extent < 0)
            throw UserError(makeError({}, fmt::format("loop extent is {} in process '{}'", f.extent, pr.def->name))
                                .help("a loop extent (symbol, slot or ragged length) must be >= 0"));
        }
        if (n.children.empty()) {
          pr.stack.pop_back();
          continue;
        }
        if (f.idx == n.children.size()) {  // iteration done
          ++f.iter;
          f.idx = 0;
          f.iterStarted = false;
        }
        if (f.iter >= f.extent) {
          pr.stack.pop_back();
          continue;
        }
        if (!f.iterStarted) {
          if (f.seqFrame && f.iter > 0 && f.boundaryBefore != f.iter) {
            f.boundaryBefore = f.iter;
            f.boundaryPending = true;
            continue;
          }
          pr.vars[n.var] = n.axis == AxisKind::Sparse ? n.indices[static_cast<size_t>(f.iter)] : f.iter;
          f.iterStarted = true;
        }
        pushChild(n.children[f.idx++]);
        continue;
      }
      case NodeKind::Sel:
      case NodeKind::Cond: {
        if (f.entered) {
          pr.stack.pop_back();
          continue;
        }
        f.entered = true;
        int64_t v = eval(pr, n.expr);
        int64_t chosen = -1;
        if (kind == NodeKind::Cond) {
          chosen = v != 0 ? 0 : (n.children.size() > 1 ? 1 : -1);
        } else {
          if (v < 0 || static_cast<size_t>(v) >= n.children.size())
            throw UserError(makeError({}, fmt::format("sel index {} out of range ({} alternatives) in process '{}'", v,
                                                      n.children.size(), pr.def->name))
                                .help("the selector expression must be in [0, number of alternatives)"));
          chosen = v;
        }
        if (chosen >= 0 && static_cast<size_t>(chosen) < n.children.size())
          pushChild(n.children[static_cast<size_t>(chosen)]);
        continue;
      }
      case NodeKind::SlotSet:
        slots[n.slot] = static_cast<uint64_t>(eval(pr, n.expr));
        pr.stack.pop_back();
        continue;
      case NodeKind::SlotLoad: {
        slotLoad(p, pr, n);
        pr.stack.pop_back();
        continue;
      }
    }
    PTO_UNREACHABLE("unhandled plan node kind {}", static_cast<int>(n.kind));
  }
}

// slot = element (row, col) of the view (rank-1 views: col indexes it), once its writer
// has finished (semantic time and host).
void PlanInterpreter::Impl::slotLoad(uint32_t p, Proc& pr, const PlanNode& n) {
  Region r = viewRegion(pr, n.views[0], Access::Read, nullptr);
  const int64_t row = eval(pr, n.row), col = eval(pr, n.col);
  Region e = r;
  const int dims = r.rank;
  for (int d = 0; d < dims; ++d) {
    int64_t off = 0;
    if (d == dims - 1) off = col;
    else if (d == dims - 2) off = row;
    e.lo[d] = r.lo[d] + off;
    e.hi[d] = e.lo[d] + 1;
    if (off < 0 || e.hi[d] > r.hi[d])
      throw UserError(makeError({}, fmt::format("slot_load element ({}, {}) is outside the view", row, col))
                          .help("row/col index the view, not the tensor"));
  }
  eng.awaitRegion(p, e);
  uint64_t val = slots[n.slot];  // dry run without memory: the slot keeps its value
  const PlanTensor& t = plan.tensors[r.tensor];
  if (r.tensor < cfg.tensorBase.size() && cfg.tensorBase[r.tensor]) {
    int64_t off = 0;
    for (int d = 0; d < dims && d < static_cast<int>(t.strides.size()); ++d) off += e.lo[d] * t.strides[d];
    val = 0;
    std::memcpy(&val, static_cast<const char*>(cfg.tensorBase[r.tensor]) + off * t.elemBytes,
                std::min<size_t>(t.elemBytes, 8));
  }
  slots[n.slot] = val;
}

EngineConfig engineConfigFor(const PlanSchedule& s) {
  EngineConfig c;
  c.numWorkers = s.workers;
  c.dispatch = s.dispatch;
  c.issueCycles = s.issueCycles;
  c.syncLatency = s.syncLatency;
  c.taskWindow = s.taskWindow;
  c.tensorMapCapacity = s.tensorMapCapacity;
  c.depListCapacity = s.depListCapacity;
  c.readyQueueCapacity = s.readyQueueCapacity;
  c.heapBytes = s.heapBytes;
  c.maxScopeDepth = s.maxScopeDepth;
  return c;
}

PlanInterpreter::PlanInterpreter(const Plan& plan, PlanRunConfig cfg) {
  std::string err = validatePlan(plan);
  if (!err.empty())
    throw UserError(makeError({}, "malformed plan: " + err).help("regenerate the plan with the compiler"));
  if (plan.processes.empty())
    throw UserError(makeError({}, "plan has no process").help("a plan needs at least the main process"));
  impl_ = std::make_unique<Impl>(plan, std::move(cfg));
  Impl& m = *impl_;
  m.symbols.resize(plan.symbols.size());
  for (size_t i = 0; i < plan.symbols.size(); ++i)
    m.symbols[i] = i < m.cfg.symbols.size() ? m.cfg.symbols[i] : plan.symbols[i].defaultValue;
  m.slots.assign(plan.slots.size(), 0);
  for (size_t i = 0; i < plan.slots.size() && i < m.cfg.slots.size(); ++i) m.slots[i] = m.cfg.slots[i];
  m.chans.resize(plan.channels.size());
  for (size_t c = 0; c < plan.channels.size(); ++c) {
    m.chans[c].def = &plan.channels[c];
    m.chans[c].consumeTimes.assign(plan.channels[c].capacity, 0);
  }
  m.procs.resize(plan.processes.size());
  for (size_t p = 0; p < plan.processes.size(); ++p) {
    Proc& pr = m.procs[p];
    pr.def = &plan.processes[p];
    pr.root.kind = NodeKind::Combine;
    pr.root.children = pr.def->body;
    pr.vars.assign(pr.def->numVars, 0);
    collectSends(pr.root, pr.produces);
    for (uint32_t c : pr.produces) {
      ++m.chans[c].producers;
      ++m.chans[c].producersLeft;
    }
    if (p > 0) m.eng.addProcess(pr.def->name);
  }
  // A channel nobody produces never closes: its consumers block and the run reports a
  // deadlock naming it, rather than silently skipping the consume.
  for (Proc& pr : m.procs) {
    Frame f;
    f.node = &pr.root;
    pr.stack.push_back(std::move(f));
  }
}

PlanInterpreter::~PlanInterpreter() = default;
Engine& PlanInterpreter::engine() { return impl_->eng; }

PlanRunResult PlanInterpreter::run() {
  Impl& m = *impl_;
  PlanRunResult res;
  std::vector<uint32_t> order;
  for (;;) {
    order.clear();
    for (uint32_t p = 0; p < m.procs.size(); ++p)
      if (!m.procs[p].finished) order.push_back(p);
    if (order.empty()) break;
    std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
      uint64_t ta = m.eng.localTime(a), tb = m.eng.localTime(b);
      return ta != tb ? ta < tb : a < b;
    });
    bool progressed = false;
    for (uint32_t p : order) {
      Step s = m.step(p);
      if (s != Step::Blocked) {
        progressed = true;
        break;
      }
    }
    if (progressed) continue;
    // Deadlock in semantic time: nobody can act, and every issued task's time is known.
    DeadlockReport rep = m.eng.resourceReport();
    for (uint32_t p : order) {
      const Proc& pr = m.procs[p];
      rep.blocked.push_back({p, pr.def->name, m.eng.localTime(p), pr.waitsOn});
      if (pr.blockedOnEngine) {
        rep.knobs.push_back({resourceKnob(pr.blockedRes), rep.resources[static_cast<size_t>(pr.blockedRes)].capacity,
                             pr.blockedMinimal});
      } else if (pr.blockedChannel >= 0 && pr.blockedFull) {
        const Channel& ch = m.chans[static_cast<size_t>(pr.blockedChannel)];
        rep.knobs.push_back({fmt::format("channel {} capacity", ch.def->name), ch.def->capacity,
                             ch.def->capacity + 1u});
      }
    }
    res.ok = false;
    res.deadlock = std::move(rep);
    break;
  }
  if (res.ok) m.eng.drain();
  res.stats = m.eng.stats();
  res.slots = m.slots;
  for (uint32_t p = 0; p < m.procs.size(); ++p) res.processTime.push_back(m.eng.localTime(p));
  return res;
}

PlanRunResult PlanInterpreter::runOrThrow() {
  PlanRunResult r = run();
  if (!r.ok) throw DeadlockError(*r.deadlock);
  return r;
}

}  // namespace pto::wsp::rt
