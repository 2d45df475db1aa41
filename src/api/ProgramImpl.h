// Internal state of a Program, shared by Program.cpp (binding, runs), ProgramCompile.cpp
// (the compile driver's result) and ProgramRun.cpp (one interpreter run). Not a public header.
#pragma once

#include "pto/wsp/api/Program.h"
#include "pto/wsp/artifact/SharedLibrary.h"
#include "pto/wsp/runtime/host/HostExecutor.h"
#include "pto/wsp/runtime/PlanInterpreter.h"
#include "pto/wsp/runtime/TaskGraph.h"

#include <atomic>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace pto::wsp::detail {

// Everything a run reads, copied when execute() starts so that setSymbol / bind calls
// made while a run is in flight cannot race with it.
struct RunInputs {
  std::vector<int64_t> symbols;
  std::vector<uint64_t> slots;
  std::vector<void*> tensorBase;
  unsigned threads = 1;
  uint32_t watchdogMs = rt::kDefaultWatchdogMs;
  bool dryRun = false;
  std::filesystem::path tracePath;  // empty: no trace
  double clockGhz = 1.0;            // device time of the trace's semantic track
  std::filesystem::path graphPath;  // empty: no task graph
  uint64_t graphTasks = 0;          // the graph's task limit
  std::atomic<uint64_t>* progress = nullptr;  // tasks issued so far (Program::tasksIssued)
  const std::atomic<bool>* cancel = nullptr;  // Program::cancel()'s flag
  std::vector<uint8_t> heldSlots;   // dry run: slots set by setSlot keep their value
  std::shared_ptr<const std::vector<rt::SlotLoad>> replay;  // dry run: null = none
  bool recordSlotLoads = false;
};

// What a finished run left behind.
struct RunOutputs {
  rt::RunStats stats;
  rt::RunProfile profile;
  std::optional<rt::TaskGraph> graph;  // when in.graphTasks > 0
  std::vector<uint64_t> slots;
  std::vector<rt::SlotLoad> slotLoads;  // RunInputs::recordSlotLoads
  double wallMs = 0;
};

// Runs the plan once (host threads unless in.dryRun). Throws UserError / DeadlockError.
// Thread-safe: reads `plan` and `kernels` only (temps go to the interpreter's heap arena).
RunOutputs runPlan(const abi::Plan& plan, const std::vector<rt::KernelBinding>& kernels,
                   const std::vector<std::string>& kernelNames, const RunInputs& in);

}  // namespace pto::wsp::detail

namespace pto::wsp {

struct Program::Impl {
  Impl() = default;
  ~Impl();  // joins a run still in flight (its memory and kernels must outlive it)
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  // --- fixed by compile() -------------------------------------------------------------
  ir::Module module;  // tensor shapes (dynamic dims) and declaration locations
  std::string workload;
  artifact::Manifest manifest;
  std::filesystem::path dir;
  abi::Plan plan;
  artifact::SharedLibrary library;  // owns the kernels: outlives every run
  std::vector<rt::KernelBinding> kernels;  // by PlanKernel::fnIndex
  std::vector<std::string> kernelNames;    // by plan kernel index (trace names)
  double compileMs = 0;
  double clockGhz = 1.0;
  uint64_t compilerInvocations = 0;
  std::vector<std::pair<std::string, double>> compilePhases;
  std::vector<Diagnostic> warnings;  // the verifier's, at compile()

  // --- runtime values (never recompile) ------------------------------------------------
  std::vector<int64_t> symbols;          // by plan symbol index
  std::vector<bool> symbolSet;           // set explicitly or has a default
  std::vector<uint64_t> slotInit;        // by plan slot index
  std::vector<uint8_t> slotSet;          // by plan slot index: given by setSlot
  bool recordSlots = false;
  std::shared_ptr<const std::vector<rt::SlotLoad>> replay;  // replaySlotLoads(); null = none
  std::vector<rt::SlotLoad> lastSlotLoads;
  std::vector<void*> tensorBase;         // by plan tensor index; null = unbound
  std::vector<size_t> boundBytes;
  unsigned threads = 0;
  uint32_t watchdogMs = rt::kDefaultWatchdogMs;

  // --- the run in flight / the last finished run ---------------------------------------
  std::thread worker;
  std::atomic<bool> cancelRequested{false};  // cancel(): read by the run in flight
  std::exception_ptr error;
  std::optional<detail::RunOutputs> running;  // written by the worker thread only
  double runStartMs = 0;
  bool hasRun = false;
  ProgramStats stats;
  std::vector<uint64_t> finalSlots;
  std::filesystem::path tracePath;  // traceTo(): where the next runs stream their trace
  std::filesystem::path graphPath;  // graphTo(): where the next runs write their task graph
  uint64_t graphTasks = rt::kDefaultGraphTasks;
  std::atomic<uint64_t> issued{0};  // tasks issued by the run in flight (tasksIssued())

  // Runtime values from the plan / module defaults; no tensor bound.
  void initRuntimeValues();
  // Joins the worker (if any) and publishes its outputs; returns its error, if any.
  std::exception_ptr join();
  // One run of the plan; a deadlock's report gets the declarations' source locations.
  detail::RunOutputs run(const detail::RunInputs& in) const;
  // Keeps a finished run's stats, final slots and trace (execute and dry run alike).
  void recordRun(detail::RunOutputs&& out, bool dryRun, double executeMs);
};

}  // namespace pto::wsp
