// Engine: semantic clock, bounded resources, TensorMap deps, scopes, host hand-off.
// The model and the data structures are described in docs/runtime.md.
#include "pto/wsp/runtime/Engine.h"

#include "EngineImpl.h"
#include "pto/wsp/support/Assert.h"
#include "pto/wsp/support/Diagnostic.h"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <chrono>

namespace pto::wsp::rt {

uint64_t engineNowNs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

namespace {

// Tasks between two refreshes of the host watermark on the issue path.
constexpr TaskId kHostPollEvery = 64;

[[noreturn]] void configError(const std::string& what, const std::string& help) {
  throw UserError(makeError({}, what).help(help));
}
}  // namespace

Engine::Engine(const EngineConfig& cfg) {
  if (std::string bad = abi::checkSchedule(cfg.schedule); !bad.empty())
    configError(bad, "every schedule size must be within its bounds (docs/runtime.md, schedule config)");
  if (cfg.heapReserved > cfg.schedule.heapBytes)
    configError(fmt::format("{} bytes of the heap arena are reserved, but it has {}", cfg.heapReserved,
                            cfg.schedule.heapBytes),
                fmt::format("raise {} to at least {}", knobInfo(ScheduleKnob::PoolHeap).name, cfg.heapReserved));
  auto policy = DispatchRegistry::global().create(cfg.schedule.dispatch, cfg.schedule.workers);
  impl_ = std::make_unique<Impl>(cfg);
  Impl& m = *impl_;
  m.policy = std::move(policy);
  uint64_t rs = std::bit_ceil(uint64_t{cfg.schedule.taskWindow});
  m.ring.resize(rs);
  if (cfg.traceWriter) m.traceRing.resize(rs);
  m.ringMask = rs - 1;
  m.procs.push_back(Proc{"main", 0, {}});
  m.workerFree.assign(cfg.schedule.workers, 0);
  // A task waiting to start is unretired, so at most min(Q, window) can be queued.
  uint64_t qs = std::bit_ceil(uint64_t{std::min(cfg.schedule.readyQueueCapacity, cfg.schedule.taskWindow)} + 1);
  m.readyQs.resize(cfg.schedule.workers);
  for (auto& q : m.readyQs) {
    q.starts.resize(qs);
    q.mask = qs - 1;
  }
  m.st.workers.resize(cfg.schedule.workers);
  m.st.at(Resource::TaskRing).capacity = cfg.schedule.taskWindow;
  m.st.at(Resource::TensorMapPool).capacity = cfg.schedule.tensorMapCapacity;
  m.st.at(Resource::DepListPool).capacity = cfg.schedule.depListCapacity;
  m.st.at(Resource::HeapArena).capacity = cfg.schedule.heapBytes;
  m.st.at(Resource::HeapArena).highWater = cfg.heapReserved;
  m.taskHeap = cfg.schedule.heapBytes - cfg.heapReserved;
  m.st.at(Resource::ReadyQueue).capacity = cfg.schedule.readyQueueCapacity;
  m.st.dryRun = cfg.sink == nullptr;
  m.startNs = engineNowNs();
}

Engine::~Engine() {
  // After a host deadlock the stuck kernel would only make this drain wait for the
  // watchdog again; the sink's own destruction deals with it.
  if (impl_ && impl_->cfg.sink && !impl_->drained && !impl_->hostStalled) impl_->cfg.sink->drain();
}

const EngineConfig& Engine::config() const { return impl_->cfg; }

ProcessId Engine::addProcess(std::string name) {
  impl_->procs.push_back(Proc{std::move(name), 0, {}});
  return static_cast<ProcessId>(impl_->procs.size() - 1);
}
uint32_t Engine::numProcesses() const { return static_cast<uint32_t>(impl_->procs.size()); }
const std::string& Engine::processName(ProcessId p) const { return impl_->procs.at(p).name; }
uint64_t Engine::localTime(ProcessId p) const { return impl_->procs.at(p).time; }
void Engine::advanceTo(ProcessId p, uint64_t t) {
  Proc& P = impl_->procs.at(p);
  P.time = std::max(P.time, t);
}

void Engine::declareTensor(uint32_t tensor, std::span<const int64_t> grain) {
  impl_->tmap.setGrain(tensor, grain);
}

void Engine::Impl::hostDeadlock(ProcessId p, const char* during) {
  hostStalled = true;
  DeadlockReport r;
  r.clock = DeadlockReport::Clock::Host;
  r.tasksIssued = tail;
  r.inFlight = tail - popHead;
  if (cfg.sink) {
    const HostStallSnapshot snap = cfg.sink->stallSnapshot();
    r.hostSnapshot = snap.describe();
    for (const auto& k : snap.runningTasks) r.running.push_back({k.seq, k.hostThread, k.kernel, k.fn});
  }
  r.blocked.push_back({.process = p,
                       .name = procs[p].name,
                       .localTime = procs[p].time,
                       .waitsOn = fmt::format("host execution made no progress during {}", during)});
  throw DeadlockError(std::move(r));
}

void Engine::Impl::popPhysicalHost() {
  PTO_INTERNAL_ASSERT(popHead < semHead, "popping task {} before it retired (semHead {})", popHead,
                      semHead);
  if (cfg.sink && popHead >= hostDone) {
    hostDone = std::max(hostDone, cfg.sink->finishedBelow());
    if (popHead >= hostDone) {
      if (cfg.sink->waitFinished(popHead) == WaitStatus::Stalled)
        hostDeadlock(0, fmt::format("wait for task {}", popHead).c_str());
      hostDone = popHead + 1;
    }
  }
  fetchHostTimes(popHead);
  streamTrace(popHead);
  tmap.releaseBefore(rec(popHead).eidEnd);
  ++popHead;
}

// Host times are read while the task is still in the executor's ring (its window is
// >= ours): at the pop, or at drain for the tasks still present.
void Engine::Impl::fetchHostTimes(TaskId id) {
  const Rec& r = rec(id);
  if (!cfg.sink || r.traceIdx == kNoTrace) return;
  HostTaskTimes ht;
  if (!cfg.sink->hostTimes(id, ht)) return;
  auto put = [&](TraceRecord& tr) {
    tr.hostStartNs = ht.startNs;
    tr.hostEndNs = ht.endNs;
    tr.hostThread = ht.hostThread;
  };
  if (r.traceIdx != kStreamOnly) put(traceRecs[r.traceIdx]);
  if (cfg.traceWriter) put(traceRing[id & ringMask]);
}

// After fetchHostTimes: the record is complete, hand it to the writer.
void Engine::Impl::streamTrace(TaskId id) {
  if (cfg.traceWriter && rec(id).traceIdx != kNoTrace) cfg.traceWriter->add(traceRing[id & ringMask]);
}

void Engine::Impl::resolvePending() {
  while (pendingFrom < tail) {
    Rec& r = rec(pendingFrom);
    if (r.scope != 0) break;
    r.retire = std::max({r.finish, lastRetire, r.retire});  // retire held the scope end
    lastRetire = r.retire;
    ++pendingFrom;
  }
}

// The issue path. Writes the times into `out` (Issued) or the blocking resource into
// `res` (Blocked); every field is written explicitly because zero-initialising the
// ~100-byte result and Rec structs compiled to `rep stos`, a third of a task's cost.
IssueStatus Engine::Impl::issueTask(ProcessId p, const TaskDesc& t, TaskTimes& out,
                                    Resource& blockedRes, uint64_t& blockedMin) {
  Impl& m = *this;
  const EngineConfig& cfg = m.cfg;
  if (p >= m.procs.size())
    throw UserError(makeError({}, fmt::format("process {} does not exist ({} processes)", p,
                                              m.procs.size())));
  if (t.args.size() > abi::kMaxTaskArgs)
    throw UserError(makeError({}, fmt::format("task of kernel {} has {} argument words, the limit is {}",
                                              t.kernel, t.args.size(), abi::kMaxTaskArgs))
                        .help("split the kernel or pass fewer tile/scalar parameters"));
  for (TaskId d : t.deps)
    if (d >= m.tail)
      throw UserError(makeError({}, fmt::format("explicit dependency on task {}, which is not issued yet "
                                                "(next task is {})",
                                                d, m.tail))
                          .help("a task may only depend on earlier-issued tasks"));
  Proc& P = m.procs[p];
  const TaskId seq = m.tail;

  uint64_t needTmap = 0;
  for (const Region& r : t.regions) needTmap += m.tmap.cellsOf(r);  // validates too
  if (needTmap > cfg.schedule.tensorMapCapacity)
    throw UserError(makeError({}, fmt::format("task {} of kernel {} needs {} tensormap entries, the pool "
                                              "holds {}",
                                              seq, t.kernel, needTmap, cfg.schedule.tensorMapCapacity))
                        .help(fmt::format("raise {} to at least {}", knobInfo(ScheduleKnob::PoolTensorMap).name, needTmap)));
  if (t.heapBytes > m.taskHeap)
    throw UserError(makeError({}, fmt::format("task {} of kernel {} needs {} heap bytes, the arena holds {}{}",
                                              seq, t.kernel, t.heapBytes, cfg.schedule.heapBytes,
                                              cfg.heapReserved == 0
                                                  ? std::string()
                                                  : fmt::format(" of which {} are reserved for the whole run",
                                                                cfg.heapReserved)))
                        .help(fmt::format("raise {} to at least {}", knobInfo(ScheduleKnob::PoolHeap).name, cfg.heapReserved + t.heapBytes)));

  if (t.structural && (t.cycles != 0 || t.fn != nullptr))
    throw UserError(makeError({}, fmt::format("structural task {} has cycles {} or a kernel", seq, t.cycles))
                        .help("structural joins cost nothing and run nothing"));
  uint32_t w = 0;
  if (!t.structural) {
    DispatchContext ctx{seq, t.dispatchKey, t.kernel, m.workerFree};
    w = m.policy->pick(ctx);
    PTO_INTERNAL_ASSERT(w < cfg.schedule.workers, "policy {} picked worker {} of {}", m.policy->name(), w,
                        cfg.schedule.workers);
  }

  // --- resolve stalls at one instant t (attributed in a fixed resource order) ---------
  // A Blocked issue changes nothing: remember what the stall loops may advance.
  const TaskId semHead0 = m.semHead;
  const uint64_t bases0[3] = {m.baseTmap, m.baseDeps, m.baseHeap};
  ReadyQ& q = m.readyQs[w];
  const uint64_t qHead0 = q.head;
  const uint64_t heapHead0 = m.heapHead;
  auto blockedOn = [&](Resource r, uint64_t minimal) {
    m.heapHead = heapHead0;
    m.semHead = semHead0;
    m.baseTmap = bases0[0];
    m.baseDeps = bases0[1];
    m.baseHeap = bases0[2];
    q.head = qHead0;
    blockedRes = r;
    blockedMin = minimal;
    return IssueStatus::Blocked;
  };
  uint64_t t0 = P.time + cfg.schedule.issueCycles;
  m.advanceSem(t0);
  // Each resource stalls at most once per issue: a bit of `stalled` says which entries
  // of the (uninitialised) arrays are written.
  std::array<uint64_t, kNumResources> stallCycles, stallFrom;
  uint32_t stalled = 0;
  auto stallOn = [&](Resource r, uint64_t before, uint64_t after) {
    if (after > before) {
      stallCycles[static_cast<size_t>(r)] = after - before;
      stallFrom[static_cast<size_t>(r)] = before;
      stalled |= 1u << static_cast<uint32_t>(r);
    }
  };
  uint64_t tb = t0;
  while (m.tail - m.semHead + 1 > cfg.schedule.taskWindow)
    if (!m.retireOldest(t0)) return blockedOn(Resource::TaskRing, m.tail - m.pendingFrom + 1);
  stallOn(Resource::TaskRing, tb, t0);
  tb = t0;
  while (m.totTmap - m.baseTmap + needTmap > cfg.schedule.tensorMapCapacity)
    if (!m.retireOldest(t0))
      return blockedOn(Resource::TensorMapPool,
                       m.totTmap - m.cumBefore(m.pendingFrom, &Rec::cumTmap, m.baseTmap) + needTmap);
  stallOn(Resource::TensorMapPool, tb, t0);
  // Heap: a FIFO byte ring; a request that does not fit before the end wraps to 0 and
  // also holds the skipped tail.
  tb = t0;
  uint64_t heapOff = 0, heapFoot = 0;
  auto heapFit = [&] {
    if (m.totHeap == m.baseHeap) m.heapHead = 0;
    if (t.heapBytes == 0) {
      heapOff = m.heapHead;
      heapFoot = 0;
    } else if (m.heapHead + t.heapBytes <= m.taskHeap) {
      heapOff = m.heapHead;
      heapFoot = t.heapBytes;
    } else {
      heapOff = 0;
      heapFoot = m.taskHeap - m.heapHead + t.heapBytes;
    }
  };
  heapFit();
  while (m.totHeap - m.baseHeap + heapFoot > m.taskHeap) {
    if (!m.retireOldest(t0))
      return blockedOn(Resource::HeapArena,
                       cfg.heapReserved + m.totHeap -
                           m.cumBefore(m.pendingFrom, &Rec::cumHeap, m.baseHeap) + t.heapBytes);
    heapFit();
  }
  stallOn(Resource::HeapArena, tb, t0);
  tb = t0;
  while (q.size() && q.front() <= t0) ++q.head;
  while (!t.structural && q.size() >= cfg.schedule.readyQueueCapacity) {
    t0 = std::max(t0, q.front());
    ++q.head;
  }
  stallOn(Resource::ReadyQueue, tb, t0);
  m.advanceSem(t0);

  // --- dependencies: semantic = producers unretired at t0; host = physically present --
  auto& preds = m.predScratch;
  auto& buckets = m.bucketScratch;
  preds.clear();
  buckets.clear();
  // Semantic deps are the producers >= semHead; the host needs those it has not
  // finished yet (>= hostDone). Older entries are skipped: a chain walk stops at the
  // first one. hostDone is refreshed every few tasks (a poll costs a virtual call and
  // a probe of lines the workers wrote); a stale value only hands over more producers.
  if (cfg.sink && seq >= m.hostPollAt) {
    m.hostDone = std::max(m.hostDone, cfg.sink->finishedBelow());
    m.hostPollAt = seq + kHostPollEvery;
  }
  const TaskId minProd = cfg.sink ? std::min(m.semHead, std::max(m.hostDone, m.popHead)) : m.semHead;
  // Deduplicated with a stamp in the producer's record (every producer found is still
  // in the ring: live entries and minProd are >= popHead) instead of sorting: a
  // reduction finds each of its ~1000 producers twice. A stamp is this task's id
  // (low 32 bits; records live < 2^32 tasks); issues that fail afterwards unstamp.
  const uint32_t stamp = static_cast<uint32_t>(seq);
  auto addPred = [&](TaskId prod) {
    Rec& pr = m.rec(prod);
    if (pr.seen != stamp) {
      pr.seen = stamp;
      preds.push_back(prod);
    }
  };
  for (const Region& r : t.regions)
    m.tmap.forEachConflict(r, [&](TaskId prod, bool) { addPred(prod); }, minProd, &buckets);
  const auto dataPreds = static_cast<uint32_t>(preds.size());
  for (TaskId d : t.deps)
    if (d >= minProd) addPred(d);
  // The semantic deps are the producers >= semHead at the issue instant. The
  // DEPLIST_POOL stall below may retire some of them: those stop being deps (and stop
  // needing an entry), like a producer retired by any other stall.
  TaskId depFrom = m.semHead;
  uint64_t nDeps = 0;
  for (TaskId d : preds) nDeps += d >= depFrom ? 1 : 0;
  auto unstamp = [&] {
    for (TaskId d : preds) m.rec(d).seen = stamp - 1;
  };
  if (nDeps > cfg.schedule.depListCapacity) {
    unstamp();
    throw UserError(makeError({}, fmt::format("task {} of kernel {} has {} dependencies, the dep-list pool "
                                              "holds {}",
                                              seq, t.kernel, nDeps, cfg.schedule.depListCapacity))
                        .help(fmt::format("raise {} to at least {}", knobInfo(ScheduleKnob::PoolDepList).name, nDeps)));
  }
  tb = t0;
  // Retires the oldest live task (and every one retiring at the same instant: a
  // release exactly at t frees); a retiring producer of T leaves T's edge count.
  auto retireForDeps = [&] {
    if (m.semHead >= m.pendingFrom) return false;
    do {
      if (m.rec(m.semHead).seen == stamp) --nDeps;  // stamped = one of T's preds (>= depFrom here)
      t0 = std::max(t0, m.rec(m.semHead).retire);
      m.releaseSem();
    } while (m.semHead < m.pendingFrom && m.rec(m.semHead).retire <= t0);
    return true;
  };
  while (m.totDeps - m.baseDeps + nDeps > cfg.schedule.depListCapacity)
    if (!retireForDeps()) {
      unstamp();
      return blockedOn(Resource::DepListPool,
                       m.totDeps - m.cumBefore(m.pendingFrom, &Rec::cumDeps, m.baseDeps) + nDeps);
    }
  stallOn(Resource::DepListPool, tb, t0);
  depFrom = m.semHead;

  // --- commit ----------------------------------------------------------------------------
  while (m.tail - m.popHead >= cfg.schedule.taskWindow) m.popPhysical();
  while (m.tmap.used() + needTmap > cfg.schedule.tensorMapCapacity) m.popPhysical();

  uint64_t ready = 0;
  for (TaskId d : preds)
    if (d >= depFrom) ready = std::max(ready, m.rec(d).finish);
  // A structural join adds no sync latency: its dependents add it once.
  if (nDeps != 0 && !t.structural) ready += cfg.schedule.syncLatency;
  out.id = seq;
  out.worker = w;
  out.issue = t0;
  out.ready = ready;
  out.start = std::max({t0, ready, t.structural ? 0 : m.workerFree[w]});
  out.finish = out.start + t.cycles;
  out.heapOffset = cfg.heapReserved + heapOff;
  out.numDeps = static_cast<uint32_t>(nDeps);
  if (!t.structural) m.workerFree[w] = out.finish;
  m.maxFinish = std::max(m.maxFinish, out.finish);
  P.time = t0;

  const uint64_t* bucket = buckets.data();
  for (const Region& r : t.regions) bucket = m.tmap.insertValidated(r, seq, bucket);
  m.totTmap += needTmap;
  m.totDeps += nDeps;
  m.totHeap += heapFoot;
  if (heapFoot) m.heapHead = heapOff + t.heapBytes;

  Rec& r = m.rec(seq);
  r.finish = out.finish;
  r.retire = 0;
  r.cumTmap = m.totTmap;
  r.cumDeps = m.totDeps;
  r.cumHeap = m.totHeap;
  r.eidEnd = m.tmap.nextEntryId();
  r.traceIdx = kNoTrace;
  r.seen = stamp;
  r.scope = 0;
  r.process = p;
  const bool wasNonePending = m.pendingFrom == seq;
  m.tail = seq + 1;
  if (!P.scopes.empty()) {
    r.scope = P.scopes.back().serial;
  } else if (wasNonePending) {
    r.retire = std::max(out.finish, m.lastRetire);
    m.lastRetire = r.retire;
    m.pendingFrom = m.tail;
  }
  if (!t.structural && out.start > out.issue) q.starts[q.tail++ & q.mask] = out.start;

  // --- stats, trace, timeline hash ---------------------------------------------------
  RunStats& st = m.st;
  ++st.tasks;
  m.lastStall = -1;
  for (uint32_t bits = stalled; bits != 0; bits &= bits - 1) {  // in resource order
    const auto i = static_cast<size_t>(std::countr_zero(bits));
    ++st.resources[i].stalls;
    st.resources[i].stallCycles += stallCycles[i];
    m.lastStall = static_cast<int>(i);
    if (cfg.traceWriter) cfg.traceWriter->addStall(static_cast<Resource>(i), p, seq, stallFrom[i], stallCycles[i]);
  }
  auto hw = [&](Resource res, uint64_t v) {
    auto& h = st.at(res).highWater;
    h = std::max(h, v);
  };
  hw(Resource::TaskRing, m.tail - m.semHead);
  hw(Resource::TensorMapPool, m.totTmap - m.baseTmap);
  hw(Resource::DepListPool, m.totDeps - m.baseDeps);
  hw(Resource::HeapArena, m.heapInUse());
  hw(Resource::ReadyQueue, q.size());
  ++(t.structural ? st.joins : st.kernelTasks);
  if (!t.structural) {
    st.workers[w].tasks++;
    st.workers[w].busyCycles += t.cycles;
  }
  // Order-sensitive digest of (seq, kernel, worker, issue, start, finish): the fields
  // are mixed independently (parallel multiplies), then one multiply-xorshift step
  // chains them (XXH3 per task costs ~15 ns); finalised with XXH3 in stats().
  const uint64_t line = (seq * 0x9e3779b97f4a7c15ull) ^ (((uint64_t{t.kernel} << 32) | w) * 0xc2b2ae3d27d4eb4full) ^
                        (out.issue * 0x165667b19e3779f9ull) ^ (out.start * 0xd6e8feb86659fd93ull) ^
                        ((out.finish + 0x27d4eb2f165667c5ull) * 0xff51afd7ed558ccdull);
  m.timeline = (m.timeline ^ line) * 0x9e3779b97f4a7c15ull;
  m.timeline ^= m.timeline >> 29;
  if (cfg.progress && (seq & (kProgressEvery - 1)) == 0) cfg.progress->store(seq, std::memory_order_relaxed);
  if (cfg.observer)
    cfg.observer->onIssue({.id = seq, .kernel = t.kernel, .worker = w, .process = p, .structural = t.structural,
                           .cycles = t.cycles, .issue = out.issue, .ready = out.ready, .start = out.start,
                           .finish = out.finish, .preds = preds, .depFrom = depFrom,
                           .dataPreds = dataPreds, .seqDeps = t.seqDeps});
  if (cfg.trace && !t.structural && m.traceRecs.size() < std::min<size_t>(cfg.traceCapacity, kStreamOnly)) {
    r.traceIdx = static_cast<uint32_t>(m.traceRecs.size());
    m.traceRecs.push_back({seq, t.kernel, w, p, 0, out.issue, out.start, out.finish, 0, 0});
  } else if (cfg.trace && !t.structural && m.st.traceDroppedTasks++ == 0) {
    m.st.traceFirstDroppedTask = seq;  // never silent: the trace and `ptowsp run` say so
  }
  if (cfg.traceWriter && !t.structural) {
    if (r.traceIdx == kNoTrace) r.traceIdx = kStreamOnly;
    m.traceRing[seq & m.ringMask] = {seq, t.kernel, w, p, 0, out.issue, out.start, out.finish, 0, 0};
  }

  if (cfg.sink) {
    HostTask ht;
    ht.seq = seq;
    ht.fn = t.fn;
    ht.args = t.args.data();
    ht.numArgs = static_cast<uint32_t>(t.args.size());
    // Only the producers the host may still be running (>= hostDone; unordered).
    if (m.hostDone <= minProd) {
      ht.preds = preds;
    } else {
      auto& open = m.hostScratch;
      open.clear();
      for (TaskId d : preds)
        if (d >= m.hostDone) open.push_back(d);
      ht.preds = open;
    }
    ht.worker = w;
    if (cfg.sink->submit(ht) == WaitStatus::Stalled)
      m.hostDeadlock(p, fmt::format("submit of task {}", seq).c_str());
  }
  return IssueStatus::Issued;
}

IssueResult Engine::tryIssue(ProcessId p, const TaskDesc& t) {
  IssueResult res;
  res.status = impl_->issueTask(p, t, res.task, res.blockedOn, res.minimalCapacity);
  return res;
}

TaskTimes Engine::issue(const TaskDesc& t, ProcessId p) {
  TaskTimes out;
  Resource blockedOn = Resource::TaskRing;
  uint64_t minimal = 0;
  if (impl_->issueTask(p, t, out, blockedOn, minimal) == IssueStatus::Issued) return out;
  DeadlockReport rep = resourceReport();
  const Impl& m = *impl_;
  const uint64_t cap = m.st.at(blockedOn).capacity;
  rep.blocked.push_back(
      {.process = p,
       .name = m.procs[p].name,
       .localTime = m.procs[p].time,
       .waitsOn = fmt::format("{} full: {} of {} held until an open scope ends (issuing task {} of kernel {})",
                              resourceName(blockedOn), occupancy(blockedOn), cap, m.tail, t.kernel)});
  rep.knobs.push_back({resourceKnob(blockedOn), cap, minimal});
  throw DeadlockError(std::move(rep));
}

void Engine::scopeBegin(ProcessId p) {
  Impl& m = *impl_;
  Proc& P = m.procs.at(p);
  if (P.scopes.size() >= m.cfg.schedule.maxScopeDepth)
    throw UserError(makeError({}, fmt::format("scope depth {} exceeds the limit {} in process '{}'",
                                              P.scopes.size() + 1, m.cfg.schedule.maxScopeDepth, P.name))
                        .help(fmt::format("raise {} to at least {} or nest fewer scopes", knobInfo(ScheduleKnob::ScopeDepth).name,
                                          P.scopes.size() + 1)));
  P.scopes.push_back({m.nextScope++, m.tail});
}

void Engine::scopeEnd(ProcessId p) {
  Impl& m = *impl_;
  Proc& P = m.procs.at(p);
  if (P.scopes.empty())
    throw UserError(makeError({}, fmt::format("scope end without a scope begin in process '{}'", P.name))
                        .help("pair every scope end with an earlier scope begin"));
  ScopeRec s = P.scopes.back();
  P.scopes.pop_back();
  for (TaskId id = std::max(s.beginSeq, m.pendingFrom); id < m.tail; ++id) {
    Rec& r = m.rec(id);
    if (r.scope == s.serial) {
      r.scope = 0;
      r.retire = P.time;  // the scope end; resolvePending turns it into the retire time
    }
  }
  m.resolvePending();
}

uint32_t Engine::scopeDepth(ProcessId p) const {
  return static_cast<uint32_t>(impl_->procs.at(p).scopes.size());
}

uint64_t Engine::awaitRegion(ProcessId p, const Region& r) {
  Impl& m = *impl_;
  Proc& P = m.procs.at(p);
  Region q = r;
  q.mode = Access::Read;  // conflicts of a read = earlier writers
  auto& ws = m.predScratch;
  ws.clear();
  m.tmap.forEachConflict(q, [&](TaskId prod, bool) { ws.push_back(prod); });
  for (TaskId id : ws) {
    P.time = std::max(P.time, m.rec(id).finish);
    if (m.cfg.sink && id >= m.hostDone && m.cfg.sink->waitFinished(id) == WaitStatus::Stalled)
      m.hostDeadlock(p, fmt::format("slot load waiting for task {}", id).c_str());
  }
  return P.time;
}

uint64_t Engine::awaitTask(ProcessId p, TaskId id) {
  Impl& m = *impl_;
  Proc& P = m.procs.at(p);
  if (id >= m.tail)
    throw UserError(makeError({}, fmt::format("wait for task {}, which is not issued yet", id)));
  if (id >= m.popHead) {
    P.time = std::max(P.time, m.rec(id).finish);
    if (m.cfg.sink && id >= m.hostDone && m.cfg.sink->waitFinished(id) == WaitStatus::Stalled)
      m.hostDeadlock(p, fmt::format("wait for task {}", id).c_str());
  }
  return P.time;
}

uint64_t Engine::finishTime(TaskId id) const {
  const Impl& m = *impl_;
  if (id >= m.popHead && id < m.tail) return m.rec(id).finish;
  return id < m.popHead ? m.lastRetire : 0;
}

void Engine::drain() {
  Impl& m = *impl_;
  for (ProcessId p = 0; p < m.procs.size(); ++p)
    while (!m.procs[p].scopes.empty()) scopeEnd(p);
  if (m.cfg.sink && !m.drained) {
    if (m.cfg.sink->drain() == WaitStatus::Stalled) m.hostDeadlock(0, "drain");
    if (m.cfg.trace || m.cfg.traceWriter)
      for (TaskId id = m.popHead; id < m.tail; ++id) m.fetchHostTimes(id);
  }
  if (m.cfg.traceWriter && !m.drained)
    for (TaskId id = m.popHead; id < m.tail; ++id) m.streamTrace(id);
  if (m.cfg.progress) m.cfg.progress->store(m.tail, std::memory_order_relaxed);
  m.drained = true;
  m.st.hostWallNs = engineNowNs() - m.startNs;
}

}  // namespace pto::wsp::rt
