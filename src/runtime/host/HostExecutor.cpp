// HostExecutor: orchestrator side (submit, waits, watchdog) and the public API. The
// protocol and the invariants are described in HostExecutorImpl.h; the worker threads
// are in HostWorker.cpp.
#include "HostExecutorImpl.h"

#include "pto/wsp/runtime/Engine.h"
#include "pto/wsp/support/Assert.h"

#include <fmt/format.h>

#include <dlfcn.h>

#include <algorithm>
#include <cstring>
#include <mutex>
#include <vector>

namespace pto::wsp::rt {

namespace {
// Names a kernel function for a report: its dynamic symbol (the kernels of a compiled
// package are exported `pto_k_<name>` functions), else its address.
std::string kernelSymbol(pto_kernel_fn fn) {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(fn), &info) != 0 && info.dli_sname != nullptr &&
      info.dli_saddr == reinterpret_cast<void*>(fn))
    return info.dli_sname;
  return fmt::format("{}", reinterpret_cast<void*>(fn));
}
}  // namespace

HostExecutorConfig HostExecutorConfig::fromSchedule(const abi::ScheduleConfig& s, uint32_t hostThreads) {
  HostExecutorConfig c;
  c.hostThreads = hostThreads;
  c.window = s.taskWindow;
  c.depListCapacity = s.depListCapacity;
  c.readyQueueCapacity = s.taskWindow;
  return c;
}

HostExecutor::Impl::Impl(const HostExecutorConfig& c) : cfg(c), W(c.window), T(c.hostThreads) {
  PTO_INTERNAL_ASSERT(c.hostThreads >= 1 && c.hostThreads < 0xffff,
                      "host executor needs 1..65534 threads, got {}", c.hostThreads);
  PTO_INTERNAL_ASSERT(c.window >= 1, "host executor window must be >= 1");
  PTO_INTERNAL_ASSERT(c.depListCapacity >= 1 && c.depListCapacity < kEmpty,
                      "dep-list capacity must be in 1..{}, got {}", kEmpty - 1,
                      c.depListCapacity);
  PTO_INTERNAL_ASSERT(c.readyQueueCapacity >= 1, "ready queue capacity must be >= 1");
  slots = std::make_unique<Slot[]>(W);
  // Not zeroed: a kernel only reads the numArgs words written at submit, and untouched
  // pages stay out of the resident set.
  args = std::make_unique_for_overwrite<uint64_t[]>(size_t{W} * abi::kMaxTaskArgs);
  entries = std::make_unique<DepEntry[]>(c.depListCapacity);
  for (uint32_t i = 0; i < c.depListCapacity; ++i)
    entries[i] = {0, i + 1 < c.depListCapacity ? i + 1 : kEmpty};
  freeHead = 0;
  freeCount = c.depListCapacity;
  grantFast();
  for (uint32_t i = 0; i < T; ++i)
    queues.push_back(std::make_unique<detail::ReadyQueue>(c.readyQueueCapacity));
  workers = std::make_unique<WorkerState[]>(T);
  ring.capacity = W;
  depList.capacity = c.depListCapacity;
  ready.capacity = c.readyQueueCapacity;
  // Handing entries back one chain per task costs a contended CAS per task; workers
  // batch up to a quarter of the pool between them and flush before going idle, so
  // the orchestrator can never wait on entries held by an idle worker.
  returnBatch = std::min<uint32_t>(64, c.depListCapacity / (4 * T));
  startNs = monoNs();
  for (uint32_t i = 0; i < T; ++i) threads.emplace_back([this, i] { workerMain(i); });
}

HostExecutor::Impl::~Impl() {
  PTO_INTERNAL_ASSERT(threads.empty(), "host executor freed with {} live worker threads",
                      threads.size());
}

bool HostExecutor::Impl::shutdown() {
  const bool stuck = stalledAt != kNoStall && totalFinished() == stalledAt;
  const bool drained = !stuck && drain() == WaitStatus::Ok;
  stop.store(true, std::memory_order_seq_cst);
  wakeEpoch.fetch_add(1, std::memory_order_seq_cst);
  detail::futexWake(wakeEpoch, std::numeric_limits<int>::max());
  for (auto& th : threads) {
    if (drained) th.join();
    else th.detach();
  }
  threads.clear();
  return drained;
}

// ---------------------------------------------------------------- orchestrator

void HostExecutor::Impl::refill() {
  // The stack holds whole chains; a chain's first entry names its last one, whose
  // `succ` holds the chain's length (see flushReturns).
  // A plain load first: the dep-list wait calls this in its spin loop, and an exchange
  // per probe would steal the line from a worker handing entries back.
  freeCount += fastLeft;
  if (returned.load(std::memory_order_relaxed) != kEmpty) {
    depList.highWater = std::max<uint64_t>(depList.highWater, cfg.depListCapacity - freeCount);
    uint32_t h = returned.exchange(kEmpty, std::memory_order_acquire);
    while (h != kEmpty) {
      const uint32_t last = entries[h].succ;
      freeCount += last == h ? 1 : entries[last].succ;
      const uint32_t n = entries[last].next;
      entries[last].next = freeHead;
      freeHead = h;
      h = n;
    }
  }
  grantFast();
  updateFastEnd();
}

// Upper bound on the dep entries submit(t) will take: preds that may still be running.
uint32_t HostExecutor::Impl::countOpenPreds(const HostTask& t) const {
  uint32_t k = 0;
  TaskSeq prev = kAnyTarget;
  for (const TaskSeq p : t.preds) {
    if (p + W <= t.seq || p == prev) continue;
    prev = p;
    // acquire: when every pred is seen closed, nothing else orders their kernels'
    // writes before this task (found by TSan).
    if (headOf(slots[p % W].state.load(std::memory_order_acquire)) != kClosed) ++k;
  }
  return k;
}

template <class Cond>
WaitStatus HostExecutor::Impl::waitUntil(Cond&& cond, uint64_t target, HostResourceStats* rs) {
  if (cond()) return WaitStatus::Ok;
  const uint64_t t0 = monoNs();
  auto account = [&](uint64_t now) {
    if (rs != nullptr) {
      ++rs->stalls;
      rs->stallNs += now - t0;
    }
  };
  // Spin while the workers make progress: on a full ring the slot frees within a task
  // or two, while a park costs a wake-up latency (milliseconds on a loaded machine)
  // during which the workers drain the whole window and go idle.
  uint64_t spinFrom = t0;
  uint64_t seen = totalFinished();
  for (int i = 1;; ++i) {
    if (i % kYieldEvery == 0) {
      std::this_thread::yield();
      const uint64_t now = monoNs();
      const uint64_t done = totalFinished();
      if (done != seen) {
        seen = done;
        spinFrom = now;
      } else if (now - spinFrom > kOrchSpinNs) {
        break;
      }
    } else {
      cpuRelax();
    }
    if (cond()) {
      account(monoNs());
      return WaitStatus::Ok;
    }
  }
  uint64_t lastDone = totalFinished();
  uint64_t lastProgress = t0;
  const uint64_t limitNs = uint64_t{cfg.watchdogMs} * 1'000'000;
  for (;;) {
    const uint32_t e = orchEpoch.load(std::memory_order_seq_cst);
    orchTarget.store(target, std::memory_order_relaxed);
    orchWaiting.store(1, std::memory_order_seq_cst);
    if (cond()) {
      orchWaiting.store(0, std::memory_order_relaxed);
      break;
    }
    uint64_t chunk = kSleepChunkNs;
    if (limitNs != 0) chunk = std::min(chunk, limitNs);
    detail::futexWait(orchEpoch, e, chunk);
    orchWaiting.store(0, std::memory_order_relaxed);
    if (cond()) break;
    if (limitNs != 0) {
      const uint64_t now = monoNs();
      const uint64_t done = totalFinished();
      if (done != lastDone) {
        lastDone = done;
        lastProgress = now;
      } else if (now - lastProgress >= limitNs) {
        account(now);
        stalledAt = done;
        return WaitStatus::Stalled;
      }
    }
  }
  account(monoNs());
  return WaitStatus::Ok;
}

void HostExecutor::Impl::rejectTask(const HostTask& t) const {
  PTO_INTERNAL_ASSERT(t.seq == next, "host executor: task seq {} submitted, expected {}", t.seq, next);
  PTO_INTERNAL_ASSERT(t.seq <= kMaxSeq, "host executor: task seq {} beyond {}", t.seq, kMaxSeq);
  PTO_INTERNAL_ASSERT(t.numArgs <= abi::kMaxTaskArgs && (t.numArgs == 0 || t.args != nullptr),
                      "host executor: task {} has {} args (max {})", t.seq, t.numArgs,
                      abi::kMaxTaskArgs);
  for (const TaskSeq p : t.preds)
    PTO_INTERNAL_ASSERT(p < t.seq, "host executor: task {} depends on later task {}", t.seq, p);
  PTO_UNREACHABLE("host executor: task {} rejected", t.seq);
}

void HostExecutor::Impl::rejectPred(TaskSeq s, TaskSeq p) const {
  PTO_UNREACHABLE("host executor: task {} depends on later task {}", s, p);
}

void HostExecutor::Impl::slotMismatch(TaskSeq p, uint64_t state) const {
  PTO_UNREACHABLE("host executor: slot of task {} holds {}", p, tagOf(state));
}

WaitStatus HostExecutor::Impl::waitRing(TaskSeq s, uint32_t idx) {
  const uint64_t want = pack(s - W + 1, kClosed);
  Slot& slot = slots[idx];
  return waitUntil([&] { return slot.state.load(std::memory_order_acquire) == want; }, s - W,
                   &ring);
}

// The slow part of step 2: the pool looks short, or entries were taken since the last
// refill. Hand returned entries back, count the preds that may still be running exactly
// when the pool is still short, and wait for entries if even that does not fit.
// Returns the entries to reserve, or kNone when the watchdog fired.
uint32_t HostExecutor::Impl::reserveDepEntries(const HostTask& t) {
  refill();
  uint32_t k = t.preds.size() < kEmpty ? static_cast<uint32_t>(t.preds.size()) : kEmpty;
  if (k <= freeTotal()) return k;
  k = countOpenPreds(t);
  if (k <= freeTotal()) return k;
  const WaitStatus st = waitUntil(
      [&] {
        refill();
        k = countOpenPreds(t);
        return k <= freeTotal();
      },
      kAnyTarget, &depList);
  return st == WaitStatus::Stalled ? kNone : k;
}

// Ring occupancy high water: the span from the oldest unfinished task to s, which is
// what the window must cover for submit never to wait. Sampled (every kSampleEvery
// tasks and on every ring stall, where it is W) because scanning slots costs cache
// misses; sampleAt is the first seq at which that condition can hold (retirePtr only
// grows).
void HostExecutor::Impl::sampleRing(TaskSeq s) {
  // Every task up to the next sample gets a representable tag (submit does not check).
  PTO_INTERNAL_ASSERT(s <= kMaxSeq - kSampleEvery, "host executor: task seq {} beyond {}", s,
                      kMaxSeq - kSampleEvery);
  if ((s & (kSampleEvery - 1)) == 0 || s + 1 - retirePtr >= W) {
    scanFinished();
    ring.highWater = std::max<uint64_t>(ring.highWater, std::min<uint64_t>(W, s + 1 - retirePtr));
  }
  sampleAt = std::min<TaskSeq>((s | (kSampleEvery - 1)) + 1, retirePtr + W - 1);
  if (sampleAt <= s) sampleAt = s + 1;  // ring full: sample the next task again
}

// Step 4 of the general path: register as a successor of every pred still running.
// pending starts at k (>= the edges registered here), so it cannot reach 0 before
// registration ends; the surplus is removed afterwards (no guard RMW at all when every
// pred registered). True when the task is ready now.
bool HostExecutor::Impl::registerPreds(const HostTask& t, uint32_t idx, uint32_t k) {
  const TaskSeq s = t.seq;
  Slot& slot = slots[idx];
  slot.pending.store(static_cast<int32_t>(k), std::memory_order_relaxed);
  DepEntry* const ent = entries.get();
  Slot* const sl = slots.get();
  const uint32_t w = W;
  uint32_t fh = freeHead;
  uint32_t registered = 0;
  TaskSeq prev = kAnyTarget;
  for (const TaskSeq p : t.preds) {
    if (p >= s) [[unlikely]]
      rejectTask(t);
    const TaskSeq d = s - p;  // the pred's slot is d behind this one
    if (d >= w || p == prev) continue;
    prev = p;
    Slot& ps = sl[idx >= d ? idx - d : idx + w - d];
    uint64_t cur = ps.state.load(std::memory_order_acquire);
    if (headOf(cur) == kClosed) continue;
    // registered < k <= freeTotal(): the free list holds an entry
    const uint32_t e = fh;
    const uint32_t afterE = ent[e].next;
    if (afterE != kEmpty) prefetchForWrite(&ent[afterE]);  // as on the leaf path
    ent[e].succ = idx;
    for (;;) {
      if (tagOf(cur) != p + 1) [[unlikely]]
        slotMismatch(p, cur);
      ent[e].next = headOf(cur);
      if (ps.state.compare_exchange_weak(cur, pack(p + 1, e), std::memory_order_release,
                                         std::memory_order_acquire)) {
        fh = afterE;
        ++registered;
        break;
      }
      if (headOf(cur) == kClosed) {  // finished meanwhile: already satisfied
        ent[e].next = afterE;
        break;
      }
    }
  }
  freeHead = fh;
  const uint32_t fromFast = std::min(fastLeft, registered);
  fastLeft -= fromFast;
  freeCount -= registered - fromFast;
  // Drop the surplus; whoever brings pending to 0 makes the task ready.
  if (registered == k) return false;
  if (registered == 0) return true;
  const int32_t drop = static_cast<int32_t>(k - registered);
  return slot.pending.fetch_sub(drop, std::memory_order_acq_rel) == drop;
}

// The end of a general submit, or of a leaf one that made its task ready.
WaitStatus HostExecutor::Impl::finishSubmit(uint32_t idx, uint32_t hint, bool ready) {
  if (ready) pushFromOrchestrator(idx, hint);
  const TaskSeq s = next - 1;
  if (s >= sampleAt) {
    sampleRing(s);
    // Returned entries are taken back at the same period (fastLeft covers it unless the
    // pool is short), so a stream leaves the leaf path once per period, not twice.
    refill();
  }
  updateFastEnd();
  return WaitStatus::Ok;
}

// The general path: any number of preds, waits for the ring slot and the dep-list pool
// (host stalls), validation with messages.
WaitStatus HostExecutor::Impl::submitGeneral(const HostTask& t) {
  const TaskSeq s = t.seq;
  if (s != next || s > kMaxSeq || t.numArgs > abi::kMaxTaskArgs ||
      (t.numArgs != 0 && t.args == nullptr)) [[unlikely]]
    rejectTask(t);
  const uint32_t idx = static_cast<uint32_t>(s - lapBase);
  Slot& slot = slots[idx];

  // 1. TASK_RING: the previous occupant s - W must have finished. Nothing is mutated
  //    before both resources are secured, so a Stalled submit can simply be retried.
  if (s >= retirePtr + W) scanFinished();  // keeps the fast path's ring test passing
  if (s >= W && slot.state.load(std::memory_order_acquire) != pack(s - W + 1, kClosed)) {
    if (waitRing(s, idx) == WaitStatus::Stalled) return WaitStatus::Stalled;
  }

  // 2. DEPLIST_POOL: reserve an entry for every pred that may still be running (the
  //    pred count bounds it; count exactly only when the pool is short).
  uint32_t k = t.preds.size() < kEmpty ? static_cast<uint32_t>(t.preds.size()) : kEmpty;
  if (k != 0 && (k > freeTotal() || fastLeft == 0)) {
    k = reserveDepEntries(t);
    if (k == kNone) return WaitStatus::Stalled;
  }

  // 3. Fill the slot. Published to workers by the release CASes / queue push.
  fillSlot(s, idx, t.fn, t.args, t.numArgs);
  if (idx + 1 == W) lapBase += W;
  // 4. and 5. Register; whoever brings pending to 0 makes the task ready.
  const bool ready = k == 0 || registerPreds(t, idx, k);
  return finishSubmit(idx, t.worker, ready);
}

// The per-task hand-off for a task with at most one pred and resources at hand (the
// common task of a stream): plain stores into the slot and, when the pred is still
// running, one CAS on its state, which is also what tells its finishing worker about
// the new successor. Anything else goes, before anything is mutated, to the general
// path (`general`, which also rejects malformed tasks with their message; a pred that is
// not earlier is rejected here): fastEnd bounds the seqs for which the ring slot is known
// free, no ring sample is due, the slot is not its lap's last and a dep entry is at hand. The one rare end (ready now)
// goes to finishSubmit. Every call out is a tail call, so this path saves no registers.
template <class General>
[[gnu::always_inline]] inline WaitStatus HostExecutor::Impl::submitLeaf(TaskSeq s, bool hasPred, TaskSeq p,
                                                                        pto_kernel_fn fn, const uint64_t* args,
                                                                        uint32_t na, uint32_t worker,
                                                                        General&& general) {
  if (s != next || s >= fastEnd || (na != 0 && (na > abi::kMaxTaskArgs || args == nullptr)))
      [[unlikely]]
    return general();  // s <= kMaxSeq is checked by sampleRing, ahead of time
  const TaskSeq base = lapBase;
  const uint32_t idx = static_cast<uint32_t>(s - base);  // < W - 1: no wrap below
  // The pred's slot: in this lap, or in the previous one while p is less than W back (it
  // still holds p then: ring invariant, asserted on the general path); older preds have
  // finished. Found before the fill so that the task's fields are all that stays live.
  Slot* ps = nullptr;
  if (hasPred) {
    if (p >= s) [[unlikely]]
      rejectPred(s, p);
    const bool thisLap = p >= base;
    if (thisLap || s - p < W) ps = &slots[thisLap ? p - base : p + W - base];
  }
  Slot& slot = slots[idx];
  fillSlot(s, idx, fn, args, na);
  bool ready = true;
  if (ps != nullptr) {
    uint64_t cur = ps->state.load(std::memory_order_acquire);
    if (headOf(cur) != kClosed) {
      slot.pending.store(1, std::memory_order_relaxed);
      const uint32_t e = freeHead;  // fastLeft >= 1 below fastEnd: the free list holds one
      DepEntry& de = entries[e];
      const uint32_t afterE = de.next;
      // The next submit's entry: a worker read its line when it last followed the entry
      // (finishing its pred); taken now, the next submit does not wait for that core
      // (TensorMap chain's submitting thread: 81 -> 63 ns/task, docs/performance.md).
      if (afterE != kEmpty) prefetchForWrite(&entries[afterE]);
      de.succ = idx;
      const uint64_t tag = pack(p + 1, 0);
      do {
        de.next = headOf(cur);
        if (ps->state.compare_exchange_weak(cur, tag | e, std::memory_order_release,
                                            std::memory_order_acquire)) {
          ready = false;
          break;
        }
      } while (headOf(cur) != kClosed);  // else finished meanwhile: already satisfied
      if (ready) {
        de.next = afterE;
      } else {
        freeHead = afterE;
        if (--fastLeft == 0) fastEnd = 0;  // the next submit refills
      }
    }
  }
  if (ready) [[unlikely]]
    return finishSubmit(idx, worker, true);
  return WaitStatus::Ok;
}

[[gnu::always_inline]] inline WaitStatus HostExecutor::Impl::submit(const HostTask& t) {
  const size_t np = t.preds.size();
  if (np > 1) return submitGeneral(t);
  return submitLeaf(t.seq, np != 0, np != 0 ? t.preds[0] : 0, t.fn, t.args, t.numArgs, t.worker,
                    [&] { return submitGeneral(t); });
}

WaitStatus HostExecutor::Impl::submitOneGeneral(const TaskDesc& d, TaskSeq s, TaskSeq pred, uint32_t worker) {
  return submitGeneral(hostTaskOf(d, s, pred, worker));
}

void HostExecutor::Impl::scanFinished() {
  TaskSeq r = retirePtr;
  const TaskSeq n = next;
  if (r + W < n) r = n - W;  // their slots were reused: finished
  // At most two runs of consecutive slots (the ring wraps once); per probe one load and
  // one compare against the expected closed state, which grows by one tag per slot.
  // Four probes per loop test: the scan runs once per finished task.
  const Slot* const sl = slots.get();
  const Slot* const end = sl + W;
  const Slot* p = sl + r % W;
  constexpr uint64_t kTag = uint64_t{1} << kHeadBits;
  uint64_t want = pack(r + 1, kClosed);
  while (r < n) {
    const Slot* const stop = p + std::min<TaskSeq>(n - r, static_cast<TaskSeq>(end - p));
    const Slot* q = p;
    while (stop - q >= 4 && q[0].state.load(std::memory_order_acquire) == want &&
           q[1].state.load(std::memory_order_acquire) == want + kTag &&
           q[2].state.load(std::memory_order_acquire) == want + 2 * kTag &&
           q[3].state.load(std::memory_order_acquire) == want + 3 * kTag) {
      q += 4;
      want += 4 * kTag;
    }
    while (q != stop && q->state.load(std::memory_order_acquire) == want) {
      ++q;
      want += kTag;
    }
    r += static_cast<TaskSeq>(q - p);
    if (q != stop) break;
    p = q == end ? sl : q;
  }
  retirePtr = r;
}

void HostExecutor::Impl::pushFromOrchestrator(uint32_t idx, uint32_t hint) {
  uint64_t size = 0;
  const uint32_t q0 = hint % T;
  for (uint32_t i = 0; i < T; ++i) {
    const uint32_t q = q0 + i < T ? q0 + i : q0 + i - T;
    if (queues[q]->tryPush(idx, size)) {
      ready.highWater = std::max(ready.highWater, size);
      maybeWakeWorker(size >= 2);
      return;
    }
  }
  // Every queue is full: park the task on the overflow list threaded through the ring
  // (bounded by the window) instead of blocking; counted as a READY_QUEUE stall.
  ++ready.stalls;
  uint32_t h = overflow.load(std::memory_order_relaxed);
  do {
    slots[idx].nextReady = h;
  } while (!overflow.compare_exchange_weak(h, idx, std::memory_order_release,
                                           std::memory_order_relaxed));
  maybeWakeWorker(true);
}

WaitStatus HostExecutor::Impl::waitFinished(TaskSeq s) {
  PTO_INTERNAL_ASSERT(s < next, "host executor: waiting for task {} never submitted", s);
  return waitUntil([&] { return isFinished(s); }, s, nullptr);
}

WaitStatus HostExecutor::Impl::drain() {
  // One wait per run of tasks found unfinished, not one per task: the scan skips every
  // task that finished while the orchestrator waited.
  for (scanFinished(); retirePtr < next; scanFinished())
    if (waitFinished(retirePtr) == WaitStatus::Stalled) return WaitStatus::Stalled;
  refill();
  wallNs = monoNs() - startNs;
  return WaitStatus::Ok;
}

TaskSeq HostExecutor::Impl::finishedBelow() {
  scanFinished();
  return retirePtr;
}

uint64_t HostExecutor::Impl::totalFinished() const {
  uint64_t n = 0;
  for (uint32_t i = 0; i < T; ++i) n += workers[i].tasksRun.load(std::memory_order_relaxed);
  return n;
}

HostStallSnapshot HostExecutor::Impl::takeSnapshot() {
  HostStallSnapshot snap;
  while (retirePtr < next && isFinished(retirePtr)) ++retirePtr;
  snap.oldestUnfinished = retirePtr;
  uint64_t unfinished = 0;
  for (TaskSeq q = retirePtr; q < next; ++q) unfinished += isFinished(q) ? 0 : 1;
  snap.unfinished = unfinished;
  for (uint32_t i = 0; i < T; ++i) {
    const uint64_t r = workers[i].runningSeq.load(std::memory_order_relaxed);
    if (r == 0) continue;
    // Its slot cannot be reused while it runs, and fn was written by this thread.
    const TaskSeq seq = r - 1;
    const pto_kernel_fn fn = slots[seq % W].fn;
    snap.runningTasks.push_back({seq, i, kernelSymbol(fn), reinterpret_cast<const void*>(fn)});
  }
  return snap;
}

// ---------------------------------------------------------------- public API

HostExecutor::HostExecutor(const HostExecutorConfig& cfg) : impl_(std::make_unique<Impl>(cfg)) {}

HostExecutor::~HostExecutor() {
  if (impl_->shutdown()) return;
  // A stuck kernel's thread still runs on this state: keep it alive for the process
  // lifetime (reachable, so leak checkers stay quiet; never destroyed at exit, where
  // the thread may still be inside the kernel).
  static auto* abandoned = new std::vector<std::unique_ptr<Impl>>();
  static std::mutex mu;
  std::lock_guard lock(mu);
  abandoned->push_back(std::move(impl_));
}

WaitStatus HostExecutor::submit(const HostTask& t) { return impl_->submit(t); }
WaitStatus HostExecutor::submitOne(const TaskDesc& d, TaskSeq seq, TaskSeq pred, uint32_t worker) {
  const uint64_t* const args = d.args.data();
  const auto na = static_cast<uint32_t>(d.args.size());
  return impl_->submitLeaf(seq, pred != kNoPred, pred, d.fn, args, na, worker,
                           [&] { return impl_->submitOneGeneral(d, seq, pred, worker); });
}
WaitStatus HostExecutor::waitFinished(TaskSeq seq) { return impl_->waitFinished(seq); }
WaitStatus HostExecutor::drain() { return impl_->drain(); }
TaskSeq HostExecutor::finishedBelow() { return impl_->finishedBelow(); }

HostStats HostExecutor::stats() const {
  const Impl& m = *impl_;
  HostStats s;
  s.ring = m.ring;
  s.depList = m.depList;
  s.depList.highWater = std::max<uint64_t>(s.depList.highWater, m.cfg.depListCapacity - m.freeTotal());
  s.readyQueue = m.ready;
  for (uint32_t i = 0; i < m.T; ++i) {
    const WorkerState& ws = m.workers[i];
    s.tasksRun += ws.tasksRun.load(std::memory_order_relaxed);
    s.inlineRuns += ws.inlineRuns.load(std::memory_order_relaxed);
    s.readyQueue.stalls += ws.readyOverflows.load(std::memory_order_relaxed);
    s.readyQueue.highWater =
        std::max(s.readyQueue.highWater, ws.readyHighWater.load(std::memory_order_relaxed));
  }
  s.wallNs = m.wallNs;
  return s;
}

bool HostExecutor::hostTimes(TaskSeq seq, HostTaskTimes& out) const {
  const Impl& m = *impl_;
  if (!m.cfg.recordTimes || seq >= m.next || seq + m.W < m.next) return false;
  const Slot& slot = m.slots[seq % m.W];
  if (slot.state.load(std::memory_order_acquire) != pack(seq + 1, kClosed)) return false;
  out.startNs = slot.startNs;
  out.endNs = slot.endNs;
  out.hostThread = slot.hostThread;
  return true;
}

HostStallSnapshot HostExecutor::stallSnapshot() const { return impl_->takeSnapshot(); }

const HostExecutorConfig& HostExecutor::config() const { return impl_->cfg; }

}  // namespace pto::wsp::rt
