// Where the tensormap_and_ringbuffer orchestration may close a PTO2 scope, and how large
// pto-runtime's task ring must be for those scopes (docs/ascend.md, "Scopes and the task
// ring"). Read from pto-runtime 49f79ccf:
//  * a consumer is linked to a producer by ring *slot* and wired later by scheduler
//    thread 0; a producer whose scope has ended can be CONSUMED, retired and its slot
//    reused by task id + window before that wiring, and the consumer then waits on the
//    slot's new occupant (the "Task Ring Full" deadlock). A producer cannot be consumed
//    while its scope is open, so a scope may end only where no dependency crosses;
//  * a scope's tasks all hold their slots until it ends, and a ring of W slots holds at
//    most W - 1 live tasks (`PTO2TaskAllocator::alloc`, `check_scope_can_accept_task`),
//    so every scope must hold at most W - 1 tasks.
// "Dependency" is every edge pto-runtime may derive when the consumer is submitted: the
// graph's own producers (explicit `set_dependencies` are a subset) and every earlier
// writer (OUT / INOUT) of a region overlapping a region the task reads (IN / INOUT), the
// TensorMap's rule; entries the runtime may drop (INOUT-covered, retired) are kept, so the
// model over-approximates and never misses a crossing. The overlap test itself is exact
// here, as pto-runtime's is for views of one tensor with the same row-major strides
// (`PTO2TensorMapEntry::check_overlap`, its hyper-rectangle level).
// A pure function of the expanded graph and the plan's kernel signatures, used by the
// orchestration emitter and by anything that builds the graph later. Internal to the
// ascend target.
#pragma once

#include "TaskGraph.h"

#include "pto/wsp/abi/Plan.h"
#include "pto/wsp/support/Diagnostic.h"

#include <cstdint>
#include <vector>

namespace pto::wsp::target::ascend {

// pto-runtime's bounds: PTO2_RING_TASK_WINDOW must be a power of two >= 4 (else it is
// ignored and the 16384 default is used); one scope's task list holds at most
// PTO2_SCOPE_TASKS_CAP = 65536 entries.
inline constexpr uint32_t kMinRingWindow = 4;
inline constexpr uint32_t kMaxRingWindow = 65536;
// Scopes are packed up to this many tasks (and half the ring), so that the ring holds
// two of them and the schedulers run one while the orchestrator submits the next.
inline constexpr uint32_t kScopePackTasks = 1024;

struct RingScopes {
  std::vector<uint32_t> begins;  // first task of each scope, ascending; begins[0] == 0
  uint32_t largestUncut = 0;     // most tasks between two safe cut points (the smallest possible largest scope)
  uint32_t largestScope = 0;     // most tasks in one emitted scope
  uint32_t requestedWindow = 0;  // the schedule's task_window
  uint32_t ringWindow = 0;       // PTO2_RING_TASK_WINDOW to run with
  // True when ringWindow == requestedWindow: the schedule's window is pto-runtime's.
  bool windowHonoured() const { return ringWindow == requestedWindow; }
  // Tasks [begins[i], end) of scope i.
  uint32_t end(size_t i, uint32_t tasks) const { return i + 1 < begins.size() ? begins[i + 1] : tasks; }
};

// earliest[c]: the smallest task that task c may wait on in pto-runtime (c itself when none).
std::vector<uint32_t> earliestRingDependency(const TaskGraph& g, const abi::Plan& plan);

// Safe cut points k (0 < k < tasks, ascending): no task >= k waits on a task < k.
std::vector<uint32_t> safeScopeCuts(const TaskGraph& g, const abi::Plan& plan);

// The smallest ring (power of two >= kMinRingWindow) that holds a scope of `scopeTasks`.
uint32_t smallestRingFor(uint32_t scopeTasks);

// Scopes at safe cut points only, packed up to min(kScopePackTasks, ring / 2) tasks, and the
// ring: the schedule's `taskWindow` when it is a power of two >= 4 that holds the largest
// scope (largestUncut <= taskWindow - 1), else the smallest power of two that does, never
// below the largest power of two <= taskWindow. ringWindow > kMaxRingWindow means no
// scoping fits pto-runtime; the caller reports it.
RingScopes planRingScopes(const TaskGraph& g, const abi::Plan& plan, uint32_t taskWindow);

// What a compile says about `s`: nothing when the window is honoured; a warning located
// at the schedule's task_window directive (`at`; `defaulted` when the schedule has none)
// naming the ring used when it is not; a UserError when no ring pto-runtime accepts fits.
std::vector<Diagnostic> ringScopeDiagnostics(const RingScopes& s, const SourceLoc& at, bool defaulted);

}  // namespace pto::wsp::target::ascend
