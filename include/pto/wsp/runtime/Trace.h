// Per-task trace records and their Chrome / Perfetto export (open the JSON in
// ui.perfetto.dev or chrome://tracing): one track per worker, one slice per task.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace pto::wsp::rt {

struct TraceRecord {
  uint64_t task = 0;     // issue sequence number
  uint32_t kernel = 0;
  uint32_t worker = 0;
  uint32_t process = 0;
  uint64_t issue = 0, start = 0, finish = 0;  // semantic cycles
  uint64_t hostStartNs = 0, hostEndNs = 0;    // 0 = not available
};

struct TraceExportOptions {
  std::vector<std::string> kernelNames = {};  // index = kernel id; missing -> "k<id>"
  double cyclesPerMicrosecond = 1.0;     // the trace's time unit is 1 us
  std::string processName = "pto-wsp semantic";
};

// Chrome trace-event JSON ("traceEvents" with complete "X" events, tid = worker,
// thread_name metadata "worker N"; issue time and process in each event's args).
std::string chromeTraceJson(std::span<const TraceRecord> records, uint32_t numWorkers,
                            const TraceExportOptions& opts = {});

}  // namespace pto::wsp::rt
