// HostExecutor: runs issued tasks for real on host worker threads, each as soon as
// its predecessors have finished. It knows nothing about semantic time: the
// orchestrator (the Engine, runtime/Engine.h) decides dependencies and cycles; this class
// only honours the dependencies, bounded by construction.
//
//   orchestrator thread                worker threads (hostThreads)
//   submit(seq 0..) --ring slot--> [ready queues] --run fn(args)--> complete
//        ^   blocks while the slot of seq is still occupied           |
//        |   or the dep-list pool is exhausted (host stall)           v
//        +---------- waitFinished(seq) / drain() <------ successors released,
//                                                        a ready successor may run inline
//
// Resources (all fixed at construction, memory independent of the task count):
//  * ring of `window` task slots; task `seq` occupies slot seq % window; the slot is
//    free again once the task that held it has finished;
//  * dep-list pool of `depListCapacity` successor entries;
//  * per-thread ready queues of `readyQueueCapacity` entries.
#pragma once

#include "pto/wsp/abi/ScheduleConfig.h"
#include "pto/wsp/runtime/TaskSink.h"

#include <cstdint>
#include <memory>

namespace pto::wsp::rt {

// Default host watchdog (HostExecutorConfig::watchdogMs); Program and `ptowsp run` use it too.
inline constexpr uint32_t kDefaultWatchdogMs = 10000;

// Direct construction is for tests and benchmarks of the executor alone; a plan run
// sizes it with fromSchedule, from the same abi::ScheduleConfig as its Engine.
struct HostExecutorConfig {
  uint32_t hostThreads = 2;            // >= 1 worker threads
  uint32_t window = 1024;              // task ring slots (>= 1)
  uint32_t depListCapacity = static_cast<uint32_t>(knobDefault(ScheduleKnob::PoolDepList));  // successor entries
  uint32_t readyQueueCapacity = 4096;  // per worker thread (>= 1)
  // Watchdog: a wait that sees no task finish for this long while work is pending
  // returns WaitStatus::Stalled instead of hanging. 0 disables it.
  uint32_t watchdogMs = kDefaultWatchdogMs;
  // Record each task's host start/end time (steady clock, ns since the executor was
  // constructed) for traces; costs two clock reads per task when on.
  bool recordTimes = false;

  // The executor behind an Engine that runs with schedule `s`: window = task_window (the
  // Engine waits for a slot's old task before reusing it, so a larger host window is
  // never used and a smaller one stalls the host early), dep-list pool = pool deplist,
  // and each host thread's ready queue holds a whole window (host threads are not the
  // semantic workers, so one thread may hold every unretired task).
  static HostExecutorConfig fromSchedule(const abi::ScheduleConfig& s, uint32_t hostThreads);
};

struct HostResourceStats {
  uint64_t stalls = 0;         // times submit() had to block on this resource
  uint64_t stallNs = 0;        // host time spent blocked
  uint64_t highWater = 0;      // maximum simultaneous occupancy
  uint64_t capacity = 0;
};

struct HostStats {
  HostResourceStats ring, depList, readyQueue;
  uint64_t tasksRun = 0;
  uint64_t inlineRuns = 0;     // successors run inline by the finishing thread
  uint64_t wallNs = 0;         // from construction to the last drain()
};

// The Engine's TaskSink on host threads: an Engine hands tasks to it through one
// virtual call; direct callers (tests, benchmarks) call the final class without one.
// Thread-safety: submit/waitFinished/drain/stats are called from one orchestrator
// thread only; kernels run on the executor's own threads.
class HostExecutor final : public TaskSink {
 public:
  explicit HostExecutor(const HostExecutorConfig& cfg);
  // Drains, stops and joins the worker threads. Never hangs: when a kernel does not
  // return (a wait already reported Stalled and no task finished since, or this
  // drain's watchdog fires), its thread cannot be stopped, so the workers are detached
  // and the executor's state is left to them (never freed) instead of freed under
  // them; no further kernel starts. The stuck kernel may still touch its buffers if it
  // ever returns. With watchdogMs == 0 a stuck kernel blocks destruction.
  ~HostExecutor() override;
  HostExecutor(const HostExecutor&) = delete;
  HostExecutor& operator=(const HostExecutor&) = delete;

  // Blocks (host stall, counted) while the ring slot or dep-list entries are taken.
  // Returns Stalled if the watchdog fired while blocked.
  WaitStatus submit(const HostTask& t) override;
  WaitStatus submitOne(const TaskDesc& d, TaskSeq seq, TaskSeq pred, uint32_t worker) override;
  // Blocks until task `seq` (already submitted) has finished.
  WaitStatus waitFinished(TaskSeq seq) override;
  // Blocks until every submitted task has finished.
  WaitStatus drain() override;
  // Never blocks: a watermark w such that every task < w has finished (acquire: their
  // kernels' writes are visible to the caller). Scans forward from the previous answer,
  // so repeated calls cost one slot probe per newly finished task.
  TaskSeq finishedBelow() override;

  // With cfg.recordTimes: the host times of a finished task whose ring slot has not
  // been reused yet (seq + window >= tasks submitted); false otherwise. Orchestrator
  // thread only, like submit.
  bool hostTimes(TaskSeq seq, HostTaskTimes& out) const override;

  HostStats stats() const;
  HostStallSnapshot stallSnapshot() const override;
  const HostExecutorConfig& config() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace pto::wsp::rt
