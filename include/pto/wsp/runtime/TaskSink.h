// TaskSink: what the Engine needs from a host executor. The Engine hands every issued
// task to a sink (unless it runs dry); HostExecutorSink adapts the host stream's
// HostExecutor (runtime/HostExecutor.h). Tests may plug in their own sink.
#pragma once

#include "pto/wsp/runtime/HostExecutor.h"

#include <string>

namespace pto::wsp::rt {

// Thread-safety: called from the orchestrating thread only.
class TaskSink {
 public:
  virtual ~TaskSink() = default;
  // `t.preds` lists every task the new one must wait for on the host; each < t.seq.
  virtual WaitStatus submit(const HostTask& t) = 0;
  virtual WaitStatus waitFinished(TaskSeq seq) = 0;
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

// Adapts a HostExecutor (not owned; must outlive the Engine). Header-only so that the
// runtime library itself does not need the executor's object files.
class HostExecutorSink final : public TaskSink {
 public:
  explicit HostExecutorSink(HostExecutor& ex) : ex_(ex) {}
  WaitStatus submit(const HostTask& t) override { return ex_.submit(t); }
  WaitStatus waitFinished(TaskSeq seq) override { return ex_.waitFinished(seq); }
  WaitStatus drain() override { return ex_.drain(); }
  TaskSeq finishedBelow() override { return ex_.finishedBelow(); }
  HostStallSnapshot stallSnapshot() const override { return ex_.snapshot(); }
  bool hostTimes(TaskSeq seq, HostTaskTimes& out) const override { return ex_.hostTimes(seq, out); }
  HostExecutor& executor() { return ex_; }

 private:
  HostExecutor& ex_;
};

}  // namespace pto::wsp::rt
