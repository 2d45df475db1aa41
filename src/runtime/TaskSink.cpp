// The text of a host stall, shared by every sink's deadlock report, and the default
// single-pred hand-off.
#include "pto/wsp/runtime/TaskSink.h"

#include "pto/wsp/runtime/Engine.h"

#include <fmt/format.h>

namespace pto::wsp::rt {

std::string HostStallSnapshot::describe() const {
  std::string s = fmt::format(
      "host execution made no progress: {} submitted task(s) unfinished, oldest is task {}, "
      "{} kernel(s) currently running",
      unfinished, oldestUnfinished, running());
  for (size_t i = 0; i < runningTasks.size(); ++i)
    s += fmt::format("{} task {} in {} on host thread {}", i == 0 ? ":" : ",", runningTasks[i].seq,
                     runningTasks[i].kernel, runningTasks[i].hostThread);
  return s;
}

HostTask hostTaskOf(const TaskDesc& d, TaskSeq seq, const TaskSeq& pred, uint32_t worker) {
  return HostTask{.seq = seq,
                  .fn = d.fn,
                  .args = d.args.data(),
                  .numArgs = static_cast<uint32_t>(d.args.size()),
                  .preds = {&pred, pred == kNoPred ? 0u : 1u},
                  .worker = worker};
}

WaitStatus TaskSink::submitOne(const TaskDesc& d, TaskSeq seq, TaskSeq pred, uint32_t worker) {
  return submit(hostTaskOf(d, seq, pred, worker));
}

}  // namespace pto::wsp::rt
