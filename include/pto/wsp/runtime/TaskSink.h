// TaskSink: what the Engine needs from a host executor, and the task types it hands
// over. The Engine hands every issued task to a sink (unless it runs dry). The host
// executor (runtime/host/HostExecutor.h, its own layer) implements it; tests may plug in
// their own sink. The runtime core only knows this interface, never an executor.
#pragma once

#include "pto/wsp/abi/KernelAbi.h"

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace pto::wsp::rt {

struct TaskDesc;  // runtime/Engine.h: what the Engine is asked to issue

using TaskSeq = uint64_t;  // issue order within one run: 0, 1, 2, ...
inline constexpr TaskSeq kNoPred = ~TaskSeq{0};  // TaskSink::submitOne: no pred

struct HostTask {
  TaskSeq seq = 0;                  // must be exactly the next sequence number
  pto_kernel_fn fn = nullptr;       // null: an empty task (benchmarks, structural tasks)
  const uint64_t* args = nullptr;   // copied by the sink at submit; <= abi::kMaxTaskArgs
  uint32_t numArgs = 0;
  std::span<const TaskSeq> preds;   // tasks that must finish first; finished ones allowed,
                                    // each < seq; duplicates allowed
  uint32_t worker = 0;              // semantic worker (lane); a hint for host placement
};

// submitOne's arguments as a HostTask, for sinks that take the general path; `pred` must
// outlive the result (its span points at it).
HostTask hostTaskOf(const TaskDesc& d, TaskSeq seq, const TaskSeq& pred, uint32_t worker);

enum class WaitStatus : uint8_t { Ok, Stalled };

// Host start/end of one task, ns since the sink was constructed.
struct HostTaskTimes {
  uint64_t startNs = 0, endNs = 0;
  uint32_t hostThread = 0;  // the host thread that ran it, 0..hostThreads-1
};

// What the host's watchdog saw when a wait stalled: enough to write the host part of a
// deadlock report.
struct HostStallSnapshot {
  TaskSeq oldestUnfinished = 0;
  uint64_t unfinished = 0;     // submitted but not finished
  struct Running {
    TaskSeq seq = 0;
    uint32_t hostThread = 0;
    std::string kernel;  // the kernel function's symbol if the loader knows it, else its address
    const void* fn = nullptr;  // the kernel function itself
  };
  std::vector<Running> runningTasks;  // currently inside a kernel, by host thread
  uint64_t running() const { return runningTasks.size(); }
  std::string describe() const;
};

// Thread-safety: called from the orchestrating thread only.
class TaskSink {
 public:
  virtual ~TaskSink() = default;
  // `t.preds` lists every task the new one must wait for on the host; each < t.seq.
  // May block while the sink's resources are taken; Stalled if its watchdog fired.
  virtual WaitStatus submit(const HostTask& t) = 0;
  // The common task of a stream, at most one pred (kNoPred: none), handed over in place:
  // the kernel and its argument words are read from the issuer's descriptor, no HostTask
  // is built. The same as submit of {seq, d.fn, d.args, the pred, worker}, which is what
  // the default does.
  virtual WaitStatus submitOne(const TaskDesc& d, TaskSeq seq, TaskSeq pred, uint32_t worker);
  // Blocks until task `seq` (already submitted) has finished.
  virtual WaitStatus waitFinished(TaskSeq seq) = 0;
  // Blocks until every submitted task has finished.
  virtual WaitStatus drain() = 0;
  // Never blocks: every task < the returned id has finished on the host (and its
  // writes are visible to the caller). The Engine uses it to skip finished producers
  // and waits; 0 ("nothing known") is always a correct answer.
  virtual TaskSeq finishedBelow() { return 0; }
  // What the host is stuck on, for deadlock reports (its describe() is the text).
  virtual HostStallSnapshot stallSnapshot() const = 0;
  // Host start/end (ns) and thread of a finished task, if the sink records them; called
  // right once seq is known finished (waitFinished or finishedBelow). Default: not
  // available.
  virtual bool hostTimes(TaskSeq /*seq*/, HostTaskTimes& /*out*/) const { return false; }
};

}  // namespace pto::wsp::rt
