// Engine: the task-stream API of the runtime core (SEMANTICS.md sections 2-4, 7).
//
// Every backend drives the runtime through it: a process issues tasks (kernel id +
// argument words + accessed regions + explicit deps + cycles + dispatch key); the
// Engine infers data dependencies with a tile-level TensorMap, computes deterministic
// semantic times, accounts every bounded resource (stall-only), and — unless it runs
// dry — hands the task to a TaskSink (the host executor) with the predecessors that
// are still unfinished on the host. docs/runtime.md documents the model and the data
// structures; docs/semantics.md the rules.
//
// Minimal use (one process, dry run):
//   rt::Engine eng({.schedule = {.workers = 4}});
//   rt::Region r = rt::Region::box2d(/*tensor*/0, row, col, 16, 16, rt::Access::Write);
//   eng.issue({.kernel = 0, .regions = {&r, 1}, .cycles = 100});
//   eng.drain();
//   eng.stats().totalCycles;
#pragma once

#include "pto/wsp/abi/KernelAbi.h"
#include "pto/wsp/abi/ScheduleConfig.h"
#include "pto/wsp/runtime/DeadlockReport.h"
#include "pto/wsp/runtime/Stats.h"
#include "pto/wsp/runtime/TaskObserver.h"
#include "pto/wsp/runtime/TaskSink.h"
#include "pto/wsp/runtime/Trace.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace pto::wsp::rt {

using TaskId = TaskSeq;       // 0, 1, 2, ... in issue order over all processes
using ProcessId = uint32_t;   // process 0 ("main") always exists

inline constexpr uint32_t kMaxRank = 4;

enum class Access : uint8_t { Read = 1, Write = 2, ReadWrite = 3 };

// An n-D index box [lo, hi) of a tensor, accessed in one mode. Coordinates are element
// indices (not bytes); 0 <= lo[d] <= hi[d]. An empty box (some lo == hi) accesses
// nothing.
struct Region {
  uint32_t tensor = 0;
  uint8_t rank = 0;   // 1..kMaxRank
  Access mode = Access::Read;
  std::array<int64_t, kMaxRank> lo{};
  std::array<int64_t, kMaxRank> hi{};

  // Inline: callers build a region per task, and a call would cost more than the box.
  static Region box1d(uint32_t tensor, int64_t off, int64_t len, Access m) {
    Region r;
    r.tensor = tensor;
    r.rank = 1;
    r.mode = m;
    r.lo[0] = off;
    r.hi[0] = off + len;
    return r;
  }
  static Region box2d(uint32_t tensor, int64_t row, int64_t col, int64_t rows,
                      int64_t cols, Access m) {
    Region r = box1d(tensor, row, rows, m);
    r.rank = 2;
    r.lo[1] = col;
    r.hi[1] = col + cols;
    return r;
  }
  bool writes() const { return (static_cast<uint8_t>(mode) & 2) != 0; }
  bool reads() const { return (static_cast<uint8_t>(mode) & 1) != 0; }
  bool overlaps(const Region& o) const;  // same tensor and boxes intersect
};

// One task to issue. Spans are only read during the call (the Engine copies what it
// keeps; the sink copies the argument words). A stream keeps one and updates what
// changes, or passes a designated-initializer temporary: a `TaskDesc d;` per task is
// cleared with `rep stosq` by GCC (96 bytes), ~8 ns per task (docs/runtime.md).
struct TaskDesc {
  uint32_t kernel = 0;                 // kernel id (trace, dispatch context)
  pto_kernel_fn fn = nullptr;          // host function; null = empty task
  std::span<const uint64_t> args = {};     // <= abi::kMaxTaskArgs words
  std::span<const Region> regions = {};  // accessed tensor regions -> data deps
  std::span<const TaskId> deps = {};     // explicit deps (earlier tasks)
  uint64_t cycles = 0;                 // semantic cost
  uint64_t dispatchKey = 0;            // input of hash / affinity / custom policies
  uint64_t heapBytes = 0;              // runtime-managed intermediate bytes (HEAP_ARENA)
  // A structural join (e.g. the barrier between iterations of a sequential loop): it
  // takes a ring slot and dependencies like any task but occupies no worker, costs
  // no cycles and runs no kernel; start = finish = max(issue, ready).
  bool structural = false;
  // The deps order steps of a sequential loop or Seq (the PlanInterpreter's joins), not
  // an author's list: only the dependency kind a task graph shows (TaskObserver.h).
  bool seqDeps = false;
};

// Semantic times of one issued task.
struct TaskTimes {
  TaskId id = 0;
  uint32_t worker = 0;
  uint64_t issue = 0, ready = 0, start = 0, finish = 0;
  uint64_t heapOffset = 0;   // byte offset of its heapBytes inside the arena (>= heapReserved)
  uint32_t numDeps = 0;      // semantic dependency edges (deduplicated)
};

enum class IssueStatus : uint8_t { Issued, Blocked };

struct IssueResult {
  IssueStatus status = IssueStatus::Issued;
  TaskTimes task;                         // valid when Issued
  Resource blockedOn = Resource::TaskRing;  // valid when Blocked
  // When Blocked: the capacity of `blockedOn` that would have let the issue proceed
  // without a scope end (the "minimal knob").
  uint64_t minimalCapacity = 0;
};

// The schedule (sizes, policy, issue/sync costs) is abi::ScheduleConfig, the same struct
// the plan carries; its knob table (support/ScheduleKnobs.h) gives defaults and bounds.
struct EngineConfig {
  abi::ScheduleConfig schedule;
  // Bytes at the front of the arena that the caller holds for the whole run (the
  // runtime-managed tensors of a plan); tasks share the rest. Counted in the arena's
  // occupancy, high-water mark and minimal knob values, so reports name the whole
  // arena the user configures. Must be <= schedule.heapBytes.
  uint64_t heapReserved = 0;
  bool trace = false;                      // keep TraceRecords (up to traceCapacity)
  size_t traceCapacity = size_t{1} << 22;
  // Streams every non-structural task's TraceRecord, in issue order, once it is
  // complete (host times known: when its slot is reused, or at drain), in memory
  // bounded by the task window and independent of `trace`. Borrowed; the caller
  // calls finish() after drain().
  ChromeTraceWriter* traceWriter = nullptr;
  TaskSink* sink = nullptr;                // null: dry run (no kernel runs)
  TaskObserver* observer = nullptr;        // told of every committed task (borrowed)
  // Tasks issued so far, published (relaxed) every kProgressEvery tasks and at drain,
  // for a progress display on another thread. Borrowed; null = not published.
  std::atomic<uint64_t>* progress = nullptr;
};

inline constexpr uint64_t kProgressEvery = 4096;

// Thread-safety: an Engine is driven by one orchestrating thread. It owns its state;
// the sink is borrowed and must outlive the Engine.
class Engine {
 public:
  // Throws UserError on a bad config (unknown policy, zero sizes).
  explicit Engine(const EngineConfig& cfg);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  const EngineConfig& config() const;

  // --- processes (orchestrating actors with their own local time t_p) ---------------
  ProcessId addProcess(std::string name);
  uint32_t numProcesses() const;
  const std::string& processName(ProcessId p) const;
  uint64_t localTime(ProcessId p) const;
  // t_p = max(t_p, t): a process waiting on something outside the Engine (a channel).
  void advanceTo(ProcessId p, uint64_t t);

  // Declares a tensor's TensorMap cell grain (its usual tile shape, e.g. {16, 128});
  // otherwise the first region that touches the tensor fixes it. Regions spanning k
  // cells cost k TensorMap entries, so a well-chosen grain keeps the pool small.
  void declareTensor(uint32_t tensor, std::span<const int64_t> grain);

  // --- issuing -------------------------------------------------------------------------
  // Issues a task from process p, or returns Blocked (nothing changed) when a bounded
  // resource can only be freed by a scope that is still open. Throws UserError on a
  // malformed task (bad region, dep on a future task, a request larger than a whole
  // resource) and DeadlockError if the host executor's watchdog fires.
  IssueResult tryIssue(ProcessId p, const TaskDesc& t);
  // Same, but a Blocked issue is a deadlock of a single stream: throws DeadlockError
  // with the report (blocked process, utilisation, scopes, minimal knob).
  TaskTimes issue(const TaskDesc& t, ProcessId p = 0);

  // --- scopes ----------------------------------------------------------------------------
  // Tasks issued by p inside a scope keep their outputs live: they do not retire (and
  // hold their ring slot, TensorMap entries, dep edges, heap bytes) before scopeEnd.
  // Throws UserError beyond maxScopeDepth / on an unmatched end.
  void scopeBegin(ProcessId p = 0);
  void scopeEnd(ProcessId p = 0);
  uint32_t scopeDepth(ProcessId p = 0) const;

  // --- waiting for values (slot_load) ---------------------------------------------------
  // Waits until every unretired task writing into `r` has finished: semantic
  // t_p = max(t_p, their finish); on the host, waits for them to finish for real.
  // Returns the new t_p. Throws DeadlockError if the host watchdog fires.
  uint64_t awaitRegion(ProcessId p, const Region& r);
  uint64_t awaitTask(ProcessId p, TaskId id);  // no-op semantically for retired tasks
  // Semantic finish of a task still in the ring (or of a retired one if known).
  uint64_t finishTime(TaskId id) const;

  // --- end of run -------------------------------------------------------------------------
  // Closes open scopes (at their process's time), waits for the host to finish every
  // task, fixes total_cycles and host wall time. Idempotent.
  void drain();

  TaskId tasksIssued() const;
  RunStats stats() const;                       // any time; complete after drain()
  std::span<const TraceRecord> trace() const;   // empty unless cfg.trace
  std::string chromeTrace(const TraceExportOptions& opts = {}) const;
  // Resource/scope part of a deadlock report at the current instant (the caller adds
  // blocked actors); used by PlanInterpreter.
  DeadlockReport resourceReport() const;
  // Occupancy of a resource at the latest issue instant (semantic).
  uint64_t occupancy(Resource r) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  // The issue path chosen for this Engine's configuration (docs/runtime.md, "The issue
  // path"), called from the inline issue() / tryIssue(): one indirect call per task, to
  // the copy for a task without regions ([0]), with one ([1]), two ([2]) or more ([3]).
  IssueResult (*tryIssueFn_[4])(Impl&, ProcessId, const TaskDesc&) = {};
  TaskTimes (*issueFn_[4])(Impl&, ProcessId, const TaskDesc&) = {};
  static size_t issueCopy(const TaskDesc& t) { return std::min<size_t>(t.regions.size(), 3); }
};

inline IssueResult Engine::tryIssue(ProcessId p, const TaskDesc& t) { return tryIssueFn_[issueCopy(t)](*impl_, p, t); }
inline TaskTimes Engine::issue(const TaskDesc& t, ProcessId p) { return issueFn_[issueCopy(t)](*impl_, p, t); }

}  // namespace pto::wsp::rt
