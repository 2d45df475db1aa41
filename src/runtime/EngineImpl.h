// Engine internals shared by Engine.cpp (issue path) and EngineReport.cpp (stats and
// reports). Private to src/runtime; docs/runtime.md describes the data structures.
#pragma once

#include "pto/wsp/runtime/DispatchPolicy.h"
#include "pto/wsp/runtime/Engine.h"
#include "pto/wsp/runtime/TensorMap.h"
#include "pto/wsp/support/Assert.h"

#include <algorithm>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

namespace pto::wsp::rt {


uint64_t engineNowNs();  // steady clock, ns

// The issue path's small helpers must inline into it whatever its size.
#define PTO_INLINE __attribute__((always_inline))

// Tasks between two refreshes of the host watermark on the issue path. A refresh probes
// the ring slots the workers have just closed, lines they wrote; every 64 issues this cost
// the Engine chain's submitting thread ~4 ns/task more than every 256 (no gain beyond).
inline constexpr TaskId kHostPollEvery = 256;

inline constexpr uint32_t kNoTrace = ~uint32_t{0};
inline constexpr uint32_t kStreamOnly = kNoTrace - 1;  // traced in traceRing, not traceRecs

// One issued task, kept while it is in the physical ring. One cache line: the issue
// path writes one record and reads two old ones (at the semantic and physical heads)
// per task, so its size is memory traffic per task.
struct alignas(64) Rec {
  uint64_t finish = 0;
  // Retire time once known (task < pendingFrom). Before that: the end time of the
  // scope that held it, once that scope ended (0 while it is open).
  uint64_t retire = 0;
  uint64_t cumDeps = 0, cumHeap = 0;  // running totals including this task
  // TensorMap next id after its entries: the pool's running total (every entry of a
  // task is inserted at its issue, in issue order), so it needs no total of its own.
  uint64_t eidEnd = 0;
  uint32_t traceIdx = kNoTrace;                    // index in traceRecs, if traced
  uint32_t scope = 0;                              // serial of the open scope holding it
  uint32_t process = 0;
  uint32_t seen = 0;  // id (low bits) of the latest task that listed it as a producer
};
static_assert(sizeof(Rec) == 64, "a task record is one cache line");

struct ScopeRec {
  uint32_t serial = 0;
  TaskId beginSeq = 0;
};

struct Proc {
  std::string name;
  uint64_t time = 0;
  std::vector<ScopeRec> scopes;
};

// Per worker FIFO of start times of tasks dispatched to it and not started yet, and the
// worker's statistics (RunStats::workers is filled from them by stats()): one line per
// worker, so the issue path computes one address for both.
struct alignas(64) ReadyQ {
  std::vector<uint64_t> starts;
  uint64_t head = 0, tail = 0, mask = 0;
  uint64_t tasks = 0, busyCycles = 0;  // WorkerStats
  uint64_t size() const { return tail - head; }
  uint64_t front() const { return starts[head & mask]; }
};
static_assert(sizeof(ReadyQ) == 64, "a worker's queue and statistics are one cache line");

// The producers of the task being issued (unordered): a bare buffer, because a push on
// the issue path must be a store, not a call.
struct PredBuf {
  std::unique_ptr<TaskId[]> buf;
  size_t n = 0, cap = 0;
  void grow(size_t need) {
    const size_t c = std::max<size_t>({need, 2 * cap, 64});
    auto nb = std::make_unique<TaskId[]>(c);
    std::copy(buf.get(), buf.get() + n, nb.get());
    buf = std::move(nb);
    cap = c;
  }
  void reserveMore(size_t k) {
    if (n + k > cap) [[unlikely]]
      grow(n + k);
  }
  void push(TaskId d) { buf[n++] = d; }  // after reserveMore
  void pushChecked(TaskId d) {
    reserveMore(1);
    push(d);
  }
  std::span<const TaskId> span() const { return {buf.get(), n}; }
};

// A walk's view of the producers list in locals, for the walks of a task's wide regions
// (collectDataPreds, out of line): there a report's stores would otherwise make every
// report reload the list's fields from the Engine. (In the single-cell walks, inlined in
// the issue path, the locals cost more registers than the reloads save.)
struct PredCursor {
  TaskId* buf;
  size_t n, cap;
  explicit PredCursor(const PredBuf& b) : buf(b.buf.get()), n(b.n), cap(b.cap) {}
  void commit(PredBuf& b) const { b.n = n; }
};

// Semantic dependencies among the producers collected: how many, their latest finish.
struct PredSum {
  uint64_t count = 0, ready = 0;
};

struct Engine::Impl {
  EngineConfig cfg;
  std::unique_ptr<DispatchPolicy> policy;
  TensorMap tmap;
  std::vector<Rec> ring;
  uint64_t ringMask = 0;
  // popHead <= semHead <= pendingFrom <= tail (task ids).
  TaskId popHead = 0;      // oldest task physically present
  TaskId semHead = 0;      // oldest task not retired at the semantic horizon
  TaskId pendingFrom = 0;  // oldest task whose retirement is not known yet
  TaskId tail = 0;         // next task id
  // Host watermark (sink->finishedBelow()): every task < hostDone finished on the host.
  // Only host-side work reads it (which producers to hand over, whether a pop must
  // wait); semantic state never does, so host speed cannot change a semantic number.
  TaskId hostDone = 0;
  TaskId hostPollAt = 0;   // next task id at which issue refreshes hostDone
  uint64_t lastRetire = 0;
  uint64_t baseDeps = 0, baseHeap = 0;  // totals released by retirement
  uint64_t totDeps = 0, totHeap = 0;
  // The TensorMap pool's: the entry id end of the retired tasks (its total is
  // tmap.nextEntryId(); ids start at 1).
  uint64_t baseTmap = 1;
  uint64_t heapHead = 0;
  uint64_t taskHeap = 0;  // the arena after cfg.heapReserved: what tasks share
  uint64_t maxFinish = 0;
  uint32_t nextScope = 1;
  uint32_t openScopes = 0;  // over all processes: while none is open, a commit skips its process's list
  std::vector<Proc> procs;
  std::vector<uint64_t> workerFree;
  std::vector<ReadyQ> readyQs;
  RunStats st;
  int lastStall = -1;        // Resource of the latest issue's stall, -1 if it did not stall
  uint64_t timeline = 0x243f6a8885a308d3ull;  // running timeline digest
  std::vector<TraceRecord> traceRecs;
  std::vector<TraceRecord> traceRing;  // cfg.traceWriter: records of the tasks in the ring
  PredBuf preds;                    // producers of the task being issued (unordered)
  std::vector<TaskId> predScratch;  // awaitRegion's producers
  uint64_t startNs = 0;
  bool drained = false;
  bool hostStalled = false;  // the host watchdog fired (a DeadlockError was thrown)

  explicit Impl(const EngineConfig& c) : cfg(c), tmap(std::max<uint32_t>(c.schedule.tensorMapCapacity, 1)) {}

  // HEAP_ARENA occupancy: the caller's reservation plus the live tasks' footprint.
  uint64_t heapInUse() const { return cfg.heapReserved + totHeap - baseHeap; }

  Rec& rec(TaskId id) { return ring[id & ringMask]; }
  const Rec& rec(TaskId id) const { return ring[id & ringMask]; }

  uint64_t cumBefore(TaskId id, uint64_t Rec::*field, uint64_t base) const {
    return id == semHead ? base : rec(id - 1).*field;
  }

  // Drops the oldest physically present task (retired). A dry run without a trace
  // writer only releases its TensorMap entries (kMaybeHost = false: known at compile time).
  template <bool kMaybeHost>
  void popPhysical() {
    if (kMaybeHost && (cfg.sink || cfg.traceWriter)) return popPhysicalHost();
    PTO_INTERNAL_ASSERT(popHead < semHead, "popping task {} before it retired (semHead {})", popHead, semHead);
    tmap.releaseBefore(rec(popHead).eidEnd);
    ++popHead;
  }
  // Makes room in the ring for task seq (its window holds retired tasks only: the fast
  // path calls it once its window stall has retired them). Dry and without a trace
  // writer, the tasks leave at once: entry ids grow with the task, so releasing the last
  // one's TensorMap entries releases all of theirs.
  // kHost / kSeen: the issue path's (a sink; an observer, trace, trace writer or progress).
  template <bool kHost, bool kSeen>
  PTO_INLINE void popWindow(TaskId seq) {
    const uint64_t window = cfg.schedule.taskWindow;
    if (seq - popHead < window) return;
    const TaskId np = seq - window + 1;
    // With a sink and no trace, a pop only needs the host to have finished the task:
    // known for all of them at once when the last is below the host watermark. Without a
    // sink, only a trace writer needs each record (it streams them).
    bool oneByOne = false;
    if constexpr (kHost)
      oneByOne = (kSeen && hasExtras) || np > hostDone;
    else if constexpr (kSeen)
      oneByOne = cfg.traceWriter != nullptr;
    if (oneByOne) {
      while (seq - popHead >= window) popPhysicalHost();
      return;
    }
    tmap.releaseBefore(rec(np - 1).eidEnd);
    popHead = np;
  }
  // Fills the record of the task just issued as seq, and settles its retire time when
  // nothing is pending before it and no scope holds it. Shared by both issue paths.
  template <bool kTraced>
  PTO_INLINE void commitRec(Rec& r, TaskId seq, uint64_t finish, ProcessId p, const Proc& P, uint32_t stamp,
                            TaskId pend) {
    r.finish = finish;
    r.cumDeps = totDeps;
    r.cumHeap = totHeap;
    r.eidEnd = tmap.nextEntryId();
    // Only a traced run (kSeen) gives a record a trace index: otherwise every record keeps
    // the kNoTrace it was built with.
    if constexpr (kTraced) r.traceIdx = kNoTrace;
    r.seen = stamp;
    tail = seq + 1;
    if (openScopes != 0 && !P.scopes.empty()) [[unlikely]] {
      r.retire = 0;
      r.scope = P.scopes.back().serial;
      r.process = p;  // only read for a record a scope holds
    } else {
      r.scope = 0;
      if (pend == seq) {  // nothing pending: it retires at its finish, in order
        const uint64_t ret = std::max(finish, lastRetire);
        r.retire = ret;
        lastRetire = ret;
        pendingFrom = seq + 1;
      } else {
        r.retire = 0;
      }
    }
  }
  void popPhysicalHost();
  void fetchHostTimes(TaskId id);
  void hostDeadlock(ProcessId p, const char* during);
  // A stalled submit of task seq, reported out of line: the report's string would make
  // every submit save registers.
  [[gnu::cold, gnu::noinline]] void submitStalled(ProcessId p, TaskId seq);
  void streamTrace(TaskId id);
  void resolvePending();
  // The issue path: one instantiation per (host sink, observed, Blocked throws) is chosen
  // at construction: plain function pointers, no per-task branch on what is fixed for the
  // run. Each returns the API's result itself (built once, in the caller's return slot:
  // no zero-filled result to overwrite).
  template <bool kThrow>
  using IssueRet = std::conditional_t<kThrow, TaskTimes, IssueResult>;
  using TryIssueFn = IssueResult (*)(Impl&, ProcessId, const TaskDesc&);
  using IssueFn = TaskTimes (*)(Impl&, ProcessId, const TaskDesc&);
  // [k]: for a task of k regions, [3]: of more (Engine::issue picks).
  TryIssueFn tryIssueFn[4] = {};  // Blocked: returned
  IssueFn issueFn[4] = {};        // Blocked: DeadlockError of a single stream
  void chooseIssue();
  template <bool kHost, bool kSeen, bool kThrow, int kRegions, bool kOne>
  static IssueRet<kThrow> issueFast(Impl& m, ProcessId p, const TaskDesc& t);
  // The general path's result as the API's (out of line: the fast path's frame stays small).
  template <bool kHost, bool kSeen, bool kThrow>
  [[gnu::noinline]] static IssueRet<kThrow> issueGeneralRet(Impl& m, ProcessId p, const TaskDesc& t, int64_t pickedW);
  // Everything else; pickedW >= 0: the worker the fast path already asked the policy for.
  template <bool kHost, bool kSeen, bool kThrow>
  [[gnu::noinline]] static IssueStatus issueGeneral(Impl& m, ProcessId p, const TaskDesc& t, TaskTimes& out,
                                                    int64_t pickedW);
  struct DepStall {
    TaskId sh = 0;
    uint64_t t0 = 0, nDeps = 0, ready = 0;
    bool ok = false;
  };
  // The fast path's dep-list pool stall (EngineIssue.cpp): the body, inlined where a full
  // pool is the common case (a task of several regions), and an out-of-line copy.
  template <bool kList>
  PTO_INLINE inline DepStall depStallBody(const TaskDesc& t, TaskId sh, TaskId minProd, uint64_t t0, uint64_t nDeps,
                                          uint64_t ready, uint32_t stamp);
  template <bool kList>
  [[gnu::cold, gnu::noinline]] DepStall depStall(const TaskDesc& t, TaskId sh, TaskId minProd, uint64_t t0,
                                                 uint64_t nDeps, uint64_t ready, uint32_t stamp);
  const Engine* owner = nullptr;
  // The stall counters an issue bumped (bit i of `stalled`: resource i), taken back.
  [[gnu::cold, gnu::noinline]] void takeBackStalls(uint32_t stalled, const uint64_t* stallCycles);
  [[gnu::cold, gnu::noinline]] void issueBlocked(ProcessId p, const TaskDesc& t, Resource r, uint64_t minimal,
                                                 uint32_t stalled, const uint64_t* stallCycles, bool raise);
  [[gnu::cold, gnu::noinline]] void unstampPreds(uint32_t stamp);
  [[noreturn, gnu::cold, gnu::noinline]] void rejectStampedDeps(ProcessId p, const TaskDesc& t, uint32_t stamp);
  uint32_t numProcs = 0;  // procs.size()
  Resource blockedRes = Resource::TaskRing;  // of the latest Blocked tryIssue
  uint64_t blockedMin = 0;
  // The worker of task seq: a cyclic policy's next one inline, any other's pick() out of line.
  PTO_INLINE uint32_t pickWorker(TaskId seq, const TaskDesc& t) {
    return policy->cyclic() ? policy->nextCyclic() : pickByContext(seq, t);
  }
  [[gnu::noinline]] uint32_t pickByContext(TaskId seq, const TaskDesc& t);
  // An issue that asked the policy for w and then ended Blocked or rejected: the policy
  // as if it had not asked (only a cyclic one keeps state).
  void unpick(uint32_t w) {
    if (policy->cyclic()) policy->rewindCyclic(w);
  }
  PredSum collectDataPreds(const TaskDesc& t, TaskId minProd, TaskId depFrom, uint32_t stamp);
  PTO_INLINE inline auto predCollector(PredSum& s, TaskId depFrom, uint32_t stamp);
  PTO_INLINE inline PredSum collectCellPreds(const Region& r, TaskId minProd, TaskId depFrom, uint32_t stamp,
                                             size_t i = 0);
  void publish(ProcessId p, const TaskDesc& t, const TaskTimes& out, Rec& r);
  bool hasExtras = false;  // cfg.trace || cfg.traceWriter
  bool oneWorker = false;  // cfg.schedule.workers == 1
  // What a run sees of a committed task: the progress counter and the observer's event
  // built in place (no call of their own), then the traces (publish) when configured.
  PTO_INLINE void notify(ProcessId p, const TaskDesc& t, const TaskTimes& out, Rec& r, TaskId depFrom,
                         uint32_t dataPreds) {
    if (cfg.progress && (out.id & (kProgressEvery - 1)) == 0) [[unlikely]]
      cfg.progress->store(out.id, std::memory_order_relaxed);
    if (TaskObserver* o = cfg.observer)
      o->onIssue({.id = out.id, .kernel = t.kernel, .worker = out.worker, .process = p, .structural = t.structural,
                  .cycles = t.cycles, .issue = out.issue, .ready = out.ready, .start = out.start,
                  .finish = out.finish, .preds = preds.span(), .depFrom = depFrom, .dataPreds = dataPreds,
                  .seqDeps = t.seqDeps});
    if (hasExtras) [[unlikely]]
      publish(p, t, out, r);
  }
  void submitHost(ProcessId p, const TaskDesc& t, TaskId seq, uint32_t w, TaskId minProd);
  PTO_INLINE inline void submitHostBody(ProcessId p, const TaskDesc& t, TaskId seq, uint32_t w, TaskId minProd);
  // Both leave the Engine as it was (no grain learned from t's regions), as a Blocked
  // issue does.
  [[noreturn]] void rejectTask(ProcessId p, const TaskDesc& t, uint64_t needTmap);
  [[noreturn]] void rejectDeps(const TaskDesc& t, uint64_t nDeps);
  [[noreturn]] void singleStreamDeadlock(ProcessId p, const TaskDesc& t, Resource blockedOn, uint64_t minimal) const;
};

}  // namespace pto::wsp::rt
