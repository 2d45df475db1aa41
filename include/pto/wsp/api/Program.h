// Program: the user-facing handle of a compiled workload.
//
//   auto m = ir::text::parseFile("rmsnorm.wsp");            // or the C++ builder
//   Program p = Program::compile(m, {.target = "cpu_sim", .arch = "ascend910b"});
//   p.bind("X", x.data(), x.size() * sizeof(uint16_t));      // zero-copy
//   p.bind("W", w.data(), ...); p.bind("Y", y.data(), ...);
//   p.setSymbol("S", 512);                                   // no recompile
//   p.traceTo("rms.json");                                   // ui.perfetto.dev
//   p.execute(); p.synchronize();
//   ProgramStats s = p.stats();                              // s.totalCycles ...
//
// compile() runs the compile driver (driver/Driver.h): verify -> lower the workload to a
// plan -> the target emits one unit per kernel -> object cache (one object per kernel,
// shared library linked once) -> package directory (manifest + plan + library,
// docs/artifact.md) -> dlopen. A warm cache
// compiles nothing. Thread-safety: a Program is used from one thread at a time; several
// Programs (and processes) may compile the same module concurrently.
#pragma once

#include "pto/wsp/abi/Plan.h"
#include "pto/wsp/artifact/Manifest.h"
#include "pto/wsp/artifact/ObjectCache.h"
#include "pto/wsp/driver/Driver.h"
#include "pto/wsp/ir/Module.h"
#include "pto/wsp/runtime/Profile.h"
#include "pto/wsp/runtime/SlotLoad.h"
#include "pto/wsp/runtime/Stats.h"
#include "pto/wsp/runtime/TaskGraph.h"
#include "pto/wsp/support/Diagnostic.h"

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <source_location>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pto::wsp {

// What to compile for and where to put it (driver/Driver.h): target, arch, workload,
// cache and package directories, progress and remark callbacks.
using CompileOptions = driver::CompileOptions;

// What one run measured. Semantic fields are identical across runs and thread counts.
struct ProgramStats {
  uint64_t totalCycles = 0;      // semantic time of the whole run
  uint64_t tasks = 0;            // tasks issued (executed on the host unless dry run)
  rt::RunStats run;              // per-resource flow stats, per-worker busy/utilisation
  rt::RunProfile profile;        // per kernel / channel, critical path (runtime/Profile.h)
  double compileMs = 0;          // wall time of compile() (cache hits included)
  double executeMs = 0;          // wall time of the last execute()..synchronize()
  bool dryRun = false;
  // The task graph the run wrote (graphTo): tasks in it and tasks the run issued; a
  // graph with graphTasks < tasks stopped at its task limit (and says so in the file).
  uint64_t graphTasks = 0;
  bool graphWritten = false;
  // Compiler/linker processes started while compile() ran (the process-wide counter's
  // delta: compiles of other threads that overlap are included). 0 = fully warm.
  uint64_t compilerInvocations = 0;
  // Where compile() spent its time, in order: parse (compileFile only), verify, lower,
  // codegen, cache, package, load. Not part of toJson's semantic keys ("compile_phases_ms").
  std::vector<std::pair<std::string, double>> compilePhasesMs;
  // {"total_cycles", "tasks", "stalls": {resource: {count, cycles, high_water,
  //  capacity}}, "workers": [{tasks, busy_cycles, utilisation}], "host_ms",
  //  "compile_ms", "dry_run", "timeline_hash"}
  nlohmann::json toJson() const;
  std::string toText() const;  // multi-line summary (the `ptowsp run` view)
};

class Program {
 public:
  // Throws UserError (located, all problems at once where possible) for invalid modules,
  // unknown targets/archs/workloads, unsupported features and kernel compile errors
  // (naming the kernel and quoting the compiler).
  static Program compile(const ir::Module& m, const CompileOptions& opts = {});
  // Parses and verifies a .wsp file, then compile(); sourceDir defaults to its directory.
  static Program compileFile(const std::filesystem::path& wsp, CompileOptions opts = {});
  // Opens a package directory that compile() wrote, without the source: the package's
  // module.wsp gives the declarations, its plan and kernel library the rest. Refuses a
  // host the manifest's host requirements exclude (driver::loadPackage).
  static Program load(const std::filesystem::path& packageDir);
  // Builds the tile-library precompiled header that generated kernels compile with into
  // the object cache at `cacheDir` ("" = ObjectCache::defaultDir()) unless a valid one is
  // there, and returns its header path; "" when the compiler cannot build one (kernels
  // then compile without it). The build runs it for build/<preset>/toolchain, which every
  // compile uses when its own cache has no PCH yet (docs/program.md). Process-safe.
  static std::filesystem::path warmCache(const std::filesystem::path& cacheDir = {});

  Program(Program&&) noexcept;
  Program& operator=(Program&&) noexcept;
  ~Program();  // waits for a running execute()

  const artifact::Manifest& manifest() const;
  const std::filesystem::path& packageDir() const;
  const abi::Plan& plan() const;
  const ir::Module& module() const;  // what compile() compiled (load(): the package's module.wsp)
  // Warnings compile() found in the module (located, e.g. a process that lists a channel
  // in produces but never sends on it); compile() itself prints nothing.
  const std::vector<Diagnostic>& warnings() const;

  // Binds a tensor to caller-owned host memory (row-major, the tensor's dtype); the
  // memory must stay valid until synchronize() returns. Temp tensors need no binding
  // (the runtime places them in its heap arena). Unknown names and wrong byte sizes
  // (at the current symbol values) are UserErrors; sizes are re-checked at execute().
  // Errors are located at the caller (`where`, captured automatically).
  void bind(std::string_view tensor, void* data, size_t bytes, std::source_location where = std::source_location::current());
  template <class T>
  void bind(std::string_view tensor, std::span<T> data, std::source_location where = std::source_location::current()) {
    bind(tensor, const_cast<void*>(static_cast<const void*>(data.data())), data.size_bytes(), where);
  }
  // Runtime values: never recompile. Unknown names are UserErrors listing the known ones.
  void setSymbol(std::string_view name, int64_t value, std::source_location where = std::source_location::current());
  void setSlot(std::string_view name, uint64_t value, std::source_location where = std::source_location::current());
  // Host worker threads for execute() (0 = hardware concurrency). Semantic results do not
  // depend on it.
  void setThreads(unsigned n);
  // Host watchdog for execute(): when no task finishes for `ms` while work is pending
  // (a kernel that never returns), the run ends with a host rt::DeadlockError instead of
  // hanging. 0 disables it. Default 10000. The stuck kernel's thread is left running
  // (it cannot be stopped) and the kernel library stays loaded for the process.
  void setWatchdog(uint32_t ms);

  // Starts a run on host threads and returns; synchronize() waits for it and rethrows its
  // error (UserError, rt::DeadlockError). Every non-temp tensor must be bound.
  void execute();
  void synchronize();
  // Semantic time only: runs the plan without executing kernels. Synchronous. Slot loads
  // read bound memory, except that a slot given a value with setSlot keeps it at every
  // slot_load, and with replaySlotLoads each load takes its recorded value.
  ProgramStats dryRun();
  // Asks the run in flight (execute() or a dry run on another thread) to stop: it issues
  // nothing more, waits for the kernels already running, and then synchronize() /
  // dryRun() throws rt::RunCancelled (runtime/PlanInterpreter.h) and the stats keep the
  // previous run. The one call that may come from another thread; a no-op when idle (the
  // next run starts uncancelled).
  void cancel();
  // A dry run of this plan under another schedule, nothing recompiled: `schedule`
  // replaces the compiled one and `channelCapacity` (by plan channel; empty = as
  // compiled) the channels' capacities. Not traced, not recorded in stats(). Const and
  // safe to call from several threads at once while no setter runs (api/Sweep.h sweeps
  // schedules with it); every schedule knob is checked against its bounds (UserError).
  ProgramStats dryRunWith(const abi::ScheduleConfig& schedule, std::span<const uint32_t> channelCapacity = {}) const;
  // Slot replay (docs/program.md): with recordSlotLoads(true) the following runs keep
  // every slot_load's value, in order (slotLoads(): the last run's). replaySlotLoads
  // makes the following dry runs take those values in order, which reproduces the
  // recorded run's timeline; a run that loads other slots or another count of them is a
  // UserError. An empty list stops replaying.
  void recordSlotLoads(bool on);
  const std::vector<rt::SlotLoad>& slotLoads() const;
  void replaySlotLoads(std::vector<rt::SlotLoad> loads);

  ProgramStats stats() const;        // of the last finished run (execute or dry run)
  uint64_t slot(std::string_view name, std::source_location where = std::source_location::current()) const;  // after the last run
  // The following runs (execute or dry run) stream their Chrome/Perfetto trace JSON
  // (one track per worker, one per host thread) to `out`, in memory bounded by the task
  // window; the file appears when the run finishes (a failed run leaves none). Without
  // it a run keeps nothing per task. "" stops tracing. A missing directory is a
  // UserError here, a write error one of the run.
  void traceTo(const std::filesystem::path& out);
  // The following runs write their executed task graph as Graphviz DOT to `out` when
  // they finish (runtime/TaskGraph.h): the first `maxTasks` tasks in issue order with
  // every dependency among them; a larger run's file states that it stopped there. ""
  // stops it. A missing directory is a UserError here, a write error one of the run.
  void graphTo(const std::filesystem::path& out, uint64_t maxTasks = rt::kDefaultGraphTasks);
  // Tasks issued so far by the run in flight (or the last run), updated every
  // rt::kProgressEvery tasks: for progress displays. Safe to call from any thread.
  uint64_t tasksIssued() const;

  struct Impl;  // opaque: src/api/ProgramImpl.h

 private:
  explicit Program(std::unique_ptr<Impl> impl);
  static Program fromCompiled(driver::Compiled&& c);
  std::unique_ptr<Impl> impl_;
};

}  // namespace pto::wsp
