// One run of a compiled plan: PlanInterpreter on an Engine configured by the plan's
// schedule, with a HostExecutor of the requested host threads (or none: dry run).
#include "ProgramImpl.h"

#include "pto/wsp/runtime/host/HostExecutor.h"

#include <fmt/format.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <optional>

namespace pto::wsp::detail {

namespace {

[[noreturn]] void traceWriteError(const std::filesystem::path& out, const char* why) {
  throw UserError(makeError(SourceLoc{out.string(), 0, 0, "trace"},
                            fmt::format("cannot write the trace to '{}': {}", out.string(), why))
                      .help("choose a writable --trace path with enough free space"));
}

// The trace streams into `<out>.partial`, renamed over `out` once the run finished, so
// a failed run never leaves a truncated document under the requested name. An existing
// non-regular `out` (/dev/stdout, a FIFO, /dev/full) is written in place: renaming a file
// over it would replace the device or pipe itself.
class TraceFile {
 public:
  explicit TraceFile(std::filesystem::path out) : out_(std::move(out)) {
    std::error_code ec;
    const bool inPlace = std::filesystem::exists(out_, ec) && !std::filesystem::is_regular_file(out_, ec);
    tmp_ = inPlace ? out_ : std::filesystem::path(out_.string() + ".partial");
    f_ = std::fopen(tmp_.c_str(), "wb");
    if (!f_) traceWriteError(out_, std::strerror(errno));
  }
  TraceFile(const TraceFile&) = delete;
  TraceFile& operator=(const TraceFile&) = delete;
  ~TraceFile() {
    if (f_) {
      std::fclose(f_);
      std::error_code ec;
      if (tmp_ != out_) std::filesystem::remove(tmp_, ec);
    }
  }
  void write(std::string_view s) {
    if (std::fwrite(s.data(), 1, s.size(), f_) != s.size()) traceWriteError(out_, std::strerror(errno));
  }
  void commit() {
    const int rc = std::fclose(f_);
    f_ = nullptr;
    std::error_code ec;
    if (rc != 0) {
      const int err = errno;
      if (tmp_ != out_) std::filesystem::remove(tmp_, ec);
      traceWriteError(out_, std::strerror(err));
    }
    if (tmp_ == out_) return;
    std::filesystem::rename(tmp_, out_, ec);
    if (ec) {
      std::filesystem::remove(tmp_, ec);
      traceWriteError(out_, ec.message().c_str());
    }
  }

 private:
  std::filesystem::path out_, tmp_;
  std::FILE* f_ = nullptr;
};

// Written whole through `<out>.partial`, like the trace: never a truncated file under
// the requested name (a non-regular `out` is written in place).
void writeGraph(const std::filesystem::path& out, const std::string& dot) {
  std::error_code ec;
  const bool inPlace = std::filesystem::exists(out, ec) && !std::filesystem::is_regular_file(out, ec);
  const std::filesystem::path tmp = inPlace ? out : std::filesystem::path(out.string() + ".partial");
  auto fail = [&](const std::string& why) {
    if (!inPlace) std::filesystem::remove(tmp, ec);
    throw UserError(makeError(SourceLoc{out.string(), 0, 0, "graph"},
                              fmt::format("cannot write the task graph to '{}': {}", out.string(), why))
                        .help("choose a writable --graph path with enough free space"));
  };
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) fail(std::strerror(errno));
  const bool wrote = std::fwrite(dot.data(), 1, dot.size(), f) == dot.size();
  const int err = errno;
  if (std::fclose(f) != 0 || !wrote) fail(std::strerror(wrote ? errno : err));
  if (inPlace) return;
  std::filesystem::rename(tmp, out, ec);
  if (ec) fail(ec.message());
}

}  // namespace

RunOutputs runPlan(const abi::Plan& plan, const std::vector<rt::KernelBinding>& kernels,
                   const std::vector<std::string>& kernelNames, const RunInputs& in) {
  const auto t0 = std::chrono::steady_clock::now();
  rt::PlanRunConfig cfg;
  cfg.engine = rt::engineConfigFor(plan.schedule);
  // Nothing per task is kept: with a trace path the records stream to the file.
  std::optional<TraceFile> traceFile;
  std::optional<rt::ChromeTraceWriter> traceWriter;
  if (!in.tracePath.empty()) {
    traceFile.emplace(in.tracePath);
    rt::TraceExportOptions topts;
    topts.kernelNames = kernelNames;
    for (const abi::PlanChannel& c : plan.channels) topts.channelNames.push_back(c.name);
    for (const abi::PlanProcess& pr : plan.processes) topts.processNames.push_back(pr.name);
    topts.cyclesPerMicrosecond = in.clockGhz * 1e3;  // device microseconds
    traceWriter.emplace(cfg.engine.schedule.workers, std::move(topts),
                        [&f = *traceFile](std::string_view s) { f.write(s); });
    cfg.engine.traceWriter = &*traceWriter;
  }
  auto makeProfiler = [&] {
    try {
      return rt::Profiler(static_cast<uint32_t>(plan.kernels.size()), cfg.engine.schedule.workers,
                          cfg.engine.schedule.taskWindow, cfg.engine.schedule.syncLatency);
    } catch (const UserError& e) {  // its tables, sized by the schedule: located at the workload
      throwLocated(e, plan.locations.at(plan.locations.workload));
    }
  };
  rt::Profiler profiler = makeProfiler();
  std::optional<rt::TaskGraphRecorder> graph;
  std::optional<rt::TaskObserverPair> observers;
  if (!in.graphPath.empty()) {
    graph.emplace(in.graphTasks);
    observers.emplace(&profiler, &*graph);
    cfg.engine.observer = &*observers;
  } else {
    cfg.engine.observer = &profiler;
  }
  cfg.engine.progress = in.progress;
  std::optional<rt::HostExecutor> executor;
  if (!in.dryRun) {
    rt::HostExecutorConfig ec = rt::HostExecutorConfig::fromSchedule(plan.schedule, in.threads);
    ec.recordTimes = true;
    ec.watchdogMs = in.watchdogMs;
    executor.emplace(ec);
    cfg.engine.sink = &*executor;
  }
  cfg.kernels = kernels;
  cfg.tensorBase = in.tensorBase;
  cfg.symbols = in.symbols;
  cfg.slots = in.slots;
  cfg.cancel = in.cancel;
  if (in.dryRun) {
    cfg.heldSlots = in.heldSlots;
    cfg.replay = in.replay.get();
  }
  cfg.recordSlotLoads = in.recordSlotLoads;
  rt::PlanInterpreter interp(plan, std::move(cfg));
  rt::PlanRunResult r = interp.runOrThrow();
  RunOutputs out;
  out.stats = r.stats;
  out.slots = std::move(r.slots);
  out.slotLoads = std::move(r.slotLoads);
  if (traceWriter) {
    traceWriter->finish();
    traceFile->commit();
  }
  if (graph) {
    std::vector<std::string> processNames;
    for (const abi::PlanProcess& pr : plan.processes) processNames.push_back(pr.name);
    writeGraph(in.graphPath, rt::taskGraphDot(graph->graph(), kernelNames, processNames));
    out.graph = graph->graph();
  }
  out.profile = profiler.profile();
  out.profile.channels = std::move(r.channels);
  out.wallMs = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  return out;
}

}  // namespace pto::wsp::detail
