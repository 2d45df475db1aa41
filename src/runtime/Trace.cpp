#include "pto/wsp/runtime/Trace.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>

namespace pto::wsp::rt {

std::string chromeTraceJson(std::span<const TraceRecord> records, uint32_t numWorkers,
                            const TraceExportOptions& opts) {
  using nlohmann::json;
  const double scale = opts.cyclesPerMicrosecond > 0 ? 1.0 / opts.cyclesPerMicrosecond : 1.0;
  json ev = json::array();
  ev.push_back({{"name", "process_name"}, {"ph", "M"}, {"pid", 0}, {"args", {{"name", opts.processName}}}});
  for (uint32_t w = 0; w < numWorkers; ++w) {
    ev.push_back({{"name", "thread_name"}, {"ph", "M"}, {"pid", 0}, {"tid", w},
                  {"args", {{"name", fmt::format("worker {}", w)}}}});
    ev.push_back({{"name", "thread_sort_index"}, {"ph", "M"}, {"pid", 0}, {"tid", w},
                  {"args", {{"sort_index", w}}}});
  }
  auto nameOf = [&](const TraceRecord& r) {
    return r.kernel < opts.kernelNames.size() ? opts.kernelNames[r.kernel] : fmt::format("k{}", r.kernel);
  };
  uint32_t hostThreads = 0;  // tracks of the host process: 1 + the highest thread seen
  for (const TraceRecord& r : records)
    if (r.hostEndNs != 0) hostThreads = std::max(hostThreads, r.hostThread + 1);
  if (hostThreads != 0) {
    ev.push_back({{"name", "process_name"}, {"ph", "M"}, {"pid", 1}, {"args", {{"name", opts.hostProcessName}}}});
    ev.push_back({{"name", "process_sort_index"}, {"ph", "M"}, {"pid", 1}, {"args", {{"sort_index", 1}}}});
    for (uint32_t h = 0; h < hostThreads; ++h)
      ev.push_back({{"name", "thread_name"}, {"ph", "M"}, {"pid", 1}, {"tid", h},
                    {"args", {{"name", fmt::format("host thread {}", h)}}}});
  }
  for (const TraceRecord& r : records) {
    std::string name = nameOf(r);
    json args = {{"task", r.task}, {"kernel", r.kernel}, {"process", r.process},
                 {"issue_cycle", r.issue}, {"start_cycle", r.start}, {"finish_cycle", r.finish}};
    if (r.hostEndNs) {
      args["host_start_ns"] = r.hostStartNs;
      args["host_end_ns"] = r.hostEndNs;
    }
    ev.push_back({{"name", std::move(name)}, {"cat", "task"}, {"ph", "X"}, {"pid", 0},
                  {"tid", r.worker}, {"ts", r.start * scale},
                  {"dur", (r.finish - r.start) * scale}, {"args", std::move(args)}});
  }
  for (const TraceRecord& r : records) {
    if (r.hostEndNs == 0) continue;
    json args = {{"task", r.task}, {"kernel", r.kernel}, {"worker", r.worker},
                 {"start_cycle", r.start}, {"finish_cycle", r.finish}};
    ev.push_back({{"name", nameOf(r)}, {"cat", "host"}, {"ph", "X"}, {"pid", 1}, {"tid", r.hostThread},
                  {"ts", static_cast<double>(r.hostStartNs) / 1e3},
                  {"dur", static_cast<double>(r.hostEndNs - r.hostStartNs) / 1e3}, {"args", std::move(args)}});
  }
  json truncated;
  if (opts.droppedTasks > 0) {
    truncated = {{"dropped_tasks", opts.droppedTasks},
                 {"first_dropped_task", opts.firstDroppedTask},
                 {"recorded_tasks", records.size()}};
    ev.push_back({{"name", fmt::format("trace truncated: {} tasks from task {} on are not recorded",
                                       opts.droppedTasks, opts.firstDroppedTask)},
                  {"ph", "i"}, {"s", "g"}, {"pid", 0}, {"tid", 0}, {"ts", 0}, {"args", truncated}});
  }
  json j = {{"traceEvents", std::move(ev)}, {"displayTimeUnit", "ns"}};
  if (!truncated.is_null()) j["pto_wsp_truncated"] = truncated;
  return j.dump();
}

}  // namespace pto::wsp::rt
