// PlanInterpreter: executes an orchestration plan (abi/Plan.h) on an Engine.
//
// Each plan process is an actor with its own local time; the interpreter repeatedly
// lets the unfinished process with the smallest local time (ties: lower id) perform
// one action (issue a task, send or take a channel token). A process that cannot act
// (channel empty/full, a resource held by an open scope) is skipped; when no process
// can act the run stops at once with a DeadlockReport (SEMANTICS.md sections 4, 6, 7).
// Symbols, slots and dynamic axis sizes are runtime values: changing them needs no
// new plan.
#pragma once

#include "pto/wsp/abi/KernelAbi.h"
#include "pto/wsp/abi/Plan.h"
#include "pto/wsp/runtime/Engine.h"
#include "pto/wsp/runtime/Profile.h"
#include "pto/wsp/runtime/SlotLoad.h"

#include <atomic>
#include <optional>
#include <stdexcept>
#include <vector>

namespace pto::wsp::rt {

struct KernelBinding {
  pto_kernel_fn fn = nullptr;      // null: nothing runs on the host for this kernel
  pto_cycles_fn cycles = nullptr;  // null: the plan kernel's constant cost
};

// The Engine configuration a plan's schedule asks for (sink / trace left unset).
EngineConfig engineConfigFor(const abi::ScheduleConfig& s);

struct PlanRunConfig {
  EngineConfig engine;                     // its sink decides dry run vs host execution
  std::vector<KernelBinding> kernels = {};  // indexed by PlanKernel::fnIndex
  // Host memory per plan tensor (may be short / hold nulls: argument pointers are then
  // 0 and slot loads keep the slot). A runtime-managed tensor left null gets zeroed
  // memory from the HEAP_ARENA for the run (the Engine's arena shrinks by its bytes).
  // Tensors read by Load ops (ragged lengths, CSR indptr / indices) must be bound.
  std::vector<void*> tensorBase = {};
  std::vector<int64_t> symbols = {};       // overrides the plan defaults (by index)
  std::vector<uint64_t> slots = {};        // initial slot values (by index; default PlanSlot::init)
  // Set from any thread to stop the run: the interpreter issues nothing more, waits for
  // the tasks already issued (a kernel cannot be preempted) and throws RunCancelled.
  // Borrowed; null = the run cannot be cancelled.
  const std::atomic<bool>* cancel = nullptr;
  // Data-dependent control without the data. A slot_load of a held slot (by index,
  // nonzero = held) keeps the slot's value instead of reading memory. With `replay`,
  // a process's n-th slot_load takes the n-th value recorded for that process (its slot
  // must match, and every process must make exactly as many loads as recorded, else
  // UserError); the interleaving of processes may differ, so a recording made under
  // one schedule replays under another. recordSlotLoads fills PlanRunResult::slotLoads.
  std::vector<uint8_t> heldSlots = {};
  const std::vector<SlotLoad>* replay = nullptr;
  bool recordSlotLoads = false;
};

// Thrown by PlanInterpreter::run when PlanRunConfig::cancel was set: the run stopped
// early, its results are incomplete and none are returned.
class RunCancelled : public std::runtime_error {
 public:
  RunCancelled() : std::runtime_error("the run was cancelled") {}
};

struct PlanRunResult {
  bool ok = true;                          // false: deadlock (see `deadlock`)
  RunStats stats;
  std::optional<DeadlockReport> deadlock;
  std::vector<uint64_t> slots;             // final slot values
  std::vector<uint64_t> processTime;       // final local time per process
  std::vector<ChannelProfile> channels;    // by plan channel index
  std::vector<SlotLoad> slotLoads;         // every slot_load in order (PlanRunConfig::recordSlotLoads)
};

// Not thread-safe; one run per instance. The plan must outlive the interpreter.
class PlanInterpreter {
 public:
  // Validates the plan and the config (throws UserError).
  PlanInterpreter(const abi::Plan& plan, PlanRunConfig cfg);
  ~PlanInterpreter();
  PlanInterpreter(const PlanInterpreter&) = delete;
  PlanInterpreter& operator=(const PlanInterpreter&) = delete;

  // Runs to completion or deadlock (never hangs), or throws RunCancelled. User errors in the plan's runtime
  // values (division by zero, send on a closed channel, ...) throw UserError located at
  // the plan node they come from (the plan's location table); a deadlock report names
  // the workload, each blocked process and channel, and each kernel still running.
  PlanRunResult run();
  // Same, but a deadlock throws DeadlockError.
  PlanRunResult runOrThrow();
  Engine& engine();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace pto::wsp::rt
