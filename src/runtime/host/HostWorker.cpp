// HostExecutor worker threads: find work (own queue, overflow list, stealing), run
// kernels, release successors (one inline), park. See HostExecutorImpl.h.
#include "HostExecutorImpl.h"

namespace pto::wsp::rt {

bool HostExecutor::Impl::anyQueued() const {
  if (overflow.load(std::memory_order_relaxed) != kNone) return true;
  for (const auto& q : queues)
    if (q->maybeNonEmpty()) return true;
  return false;
}

bool HostExecutor::Impl::anyKernelRunning() const {
  for (uint32_t i = 0; i < T; ++i)
    if (workers[i].runningSeq.load(std::memory_order_relaxed) != 0) return true;
  return false;
}

void HostExecutor::Impl::wakeWorker() {
  wakeEpoch.fetch_add(1, std::memory_order_seq_cst);
  detail::futexWake(wakeEpoch, 1);
}

// Called after publishing ready work. Wakes a sleeper only when nobody awake can be
// counted on to pick it up soon: no thread is spinning and either every worker sleeps,
// there is a backlog, or the awake workers are inside kernels. (Waking on every push
// would cost a syscall per task on a chain and oversubscribe the 2 cores.)
void HostExecutor::Impl::maybeWakeWorker(bool backlog) {
  detail::fullFence();
  const uint32_t st = idle.load(std::memory_order_relaxed);
  const uint32_t sleepers = st >> 16;
  if (sleepers == 0 || (st & 0xffff) != 0) return;
  if (sleepers == T || backlog || anyKernelRunning()) wakeWorker();
}

void HostExecutor::Impl::maybeWakeOrchestrator(TaskSeq finished) {
  if (orchWaiting.load(std::memory_order_seq_cst) == 0) return;
  const uint64_t target = orchTarget.load(std::memory_order_relaxed);
  if (target != kAnyTarget && target != finished) return;
  if (orchWaiting.exchange(0, std::memory_order_seq_cst) != 0) {
    orchEpoch.fetch_add(1, std::memory_order_seq_cst);
    detail::futexWake(orchEpoch, 1);
  }
}

void HostExecutor::Impl::pushFromWorker(uint32_t w, uint32_t idx, uint32_t& deferred) {
  uint64_t size = 0;
  for (uint32_t i = 0; i < T; ++i) {
    const uint32_t q = w + i < T ? w + i : w + i - T;
    if (queues[q]->tryPush(idx, size)) {
      raise(workers[w].readyHighWater, size);
      return;
    }
  }
  // All queues full: keep it on this worker's private list (threaded through the ring).
  bump(workers[w].readyOverflows);
  slots[idx].nextReady = deferred;
  deferred = idx;
}

bool HostExecutor::Impl::findWork(uint32_t w, uint32_t& deferred, uint32_t& idx) {
  if (deferred != kNone) {
    idx = deferred;
    deferred = slots[idx].nextReady;
    return true;
  }
  if (queues[w]->tryPop(idx)) return true;
  if (overflow.load(std::memory_order_relaxed) != kNone) {
    const uint32_t h = overflow.exchange(kNone, std::memory_order_acquire);
    if (h != kNone) {
      idx = h;
      deferred = slots[h].nextReady;
      return true;
    }
  }
  for (uint32_t i = 1; i < T; ++i) {
    const uint32_t q = w + i < T ? w + i : w + i - T;
    if (queues[q]->tryPop(idx)) return true;
  }
  return false;
}

void HostExecutor::Impl::flushReturns(Returns& r) {
  if (r.count == 0) return;
  // Returned entries have no successor any more: their `succ` fields carry the chain's
  // shape so that refill() splices whole chains without walking them (a walk is a
  // pointer chase through lines this worker wrote: ~a cache miss per entry).
  entries[r.first].succ = r.last;
  if (r.first != r.last) entries[r.last].succ = r.count;
  uint32_t head = returned.load(std::memory_order_relaxed);
  do {
    entries[r.last].next = head;
  } while (!returned.compare_exchange_weak(head, r.first, std::memory_order_seq_cst,
                                           std::memory_order_relaxed));
  r = Returns{};
}

void HostExecutor::Impl::runFrom(uint32_t w, uint32_t idx, uint32_t& deferred, Returns& ret) {
  WorkerState& me = workers[w];
  for (;;) {
    Slot& slot = slots[idx];
    const TaskSeq seq = slot.seq;
    // The next task in the ring is often the next one this worker releases and runs (a
    // chain's successor: its `pending` is decremented, its fields read): its slot is in
    // the orchestrator's cache, just filled. Taken for writing now, the transfer overlaps
    // this task instead of following it (executor alone on the chain: 49 -> 42 ns/task,
    // docs/performance.md).
    prefetchForWrite(&slots[idx + 1 < W ? idx + 1 : 0]);
    if (cfg.recordTimes) {
      slot.startNs = monoNs() - startNs;
      slot.hostThread = w;
    }
    if (slot.fn != nullptr) {
      me.runningSeq.store(seq + 1, std::memory_order_relaxed);
      if (T > 1) {
        // Dekker partner of maybeWakeWorker: a push that saw no kernel running is
        // visible here, so work queued behind this kernel gets another worker.
        detail::fullFence();
        const uint32_t st = idle.load(std::memory_order_relaxed);
        if ((st >> 16) != 0 && (st & 0xffff) == 0 && anyQueued()) wakeWorker();
      }
      slot.fn(argsOf(idx), slot.numArgs);
      me.runningSeq.store(0, std::memory_order_relaxed);
    }
    if (cfg.recordTimes) slot.endNs = monoNs() - startNs;
    // Count the run before publishing "done": whoever observes the task finished (drain,
    // waitFinished) then also observes the count, so stats() after drain() is exact.
    bump(me.tasksRun);
    // Finish: close the successor list and publish "done" in one step. The slot may be
    // reused by the orchestrator from here on; only `old` is used below.
    const uint64_t old = slot.state.exchange(pack(seq + 1, kClosed), std::memory_order_seq_cst);
    uint32_t inlineNext = kNone;
    bool pushed = false;
    uint32_t h = headOf(old);
    if (h != kEmpty) {
      const uint32_t first = h;
      uint32_t last = h;
      uint32_t chainLen = 0;
      while (h != kEmpty) {
        ++chainLen;
        const DepEntry e = entries[h];
        if (slots[e.succ].pending.fetch_sub(1, std::memory_order_acq_rel) == 1) {
          if (inlineNext == kNone) {
            inlineNext = e.succ;
          } else {
            pushFromWorker(w, e.succ, deferred);
            pushed = true;
          }
        }
        last = h;
        h = e.next;
      }
      entries[last].next = ret.first;
      if (ret.first == kEmpty) ret.last = last;
      ret.first = first;
      ret.count += chainLen;
      if (ret.count > returnBatch) flushReturns(ret);
    }
    if (pushed) maybeWakeWorker(true);
    maybeWakeOrchestrator(seq);
    if (inlineNext == kNone || stop.load(std::memory_order_relaxed)) return;
    bump(me.inlineRuns);
    idx = inlineNext;
  }
}

void HostExecutor::Impl::workerMain(uint32_t w) {
  uint32_t deferred = kNone;
  uint32_t idx = 0;
  Returns ret;
  uint64_t busyFrom = 0;  // when this worker last found work after being idle
  for (;;) {
    // Set only after the last drain, or when a stuck kernel made destruction give up:
    // then nothing else may start (the buffers of the run may be gone).
    if (stop.load(std::memory_order_relaxed)) return;
    if (findWork(w, deferred, idx)) {
      runFrom(w, idx, deferred, ret);
      continue;
    }
    if (ret.count != 0) {
      flushReturns(ret);
      maybeWakeOrchestrator(kAnyTarget);
    }
    idle.fetch_add(1, std::memory_order_seq_cst);  // spinning
    bool got = false;
    const uint64_t spin0 = monoNs();
    if (spin0 - busyFrom < kTrailingBusyNs) {
      // Trailing the orchestrator (see kWorkerProbeGapNs): probe only every gap, and
      // touch no shared line in between.
      for (uint64_t now = spin0; !got && now - spin0 <= kTrailingSpinNs;) {
        const uint64_t probeAt = now + kWorkerProbeGapNs;
        do {
          std::this_thread::yield();  // ~every us: on a loaded machine, give the core away
          for (int k = 0; k < kPausesPerGapStep; ++k) cpuRelax();
          now = monoNs();
        } while (now < probeAt);
        got = findWork(w, deferred, idx);
      }
    } else {
      for (int i = 1; !got; ++i) {
        if (i % kYieldEvery == 0) {
          std::this_thread::yield();
          if (monoNs() - spin0 > kWorkerSpinNs) break;
        } else {
          cpuRelax();
        }
        got = findWork(w, deferred, idx);
      }
    }
    if (got) {
      idle.fetch_sub(1, std::memory_order_seq_cst);
      busyFrom = monoNs();
      runFrom(w, idx, deferred, ret);
      continue;
    }
    idle.fetch_add(kSleeper - 1, std::memory_order_seq_cst);  // spinning -> sleeping
    detail::fullFence();
    const uint32_t e = wakeEpoch.load(std::memory_order_seq_cst);
    if (findWork(w, deferred, idx)) {
      idle.fetch_sub(kSleeper, std::memory_order_seq_cst);
      busyFrom = monoNs();
      runFrom(w, idx, deferred, ret);
      continue;
    }
    if (stop.load(std::memory_order_seq_cst)) {
      idle.fetch_sub(kSleeper, std::memory_order_seq_cst);
      return;
    }
    detail::futexWait(wakeEpoch, e, 0);
    idle.fetch_sub(kSleeper, std::memory_order_seq_cst);
    busyFrom = monoNs();
  }
}

}  // namespace pto::wsp::rt
