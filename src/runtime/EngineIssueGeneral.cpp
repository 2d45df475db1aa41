// Engine issue path, general case: every task the fast path (EngineIssue.cpp) does not
// take: structural joins, heap bytes, TensorMap / heap / ready-queue stalls, open scopes
// in the way, malformed tasks. The reference semantics of the issue (EngineGolden.*).
#include "EngineImpl.h"
#include "pto/wsp/runtime/Engine.h"
#include "pto/wsp/support/Assert.h"

#include <algorithm>
#include <bit>

namespace pto::wsp::rt {

// The issue path, specialised once per run on what is fixed for it: kHost = a sink
// (host executor) runs the tasks, kSeen = an observer, a trace, a trace writer or a
// progress counter watches them. Writes the times into `out` (Issued) or the blocking
// resource into `res` (Blocked); every field is written explicitly because
// zero-initialising the ~100-byte result and Rec structs compiled to `rep stos`.
//
// The stall phase moves a local semantic head `sh` only; the released totals at sh are
// those of record sh - 1 (still present: popHead <= semHead), so a retirement is one
// increment, and the Engine's state is stored at commit: a Blocked issue changes nothing
// without a snapshot to restore (only the stall counters, recorded as they happen, are
// taken back). Bookkeeping whose result only grows with what this task adds (high-water
// marks of the pools, the heap, the ready queue) is only updated when the task adds to
// it; between issues occupancies only fall, so the maxima are the same.
template <bool kHost, bool kSeen, bool kThrow>
IssueStatus Engine::Impl::issueGeneral(Impl& m, ProcessId p, const TaskDesc& t, TaskTimes& out, int64_t pickedW) {
  const abi::ScheduleConfig& sc = m.cfg.schedule;
  const TaskId seq = m.tail;
  // Locals, not re-reads: every store below may alias a uint64_t of the Engine or of t.
  Rec* const ring = m.ring.data();
  const uint64_t mask = m.ringMask;
  auto R = [ring, mask](TaskId id) PTO_INLINE -> Rec& { return ring[id & mask]; };
  const bool structural = t.structural;
  const uint64_t cycles = t.cycles, heapBytes = t.heapBytes;
  const uint32_t kernel = t.kernel;
  const std::span<const TaskId> deps = t.deps;
  const bool hasRegions = !t.regions.empty();
  if (p >= m.procs.size() || t.args.size() > abi::kMaxTaskArgs) [[unlikely]]
    m.rejectTask(p, t, 0);
  for (size_t i = 0, n = deps.size(); i < n; ++i)
    if (deps[i] >= seq) [[unlikely]]
      m.rejectTask(p, t, 0);
  uint64_t needTmap = 0;
  needTmap = m.tmap.cellsOfTask(t.regions);  // validates too
  if (needTmap > sc.tensorMapCapacity || heapBytes > m.taskHeap ||
      (structural && (cycles != 0 || t.fn != nullptr))) [[unlikely]]
    m.rejectTask(p, t, needTmap);
  Proc& P = m.procs[p];
  // One worker: every policy must answer 0 (asserted for the others), so none is asked.
  const uint32_t w = pickedW >= 0                         ? static_cast<uint32_t>(pickedW)
                     : structural || sc.workers == 1 ? 0
                                                     : m.pickWorker(seq, t);
  // A Blocked or rejected issue leaves the policy as it was. (With one worker the fast
  // path passes worker 0 without asking: rewinding to it changes nothing.)
  const bool picked = pickedW >= 0 || !(structural || sc.workers == 1);

  // --- resolve stalls at one instant t0 (attributed in a fixed resource order) ---------
  ReadyQ& q = m.readyQs[w];
  const TaskId sh0 = m.semHead, pend = m.pendingFrom;
  TaskId sh = sh0;
  uint64_t qh = q.head;
  // Released total of a pool at the local head.
  auto base = [&](uint64_t Rec::*cum, uint64_t committed) PTO_INLINE { return sh == sh0 ? committed : R(sh - 1).*cum; };
  auto cumBefore = [&](uint64_t Rec::*cum, uint64_t committed) {
    return pend == sh ? base(cum, committed) : R(pend - 1).*cum;
  };
  uint64_t t0 = P.time + sc.issueCycles;
  // Each resource stalls at most once per issue: a bit of `stalled` says which entries
  // of the (uninitialised) arrays are written; the counters are bumped at once.
  std::array<uint64_t, kNumResources> stallCycles, stallFrom;
  uint32_t stalled = 0;
  RunStats& st = m.st;
  auto stallOn = [&](Resource r, uint64_t before) PTO_INLINE {
    if (t0 > before) {
      const auto i = static_cast<size_t>(r);
      stallCycles[i] = t0 - before;
      stallFrom[i] = before;
      stalled |= 1u << i;
      ++st.resources[i].stalls;
      st.resources[i].stallCycles += t0 - before;
    }
  };
  auto blocked = [&](Resource r, uint64_t minimal) {
    if (picked) m.unpick(w);
    m.issueBlocked(p, t, r, minimal, stalled, stallCycles.data(), kThrow);
    return IssueStatus::Blocked;
  };
  // Every task retired by t0 leaves (a release exactly at t frees), and every task
  // started by t0 leaves the ready queue.
  auto releaseRetired = [&]() PTO_INLINE {
    while (sh < pend && R(sh).retire <= t0) ++sh;
  };
  auto popStarted = [&]() PTO_INLINE {
    while (q.tail != qh && q.starts[qh & q.mask] <= t0) ++qh;
  };
  releaseRetired();
  uint64_t tb = t0;
  if (seq - sh + 1 > sc.taskWindow) [[unlikely]] {
    do {
      if (sh >= pend) return blocked(Resource::TaskRing, seq - pend + 1);
      t0 = std::max(t0, R(sh).retire);
      ++sh;
    } while (seq - sh + 1 > sc.taskWindow);
    stallOn(Resource::TaskRing, tb);
    releaseRetired();
  }
  // Waits for the oldest live task to retire, with every task retiring at that instant;
  // false if that depends on an open scope.
  auto retireOldest = [&] {
    if (sh >= pend) return false;
    t0 = std::max(t0, R(sh).retire);
    ++sh;
    releaseRetired();
    return true;
  };
  // An issue that adds nothing to a pool cannot overflow it (occupancy <= capacity).
  if (needTmap != 0) {
    tb = t0;
    const uint64_t totTmap = m.tmap.nextEntryId();
    while (totTmap - m.baseTmap + needTmap > sc.tensorMapCapacity &&
           totTmap - base(&Rec::eidEnd, m.baseTmap) + needTmap > sc.tensorMapCapacity)
      if (!retireOldest())
        return blocked(Resource::TensorMapPool, totTmap - cumBefore(&Rec::eidEnd, m.baseTmap) + needTmap);
    stallOn(Resource::TensorMapPool, tb);
  }
  // Heap: a FIFO byte ring; a request that does not fit before the end wraps to 0 and
  // also holds the skipped tail. An empty arena restarts at 0 (bases only grow to
  // totHeap, so an arena empty at the committed base is empty at sh).
  uint64_t heapOff = m.heapHead, heapFoot = 0;
  bool heapEmptied = false;
  if (heapBytes == 0) {
    if (m.totHeap == m.baseHeap || m.totHeap == base(&Rec::cumHeap, m.baseHeap)) heapOff = 0, heapEmptied = true;
  } else {
    tb = t0;
    uint64_t hh = m.heapHead;
    auto heapFit = [&] {
      if (m.totHeap == base(&Rec::cumHeap, m.baseHeap)) hh = 0, heapEmptied = true;
      if (hh + heapBytes <= m.taskHeap) {
        heapOff = hh;
        heapFoot = heapBytes;
      } else {
        heapOff = 0;
        heapFoot = m.taskHeap - hh + heapBytes;
      }
    };
    heapFit();
    while (m.totHeap - base(&Rec::cumHeap, m.baseHeap) + heapFoot > m.taskHeap) {
      if (!retireOldest())
        return blocked(Resource::HeapArena,
                       m.cfg.heapReserved + m.totHeap - cumBefore(&Rec::cumHeap, m.baseHeap) + heapBytes);
      heapFit();
    }
    stallOn(Resource::HeapArena, tb);
  }
  popStarted();
  if (!structural && q.tail - qh >= sc.readyQueueCapacity) [[unlikely]] {
    tb = t0;
    do {
      t0 = std::max(t0, q.starts[qh & q.mask]);
      ++qh;
    } while (q.tail - qh >= sc.readyQueueCapacity);
    stallOn(Resource::ReadyQueue, tb);
  }
  releaseRetired();

  // --- dependencies: semantic = producers unretired at t0; host = physically present --
  // Semantic deps are the producers >= sh; the host needs those it has not finished yet
  // (>= hostDone). Older entries are skipped: a chain walk stops at the first one.
  // hostDone is refreshed every few tasks (a poll costs a virtual call and a probe of
  // lines the workers wrote); a stale value only hands over more producers.
  auto& preds = m.preds;
  preds.n = 0;
  TaskId minProd = sh;
  if constexpr (kHost) {
    if (seq >= m.hostPollAt) {
      m.hostDone = std::max(m.hostDone, m.cfg.sink->finishedBelow());
      m.hostPollAt = seq + kHostPollEvery;
    }
    minProd = std::min(sh, std::max(m.hostDone, m.popHead));
  }
  // Deduplicated with a stamp in the producer's record (every producer found is still
  // in the ring: live entries and minProd are >= popHead) instead of sorting: a
  // reduction finds each of its ~1000 producers twice. A stamp is this task's id
  // (low 32 bits; records live < 2^32 tasks); issues that fail afterwards unstamp.
  // The semantic deps (>= sh) are counted and their latest finish taken on the way.
  const uint32_t stamp = static_cast<uint32_t>(seq);
  uint64_t nDeps = 0, ready = 0;
  if (hasRegions) {
    const PredSum s = m.collectDataPreds(t, minProd, sh, stamp);
    nDeps = s.count;
    ready = s.ready;
  }
  const auto dataPreds = static_cast<uint32_t>(preds.n);
  preds.reserveMore(deps.size());
  {
    TaskId* const pb = preds.buf.get();
    size_t pn = preds.n;
    for (TaskId d : deps) {
      if (d < minProd) continue;
      Rec& pr = R(d);
      if (pr.seen == stamp) continue;
      pr.seen = stamp;
      pb[pn++] = d;
      if (!kHost || d >= sh) {
        ++nDeps;
        ready = std::max(ready, pr.finish);
      }
    }
    preds.n = pn;
  }
  auto unstamp = [&m, stamp]() PTO_INLINE { m.unstampPreds(stamp); };
  if (nDeps > sc.depListCapacity) [[unlikely]] {
    unstamp();
    if (picked) m.unpick(w);
    m.takeBackStalls(stalled, stallCycles.data());
    m.rejectDeps(t, nDeps);
  }
  // The DEPLIST_POOL stall may retire some of the deps: those stop being deps (and stop
  // needing an entry), like a producer retired by any other stall. It retires the
  // oldest live task and every one retiring at the same instant (a release exactly at
  // t frees); a retiring producer of T leaves T's edge count.
  if (nDeps != 0 && m.totDeps - m.baseDeps + nDeps > sc.depListCapacity &&
      m.totDeps - base(&Rec::cumDeps, m.baseDeps) + nDeps > sc.depListCapacity) [[unlikely]] {
    tb = t0;
    do {
      if (sh >= pend) {
        unstamp();
        return blocked(Resource::DepListPool, m.totDeps - cumBefore(&Rec::cumDeps, m.baseDeps) + nDeps);
      }
      do {
        if (R(sh).seen == stamp) --nDeps;  // stamped = one of T's preds (>= sh here)
        t0 = std::max(t0, R(sh).retire);
        ++sh;
      } while (sh < pend && R(sh).retire <= t0);
    } while (m.totDeps - base(&Rec::cumDeps, m.baseDeps) + nDeps > sc.depListCapacity);
    stallOn(Resource::DepListPool, tb);
    ready = 0;
    for (TaskId d : preds.span())
      if (d >= sh) ready = std::max(ready, R(d).finish);
    popStarted();  // started while it waited
  }
  const TaskId depFrom = sh;

  // --- commit ----------------------------------------------------------------------------
  if (sh != sh0) {
    const Rec& last = R(sh - 1);
    m.baseTmap = last.eidEnd;
    m.baseDeps = last.cumDeps;
    m.baseHeap = last.cumHeap;
    m.semHead = sh;
  }
  if (heapEmptied) m.heapHead = 0;
  q.head = qh;
  while (seq - m.popHead >= sc.taskWindow) m.popPhysical<kHost || kSeen>();
  if (needTmap != 0)
    while (m.tmap.used() + needTmap > sc.tensorMapCapacity) m.popPhysical<kHost || kSeen>();

  // A structural join adds no sync latency: its dependents add it once.
  if (nDeps != 0 && !structural) ready += sc.syncLatency;
  const uint64_t start = std::max({t0, ready, structural ? 0 : m.workerFree[w]});
  const uint64_t finish = start + cycles;
  out.id = seq;
  out.worker = w;
  out.issue = t0;
  out.ready = ready;
  out.start = start;
  out.finish = finish;
  out.heapOffset = m.cfg.heapReserved + heapOff;
  out.numDeps = static_cast<uint32_t>(nDeps);
  m.maxFinish = std::max(m.maxFinish, finish);
  P.time = t0;

  if (hasRegions) m.tmap.insertTask(t.regions, seq);  // the cells collectDataPreds looked up
  auto highWater = [&](Resource res, uint64_t v) PTO_INLINE {
    auto& h = st.at(res).highWater;
    h = std::max(h, v);
  };
  if (needTmap != 0) {
    highWater(Resource::TensorMapPool, m.tmap.nextEntryId() - m.baseTmap);
  }
  if (nDeps != 0) {
    m.totDeps += nDeps;
    highWater(Resource::DepListPool, m.totDeps - m.baseDeps);
  }
  if (heapFoot != 0) {
    m.totHeap += heapFoot;
    m.heapHead = heapOff + heapBytes;
    highWater(Resource::HeapArena, m.heapInUse());
  }
  highWater(Resource::TaskRing, seq + 1 - sh);

  Rec& r = R(seq);
  m.commitRec<kSeen>(r, seq, finish, p, P, stamp, pend);
  if (structural) {
    ++st.joins;
  } else {
    m.workerFree[w] = finish;
    ++q.tasks;
    q.busyCycles += cycles;
    if (start > t0) {
      q.starts[q.tail++ & q.mask] = start;
      highWater(Resource::ReadyQueue, q.tail - qh);
    }
  }

  // --- stats, timeline hash, observers, host -------------------------------------------
  // In the order the stalls are resolved (semantics.md section 4), not the enum's.
  m.lastStall = -1;
  for (Resource res : kStallOrder)
    if ((stalled >> static_cast<unsigned>(res)) & 1) {
      m.lastStall = static_cast<int>(res);
      if constexpr (kSeen)
        if (m.cfg.traceWriter) {
          const auto i = static_cast<size_t>(res);
          m.cfg.traceWriter->addStall(res, p, seq, stallFrom[i], stallCycles[i]);
        }
    }
  // Order-sensitive digest of (seq, kernel, worker, issue, start, finish): the fields
  // are mixed independently (parallel multiplies), then one multiply-xorshift step
  // chains them (XXH3 per task costs ~15 ns); finalised with XXH3 in stats().
  const uint64_t line = (seq * 0x9e3779b97f4a7c15ull) ^ (((uint64_t{kernel} << 32) | w) * 0xc2b2ae3d27d4eb4full) ^
                        (t0 * 0x165667b19e3779f9ull) ^ (start * 0xd6e8feb86659fd93ull) ^
                        ((finish + 0x27d4eb2f165667c5ull) * 0xff51afd7ed558ccdull);
  const uint64_t tl = (m.timeline ^ line) * 0x9e3779b97f4a7c15ull;
  m.timeline = tl ^ (tl >> 29);
  if constexpr (kSeen) m.notify(p, t, out, r, depFrom, dataPreds);
  if constexpr (kHost) m.submitHost(p, t, seq, w, minProd);
  (void)depFrom;
  (void)dataPreds;
  (void)stallFrom;
  return IssueStatus::Issued;
}

#define PTO_ISSUE_GENERAL(H, S, T) \
  template IssueStatus Engine::Impl::issueGeneral<H, S, T>(Impl&, ProcessId, const TaskDesc&, TaskTimes&, int64_t);
PTO_ISSUE_GENERAL(false, false, false)
PTO_ISSUE_GENERAL(false, false, true)
PTO_ISSUE_GENERAL(false, true, false)
PTO_ISSUE_GENERAL(false, true, true)
PTO_ISSUE_GENERAL(true, false, false)
PTO_ISSUE_GENERAL(true, false, true)
PTO_ISSUE_GENERAL(true, true, false)
PTO_ISSUE_GENERAL(true, true, true)
#undef PTO_ISSUE_GENERAL

}  // namespace pto::wsp::rt
