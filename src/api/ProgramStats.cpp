#include "pto/wsp/api/Program.h"

#include "pto/wsp/support/Hash.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace pto::wsp {

nlohmann::json ProgramStats::toJson() const {
  nlohmann::json j;
  j["total_cycles"] = totalCycles;
  j["tasks"] = tasks;
  auto& stalls = j["stalls"];
  stalls = nlohmann::json::object();
  for (size_t i = 0; i < rt::kNumResources; ++i) {
    const rt::ResourceStats& r = run.resources[i];
    stalls[rt::resourceName(static_cast<rt::Resource>(i))] = {
        {"count", r.stalls}, {"cycles", r.stallCycles}, {"high_water", r.highWater}, {"capacity", r.capacity}};
  }
  auto& ws = j["workers"];
  ws = nlohmann::json::array();
  for (const rt::WorkerStats& w : run.workers)
    ws.push_back({{"tasks", w.tasks}, {"busy_cycles", w.busyCycles}, {"utilisation", w.utilisation}});
  j["host_ms"] = static_cast<double>(run.hostWallNs) / 1e6;
  j["execute_ms"] = executeMs;
  j["compile_ms"] = compileMs;
  j["compiler_invocations"] = compilerInvocations;
  auto& phases = j["compile_phases_ms"];
  phases = nlohmann::json::object();
  for (const auto& [name, ms] : compilePhasesMs) phases[name] = ms;
  j["dry_run"] = dryRun;
  j["timeline_hash"] = hashHex(run.timelineHash);
  return j;
}

std::string ProgramStats::toText() const {
  std::string s = fmt::format("total_cycles {}  tasks {}  timeline {}{}\n", totalCycles, tasks,
                              hashHex(run.timelineHash), dryRun ? "  (dry run)" : "");
  for (size_t i = 0; i < rt::kNumResources; ++i) {
    const rt::ResourceStats& r = run.resources[i];
    if (r.stalls == 0 && r.highWater == 0) continue;
    s += fmt::format("  {:<15} capacity {:>10}  high-water {:>10}  stalls {:>8}  stall cycles {}\n",
                     rt::resourceName(static_cast<rt::Resource>(i)), r.capacity, r.highWater, r.stalls,
                     r.stallCycles);
  }
  for (size_t w = 0; w < run.workers.size(); ++w)
    s += fmt::format("  worker {:<3} tasks {:>8}  busy {:>12}  utilisation {:.3f}\n", w, run.workers[w].tasks,
                     run.workers[w].busyCycles, run.workers[w].utilisation);
  s += fmt::format("  compile {:.1f} ms ({} compiler runs)  execute {:.1f} ms\n", compileMs, compilerInvocations,
                   executeMs);
  return s;
}

}  // namespace pto::wsp
