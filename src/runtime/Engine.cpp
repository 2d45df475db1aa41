// Engine: construction, scopes, waits, physical pops, drain (the issue path is in
// EngineIssue.cpp).
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

[[noreturn]] void configError(const std::string& what, const std::string& help) {
  throw UserError(makeError({}, what).help(help));
}

// The Engine's tables are sized by the schedule up front (resource-bounded by
// construction): one task record per task_window slot, one entry per TensorMap pool
// entry, a ready queue per worker.
Diagnostic poolsTooLarge(const EngineConfig& cfg) {
  const abi::ScheduleConfig& s = cfg.schedule;
  const uint64_t ring = std::bit_ceil(uint64_t{s.taskWindow}) * sizeof(Rec);
  const uint64_t tmap = std::bit_ceil(uint64_t{s.tensorMapCapacity}) * 64;
  const uint64_t queues =
      uint64_t{s.workers} * std::bit_ceil(uint64_t{std::min(s.readyQueueCapacity, s.taskWindow)} + 1) * 8;
  return makeError({}, fmt::format("the schedule's tables do not fit in memory: {} {} needs {} bytes of task records, "
                                   "{} {} needs {} bytes of entries, {} ready queues need {} bytes",
                                   knobInfo(ScheduleKnob::TaskWindow).name, s.taskWindow, ring,
                                   knobInfo(ScheduleKnob::PoolTensorMap).name, s.tensorMapCapacity, tmap, s.workers,
                                   queues))
      .help("lower the largest of them: each sizes a table allocated when the run starts");
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
  try {
    impl_ = std::make_unique<Impl>(cfg);
    Impl& m = *impl_;
    m.policy = std::move(policy);
    m.owner = this;
    m.chooseIssue();
    for (int i = 0; i < 4; ++i) {
      tryIssueFn_[i] = m.tryIssueFn[i];
      issueFn_[i] = m.issueFn[i];
    }
    uint64_t rs = std::bit_ceil(uint64_t{cfg.schedule.taskWindow});
    m.ring.resize(rs);
    if (cfg.traceWriter) m.traceRing.resize(rs);
    m.ringMask = rs - 1;
    m.preds.grow(1);  // the issue path lists a lone producer without a check
    m.procs.push_back(Proc{"main", 0, {}});
    m.numProcs = 1;
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
  } catch (const std::bad_alloc&) {
    impl_.reset();
    throw UserError(poolsTooLarge(cfg));
  }
}

Engine::~Engine() {
  // After a host deadlock the stuck kernel would only make this drain wait for the
  // watchdog again; the sink's own destruction deals with it.
  if (impl_ && impl_->cfg.sink && !impl_->drained && !impl_->hostStalled) impl_->cfg.sink->drain();
}

const EngineConfig& Engine::config() const { return impl_->cfg; }

ProcessId Engine::addProcess(std::string name) {
  impl_->procs.push_back(Proc{std::move(name), 0, {}});
  impl_->numProcs = static_cast<uint32_t>(impl_->procs.size());
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
  const Rec& r = rec(popHead);
  if (r.traceIdx != kNoTrace) {  // a traced task: its record is complete now
    fetchHostTimes(popHead);
    streamTrace(popHead);
  }
  tmap.releaseBefore(r.eidEnd);
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

void Engine::scopeBegin(ProcessId p) {
  Impl& m = *impl_;
  Proc& P = m.procs.at(p);
  if (P.scopes.size() >= m.cfg.schedule.maxScopeDepth)
    throw UserError(makeError({}, fmt::format("scope depth {} exceeds the limit {} in process '{}'",
                                              P.scopes.size() + 1, m.cfg.schedule.maxScopeDepth, P.name))
                        .help(fmt::format("raise {} to at least {} or nest fewer scopes", knobInfo(ScheduleKnob::ScopeDepth).name,
                                          P.scopes.size() + 1)));
  P.scopes.push_back({m.nextScope++, m.tail});
  ++m.openScopes;
}

void Engine::scopeEnd(ProcessId p) {
  Impl& m = *impl_;
  Proc& P = m.procs.at(p);
  if (P.scopes.empty())
    throw UserError(makeError({}, fmt::format("scope end without a scope begin in process '{}'", P.name))
                        .help("pair every scope end with an earlier scope begin"));
  ScopeRec s = P.scopes.back();
  P.scopes.pop_back();
  --m.openScopes;
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
