// Per-task trace records and their Chrome / Perfetto export (open the JSON in
// ui.perfetto.dev or chrome://tracing): one track per semantic worker, one slice per
// task; when the tasks ran on host threads, a second process with one track per host
// thread shows when each kernel really ran.
#pragma once

#include "pto/wsp/runtime/Stats.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace pto::wsp::rt {

struct TraceRecord {
  uint64_t task = 0;     // issue sequence number
  uint32_t kernel = 0;
  uint32_t worker = 0;
  uint32_t process = 0;
  uint32_t hostThread = 0;  // host worker thread that ran it (valid when hostEndNs != 0)
  uint64_t issue = 0, start = 0, finish = 0;  // semantic cycles
  uint64_t hostStartNs = 0, hostEndNs = 0;    // 0 = not available
};

struct TraceExportOptions {
  std::vector<std::string> kernelNames = {};  // index = kernel id; missing -> "k<id>"
  std::vector<std::string> channelNames = {};  // index = channel id; missing -> "c<id>"
  std::vector<std::string> processNames = {};  // index = process id; missing -> "process <id>"
  // The modelled device's clock in MHz (arch clock_ghz x 1000): the semantic process's
  // ts/dur are device microseconds, as Chrome expects; 1.0 = one "us" per cycle.
  double cyclesPerMicrosecond = 1.0;
  std::string processName = "pto-wsp semantic";
  std::string hostProcessName = "pto-wsp host";
  // Tasks left out of `records` (a capped trace): stated in the JSON so that a viewer or
  // tool never takes a truncated trace for the whole run.
  uint64_t droppedTasks = 0;
  uint64_t firstDroppedTask = 0;
};

// Chrome trace-event JSON ("traceEvents" with complete "X" events).
//  * pid 0 (`processName`), semantic time: tid = worker, thread_name "worker N",
//    ts/dur = cycles / cyclesPerMicrosecond; args: task, kernel, process, cycles (its
//    own), issue/start/finish cycle and host times. Stalls (addStall) are slices on one
//    track per process and resource (tid = numWorkers + process x kNumResources +
//    resource id, "stall: RESOURCE (PROCESS)"; a process's stalls never overlap); channel
//    occupancy (addChannel) is a counter track per channel ("C" events "channel NAME",
//    args {"tokens": n}: a counter's args are its plotted series, so no cycle there).
//  * pid 1 (`hostProcessName`), only for records with host times: tid = host thread,
//    thread_name "host thread N", ts/dur = host wall time in us since the executor
//    started; the task id and its semantic worker and cycles in args.
// Both processes name a task the same way, so selecting a kernel name finds both.
// Events are in record order, each task's host event right after its semantic one.
// With droppedTasks > 0 the JSON also has "pto_wsp_truncated": {"dropped_tasks",
// "first_dropped_task", "recorded_tasks"} and an instant event "trace truncated".
std::string chromeTraceJson(std::span<const TraceRecord> records, uint32_t numWorkers,
                            const TraceExportOptions& opts = {});

// The same document, written record by record in bounded memory: the text goes to
// `out` in chunks of about 64 KiB (and at finish()), so a run of any length can stream
// its trace to a file. Host-thread tracks are named when their first record arrives.
// `out` may throw (a write error); finish() must be called once, after the last add().
class ChromeTraceWriter {
 public:
  using Output = std::function<void(std::string_view)>;
  ChromeTraceWriter(uint32_t numWorkers, TraceExportOptions opts, Output out);
  ChromeTraceWriter(const ChromeTraceWriter&) = delete;
  ChromeTraceWriter& operator=(const ChromeTraceWriter&) = delete;

  void add(const TraceRecord& r);
  // Issue of `task` by `process` waited `cycles` from cycle `from` for `res`.
  void addStall(Resource res, uint32_t process, uint64_t task, uint64_t from, uint64_t cycles);
  // Channel `channel` holds `tokens` tokens (sent, not consumed) from cycle `at` on.
  void addChannel(uint32_t channel, uint64_t at, uint64_t tokens);
  void finish();
  uint64_t records() const { return records_; }

 private:
  // A prebuilt run of text, padded so that it can be copied in fixed-size blocks.
  struct Seg {
    uint32_t off = 0, len = 0;
  };
  void flush();
  // Room for `bytes` more characters at cur_ (flushes, or grows for an outsized name).
  char* reserve(size_t bytes);
  void append(std::string_view s);
  Seg addSeg(std::string_view text);
  char* putSeg(char* p, Seg s) const;
  char* prefix(char* p, const std::vector<Seg>& segs, uint32_t kernel, std::string_view rest) const;
  char* time(char* p, double cycles) const;
  char* startTime(char* p, uint64_t start);
  char* issueCycle(char* p, uint64_t c);
  char* cycles(char* p, uint64_t c) const;
  bool bumpTask();
  void buildDur(uint64_t dur);
  void buildArgs(uint32_t kernel, uint32_t process, uint64_t dur);
  void nameHostTrack(uint32_t thread);

  TraceExportOptions opts_;
  Output out_;
  std::vector<bool> hostTrack_;      // host threads already named
  std::vector<bool> stallTrack_;     // (process, resource) stall tracks already named
  uint32_t numWorkers_ = 0;
  // Events are written by pointer into a fixed buffer (no per-field capacity check):
  // each event first reserves its worst-case length.
  std::unique_ptr<char[]> buf_;
  char* cur_ = nullptr;
  size_t cap_ = 0;
  size_t eventBytes_ = 0;  // worst-case length of one task's events
  double scale_ = 1.0;
  bool unitScale_ = true;  // cycles are printed as integers
  uint64_t records_ = 0;
  bool finished_ = false;
  // The text every task of a kernel (on a worker) shares, formatted once: most of an
  // event is the same as the previous one's, and formatting numbers is what costs.
  std::vector<char> segText_;
  std::vector<Seg> taskPrefix_, hostPrefix_;  // by kernel: `,\n{"name":...,"tid":`
  std::vector<Seg> workerTs_;                 // by worker: `W,"ts":`
  // `,"dur":D,"args":{"task":` of the last duration, and `,"kernel":K,"process":P,
  // "cycles":C,"issue_cycle":` of the last (kernel, process, duration).
  uint64_t durKey_ = 0;
  uint32_t argsKernel_ = 0, argsProcess_ = 0;
  uint64_t argsDur_ = 0;
  bool durValid_ = false, argsValid_ = false;
  uint32_t durLen_ = 0, argsLen_ = 0;
  uint64_t lastTask_ = 0;
  uint32_t taskLen_ = 0;  // 0: no task written yet
  // The digits of a number that consecutive tasks mostly share: the microseconds of
  // the last start, and an issue cycle but its last four digits.
  struct Digits {
    uint64_t value = ~uint64_t{0};
    uint32_t len = 0;
    alignas(16) char text[24] = {};
  };
  Digits startUs_, issueHigh_;
  alignas(16) char taskText_[24] = {};
  alignas(16) char durText_[64] = {};
  alignas(16) char argsText_[96] = {};
};

}  // namespace pto::wsp::rt
