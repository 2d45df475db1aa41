// Structured deadlock report (SEMANTICS.md section 7): produced when no actor can make
// progress, in semantic time (Engine / PlanInterpreter) or in host time (the
// executor's watchdog). Text for people, JSON for tools.
#pragma once

#include "pto/wsp/runtime/Stats.h"
#include "pto/wsp/support/Diagnostic.h"

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace pto::wsp::rt {

// One blocked actor (a process) and what it waits on.
struct BlockedActor {
  uint32_t process = 0;
  std::string name;         // process name ("main" for a plain task stream)
  uint64_t localTime = 0;   // semantic time t_p at which it blocked
  std::string waitsOn;      // "channel 'c2s' empty", "task_ring full (...)", ...
  std::string channel = {};  // the channel it waits on, "" if it waits on something else
  // Filled from the plan's location table (PlanInterpreter): where the process is (its
  // innermost located statement) and where the channel is declared. Unknown locations
  // are left out of the text.
  SourceLoc loc = {}, channelLoc = {};
};

// A task still inside its kernel when the host watchdog fired (Clock::Host).
struct RunningKernel {
  uint64_t task = 0;
  uint32_t hostThread = 0;
  std::string symbol;       // the kernel function's symbol (or its address)
  const void* fn = nullptr; // the kernel function (matched against the plan's kernels)
  // Filled from the plan's location table: the kernel's name and declaration.
  std::string name = {};
  SourceLoc loc = {};
};

struct ResourceUse {
  Resource resource = Resource::TaskRing;
  uint64_t occupancy = 0;   // at the deadlock instant
  uint64_t capacity = 0;
  uint64_t highWater = 0;
  uint64_t heldByScopes = 0;  // part of occupancy that only a scope end can release
};

struct ScopeState {
  uint32_t process = 0;
  uint32_t depth = 0;            // open scopes
  uint64_t heldTasks = 0;        // tasks whose retirement waits for one of its scopes
};

// A configuration change that would unblock the run, with the minimal value. The
// runtime computes `minimal` from the blocked request alone; a front end that can re-run
// the semantic model checks it (api: DeadlockAdvice) and records the outcome.
struct Knob {
  std::string name;        // "task_window", "channel c2s capacity"
  uint64_t current = 0;
  uint64_t minimal = 0;    // smallest value that unblocks this deadlock
  enum class Check : uint8_t {
    Unchecked,  // minimal is the blocked request's bound, not re-run
    Unblocks,   // re-run: `minimal` is the smallest value that gets past this deadlock
    Fails,      // re-run: no value up to `triedUpTo` gets past it
  };
  Check check = Check::Unchecked;
  uint64_t triedUpTo = 0;    // Fails: the largest value tried
  std::string thenWaits = {};  // Unblocks, but the re-run deadlocks later: its first wait
  std::string text() const;  // "raise task_window to at least 9 (now 8)"
  std::string_view checkName() const;  // JSON "checked": unchecked / unblocks / fails
};

struct DeadlockReport {
  enum class Clock : uint8_t { Semantic, Host } clock = Clock::Semantic;
  std::vector<BlockedActor> blocked;
  std::vector<ResourceUse> resources;
  std::vector<ScopeState> scopes;
  std::vector<Knob> knobs;
  uint64_t tasksIssued = 0;
  uint64_t inFlight = 0;       // semantic: tasks not retired; host: unfinished tasks
  std::string hostSnapshot;    // TaskSink::stallSnapshot().describe() for Clock::Host
  std::vector<RunningKernel> running;  // Clock::Host: tasks inside a kernel, by host thread
  SourceLoc loc;               // the workload that deadlocked (from the plan's location table)

  std::string text() const;
  nlohmann::json toJson() const;
  // The report as a user diagnostic: "deadlock: ..." + one help note per knob.
  Diagnostic diagnostic() const;
};

// Thrown by the throwing entry points (Engine::issue, PlanInterpreter::run) when the
// run deadlocks; what() is the rendered diagnostic.
class DeadlockError : public UserError {
 public:
  explicit DeadlockError(DeadlockReport r);
  const DeadlockReport& report() const { return report_; }

 private:
  DeadlockReport report_;
};

}  // namespace pto::wsp::rt
