#include "pto/wsp/runtime/Trace.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

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
  for (const TraceRecord& r : records) {
    std::string name = r.kernel < opts.kernelNames.size() ? opts.kernelNames[r.kernel]
                                                          : fmt::format("k{}", r.kernel);
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
  json j = {{"traceEvents", std::move(ev)}, {"displayTimeUnit", "ns"}};
  return j.dump();
}

}  // namespace pto::wsp::rt
