// Engine statistics, trace export and resource/deadlock reports (read-only views of
// the Engine's state; the issue path is in Engine.cpp).
#include "pto/wsp/runtime/Engine.h"

#include "EngineImpl.h"
#include "pto/wsp/support/Assert.h"
#include "pto/wsp/support/Hash.h"

#include <algorithm>

namespace pto::wsp::rt {

TaskId Engine::tasksIssued() const { return impl_->tail; }

RunStats Engine::stats() const {
  const Impl& m = *impl_;
  RunStats s = m.st;
  s.tasks = m.tail;  // every issued task is a kernel task or a join
  s.kernelTasks = m.tail - s.joins;
  s.totalCycles = m.maxFinish;  // the general path's; a worker's free time is its latest finish
  for (uint64_t f : m.workerFree) s.totalCycles = std::max(s.totalCycles, f);
  for (const Proc& P : m.procs) s.totalCycles = std::max(s.totalCycles, P.time);
  for (size_t i = 0; i < s.workers.size(); ++i) {
    s.workers[i].tasks = m.oneWorker ? s.kernelTasks : m.readyQs[i].tasks;
    s.workers[i].busyCycles = m.readyQs[i].busyCycles;
  }
  for (auto& w : s.workers)
    w.utilisation = s.totalCycles ? static_cast<double>(w.busyCycles) / s.totalCycles : 0.0;
  s.timelineHash = hash64(&m.timeline, sizeof m.timeline, m.tail);
  if (m.lastStall >= 0) s.currentStall = resourceName(static_cast<Resource>(m.lastStall));
  if (!m.drained) s.hostWallNs = engineNowNs() - m.startNs;
  s.tasksPerSecond = s.hostWallNs ? s.tasks * 1e9 / static_cast<double>(s.hostWallNs) : 0.0;
  return s;
}

std::span<const TraceRecord> Engine::trace() const { return impl_->traceRecs; }

std::string Engine::chromeTrace(const TraceExportOptions& opts) const {
  TraceExportOptions o = opts;
  o.droppedTasks = impl_->st.traceDroppedTasks;
  o.firstDroppedTask = impl_->st.traceFirstDroppedTask;
  return chromeTraceJson(impl_->traceRecs, impl_->cfg.schedule.workers, o);
}

uint64_t Engine::occupancy(Resource r) const {
  const Impl& m = *impl_;
  switch (r) {
    case Resource::TaskRing: return m.tail - m.semHead;
    case Resource::TensorMapPool: return m.tmap.nextEntryId() - m.baseTmap;
    case Resource::DepListPool: return m.totDeps - m.baseDeps;
    case Resource::HeapArena: return m.heapInUse();
    case Resource::ReadyQueue: {
      uint64_t mx = 0;
      for (const auto& q : m.readyQs) mx = std::max(mx, q.size());
      return mx;
    }
  }
  PTO_UNREACHABLE("bad resource {}", static_cast<int>(r));
}

DeadlockReport Engine::resourceReport() const {
  const Impl& m = *impl_;
  DeadlockReport rep;
  rep.tasksIssued = m.tail;
  rep.inFlight = m.tail - m.semHead;
  for (size_t i = 0; i < kNumResources; ++i) {
    auto r = static_cast<Resource>(i);
    ResourceUse u{r, occupancy(r), m.st.resources[i].capacity, m.st.resources[i].highWater, 0};
    switch (r) {
      case Resource::TaskRing: u.heldByScopes = m.tail - m.pendingFrom; break;
      case Resource::TensorMapPool:
        u.heldByScopes = m.tmap.nextEntryId() - m.cumBefore(m.pendingFrom, &Rec::eidEnd, m.baseTmap);
        break;
      case Resource::DepListPool:
        u.heldByScopes = m.totDeps - m.cumBefore(m.pendingFrom, &Rec::cumDeps, m.baseDeps);
        break;
      case Resource::HeapArena:
        u.heldByScopes = m.totHeap - m.cumBefore(m.pendingFrom, &Rec::cumHeap, m.baseHeap);
        break;
      case Resource::ReadyQueue: break;
    }
    rep.resources.push_back(u);
  }
  for (ProcessId p = 0; p < m.procs.size(); ++p) {
    ScopeState s{p, static_cast<uint32_t>(m.procs[p].scopes.size()), 0};
    for (TaskId id = m.pendingFrom; id < m.tail; ++id)
      if (m.rec(id).scope != 0 && m.rec(id).process == p) ++s.heldTasks;
    if (s.depth || s.heldTasks) rep.scopes.push_back(s);
  }
  return rep;
}

}  // namespace pto::wsp::rt
