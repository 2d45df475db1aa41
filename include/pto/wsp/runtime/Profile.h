// Profile of one run: where the semantic cycles went, per kernel, worker, resource and
// channel, and the run's critical path. Kept incrementally (Profiler is an Engine
// TaskObserver; the PlanInterpreter counts channel waits), so its memory is
// O(kernels x workers + channels) plus a fixed ring for the critical path, never
// anything per task of the run (docs/runtime.md, "Profile").
#pragma once

#include "pto/wsp/runtime/Stats.h"
#include "pto/wsp/runtime/TaskObserver.h"

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace pto::wsp::rt {

struct KernelProfile {
  uint64_t tasks = 0;
  uint64_t cycles = 0;                 // sum of the tasks' own cycles
  std::vector<uint64_t> workerTasks;   // tasks per semantic worker
};

// One channel's flow (semantic time). A wait is a send that found the channel full
// (its process's time advanced to when a slot was freed) or a consume that found it
// empty (advanced to the token's arrival); cycles are those advances.
struct ChannelProfile {
  std::string name;
  uint64_t capacity = 0;
  uint64_t tokens = 0;  // tokens sent
  uint64_t fullWaits = 0, fullWaitCycles = 0;
  uint64_t emptyWaits = 0, emptyWaitCycles = 0;
  uint64_t highWater = 0;  // most tokens in flight (sent, not yet consumed)
};

// The longest chain of dependent tasks, weighted by their cycles plus the sync latency
// a task with dependencies pays: a lower bound of total_cycles that no number of
// workers or larger window can beat. Per-kernel parts are known when the ring of
// per-kernel counts fits kMaxPathCells (docs/runtime.md).
struct CriticalPath {
  uint64_t cycles = 0;
  uint64_t tasks = 0;  // non-structural tasks on it
  bool kernelsKnown = true;
  std::vector<uint64_t> kernelTasks, kernelCycles;  // by kernel id, when kernelsKnown
};

struct RunProfile {
  std::vector<KernelProfile> kernels;  // by kernel id
  std::vector<ChannelProfile> channels;
  CriticalPath critical;
};

// Cells (ring slots x kernels) of per-kernel path counts a Profiler keeps at most.
inline constexpr uint64_t kMaxPathCells = uint64_t{1} << 20;

class Profiler final : public TaskObserver {
 public:
  // taskWindow: the Engine's (every semantic producer of a task is among the last
  // taskWindow tasks, so a ring that size holds every path a new task extends).
  Profiler(uint32_t numKernels, uint32_t numWorkers, uint32_t taskWindow, uint64_t syncLatency);
  void onIssue(const IssuedTask& t) override;
  RunProfile profile() const;  // kernels and critical path; channels are the interpreter's

 private:
  [[gnu::noinline]] void onIssueAny(const IssuedTask& t);
  uint32_t numKernels_, numWorkers_;
  uint64_t syncLatency_;
  uint64_t mask_;
  std::vector<KernelProfile> kernels_;  // tasks and cycles (workers: kernelWorker_)
  std::vector<uint64_t> kernelWorker_;  // tasks by kernel x worker, one flat array
  bool rows_ = false;                   // keepKernels_ && numKernels_ != 0
  bool one_ = false;                    // rows_ && numKernels_ == 1: onIssue's own path
  std::vector<uint64_t> pathLen_;      // ring: longest path ending at the task
  std::vector<uint32_t> pathTasks_;    // ring x kernels, when kept
  std::vector<uint64_t> pathCycles_;
  bool keepKernels_ = true;
  uint64_t best_ = 0;
  uint64_t bestTask_ = ~uint64_t{0};
  // The best path's kernel counts: its ring row while bestInRing_, else these.
  bool bestInRing_ = false;
  std::vector<uint32_t> bestTasks_;
  std::vector<uint64_t> bestCycles_;
};

// The per-worker table (tasks, busy cycles, utilisation) and the per-resource stall
// table (stalls, their cycles, high-water mark, capacity) of a run, aligned, <= 80 columns.
std::string workersText(const RunStats& s);
std::string stallsText(const RunStats& s);
// The profile table (aligned, <= 80 columns): kernels, workers, resources, channels,
// critical path. kernelNames by kernel id ("k<id>" when missing).
std::string profileText(const RunProfile& p, const RunStats& s, std::span<const std::string> kernelNames);
// {"kernels": [{name, tasks, cycles, mean_cycles, share, workers}], "channels": [...],
//  "critical_path": {cycles, tasks, share, kernels: [{name, tasks, cycles}]}}
nlohmann::json profileJson(const RunProfile& p, const RunStats& s, std::span<const std::string> kernelNames);
// "0-3,5": the ids i with v[i] != 0, as ranges.
std::string idRanges(std::span<const uint64_t> v);

}  // namespace pto::wsp::rt
