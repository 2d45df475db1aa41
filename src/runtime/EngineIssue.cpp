// Engine issue path: semantic clock, bounded resources, TensorMap deps, host hand-off.
// One specialisation per run (docs/runtime.md, "The issue path"): the fast path for the
// common task is here, the general path (same results) in EngineIssueGeneral.cpp.
#include "EngineImpl.h"
#include "pto/wsp/runtime/Engine.h"
#include "pto/wsp/support/Assert.h"
#include "pto/wsp/support/Diagnostic.h"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <utility>

namespace pto::wsp::rt {

// A Blocked issue: takes back the stall counters the issue bumped, then reports.
void Engine::Impl::takeBackStalls(uint32_t stalled, const uint64_t* stallCycles) {
  for (uint32_t bits = stalled; bits != 0; bits &= bits - 1) {
    const auto i = static_cast<size_t>(std::countr_zero(bits));
    --st.resources[i].stalls;
    st.resources[i].stallCycles -= stallCycles[i];
  }
}

void Engine::Impl::issueBlocked(ProcessId p, const TaskDesc& t, Resource r, uint64_t minimal, uint32_t stalled,
                                const uint64_t* stallCycles, bool raise) {
  tmap.forgetUnplacedGrains();
  takeBackStalls(stalled, stallCycles);
  if (raise) singleStreamDeadlock(p, t, r, minimal);
  blockedRes = r;
  blockedMin = minimal;
}

// A rejected task's id is the next one's: every stamp it left (its deps so far, and the
// producers its regions' walk listed) would hide those producers from that task.
void Engine::Impl::rejectStampedDeps(ProcessId p, const TaskDesc& t, uint32_t stamp) {
  for (TaskId d : preds.span())  // the walk's producers (a stale list holds none stamped)
    if (rec(d).seen == stamp) rec(d).seen = stamp - 1;
  for (TaskId d : t.deps)
    if (d < tail && rec(d).seen == stamp) rec(d).seen = stamp - 1;
  rejectTask(p, t, 0);
}

void Engine::Impl::unstampPreds(uint32_t stamp) {
  for (TaskId d : preds.span()) rec(d).seen = stamp - 1;
}

// Malformed tasks: out of line, so the issue path keeps its registers.
[[noreturn, gnu::cold, gnu::noinline]] void Engine::Impl::rejectTask(ProcessId p, const TaskDesc& t,
                                                                     uint64_t needTmap) {
  tmap.forgetUnplacedGrains();
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

[[noreturn, gnu::cold, gnu::noinline]] void Engine::Impl::rejectDeps(const TaskDesc& t, uint64_t nDeps) {
  tmap.forgetUnplacedGrains();
  throw UserError(makeError({}, fmt::format("task {} of kernel {} has {} dependencies, the dep-list pool "
                                            "holds {}",
                                            tail, t.kernel, nDeps, cfg.schedule.depListCapacity))
                      .help(fmt::format("raise {} to at least {}", knobInfo(ScheduleKnob::PoolDepList).name, nDeps)));
}

uint32_t Engine::Impl::pickByContext(TaskId seq, const TaskDesc& t) {
  const uint32_t w = policy->pick({seq, t.dispatchKey, t.kernel, workerFree});
  PTO_INTERNAL_ASSERT(w < cfg.schedule.workers, "policy {} picked worker {} of {}", policy->name(), w,
                      cfg.schedule.workers);
  return w;
}

// Producers found through the task's regions (the TensorMap), >= minProd; those >=
// depFrom are semantic deps. Out of line: the conflict walk's callback would otherwise
// pin the issue path's locals in memory.
// The callback is inlined into every chain walk; a full list grows out of line.
[[gnu::noinline]] static void growPreds(PredBuf& b) { b.grow(b.n + 1); }

// The callback of both walks: stamps a new producer, lists it, and counts the semantic
// ones (>= depFrom) with their latest finish.
PTO_INLINE inline auto Engine::Impl::predCollector(PredSum& s, TaskId depFrom, uint32_t stamp) {
  return [this, &s, depFrom, stamp](TaskId prod, bool) PTO_INLINE {
    Rec& pr = rec(prod);
    if (pr.seen == stamp) return;
    pr.seen = stamp;
    if (preds.n == preds.cap) [[unlikely]]
      growPreds(preds);
    preds.push(prod);
    if (prod >= depFrom) {
      ++s.count;
      s.ready = std::max(s.ready, pr.finish);
    }
  };
}

[[gnu::noinline]] static void growCursor(PredBuf& b, PredCursor& c) {
  c.commit(b);
  b.grow(b.n + 1);
  c = PredCursor(b);
}

PredSum Engine::Impl::collectDataPreds(const TaskDesc& t, TaskId minProd, TaskId depFrom, uint32_t stamp) {
  PredSum s;
  PredCursor c(preds);
  Rec* const rs = ring.data();
  const uint64_t mask = ringMask;
  tmap.queryTask(
      t.regions,
      [&](TaskId prod, bool) PTO_INLINE {  // predCollector's steps, on the cursor
        Rec& pr = rs[prod & mask];
        if (pr.seen == stamp) return;
        pr.seen = stamp;
        if (c.n == c.cap) [[unlikely]]
          growCursor(preds, c);
        c.buf[c.n++] = prod;
        if (prod >= depFrom) {
          ++s.count;
          s.ready = std::max(s.ready, pr.finish);
        }
      },
      minProd);
  c.commit(preds);
  return s;
}

// Region i of the task when it covers one cell (a tile): one cell's walk, without the
// region loop of collectDataPreds.
PredSum Engine::Impl::collectCellPreds(const Region& r, TaskId minProd, TaskId depFrom, uint32_t stamp, size_t i) {
  PredSum s;
  tmap.queryCell(r, i, predCollector(s, depFrom, stamp), minProd);
  return s;
}

// What a run sees besides the numbers, the observer and the progress counter (trace,
// trace writer), after the task is committed; only called when one is configured.
void Engine::Impl::publish(ProcessId p, const TaskDesc& t, const TaskTimes& out, Rec& r) {
  const TaskId seq = out.id;
  const uint32_t w = out.worker;
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
// running (>= hostDone; unordered). Every listed producer is >= minProd.
// Inline in the fast path (at its end, where few of its values are live); the general
// path calls it out of line (submitHost).
PTO_INLINE inline void Engine::Impl::submitHostBody(ProcessId p, const TaskDesc& t, TaskId seq, uint32_t w,
                                                    TaskId minProd) {
  TaskId* const b = preds.buf.get();
  size_t k = preds.n;
  // A lone producer is handed over as it is (the executor probes its state anyway), with
  // the descriptor itself: the common task of a stream builds no HostTask.
  if (k <= 1) {
    if (cfg.sink->submitOne(t, seq, k != 0 ? b[0] : kNoPred, w) == WaitStatus::Stalled) [[unlikely]]
      submitStalled(p, seq);
    return;
  }
  if (hostDone > minProd) {  // in place, branch-free: the observer has seen the whole list already
    const TaskId done = hostDone;
    size_t kept = 0;
    for (size_t i = 0; i < k; ++i) {
      const TaskId q = b[i];
      b[kept] = q;
      kept += q >= done ? 1 : 0;
    }
    k = kept;
  }
  const HostTask ht{.seq = seq,
                    .fn = t.fn,
                    .args = t.args.data(),
                    .numArgs = static_cast<uint32_t>(t.args.size()),
                    .preds = {b, k},
                    .worker = w};
  if (cfg.sink->submit(ht) == WaitStatus::Stalled) [[unlikely]]
    submitStalled(p, seq);
}

void Engine::Impl::submitStalled(ProcessId p, TaskId seq) {
  hostDeadlock(p, fmt::format("submit of task {}", seq).c_str());
}

void Engine::Impl::submitHost(ProcessId p, const TaskDesc& t, TaskId seq, uint32_t w, TaskId minProd) {
  submitHostBody(p, t, seq, w, minProd);
}

// The fast path's dep-list pool stall, from head sh: retires the oldest tasks until this
// task's edges fit; ok = false (this task's stamps undone) when an open scope is in the
// way or the task is larger than the pool. kList: the producers list holds every
// producer the task stamped; otherwise they are its deps >= minProd that carry the stamp.
// nDeps and ready: the task's semantic producers (those >= sh) and their latest finish.
template <bool kList>
PTO_INLINE inline Engine::Impl::DepStall Engine::Impl::depStallBody(const TaskDesc& t, TaskId sh, TaskId minProd,
                                                                    uint64_t t0, uint64_t nDeps, uint64_t ready,
                                                                    uint32_t stamp) {
  const uint64_t cap = cfg.schedule.depListCapacity;
  const std::span<const TaskId> deps = t.deps;
  if constexpr (!kList)
    if (deps.size() == 1 && nDeps != 0) rec(deps[0]).seen = stamp;  // the fast path left a lone dep unstamped
  auto fail = [&] {
    if constexpr (kList) {
      unstampPreds(stamp);
    } else {
      for (TaskId d : deps)
        if (d >= minProd && rec(d).seen == stamp) rec(d).seen = stamp - 1;
    }
    return DepStall{};
  };
  if (nDeps > cap) return fail();
  const uint64_t nDeps0 = nDeps;
  do {
    if (sh >= pendingFrom) return fail();
    do {
      if (rec(sh).seen == stamp) --nDeps;  // stamped = one of T's preds (>= sh here)
      t0 = std::max(t0, rec(sh).retire);
      ++sh;
    } while (sh < pendingFrom && rec(sh).retire <= t0);
  } while (totDeps - rec(sh - 1).cumDeps + nDeps > cap);
  // The retired tasks held none of its producers (the usual stall: it retires the oldest
  // few): the latest finish is the one it came with.
  if (nDeps == nDeps0) return {sh, t0, nDeps, ready, true};
  ready = 0;
  if constexpr (kList) {
    for (TaskId d : preds.span())
      if (d >= sh) ready = std::max(ready, rec(d).finish);
  } else {
    for (TaskId d : deps)
      if (d >= sh && rec(d).seen == stamp) ready = std::max(ready, rec(d).finish);
  }
  return {sh, t0, nDeps, ready, true};
}

template <bool kList>
Engine::Impl::DepStall Engine::Impl::depStall(const TaskDesc& t, TaskId sh, TaskId minProd, uint64_t t0,
                                              uint64_t nDeps, uint64_t ready, uint32_t stamp) {
  return depStallBody<kList>(t, sh, minProd, t0, nDeps, ready, stamp);
}

// The fast path: a kernel task without heap bytes whose regions fit the TensorMap pool
// and whose deps fit the dep-list pool as they are (the common task of a stream). Only a
// full task window can delay it; the rare cases (an open scope blocking the window, a
// full ready queue or pool) go to the general path before anything is committed. Same
// numbers as the general path, in fewer steps.
template <bool kHost, bool kSeen, bool kThrow>
Engine::Impl::IssueRet<kThrow> Engine::Impl::issueGeneralRet(Impl& m, ProcessId p, const TaskDesc& t,
                                                            int64_t pickedW) {
  IssueRet<kThrow> res;
  if constexpr (kThrow) {
    issueGeneral<kHost, kSeen, kThrow>(m, p, t, res, pickedW);
  } else {
    res.status = issueGeneral<kHost, kSeen, kThrow>(m, p, t, res.task, pickedW);
    if (res.status == IssueStatus::Blocked) {
      res.blockedOn = m.blockedRes;
      res.minimalCapacity = m.blockedMin;
    }
  }
  return res;
}

// A task without regions, with one, with two and with more each get their own copy of
// the fast path (kRegions = 0, 1, 2, 3, picked by Engine::issue): without regions, none
// of the TensorMap's values take registers; with one or two, the TensorMap's loops over
// the regions are unrolled. A single worker (kOne, fixed for the run) is also a copy of its own:
// worker 0 is then a constant.
template <bool kHost, bool kSeen, bool kThrow, int kRegions, bool kOne>
Engine::Impl::IssueRet<kThrow> Engine::Impl::issueFast(Impl& m, ProcessId p, const TaskDesc& t) {
  const abi::ScheduleConfig& sc = m.cfg.schedule;
  if ((t.heapBytes | static_cast<uint64_t>(t.structural)) != 0 || p >= m.numProcs ||
      t.args.size() > abi::kMaxTaskArgs) [[unlikely]]
    return issueGeneralRet<kHost, kSeen, kThrow>(m, p, t, -1);
  constexpr bool hasRegions = kRegions != 0;
  const std::span<const Region> regs = kRegions == 1   ? t.regions.first(1)
                                       : kRegions == 2 ? t.regions.first(2)
                                                       : t.regions;
  uint64_t needTmap = 0;
  if constexpr (hasRegions) {
    needTmap = m.tmap.cellsOfTask(regs);  // validates too
    if (needTmap > sc.tensorMapCapacity) [[unlikely]]
      return issueGeneralRet<kHost, kSeen, kThrow>(m, p, t, -1);
  }
  const TaskId seq = m.tail;
  uint32_t w = 0;
  if (!kOne) {  // malformed tasks are rejected before the policy sees them
    for (TaskId d : t.deps)
      if (d >= seq) [[unlikely]]
        m.rejectTask(p, t, 0);
    w = m.pickWorker(seq, t);
  }
  Rec* const ring = m.ring.data();
  const uint64_t mask = m.ringMask;
  Proc& P = m.procs[p];
  const TaskId sh0 = m.semHead, pend = m.pendingFrom;
  const uint64_t tIssue = P.time + sc.issueCycles;
  uint64_t t0 = tIssue;
  // Below pendingFrom a retire time is at least the one before it (each is the running
  // maximum), so waiting for the window is waiting for the last task it must drop.
  TaskId need = sh0;
  if (seq - sh0 >= sc.taskWindow) {
    need = seq + 1 - sc.taskWindow;
    if (need > pend) [[unlikely]]
      return issueGeneralRet<kHost, kSeen, kThrow>(m, p, t, w);
    t0 = std::max(t0, ring[(need - 1) & mask].retire);
  }
  auto retiredFrom = [&](TaskId from) PTO_INLINE {
    while (from < pend && ring[from & mask].retire <= t0) ++from;
    return from;
  };
  // The pools are looked at the head after the window, before the ready queue: every
  // task retired by then (a release exactly at t frees), from the window stall's head
  // or the committed one.
  TaskId sh = retiredFrom(t0 != tIssue ? need : sh0);
  if (hasRegions && needTmap != 0 && m.tmap.nextEntryId() - m.baseTmap + needTmap > sc.tensorMapCapacity &&
      m.tmap.nextEntryId() - (sh == sh0 ? m.baseTmap : ring[(sh - 1) & mask].eidEnd) + needTmap >
          sc.tensorMapCapacity)
      [[unlikely]]
    return issueGeneralRet<kHost, kSeen, kThrow>(m, p, t, w);
  // A zero-byte task's heap offset: the head, or 0 once the arena is empty at sh.
  uint64_t heapOff = m.heapHead;
  if (heapOff != 0 &&
      (m.totHeap == m.baseHeap || m.totHeap == (sh == sh0 ? m.baseHeap : ring[(sh - 1) & mask].cumHeap)))
    heapOff = 0;
  ReadyQ& q = m.readyQs[w];
  uint64_t qh = q.head;
  const uint64_t qTail = q.tail;
  while (qh != qTail && q.starts[qh & q.mask] <= t0) ++qh;
  if (qTail - qh >= sc.readyQueueCapacity) [[unlikely]]
    return issueGeneralRet<kHost, kSeen, kThrow>(m, p, t, w);
  // Dependencies (see the general path): stamped, counted and their finish taken at once.
  const std::span<const TaskId> deps = t.deps;
  const size_t nd = deps.size();
  TaskId minProd = sh;
  [[maybe_unused]] TaskId hostFrom = sh;  // the producers the host may still run are >= it
  if constexpr (kHost) {
    if (seq >= m.hostPollAt) {
      m.hostDone = std::max(m.hostDone, m.cfg.sink->finishedBelow());
      m.hostPollAt = seq + kHostPollEvery;
    }
    hostFrom = std::max(m.hostDone, m.popHead);
    minProd = std::min(sh, hostFrom);
  }
  const uint32_t stamp = static_cast<uint32_t>(seq);
  uint64_t nDeps = 0, ready = 0;
  // The producers list is read by the observer, the host and the TensorMap's walk; an
  // unwatched dry task without regions only needs the stamps (the rare paths below find
  // its producers again among its deps: those >= minProd carry this task's stamp).
  constexpr bool kList = kHost || kSeen || hasRegions;
  if constexpr (hasRegions) m.preds.n = 0;  // the walk appends to it
  // Only the host reads the list of a task without regions nobody watches: it keeps the
  // producers the host may still run (the rare paths find the others among the deps).
  constexpr bool kHostList = kHost && !kSeen && !hasRegions;
  if constexpr (hasRegions) {
    PredSum s;
    if (kRegions == 1 && m.tmap.onlyCell(regs)) {
      s = m.collectCellPreds(regs[0], minProd, sh, stamp);
    } else if (kRegions == 2 && m.tmap.twoCells(regs)) {
      s = m.collectCellPreds(regs[0], minProd, sh, stamp);
      const PredSum s1 = m.collectCellPreds(regs[1], minProd, sh, stamp, 1);
      s.count += s1.count;
      s.ready = std::max(s.ready, s1.ready);
    } else {
      s = m.collectDataPreds(t, minProd, sh, stamp);
    }
    nDeps = s.count;
    ready = s.ready;
  }
  const auto dataPreds = hasRegions ? static_cast<uint32_t>(m.preds.n) : 0;
  size_t pn = hasRegions ? m.preds.n : 0;
  // The list always holds one producer (the constructor sizes it): besides the walk's,
  // only a longer dep list needs room.
  if constexpr (hasRegions) {
    m.preds.reserveMore(nd);
  } else if constexpr (kList) {
    if (nd > 1) m.preds.reserveMore(nd);
  }
  TaskId* const pb = kList ? m.preds.buf.get() : nullptr;
  auto addDep = [&](TaskId d) PTO_INLINE {
    // Validated here (nothing is committed yet; the stamps of this task are undone).
    if (d >= seq) [[unlikely]]
      m.rejectStampedDeps(p, t, stamp);
    if (d < minProd) return;
    Rec& pr = ring[d & mask];
    if (pr.seen == stamp) return;
    pr.seen = stamp;
    if constexpr (kHostList) {
      if (d >= hostFrom) pb[pn++] = d;
    } else if constexpr (kList) {
      pb[pn++] = d;
    }
    if (!kHost || d >= sh) {
      ++nDeps;
      ready = std::max(ready, pr.finish);
    }
  };
  if (nd == 1) {  // a chain's edge: no loop to keep registers for
    if constexpr (kList && !kHostList) {
      addDep(deps[0]);
    } else {  // a lone dep needs no stamp to deduplicate it: the rare paths below stamp it
      const TaskId d = deps[0];
      if (d >= seq) [[unlikely]]
        m.rejectTask(p, t, 0);
      if constexpr (kHostList)
        if (d >= hostFrom) pb[pn++] = d;
      if (d >= sh) {
        nDeps = 1;
        ready = ring[d & mask].finish;
      }
    }
  } else {
    for (size_t i = 0; i < nd; ++i) addDep(deps[i]);
  }
  if constexpr (kList) m.preds.n = pn;
  // A full dep-list pool: retire as in the general path; an open scope in the way (or a
  // task larger than the pool) is the general path's to report. A task of several
  // regions (a reduction's, with many producers) fills the pool at every issue and
  // retires inline; for the others it is rare, and out of line its values do not take
  // the fast path's registers.
  const uint64_t tDeps = t0;
  if (m.totDeps - (sh == sh0 ? m.baseDeps : ring[(sh - 1) & mask].cumDeps) + nDeps > sc.depListCapacity)
      [[unlikely]] {
    auto take = [&](const DepStall& ds) PTO_INLINE {
      if (!ds.ok) return false;
      sh = ds.sh;
      t0 = ds.t0;
      nDeps = ds.nDeps;
      ready = ds.ready;
      return true;
    };
    // Two branches, not a ?: of the two calls: with ?: the several-region copy compiles
    // both, and the fan's issue costs ~37 more instructions (bench/runtime/instructions.sh).
    if constexpr (kRegions >= 2) {
      if (!take(m.depStallBody<true>(t, sh, minProd, t0, nDeps, ready, stamp)))
        return issueGeneralRet<kHost, kSeen, kThrow>(m, p, t, w);
    } else {
      if (!take(m.depStall<kList && !kHostList>(t, sh, minProd, t0, nDeps, ready, stamp)))
        return issueGeneralRet<kHost, kSeen, kThrow>(m, p, t, w);
    }
    while (qh != qTail && q.starts[qh & q.mask] <= t0) ++qh;  // started while it waited
  }

  // --- commit ----------------------------------------------------------------------------
  m.heapHead = heapOff;  // unchanged, or 0 for an empty arena
  RunStats& st = m.st;
  if (sh != sh0) {
    const Rec& last = ring[(sh - 1) & mask];
    m.baseTmap = last.eidEnd;
    m.baseDeps = last.cumDeps;
    m.baseHeap = last.cumHeap;
    m.semHead = sh;
  } else {  // the window only fills when nothing retired (tail - semHead <= its mark otherwise)
    auto& h = st.at(Resource::TaskRing).highWater;
    h = std::max(h, seq + 1 - sh);
  }
  const bool qPopped = qh != q.head;
  q.head = qh;
  m.popWindow<kHost, kSeen>(seq);
  if constexpr (hasRegions) {
    while (m.tmap.used() + needTmap > sc.tensorMapCapacity) m.popPhysical<kHost || kSeen>();
    m.tmap.insertTaskWithRoom(regs, seq);  // the cells collectDataPreds looked up
  }

  if (nDeps != 0) ready += sc.syncLatency;
  const uint64_t start = std::max({t0, ready, m.workerFree[w]});
  const uint64_t finish = start + t.cycles;
  // maxFinish is not kept here: a worker's free time is its latest finish, and stats()
  // takes the maximum over the workers.
  m.workerFree[w] = finish;
  P.time = t0;
  if (hasRegions && needTmap != 0) {
    auto& h = st.at(Resource::TensorMapPool).highWater;
    h = std::max(h, m.tmap.nextEntryId() - m.baseTmap);
  }
  {  // without edges the occupancy is at most the mark (it only grows by edges): no branch
    m.totDeps += nDeps;
    auto& h = st.at(Resource::DepListPool).highWater;
    h = std::max(h, m.totDeps - m.baseDeps);
  }

  Rec& r = ring[seq & mask];
  m.commitRec<kSeen>(r, seq, finish, p, P, stamp, pend);
  if (start > t0) {
    q.starts[qTail & q.mask] = start;
    q.tail = qTail + 1;
    if (!qPopped) {  // after a pop the queue is no longer than it was
      auto& h = st.at(Resource::ReadyQueue).highWater;
      h = std::max(h, qTail + 1 - qh);
    }
  }
  if (!kOne) ++q.tasks;  // a lone worker runs every kernel task: stats() counts them
  q.busyCycles += t.cycles;
  // Only the task window (up to tDeps) and the dep-list pool (after it) can have stalled it.
  int lastStall = -1;
  if (tDeps > tIssue) {
    ResourceStats& rs = st.at(Resource::TaskRing);
    ++rs.stalls;
    rs.stallCycles += tDeps - tIssue;
    lastStall = static_cast<int>(Resource::TaskRing);
    if constexpr (kSeen)
      if (m.cfg.traceWriter) m.cfg.traceWriter->addStall(Resource::TaskRing, p, seq, tIssue, tDeps - tIssue);
  }
  if (t0 > tDeps) [[unlikely]] {
    ResourceStats& rs = st.at(Resource::DepListPool);
    ++rs.stalls;
    rs.stallCycles += t0 - tDeps;
    lastStall = static_cast<int>(Resource::DepListPool);
    if constexpr (kSeen)
      if (m.cfg.traceWriter) m.cfg.traceWriter->addStall(Resource::DepListPool, p, seq, tDeps, t0 - tDeps);
  }
  m.lastStall = lastStall;
  const uint64_t line = (seq * 0x9e3779b97f4a7c15ull) ^ (((uint64_t{t.kernel} << 32) | w) * 0xc2b2ae3d27d4eb4full) ^
                        (t0 * 0x165667b19e3779f9ull) ^ (start * 0xd6e8feb86659fd93ull) ^
                        ((finish + 0x27d4eb2f165667c5ull) * 0xff51afd7ed558ccdull);
  const uint64_t tl = (m.timeline ^ line) * 0x9e3779b97f4a7c15ull;
  m.timeline = tl ^ (tl >> 29);
  // The result is built once, in the caller's return slot (each lambda returns its one
  // named object), and the observer reads it there: no zero fill, no copy.
  const uint64_t heapOffset = m.cfg.heapReserved + heapOff;
  auto done = [&](const TaskTimes& o) PTO_INLINE {
    if constexpr (kSeen) m.notify(p, t, o, r, sh, dataPreds);
    if constexpr (kHost) m.submitHostBody(p, t, seq, w, kHostList ? hostFrom : minProd);
    (void)o;
  };
  (void)dataPreds;
  if constexpr (kThrow) {
    return [&]() PTO_INLINE {
      TaskTimes o{seq, w, t0, ready, start, finish, heapOffset, static_cast<uint32_t>(nDeps)};
      done(o);
      return o;
    }();
  } else {
    return [&]() PTO_INLINE {
      IssueResult o{IssueStatus::Issued,
                    {seq, w, t0, ready, start, finish, heapOffset, static_cast<uint32_t>(nDeps)},
                    Resource::TaskRing,
                    0};
      done(o.task);
      return o;
    }();
  }
}

void Engine::Impl::chooseIssue() {
  hasExtras = cfg.trace || cfg.traceWriter;
  oneWorker = cfg.schedule.workers == 1;
  const bool host = cfg.sink != nullptr;
  const bool seen = cfg.observer || cfg.trace || cfg.traceWriter || cfg.progress;
  auto copy = [&]<bool kThrow, int kRegions, bool kOne>() {
    if (host)
      return seen ? &issueFast<true, true, kThrow, kRegions, kOne> : &issueFast<true, false, kThrow, kRegions, kOne>;
    return seen ? &issueFast<false, true, kThrow, kRegions, kOne> : &issueFast<false, false, kThrow, kRegions, kOne>;
  };
  auto pick = [&]<bool kOne, int... kRegions>(std::integer_sequence<int, kRegions...>) {
    ((tryIssueFn[kRegions] = copy.template operator()<false, kRegions, kOne>(),
      issueFn[kRegions] = copy.template operator()<true, kRegions, kOne>()),
     ...);
  };
  constexpr auto kCopies = std::make_integer_sequence<int, 4>{};
  if (oneWorker)
    pick.template operator()<true>(kCopies);
  else
    pick.template operator()<false>(kCopies);
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

}  // namespace pto::wsp::rt
