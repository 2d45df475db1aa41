// Private to the host executor: shared by HostExecutor.cpp (orchestrator side,
// public API) and HostWorker.cpp (worker threads).
#pragma once

// HostExecutor: bounded ring of task slots, lock-free successor lists, per-worker
// bounded ready queues with stealing, inline execution of one ready successor.
//
// Protocol (the invariants the code relies on):
//  * Slot state is one 64-bit word: (seq + 1) << 24 | successor-list head. The head is
//    kEmpty (open, no successors), an entry index, or kClosed (the task finished).
//    Registering as a successor is a CAS push that fails once the head is kClosed, and
//    finishing is one exchange to kClosed: so "pred finishing" and "registering as its
//    successor" are linearised on that word and an edge is never lost nor counted
//    against a task that already finished.
//  * Task s may reuse slot s % W only after its previous occupant s - W finished.
//    Hence, while s is being submitted, every task <= s - W has finished (induction on
//    s), and every pred p > s - W still owns slot p % W: its state tells whether it is done.
//    The orchestrator knows the slot is free either from the watermark (s - W < retirePtr,
//    every task below retirePtr was seen finished with an acquire load) or by probing it.
//  * pending starts at k = the number of preds (>= the edges that will be registered)
//    and the orchestrator subtracts the surplus (preds found finished) after
//    registering, so the task becomes ready exactly once, by whoever brings pending
//    to 0 (orchestrator or a finishing worker); no extra RMW when all preds register.
//  * Dep entries are taken from an orchestrator-private free list; finishing workers
//    hand whole successor chains back through one Treiber stack that the orchestrator
//    empties with a single exchange (single consumer: no ABA).
//  * A ready task goes to the finishing worker's inline slot (the fast path), else a
//    bounded ready queue; when every queue is full it goes to an intrusive list
//    threaded through the ring slots (bounded by the window, never allocates).
//  * Parking: workers and the orchestrator spin (time-bounded; the orchestrator keeps
//    spinning while tasks finish), then sleep on a futex. Every
//    sleep is a Dekker pair (publish, seq_cst, check the other side) so no wake-up is
//    lost; waits of the orchestrator use timeouts to run the watchdog.

#include "pto/wsp/runtime/host/HostExecutor.h"

#include "HostReadyQueue.h"
#include "HostSync.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <thread>
#include <vector>

namespace pto::wsp::rt {
namespace detail {

inline constexpr uint32_t kHeadBits = 24;
inline constexpr uint64_t kHeadMask = (uint64_t{1} << kHeadBits) - 1;
inline constexpr uint32_t kClosed = static_cast<uint32_t>(kHeadMask);  // list closed: task finished
inline constexpr uint32_t kEmpty = kClosed - 1;                         // open, no successors
inline constexpr uint32_t kNone = std::numeric_limits<uint32_t>::max();
inline constexpr uint64_t kAnyTarget = std::numeric_limits<uint64_t>::max();
inline constexpr uint64_t kMaxSeq = (uint64_t{1} << (64 - kHeadBits)) - 2;
inline constexpr uint32_t kSleeper = 1u << 16;  // idle word: spinning count | sleepers << 16

inline uint64_t pack(uint64_t tag, uint32_t head) { return tag << kHeadBits | head; }
inline uint64_t tagOf(uint64_t st) { return st >> kHeadBits; }
inline uint32_t headOf(uint64_t st) { return static_cast<uint32_t>(st & kHeadMask); }

struct alignas(64) Slot {
  std::atomic<uint64_t> state{pack(0, kClosed)};
  std::atomic<int32_t> pending{0};
  uint32_t numArgs = 0;
  uint32_t nextReady = kNone;  // intrusive link while in an overflow list
  uint32_t hostThread = 0;     // cfg.recordTimes only: the worker thread that ran it
  TaskSeq seq = 0;
  pto_kernel_fn fn = nullptr;
  uint64_t startNs = 0, endNs = 0;  // cfg.recordTimes only; published by the finish exchange
};
// One cache line per slot: the argument words live in a parallel array (argsOf) so
// that empty or few-argument tasks do not drag 384 bytes per slot through the caches.
static_assert(sizeof(Slot) == 64, "a ring slot header is one cache line");

// The argument words of a task into its slot. On x86-64 an inline `rep movsq` instead
// of a memcpy call: a call would make submit's common path save and restore six
// registers for every task. Sanitizer builds keep memcpy, which they instrument.
inline void copyArgs(uint64_t* dst, const uint64_t* src, uint64_t n) {
#if defined(__x86_64__) && !defined(__SANITIZE_THREAD__) && !defined(__SANITIZE_ADDRESS__)
  asm volatile("rep movsq" : "+D"(dst), "+S"(src), "+c"(n) : : "memory");
#else
  std::memcpy(dst, src, sizeof(uint64_t) * n);
#endif
}

struct DepEntry {
  uint32_t succ;  // slot index of the successor
  uint32_t next;  // next entry in the list, or kEmpty
};

// Written only by its worker (relaxed stores), read by the orchestrator.
struct alignas(64) WorkerState {
  std::atomic<uint64_t> tasksRun{0};
  std::atomic<uint64_t> inlineRuns{0};
  std::atomic<uint64_t> readyOverflows{0};
  std::atomic<uint64_t> readyHighWater{0};
  std::atomic<uint64_t> runningSeq{0};  // seq + 1 while inside a kernel, else 0
};

inline void bump(std::atomic<uint64_t>& c, uint64_t by = 1) {
  c.store(c.load(std::memory_order_relaxed) + by, std::memory_order_relaxed);
}
inline void raise(std::atomic<uint64_t>& c, uint64_t v) {
  if (v > c.load(std::memory_order_relaxed)) c.store(v, std::memory_order_relaxed);
}

// Spin budgets before parking (tuned on a 2-vCPU box shared by 3 threads: a spinning
// idle thread steals the core the orchestrator or the busy worker needs).
// Spinning is time-bounded (a futex wake-up costs microseconds on an idle machine and
// milliseconds on a loaded one, far more than the task it waits for); every 32nd
// probe yields so a spinner sharing a core with the thread it waits for lets it run.
inline constexpr uint64_t kWorkerSpinNs = 50'000;
inline constexpr uint64_t kOrchSpinNs = 100'000;
inline constexpr int kYieldEvery = 32;
// A worker that runs dry less than kTrailingBusyNs after it found work is trailing the
// orchestrator: it gets tasks one at a time as they are submitted. Probing for the next
// one continuously (every ~25 ns) keeps it at the orchestrator's heels on an idle
// machine, so every submit pays cache-line transfers (the slot, the predecessor's
// state, the ready queue, the idle word): 112-148 ns of orchestrator CPU per task on
// the Engine chain instead of ~60. Such a worker probes only every kWorkerProbeGapNs
// (pausing in between, touching no shared line), so the orchestrator runs ahead by a
// batch that the worker then runs inline -- what a loaded machine does by descheduling
// the spinner. A worker that was busy longer (real kernels) probes continuously as
// before, so its start latency does not grow. Measured in docs/performance.md,
// "Idle-machine executor contention".
inline constexpr uint64_t kTrailingBusyNs = 20'000;
inline constexpr uint64_t kWorkerProbeGapNs = 20'000;
inline constexpr uint64_t kTrailingSpinNs = 100'000;  // then park, as kWorkerSpinNs
inline constexpr int kPausesPerGapStep = 40;  // ~1 us of pause between clock reads
inline constexpr uint64_t kSleepChunkNs = 20'000'000;  // watchdog polling period while parked

}  // namespace detail

// Private header included by the two executor sources only.
using namespace detail;  // NOLINT(google-build-using-namespace)

struct HostExecutor::Impl {
  explicit Impl(const HostExecutorConfig& c);
  ~Impl();
  // Drains and joins the workers; false if a kernel is stuck, in which case the
  // workers were told to stop and detached, and this Impl must never be freed.
  bool shutdown();

  // ---- orchestrator side ----
  WaitStatus submit(const HostTask& t);
  template <class General>
  WaitStatus submitLeaf(TaskSeq s, bool hasPred, TaskSeq p, pto_kernel_fn fn, const uint64_t* args, uint32_t na,
                        uint32_t worker, General&& general);
  [[gnu::noinline]] WaitStatus submitOneGeneral(const TaskDesc& d, TaskSeq s, TaskSeq pred, uint32_t worker);
  [[noreturn, gnu::noinline, gnu::cold]] void rejectTask(const HostTask& t) const;
  [[noreturn, gnu::noinline, gnu::cold]] void rejectPred(TaskSeq s, TaskSeq p) const;
  [[noreturn, gnu::noinline, gnu::cold]] void slotMismatch(TaskSeq p, uint64_t state) const;
  WaitStatus waitRing(TaskSeq s, uint32_t idx);
  uint32_t reserveDepEntries(const HostTask& t);
  void sampleRing(TaskSeq s);
  bool registerPreds(const HostTask& t, uint32_t idx, uint32_t k);
  WaitStatus submitGeneral(const HostTask& t);
  WaitStatus finishSubmit(uint32_t idx, uint32_t hint, bool ready);
  // Step 3 of submit: the slot's fields, then its state (open, no successors); published
  // to workers by the release CAS on a pred's state or the ready-queue push that follows.
  // The caller moves lapBase past a lap's last slot (the leaf path never fills that one).
  void fillSlot(TaskSeq s, uint32_t idx, pto_kernel_fn fn, const uint64_t* args, uint32_t na) {
    Slot& slot = slots[idx];
    slot.seq = s;
    slot.fn = fn;
    slot.numArgs = na;
    if (na != 0) copyArgs(argsOf(idx), args, na);
    slot.state.store(pack(s + 1, kEmpty), std::memory_order_relaxed);
    next = s + 1;
  }
  WaitStatus waitFinished(TaskSeq s);
  WaitStatus drain();
  TaskSeq finishedBelow();
  template <class Cond>
  WaitStatus waitUntil(Cond&& cond, uint64_t target, HostResourceStats* rs);
  bool isFinished(TaskSeq q) const {
    return q + W < next ||
           slots[q % W].state.load(std::memory_order_acquire) == pack(q + 1, kClosed);
  }
  // Advances retirePtr over finished tasks (one slot probe per newly finished task).
  void scanFinished();
  void refill();
  uint32_t countOpenPreds(const HostTask& t) const;
  void pushFromOrchestrator(uint32_t idx, uint32_t hint);
  uint64_t totalFinished() const;
  HostStallSnapshot takeSnapshot();

  // ---- worker side ----
  struct Returns {  // dep entries a worker finished with, not yet handed back
    uint32_t first = kEmpty, last = kEmpty, count = 0;
  };
  void workerMain(uint32_t w);
  bool findWork(uint32_t w, uint32_t& deferred, uint32_t& idx);
  void runFrom(uint32_t w, uint32_t idx, uint32_t& deferred, Returns& ret);
  void pushFromWorker(uint32_t w, uint32_t idx, uint32_t& deferred);
  bool anyQueued() const;
  bool anyKernelRunning() const;
  void maybeWakeWorker(bool backlog);
  void wakeWorker();
  void maybeWakeOrchestrator(TaskSeq finished);
  void flushReturns(Returns& r);

  HostExecutorConfig cfg;
  uint32_t W;  // window
  uint32_t T;  // worker threads
  std::unique_ptr<Slot[]> slots;
  std::unique_ptr<uint64_t[]> args;  // window * abi::kMaxTaskArgs argument words
  uint64_t* argsOf(uint32_t idx) { return &args[size_t{idx} * abi::kMaxTaskArgs]; }
  std::unique_ptr<DepEntry[]> entries;
  std::vector<std::unique_ptr<detail::ReadyQueue>> queues;
  std::unique_ptr<WorkerState[]> workers;
  std::vector<std::thread> threads;
  uint32_t returnBatch = 0;  // entries a worker may hold before handing them back

  // Orchestrator-private, written on every submit: on its own lines, away from the
  // fields every worker reads per task (slots, entries, W, T, ...).
  alignas(64) TaskSeq next = 0;
  TaskSeq lapBase = 0;    // the seq in slot 0 this lap: next - lapBase = next % W
  // The leaf path (submit) runs for seqs below fastEnd: the ring slot's old occupant has
  // finished (below retirePtr + W), no ring sample is due (below sampleAt), the slot is
  // not its lap's last (no wrap) and fastLeft >= 1 (0 otherwise). Recomputed wherever
  // one of these may shrink; a stale value is only ever too small.
  TaskSeq fastEnd = 0;
  TaskSeq retirePtr = 0;  // every task < retirePtr is known to have finished
  TaskSeq sampleAt = 0;   // next submit that may sample the ring high water
  uint32_t freeHead = kEmpty;
  // The free entries are split in two: fastLeft, granted to the fast path at a refill
  // (at most kRefillEvery, so returned entries are taken back at least that often) and
  // counted down by it alone, and freeCount, the rest. freeTotal() is the free list's
  // length.
  uint32_t freeCount = 0;
  uint32_t fastLeft = 0;
  static constexpr uint32_t kRefillEvery = 256;
  static constexpr uint64_t kSampleEvery = 256;  // ring high-water period (a power of two)
  uint32_t freeTotal() const { return freeCount + fastLeft; }
  void grantFast() {
    fastLeft = std::min(freeCount, kRefillEvery);
    freeCount -= fastLeft;
  }
  void updateFastEnd() {
    fastEnd = fastLeft == 0 ? 0 : std::min({retirePtr + W, sampleAt, lapBase + W - 1});
  }
  // depList.highWater is folded in when entries come back (refill) and by stats(): the
  // occupancy only grows between refills, so that is its exact maximum.
  HostResourceStats ring, depList, ready;
  uint64_t startNs = 0;
  uint64_t wallNs = 0;

  alignas(64) std::atomic<uint32_t> returned{kEmpty};  // dep chains handed back
  alignas(64) std::atomic<uint32_t> overflow{kNone};   // ready slots no queue could take
  alignas(64) std::atomic<uint32_t> idle{0};           // spinning | sleepers << 16
  std::atomic<uint32_t> wakeEpoch{0};
  // Set at destruction (after the last drain, or when a stuck kernel made it give up):
  // workers start no kernel. Read by every worker before each search for work, so on
  // its own line, away from the idle word they keep writing.
  alignas(64) std::atomic<bool> stop{false};
  // A wait returned Stalled when totalFinished() was stalledAt (kNoStall: never):
  // destruction then does not wait another watchdog period for the same kernel.
  // Orchestrator thread only.
  uint64_t stalledAt = kNoStall;
  static constexpr uint64_t kNoStall = ~uint64_t{0};
  alignas(64) std::atomic<uint32_t> orchWaiting{0};
  std::atomic<uint64_t> orchTarget{0};
  std::atomic<uint32_t> orchEpoch{0};
};

}  // namespace pto::wsp::rt
