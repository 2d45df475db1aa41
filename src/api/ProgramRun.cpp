// One run of a compiled plan: PlanInterpreter on an Engine configured by the plan's
// schedule, with a HostExecutor of the requested host threads (or none: dry run).
#include "ProgramImpl.h"

#include "pto/wsp/runtime/HostExecutor.h"
#include "pto/wsp/runtime/TaskSink.h"

#include <chrono>
#include <optional>

namespace pto::wsp::detail {

namespace {
// Enough for the examples' timelines; beyond it the Engine stops recording (stats stay
// complete), which keeps a long run's trace memory bounded.
constexpr size_t kTraceCapacity = size_t{1} << 20;
}  // namespace

RunOutputs runPlan(const abi::Plan& plan, const std::vector<rt::KernelBinding>& kernels,
                   const std::vector<std::string>& kernelNames, const RunInputs& in) {
  const auto t0 = std::chrono::steady_clock::now();
  rt::PlanRunConfig cfg;
  cfg.engine = rt::engineConfigFor(plan.schedule);
  cfg.engine.trace = true;
  cfg.engine.traceCapacity = kTraceCapacity;
  std::optional<rt::HostExecutor> executor;
  std::optional<rt::HostExecutorSink> sink;
  if (!in.dryRun) {
    rt::HostExecutorConfig ec = rt::HostExecutorConfig::fromSchedule(plan.schedule, in.threads);
    ec.recordTimes = true;
    ec.watchdogMs = in.watchdogMs;
    executor.emplace(ec);
    sink.emplace(*executor);
    cfg.engine.sink = &*sink;
  }
  cfg.kernels = kernels;
  cfg.tensorBase = in.tensorBase;
  cfg.symbols = in.symbols;
  cfg.slots = in.slots;
  rt::PlanInterpreter interp(plan, std::move(cfg));
  rt::PlanRunResult r = interp.runOrThrow();
  RunOutputs out;
  out.stats = r.stats;
  out.slots = std::move(r.slots);
  rt::TraceExportOptions topts;
  topts.kernelNames = kernelNames;
  out.traceJson = interp.engine().chromeTrace(topts);
  out.wallMs = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  return out;
}

}  // namespace pto::wsp::detail
