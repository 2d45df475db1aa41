// PlanInterpreter: processes as resumable frame stacks over plan nodes, scheduled by
// smallest local time; CSP channels; structural (seq) joins; deadlock reports.
#include "PlanInterpreterImpl.h"

#include "pto/wsp/support/Assert.h"
#include "pto/wsp/support/Diagnostic.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>

namespace pto::wsp::rt {

namespace {
void collectSends(const PlanNode& n, std::vector<uint32_t>& out) {
  if (n.kind == NodeKind::Send && std::find(out.begin(), out.end(), n.channel) == out.end())
    out.push_back(n.channel);
  for (const auto& c : n.children) collectSends(c, out);
}
}  // namespace

SourceLoc PlanInterpreter::Impl::frameLoc(const Proc& pr) const {
  if (pr.callNode != nullptr && pr.callNode->loc != 0) return plan.locations.at(pr.callNode->loc);
  for (size_t i = pr.stack.size(); i-- > 0;)
    if (pr.stack[i].node != nullptr && pr.stack[i].node->loc != 0) return plan.locations.at(pr.stack[i].node->loc);
  return plan.locations.at(pr.def->loc != 0 ? pr.def->loc : plan.locations.workload);
}

void PlanInterpreter::Impl::locate(DeadlockReport& r) const {
  const PlanLocations& L = plan.locations;
  if (!r.loc.valid()) r.loc = L.at(L.workload);
  for (BlockedActor& b : r.blocked) {
    if (b.process < procs.size() && !b.loc.valid()) b.loc = frameLoc(procs[b.process]);
    if (!b.channel.empty() && !b.channelLoc.valid())
      for (const PlanChannel& c : plan.channels)
        if (c.name == b.channel) b.channelLoc = L.at(c.loc);
  }
  for (RunningKernel& k : r.running)
    for (const PlanKernel& pk : plan.kernels)
      if (k.fn != nullptr && pk.fnIndex < cfg.kernels.size() &&
          reinterpret_cast<const void*>(cfg.kernels[pk.fnIndex].fn) == k.fn) {
        k.name = pk.name;
        k.loc = L.at(pk.loc);
      }
}

Step PlanInterpreter::Impl::step(uint32_t p) {
  try {
    return stepNodes(p);
  } catch (const DeadlockError&) {
    throw;  // located by run()
  } catch (const UserError& e) {
    throwLocated(e, frameLoc(procs[p]));
  }
}


Step PlanInterpreter::Impl::boundaryJoin(uint32_t p, Proc& pr, Frame& f) {
  {
    IssueResult r = eng.tryIssue(p, {.deps = f.collected, .structural = true, .seqDeps = true});
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

// Bounded memory: any seq frame's collected tasks, once kJoinFold, fold into one
// structural join. Blocked leaves the folds not done yet due.
Step PlanInterpreter::Impl::foldJoins(uint32_t p, Proc& pr) {
  for (Frame& o : pr.stack)
    if (o.seqFrame && o.collected.size() >= kJoinFold) {
      IssueResult r = eng.tryIssue(p, {.deps = o.collected, .structural = true, .seqDeps = true});
      if (r.status == IssueStatus::Blocked) {
        pr.blockedOnEngine = true;
        pr.blockedRes = r.blockedOn;
        pr.blockedMinimal = r.minimalCapacity;
        pr.waitsOn = fmt::format("{} full, held until an open scope ends (sequential join)", resourceName(r.blockedOn));
        return Step::Blocked;
      }
      o.collected.assign(1, r.task.id);
    }
  pr.foldDue = false;
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
// A lone process has no other to yield to: after a call it goes on to its next action
// here instead of returning to runLoop, which would only check for a cancel (done here
// too, after every task) and step it again.
Step PlanInterpreter::Impl::stepNodes(uint32_t p) {
  Proc& pr = procs[p];
  const bool solo = procs.size() == 1;
  pr.blockedOnEngine = false;
  pr.blockedChannel = -1;
  for (;;) {
    if (pr.stack.empty()) {
      finishProcess(p);
      return Step::Finished;
    }
    if (pr.foldDue && foldJoins(p, pr) == Step::Blocked) return Step::Blocked;
    Frame& f = pr.stack.back();
    const PlanNode& n = *f.node;
    auto pushChild = [&](const PlanNode& c) {
      Frame nf;
      nf.node = &c;
      pr.stack.push_back(std::move(nf));
    };
    // The next child of a Loop / Combine / Seq / Scope frame. A Call runs from its
    // parent's frame instead of one of its own (a frame per task was a tenth of a dry
    // run's cost): nothing between the push and the call could change, a Blocked call
    // leaves the parent as it was (the retry reaches the same call again), and
    // pr.callNode keeps the call's location for errors and deadlock reports.
    auto enterChild = [&](const PlanNode& c, size_t& idx) __attribute__((always_inline)) -> std::optional<Step> {
      if (c.kind != NodeKind::Call) {
        ++idx;
        pushChild(c);
        return std::nullopt;
      }
      pr.callNode = &c;
      const Step s = runCall(p, pr, site(f, c), nullptr, nullptr);
      if (s == Step::Acted) {
        pr.callNode = nullptr;
        ++idx;
        if (solo && (cfg.cancel == nullptr || !cfg.cancel->load(std::memory_order_relaxed))) return std::nullopt;
      }
      return s;
    };
    if (f.boundaryPending) {
      if (boundary(p, pr, f) == Step::Blocked) return Step::Blocked;
      continue;
    }
    const NodeKind kind = f.listOnly ? NodeKind::Combine : n.kind;
    switch (kind) {
      case NodeKind::Call: {
        Step s = runCall(p, pr, site(f, n), nullptr, nullptr);
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
        if (const uint64_t freed = ch.consumeTimes[ch.sent % cap]; freed > eng.localTime(p)) {
          ++ch.prof.fullWaits;
          ch.prof.fullWaitCycles += freed - eng.localTime(p);
          eng.advanceTo(p, freed);
        }
        TaskId id = 0;
        uint64_t fin = eng.localTime(p);  // a value send: the token exists now
        if (!n.children.empty()) {
          Step s = runCall(p, pr, site(f, n.children[0]), &id, &fin);
          if (s != Step::Acted) return s;
        }
        int64_t value = n.expr.code.empty() ? static_cast<int64_t>(id) : eval(pr, n.expr);
        ch.tokens.push_back({value, fin + ch.def->latency, n.children.empty() ? pr.lastTask : id});
        ++ch.sent;
        ch.prof.highWater = std::max(ch.prof.highWater, ch.sent - ch.consumed);
        if (cfg.engine.traceWriter) cfg.engine.traceWriter->addChannel(n.channel, eng.localTime(p), ch.sent - ch.consumed);
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
                           ? fmt::format("channel '{}' empty (no process sends on it)", ch.def->name)
                           : fmt::format("channel '{}' empty", ch.def->name);
          return Step::Blocked;
        }
        Token tk = ch.tokens.front();
        ch.tokens.pop_front();
        if (tk.time > eng.localTime(p)) {
          ++ch.prof.emptyWaits;
          ch.prof.emptyWaitCycles += tk.time - eng.localTime(p);
          eng.advanceTo(p, tk.time);
        }
        if (tk.task != kNoTask) pr.cspFrom = tk.task;
        ch.consumeTimes[ch.consumed % ch.def->capacity] = eng.localTime(p);
        ++ch.consumed;
        if (cfg.engine.traceWriter) cfg.engine.traceWriter->addChannel(n.channel, eng.localTime(p), ch.sent - ch.consumed);
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
            if (boundary(p, pr, f) == Step::Blocked) return Step::Blocked;
          }
          if (std::optional<Step> s = enterChild(n.children[f.idx], f.idx)) return *s;
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
          f.extent = eval(pr, n.expr);
          if (f.extent < 0)
            throw UserError(makeError({}, fmt::format("loop extent is negative ({}) in process '{}'", f.extent,
                                                      pr.def->name))
                                .help("a loop extent (symbol, slot or ragged length) must be >= 0"));
        }
        if (n.children.empty()) {
          pr.stack.pop_back();
          continue;
        }
        if (solo && n.children.size() == 1 && n.children[0].kind == NodeKind::Call) {
          if (std::optional<Step> s = loopOfOneCall(p, pr, f)) return *s;
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
            if (boundary(p, pr, f) == Step::Blocked) return Step::Blocked;
          }
          pr.vars[n.var] = f.iter;
          if (!n.value.code.empty()) pr.vars[n.var] = eval(pr, n.value);
          f.iterStarted = true;
        }
        if (std::optional<Step> s = enterChild(n.children[f.idx], f.idx)) return *s;
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

PlanInterpreter::PlanInterpreter(const Plan& plan, PlanRunConfig cfg) {
  std::string err = validatePlan(plan);
  if (!err.empty())
    throw UserError(makeError({}, "malformed plan: " + err).help("regenerate the plan with the compiler"));
  if (plan.processes.empty())
    throw UserError(makeError({}, "plan has no process").help("a plan needs at least the main process"));
  std::vector<int64_t> symbols(plan.symbols.size());
  for (size_t i = 0; i < plan.symbols.size(); ++i)
    symbols[i] = i < cfg.symbols.size() ? cfg.symbols[i] : plan.symbols[i].defaultValue;
  std::vector<RunTensor> tensors = runTensors(plan, cfg, symbols);
  // Runtime-managed tensors the caller did not bind live for the whole run at the start
  // of the HEAP_ARENA: the Engine holds them as its reservation, tasks share the rest.
  uint64_t arenaUsed = 0;
  std::vector<uint64_t> arenaOffset(plan.tensors.size(), 0);
  for (size_t i = 0; i < plan.tensors.size(); ++i)
    if (plan.tensors[i].runtimeManaged && !tensors[i].base) {
      arenaOffset[i] = arenaUsed;
      arenaUsed += (tensors[i].bytes + 63) / 64 * 64;
    }
  const uint64_t heap = cfg.engine.schedule.heapBytes;
  const PlanLocations& L = plan.locations;
  if (arenaUsed > heap)
    throw UserError(makeError(L.at(L.poolHeap != 0 ? L.poolHeap : L.workload), fmt::format("runtime-managed tensors need {} bytes of the heap arena, which has {}",
                                              arenaUsed, heap))
                        .help(fmt::format("raise pool heap to at least {}", arenaUsed)));
  try {
    impl_ = std::make_unique<Impl>(plan, std::move(cfg), arenaUsed);
  } catch (const UserError& e) {  // the Engine's schedule tables: located at the workload
    throwLocated(e, plan.locations.at(plan.locations.workload));
  }
  Impl& m = *impl_;
  m.symbols = std::move(symbols);
  m.tensors = std::move(tensors);
  m.arenaUsed = arenaUsed;
  if (arenaUsed > 0) {
    // calloc: zeroed like a fresh device allocation, and untouched pages cost nothing.
    // 64 spare bytes align the arena start to a cache line, like the device heap.
    m.arena.reset(static_cast<char*>(std::calloc(1, arenaUsed + 64)));
    if (!m.arena)
      throw UserError(makeError(L.at(L.poolHeap != 0 ? L.poolHeap : L.workload),
                                fmt::format("cannot allocate {} bytes for runtime-managed tensors", arenaUsed))
                          .help("lower pool heap or bind the tensors' memory yourself"));
    char* start = m.arena.get() + (64 - reinterpret_cast<uintptr_t>(m.arena.get()) % 64) % 64;
    for (size_t i = 0; i < plan.tensors.size(); ++i)
      if (plan.tensors[i].runtimeManaged && !m.tensors[i].base) m.tensors[i].base = start + arenaOffset[i];
  }
  m.slots.assign(plan.slots.size(), 0);
  for (size_t i = 0; i < plan.slots.size(); ++i)
    m.slots[i] = i < m.cfg.slots.size() ? m.cfg.slots[i] : plan.slots[i].init;
  m.chans.resize(plan.channels.size());
  for (size_t c = 0; c < plan.channels.size(); ++c) {
    m.chans[c].def = &plan.channels[c];
    try {
      m.chans[c].consumeTimes.assign(plan.channels[c].capacity, 0);
    } catch (const std::bad_alloc&) {  // a consume time per token it can hold
      throw UserError(makeError(plan.locations.at(plan.channels[c].loc),
                                fmt::format("channel '{}' capacity {} needs {} bytes, which do not fit in memory",
                                            plan.channels[c].name, plan.channels[c].capacity,
                                            uint64_t{plan.channels[c].capacity} * 8))
                          .help("lower the channel's capacity"));
    }
  }
  m.procs.resize(plan.processes.size());
  if (m.cfg.replay) {
    m.replayOf.assign(plan.processes.size(), {});
    m.replayPos.assign(plan.processes.size(), 0);
    const std::vector<SlotLoad>& rep = *m.cfg.replay;
    for (size_t i = 0; i < rep.size(); ++i) {
      if (rep[i].process >= plan.processes.size() || rep[i].slot >= plan.slots.size())
        throw UserError(makeError({}, fmt::format("slot replay load {} names process {} and slot {}, but the plan "
                                                  "has {} processes and {} slots",
                                                  i, rep[i].process, rep[i].slot, plan.processes.size(),
                                                  plan.slots.size()))
                            .help("record the slots with the same package as the replaying run"));
      m.replayOf[rep[i].process].push_back(static_cast<uint32_t>(i));
    }
  }
  for (size_t p = 0; p < plan.processes.size(); ++p) {
    Proc& pr = m.procs[p];
    pr.id = static_cast<uint32_t>(p);
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
  for (const Proc& pr : m.procs) {
    std::vector<uint32_t> seq;
    m.compileSites(pr.root, pr, 0, seq);
  }
  for (CallSite& s : m.sites) {  // the sites' buffers no longer move
    s.desc.args = s.args;
    s.desc.regions = s.regions;
    m.linkPlainDims(s);
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
  try {
    return impl_->runLoop();
  } catch (DeadlockError& d) {  // the host watchdog fired
    DeadlockReport r = d.report();
    impl_->locate(r);
    throw DeadlockError(std::move(r));
  }
}

PlanRunResult PlanInterpreter::Impl::runLoop() {
  Impl& m = *this;
  PlanRunResult res;
  std::vector<uint32_t> order;
  for (;;) {
    if (m.cfg.cancel != nullptr && m.cfg.cancel->load(std::memory_order_relaxed)) {
      m.eng.drain();  // issued kernels touch caller memory: never return while one runs
      throw RunCancelled();
    }
    if (m.procs.size() == 1) {  // one process: no order to build per step
      if (m.procs[0].finished) break;
      if (m.step(0) != Step::Blocked) continue;
      order.assign(1, 0);
    } else {
      order.clear();
      for (uint32_t p = 0; p < m.procs.size(); ++p)
        if (!m.procs[p].finished) order.push_back(p);
      if (order.empty()) break;
      if (order.size() > 1)
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
    }
    // Deadlock in semantic time: nobody can act, and every issued task's time is known.
    DeadlockReport rep = m.eng.resourceReport();
    for (uint32_t p : order) {
      const Proc& pr = m.procs[p];
      rep.blocked.push_back(
          {.process = p,
           .name = pr.def->name,
           .localTime = m.eng.localTime(p),
           .waitsOn = pr.waitsOn,
           .channel = pr.blockedChannel >= 0 ? m.chans[static_cast<size_t>(pr.blockedChannel)].def->name
                                             : std::string()});
      if (pr.blockedOnEngine) {
        rep.knobs.push_back({resourceKnob(pr.blockedRes), rep.resources[static_cast<size_t>(pr.blockedRes)].capacity,
                             pr.blockedMinimal});
      } else if (pr.blockedChannel >= 0 && pr.blockedFull) {
        const Channel& ch = m.chans[static_cast<size_t>(pr.blockedChannel)];
        rep.knobs.push_back({fmt::format("channel {} capacity", ch.def->name), ch.def->capacity,
                             ch.def->capacity + 1u});
      }
    }
    m.locate(rep);
    res.ok = false;
    res.deadlock = std::move(rep);
    break;
  }
  if (res.ok && m.cfg.replay)
    for (size_t p = 0; p < m.procs.size(); ++p)
      if (m.replayPos[p] != m.replayOf[p].size())
        throw UserError(makeError({}, fmt::format("slot replay holds {} slot loads of process '{}', but this run "
                                                  "made {}",
                                                  m.replayOf[p].size(), plan.processes[p].name, m.replayPos[p]))
                            .help("record the slots with the same package, symbols and inputs as the replaying run"));
  if (res.ok) m.eng.drain();
  res.stats = m.eng.stats();
  res.slots = m.slots;
  for (const Channel& ch : m.chans) {
    ChannelProfile c = ch.prof;
    c.name = ch.def->name;
    c.capacity = ch.def->capacity;
    c.tokens = ch.sent;
    res.channels.push_back(std::move(c));
  }
  res.slotLoads = std::move(m.slotLoads);
  for (uint32_t p = 0; p < m.procs.size(); ++p) res.processTime.push_back(m.eng.localTime(p));
  return res;
}

PlanRunResult PlanInterpreter::runOrThrow() {
  PlanRunResult r = run();
  if (!r.ok) throw DeadlockError(*r.deadlock);
  return r;
}

}  // namespace pto::wsp::rt
