// The text of a host stall, shared by every sink's deadlock report.
#include "pto/wsp/runtime/TaskSink.h"

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

}  // namespace pto::wsp::rt
