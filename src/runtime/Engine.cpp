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

// The issue path's helpers must inline into it whatever its size.
#define PTO_INLINE __attribute__((always_inline))

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
  m.owner = this;
  m.chooseIssue();
  uint64_t rs = std::bit_ceil(uint64_t{cfg.schedule.taskWindow});
  m.ring.resize(rs);
  if (cfg.traceWriter) m.traceRing.resize(rs);
  m.ringMask = rs - 1;
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

// A Blocked issue: takes back the stall counters the issue bumped, then reports.
void Engine::Impl::issueBlocked(ProcessId p, const TaskDesc& t, Resource r, uint64_t minimal, uint32_t stalled,
                                const uint64_t* stallCycles, bool raise) {
  for (uint32_t bits = stalled; bits != 0; bits &= bits - 1) {
    const auto i = static_cast<size_t>(std::countr_zero(bits));
    --st.resources[i].stalls;
    st.resources[i].stallCycles -= stallCycles[i];
  }
  if (raise) singleStreamDeadlock(p, t, r, minimal);
  blockedRes = r;
  blockedMin = minimal;
}

void Engine::Impl::rejectStampedDeps(ProcessId p, const TaskDesc& t, uint32_t stamp) {
  for (TaskId d : t.deps)
    if (d < tail && rec(d).seen == stamp) rec(d).seen = stamp - 1;
  rejectTask(p, t, 0);
}

void Engine::Impl::unstampPreds(uint32_t stamp) {
  for (TaskId d : preds.span()) rec(d).seen = stamp - 1;
}

// Malformed tasks: out of line, so the issue path keeps its registers.
[[noreturn, gnu::cold, gnu::noinline]] void Engine::Impl::rejectTask(ProcessId p, const TaskDesc& t,
                                                                     uint64_t needTmap) const {
  const TaskId seq = tail;
  if (p >= procs.size())
    throw UserError(makeError({}, fmt::format("process {} does not exist ({} processes)", p, procs.size())));
  if (t.args.size() > abi::kMaxTaskArgs)
    throw UserError(makeError({}, fmt::format("task of kernel {} has {} argument words, the limit is {}",
                                              t.kernel, t.args.size(), abi::kMaxTaskArgs))
                        .help("split the kernel or pass fewer tile/scalar parameters"));
  for (TaskId d : t.deps)
    if (d >= tail)
      throw UserError(makeError({}, fmt::format("explicit dependency on task {}, which is not issued yet "
                                                "(next task is {})",
                                                d, tail))
                          .help("a task may only depend on earlier-issued tasks"));
  if (needTmap > cfg.schedule.tensorMapCapacity)
    throw UserError(makeError({}, fmt::format("task {} of kernel {} needs {} tensormap entries, the pool "
                                              "holds {}",
                                              seq, t.kernel, needTmap, cfg.schedule.tensorMapCapacity))
                        .help(fmt::format("raise {} to at least {}", knobInfo(ScheduleKnob::PoolTensorMap).name, needTmap)));
  if (t.heapBytes > taskHeap)
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
  PTO_UNREACHABLE("task {} rejected without a reason", seq);
}

[[noreturn, gnu::cold, gnu::noinline]] void Engine::Impl::rejectDeps(const TaskDesc& t, uint64_t nDeps) const {
  throw UserError(makeError({}, fmt::format("task {} of kernel {} has {} dependencies, the dep-list pool "
                                            "holds {}",
                                            tail, t.kernel, nDeps, cfg.schedule.depListCapacity))
                      .help(fmt::format("raise {} to at least {}", knobInfo(ScheduleKnob::PoolDepList).name, nDeps)));
}

[[gnu::noinline]] uint32_t Engine::Impl::pickWorker(TaskId seq, const TaskDesc& t) {
  DispatchContext ctx{seq, t.dispatchKey, t.kernel, workerFree};
  const uint32_t w = policy->pick(ctx);
  PTO_INTERNAL_ASSERT(w < cfg.schedule.workers, "policy {} picked worker {} of {}", policy->name(), w,
                      cfg.schedule.workers);
  return w;
}

// Producers found through the task's regions (the TensorMap), >= minProd; those >=
// depFrom are semantic deps. Out of line: the conflict walk's callback would otherwise
// pin the issue path's locals in memory.
PredSum Engine::Impl::collectDataPreds(const TaskDesc& t, TaskId minProd, TaskId depFrom, uint32_t stamp) {
  PredSum s;
  bucketScratch.clear();
  for (const Region& r : t.regions)
    tmap.forEachConflict(
        r,
        [&](TaskId prod, bool) {
          Rec& pr = rec(prod);
          if (pr.seen == stamp) return;
          pr.seen = stamp;
          preds.pushChecked(prod);
          if (prod >= depFrom) {
            ++s.count;
            s.ready = std::max(s.ready, pr.finish);
          }
        },
        minProd, &bucketScratch);
  return s;
}

// What a run sees besides the numbers (observer, trace, trace writer, progress), after
// the task is committed.
void Engine::Impl::publish(ProcessId p, const TaskDesc& t, const TaskTimes& out, Rec& r, TaskId depFrom,
                           uint32_t dataPreds) {
  const TaskId seq = out.id;
  const uint32_t w = out.worker;
  if (cfg.progress && (seq & (kProgressEvery - 1)) == 0) cfg.progress->store(seq, std::memory_order_relaxed);
  if (cfg.observer)
    cfg.observer->onIssue({.id = seq, .kernel = t.kernel, .worker = w, .process = p, .structural = t.structural,
                           .cycles = t.cycles, .issue = out.issue, .ready = out.ready, .start = out.start,
                           .finish = out.finish, .preds = preds.span(), .depFrom = depFrom,
                           .dataPreds = dataPreds, .seqDeps = t.seqDeps});
  if (cfg.trace && !t.structural && traceRecs.size() < std::min<size_t>(cfg.traceCapacity, kStreamOnly)) {
    r.traceIdx = static_cast<uint32_t>(traceRecs.size());
    traceRecs.push_back({seq, t.kernel, w, p, 0, out.issue, out.start, out.finish, 0, 0});
  } else if (cfg.trace && !t.structural && st.traceDroppedTasks++ == 0) {
    st.traceFirstDroppedTask = seq;  // never silent: the trace and `ptowsp run` say so
  }
  if (cfg.traceWriter && !t.structural) {
    if (r.traceIdx == kNoTrace) r.traceIdx = kStreamOnly;
    traceRing[seq & ringMask] = {seq, t.kernel, w, p, 0, out.issue, out.start, out.finish, 0, 0};
  }
}

// Hands the committed task to the host executor with the producers it may still be
// running (>= hostDone; unordered).
void Engine::Impl::submitHost(ProcessId p, const TaskDesc& t, TaskId seq, uint32_t w, TaskId minProd) {
  HostTask ht;
  ht.seq = seq;
  ht.fn = t.fn;
  ht.args = t.args.data();
  ht.numArgs = static_cast<uint32_t>(t.args.size());
  if (hostDone <= minProd) {
    ht.preds = preds.span();
  } else {  // in place: the observer has seen the whole list already
    TaskId* const b = preds.buf.get();
    size_t k = 0;
    for (size_t i = 0; i < preds.n; ++i)
      if (b[i] >= hostDone) b[k++] = b[i];
    ht.preds = {b, k};
  }
  ht.worker = w;
  if (cfg.sink->submit(ht) == WaitStatus::Stalled) hostDeadlock(p, fmt::format("submit of task {}", seq).c_str());
}

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
  for (const Region& r : t.regions) needTmap += m.tmap.cellsOf(r);  // validates too
  if (needTmap > sc.tensorMapCapacity || heapBytes > m.taskHeap ||
      (structural && (cycles != 0 || t.fn != nullptr))) [[unlikely]]
    m.rejectTask(p, t, needTmap);
  Proc& P = m.procs[p];
  // One worker: every policy must answer 0 (asserted for the others), so none is asked.
  const uint32_t w = pickedW >= 0                         ? static_cast<uint32_t>(pickedW)
                     : structural || sc.workers == 1 ? 0
                                                     : m.pickWorker(seq, t);

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
    m.issueBlocked(p, t, r, minimal, stalled, stallCycles.data(), kThrow);
    return IssueStatus::Blocked;
  };
  while (sh < pend && R(sh).retire <= t0) ++sh;
  uint64_t tb = t0;
  if (seq - sh + 1 > sc.taskWindow) [[unlikely]] {
    do {
      if (sh >= pend) return blocked(Resource::TaskRing, seq - pend + 1);
      t0 = std::max(t0, R(sh).retire);
      ++sh;
    } while (seq - sh + 1 > sc.taskWindow);
    stallOn(Resource::TaskRing, tb);
  }
  // Waits for the oldest live task to retire; false if that depends on an open scope.
  auto retireOldest = [&] {
    if (sh >= pend) return false;
    t0 = std::max(t0, R(sh).retire);
    ++sh;
    return true;
  };
  // An issue that adds nothing to a pool cannot overflow it (occupancy <= capacity).
  if (needTmap != 0) {
    tb = t0;
    while (m.totTmap - m.baseTmap + needTmap > sc.tensorMapCapacity &&
           m.totTmap - base(&Rec::cumTmap, m.baseTmap) + needTmap > sc.tensorMapCapacity)
      if (!retireOldest())
        return blocked(Resource::TensorMapPool, m.totTmap - cumBefore(&Rec::cumTmap, m.baseTmap) + needTmap);
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
  while (q.tail != qh && q.starts[qh & q.mask] <= t0) ++qh;
  if (!structural && q.tail - qh >= sc.readyQueueCapacity) [[unlikely]] {
    tb = t0;
    do {
      t0 = std::max(t0, q.starts[qh & q.mask]);
      ++qh;
    } while (q.tail - qh >= sc.readyQueueCapacity);
    stallOn(Resource::ReadyQueue, tb);
  }
  while (sh < pend && R(sh).retire <= t0) ++sh;

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
  }
  const TaskId depFrom = sh;

  // --- commit ----------------------------------------------------------------------------
  if (sh != sh0) {
    const Rec& last = R(sh - 1);
    m.baseTmap = last.cumTmap;
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

  if (hasRegions) {
    const uint64_t* bucket = m.bucketScratch.data();
    for (const Region& r : t.regions) bucket = m.tmap.insertValidated(r, seq, bucket);
  }
  auto highWater = [&](Resource res, uint64_t v) PTO_INLINE {
    auto& h = st.at(res).highWater;
    h = std::max(h, v);
  };
  if (needTmap != 0) {
    m.totTmap += needTmap;
    highWater(Resource::TensorMapPool, m.totTmap - m.baseTmap);
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
  r.finish = finish;
  r.cumTmap = m.totTmap;
  r.cumDeps = m.totDeps;
  r.cumHeap = m.totHeap;
  r.eidEnd = m.tmap.nextEntryId();
  if constexpr (kHost || kSeen) r.traceIdx = kNoTrace;  // read only by host times / trace
  r.seen = stamp;
  r.process = p;
  m.tail = seq + 1;
  if (!P.scopes.empty()) [[unlikely]] {
    r.retire = 0;
    r.scope = P.scopes.back().serial;
  } else {
    r.scope = 0;
    if (pend == seq) {  // nothing pending: it retires at its finish, in order
      const uint64_t ret = std::max(finish, m.lastRetire);
      r.retire = ret;
      m.lastRetire = ret;
      m.pendingFrom = seq + 1;
    } else {
      r.retire = 0;
    }
  }
  if (structural) {
    ++st.joins;
  } else {
    m.workerFree[w] = finish;
    WorkerStats& ws = st.workers[w];
    ++ws.tasks;
    ws.busyCycles += cycles;
    if (start > t0) {
      q.starts[q.tail++ & q.mask] = start;
      highWater(Resource::ReadyQueue, q.tail - qh);
    }
  }

  // --- stats, timeline hash, observers, host -------------------------------------------
  m.lastStall = stalled != 0 ? 31 - std::countl_zero(stalled) : -1;  // the last in resource order
  if constexpr (kSeen)
    if (m.cfg.traceWriter)
      for (uint32_t bits = stalled; bits != 0; bits &= bits - 1) {  // in resource order
        const auto i = static_cast<size_t>(std::countr_zero(bits));
        m.cfg.traceWriter->addStall(static_cast<Resource>(i), p, seq, stallFrom[i], stallCycles[i]);
      }
  // Order-sensitive digest of (seq, kernel, worker, issue, start, finish): the fields
  // are mixed independently (parallel multiplies), then one multiply-xorshift step
  // chains them (XXH3 per task costs ~15 ns); finalised with XXH3 in stats().
  const uint64_t line = (seq * 0x9e3779b97f4a7c15ull) ^ (((uint64_t{kernel} << 32) | w) * 0xc2b2ae3d27d4eb4full) ^
                        (t0 * 0x165667b19e3779f9ull) ^ (start * 0xd6e8feb86659fd93ull) ^
                        ((finish + 0x27d4eb2f165667c5ull) * 0xff51afd7ed558ccdull);
  const uint64_t tl = (m.timeline ^ line) * 0x9e3779b97f4a7c15ull;
  m.timeline = tl ^ (tl >> 29);
  if constexpr (kSeen) m.publish(p, t, out, r, depFrom, dataPreds);
  if constexpr (kHost) m.submitHost(p, t, seq, w, minProd);
  (void)depFrom;
  (void)dataPreds;
  (void)stallFrom;
  return IssueStatus::Issued;
}

// The fast path: a kernel task without heap bytes whose regions fit the TensorMap pool
// and whose deps fit the dep-list pool as they are (the common task of a stream). Only a
// full task window can delay it; the rare cases (an open scope blocking the window, a
// full ready queue or pool) go to the general path before anything is committed. Same
// numbers as the general path, in fewer steps.
template <bool kHost, bool kSeen, bool kThrow>
IssueStatus Engine::Impl::issueT(Impl& m, ProcessId p, const TaskDesc& t, TaskTimes& out) {
  const abi::ScheduleConfig& sc = m.cfg.schedule;
  const std::span<const TaskId> deps = t.deps;
  const size_t nd = deps.size();
  if ((t.heapBytes | static_cast<uint64_t>(t.structural)) != 0 || p >= m.numProcs ||
      t.args.size() > abi::kMaxTaskArgs) [[unlikely]]
    return issueGeneral<kHost, kSeen, kThrow>(m, p, t, out, -1);
  const bool hasRegions = !t.regions.empty();
  uint64_t needTmap = 0;
  if (hasRegions) {
    for (const Region& r : t.regions) needTmap += m.tmap.cellsOf(r);  // validates too
    if (needTmap > sc.tensorMapCapacity) [[unlikely]]
      return issueGeneral<kHost, kSeen, kThrow>(m, p, t, out, -1);
  }
  const TaskId seq = m.tail;
  uint32_t w = 0;
  if (sc.workers != 1) {  // malformed tasks are rejected before the policy sees them
    for (size_t i = 0; i < nd; ++i)
      if (deps[i] >= seq) [[unlikely]]
        m.rejectTask(p, t, 0);
    w = m.pickWorker(seq, t);
  }
  Rec* const ring = m.ring.data();
  const uint64_t mask = m.ringMask;
  Proc& P = m.procs[p];
  const TaskId sh0 = m.semHead, pend = m.pendingFrom;
  const uint64_t tIssue = P.time + sc.issueCycles;
  uint64_t t0 = tIssue;
  TaskId sh = sh0;
  while (sh < pend && ring[sh & mask].retire <= t0) ++sh;
  while (seq - sh + 1 > sc.taskWindow) {
    if (sh >= pend) [[unlikely]]
      return issueGeneral<kHost, kSeen, kThrow>(m, p, t, out, w);
    t0 = std::max(t0, ring[sh & mask].retire);
    ++sh;
  }
  if (needTmap != 0 &&
      m.totTmap - (sh == sh0 ? m.baseTmap : ring[(sh - 1) & mask].cumTmap) + needTmap > sc.tensorMapCapacity)
      [[unlikely]]
    return issueGeneral<kHost, kSeen, kThrow>(m, p, t, out, w);
  const TaskId shHeap = sh;  // the heap is looked at between the window and the ready queue
  ReadyQ& q = m.readyQs[w];
  uint64_t qh = q.head;
  const uint64_t qTail = q.tail;
  while (qh != qTail && q.starts[qh & q.mask] <= t0) ++qh;
  if (qTail - qh >= sc.readyQueueCapacity) [[unlikely]]
    return issueGeneral<kHost, kSeen, kThrow>(m, p, t, out, w);
  while (sh < pend && ring[sh & mask].retire <= t0) ++sh;
  // Dependencies (see the general path): stamped, counted and their finish taken at once.
  TaskId minProd = sh;
  if constexpr (kHost) {
    if (seq >= m.hostPollAt) {
      m.hostDone = std::max(m.hostDone, m.cfg.sink->finishedBelow());
      m.hostPollAt = seq + kHostPollEvery;
    }
    minProd = std::min(sh, std::max(m.hostDone, m.popHead));
  }
  const uint32_t stamp = static_cast<uint32_t>(seq);
  uint64_t nDeps = 0, ready = 0;
  m.preds.n = 0;
  if (hasRegions) {
    const PredSum s = m.collectDataPreds(t, minProd, sh, stamp);
    nDeps = s.count;
    ready = s.ready;
  }
  const auto dataPreds = static_cast<uint32_t>(m.preds.n);
  size_t pn = m.preds.n;
  m.preds.reserveMore(nd);
  TaskId* const pb = m.preds.buf.get();
  for (size_t i = 0; i < nd; ++i) {
    const TaskId d = deps[i];
    // Validated here (nothing is committed yet; the stamps of this task are undone).
    if (d >= seq) [[unlikely]]
      m.rejectStampedDeps(p, t, stamp);
    if (d < minProd) continue;
    Rec& pr = ring[d & mask];
    if (pr.seen == stamp) continue;
    pr.seen = stamp;
    pb[pn++] = d;
    if (!kHost || d >= sh) {
      ++nDeps;
      ready = std::max(ready, pr.finish);
    }
  }
  m.preds.n = pn;
  // A full dep-list pool: retire as in the general path; an open scope in the way (or
  // a task larger than the pool) is the general path's to report.
  const uint64_t tDeps = t0;
  if (m.totDeps - (sh == sh0 ? m.baseDeps : ring[(sh - 1) & mask].cumDeps) + nDeps > sc.depListCapacity)
      [[unlikely]] {
    if (nDeps > sc.depListCapacity) {
      m.unstampPreds(stamp);
      return issueGeneral<kHost, kSeen, kThrow>(m, p, t, out, w);
    }
    do {
      if (sh >= pend) {
        m.unstampPreds(stamp);
        return issueGeneral<kHost, kSeen, kThrow>(m, p, t, out, w);
      }
      do {
        if (ring[sh & mask].seen == stamp) --nDeps;  // stamped = one of T's preds (>= sh here)
        t0 = std::max(t0, ring[sh & mask].retire);
        ++sh;
      } while (sh < pend && ring[sh & mask].retire <= t0);
    } while (m.totDeps - ring[(sh - 1) & mask].cumDeps + nDeps > sc.depListCapacity);
    ready = 0;
    for (TaskId d : m.preds.span())
      if (d >= sh) ready = std::max(ready, ring[d & mask].finish);
  }

  // --- commit ----------------------------------------------------------------------------
  // A zero-byte task's heap offset: the head, or 0 once the arena is empty (at shHeap).
  uint64_t heapOff = m.heapHead;
  if (heapOff != 0 &&
      (m.totHeap == m.baseHeap || m.totHeap == (shHeap == sh0 ? m.baseHeap : ring[(shHeap - 1) & mask].cumHeap))) {
    heapOff = 0;
    m.heapHead = 0;
  }
  if (sh != sh0) {
    const Rec& last = ring[(sh - 1) & mask];
    m.baseTmap = last.cumTmap;
    m.baseDeps = last.cumDeps;
    m.baseHeap = last.cumHeap;
    m.semHead = sh;
  }
  q.head = qh;
  while (seq - m.popHead >= sc.taskWindow) m.popPhysical<kHost || kSeen>();
  if (hasRegions) {
    while (m.tmap.used() + needTmap > sc.tensorMapCapacity) m.popPhysical<kHost || kSeen>();
    const uint64_t* bucket = m.bucketScratch.data();
    for (const Region& r : t.regions) bucket = m.tmap.insertValidated(r, seq, bucket);
  }

  if (nDeps != 0) ready += sc.syncLatency;
  const uint64_t start = std::max({t0, ready, m.workerFree[w]});
  const uint64_t finish = start + t.cycles;
  out.id = seq;
  out.worker = w;
  out.issue = t0;
  out.ready = ready;
  out.start = start;
  out.finish = finish;
  out.heapOffset = m.cfg.heapReserved + heapOff;
  out.numDeps = static_cast<uint32_t>(nDeps);
  m.maxFinish = std::max(m.maxFinish, finish);
  m.workerFree[w] = finish;
  P.time = t0;
  RunStats& st = m.st;
  if (needTmap != 0) {
    m.totTmap += needTmap;
    auto& h = st.at(Resource::TensorMapPool).highWater;
    h = std::max(h, m.totTmap - m.baseTmap);
  }
  if (nDeps != 0) {
    m.totDeps += nDeps;
    auto& h = st.at(Resource::DepListPool).highWater;
    h = std::max(h, m.totDeps - m.baseDeps);
  }
  {
    auto& h = st.at(Resource::TaskRing).highWater;
    h = std::max(h, seq + 1 - sh);
  }

  Rec& r = ring[seq & mask];
  r.finish = finish;
  r.cumTmap = m.totTmap;
  r.cumDeps = m.totDeps;
  r.cumHeap = m.totHeap;
  r.eidEnd = m.tmap.nextEntryId();
  if constexpr (kHost || kSeen) r.traceIdx = kNoTrace;  // read only by host times / trace
  r.seen = stamp;
  r.process = p;
  m.tail = seq + 1;
  if (!P.scopes.empty()) [[unlikely]] {
    r.retire = 0;
    r.scope = P.scopes.back().serial;
  } else {
    r.scope = 0;
    if (pend == seq) {  // nothing pending: it retires at its finish, in order
      const uint64_t ret = std::max(finish, m.lastRetire);
      r.retire = ret;
      m.lastRetire = ret;
      m.pendingFrom = seq + 1;
    } else {
      r.retire = 0;
    }
  }
  if (start > t0) {
    q.starts[qTail & q.mask] = start;
    q.tail = qTail + 1;
    auto& h = st.at(Resource::ReadyQueue).highWater;
    h = std::max(h, qTail + 1 - qh);
  }
  WorkerStats& ws = st.workers[w];
  ++ws.tasks;
  ws.busyCycles += t.cycles;
  // Only the task window (up to tDeps) and the dep-list pool (after it) can have stalled it.
  m.lastStall = -1;
  if (tDeps > tIssue) {
    ResourceStats& rs = st.at(Resource::TaskRing);
    ++rs.stalls;
    rs.stallCycles += tDeps - tIssue;
    m.lastStall = static_cast<int>(Resource::TaskRing);
    if constexpr (kSeen)
      if (m.cfg.traceWriter) m.cfg.traceWriter->addStall(Resource::TaskRing, p, seq, tIssue, tDeps - tIssue);
  }
  if (t0 > tDeps) [[unlikely]] {
    ResourceStats& rs = st.at(Resource::DepListPool);
    ++rs.stalls;
    rs.stallCycles += t0 - tDeps;
    m.lastStall = static_cast<int>(Resource::DepListPool);
    if constexpr (kSeen)
      if (m.cfg.traceWriter) m.cfg.traceWriter->addStall(Resource::DepListPool, p, seq, tDeps, t0 - tDeps);
  }
  const uint64_t line = (seq * 0x9e3779b97f4a7c15ull) ^ (((uint64_t{t.kernel} << 32) | w) * 0xc2b2ae3d27d4eb4full) ^
                        (t0 * 0x165667b19e3779f9ull) ^ (start * 0xd6e8feb86659fd93ull) ^
                        ((finish + 0x27d4eb2f165667c5ull) * 0xff51afd7ed558ccdull);
  const uint64_t tl = (m.timeline ^ line) * 0x9e3779b97f4a7c15ull;
  m.timeline = tl ^ (tl >> 29);
  if constexpr (kSeen) m.publish(p, t, out, r, sh, dataPreds);
  if constexpr (kHost) m.submitHost(p, t, seq, w, minProd);
  (void)dataPreds;
  return IssueStatus::Issued;
}

void Engine::Impl::chooseIssue() {
  const bool seen = cfg.observer || cfg.trace || cfg.traceWriter || cfg.progress;
  if (cfg.sink) {
    tryIssueFn = seen ? &issueT<true, true, false> : &issueT<true, false, false>;
    issueFn = seen ? &issueT<true, true, true> : &issueT<true, false, true>;
  } else {
    tryIssueFn = seen ? &issueT<false, true, false> : &issueT<false, false, false>;
    issueFn = seen ? &issueT<false, true, true> : &issueT<false, false, true>;
  }
}

IssueResult Engine::tryIssue(ProcessId p, const TaskDesc& t) {
  Impl& m = *impl_;
  IssueResult res;
  res.status = m.tryIssueFn(m, p, t, res.task);
  if (res.status == IssueStatus::Blocked) {
    res.blockedOn = m.blockedRes;
    res.minimalCapacity = m.blockedMin;
  }
  return res;
}

TaskTimes Engine::issue(const TaskDesc& t, ProcessId p) {
  TaskTimes out;
  impl_->issueFn(*impl_, p, t, out);  // a Blocked issue throws
  return out;
}

// A Blocked issue() of a single stream: only a scope end could free the resource.
void Engine::Impl::singleStreamDeadlock(ProcessId p, const TaskDesc& t, Resource blockedOn, uint64_t minimal) const {
  const Engine& eng = *owner;
  DeadlockReport rep = eng.resourceReport();
  const Impl& m = *this;
  const uint64_t cap = m.st.at(blockedOn).capacity;
  rep.blocked.push_back(
      {.process = p,
       .name = m.procs[p].name,
       .localTime = m.procs[p].time,
       .waitsOn = fmt::format("{} full: {} of {} held until an open scope ends (issuing task {} of kernel {})",
                              resourceName(blockedOn), eng.occupancy(blockedOn), cap, m.tail, t.kernel)});
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
