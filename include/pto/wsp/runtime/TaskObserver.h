// TaskObserver: an optional per-issue hook of the Engine (EngineConfig::observer). The
// Engine calls it once per committed task with the task's semantic times and its
// semantic producers, so aggregates (runtime/Profile.h) can be kept without the Engine
// storing anything per task for them. A PlanInterpreter also tells it, when asked
// (wantsContext), the loop iteration values of each kernel task and the CSP edges
// (runtime/TaskGraph.h draws both).
#pragma once

#include <cstdint>
#include <span>

namespace pto::wsp::rt {

struct IssuedTask {
  uint64_t id = 0;
  uint32_t kernel = 0;
  uint32_t worker = 0;
  uint32_t process = 0;
  bool structural = false;  // a join: no worker, no cycles
  uint64_t cycles = 0;
  uint64_t issue = 0, ready = 0, start = 0, finish = 0;
  // Producers found for the task, unordered; those >= depFrom are its semantic
  // dependencies (older ones had retired and only matter to the host).
  std::span<const uint64_t> preds = {};
  uint64_t depFrom = 0;
  // preds[0, dataPreds) were found through the task's regions (data dependencies);
  // the rest came from its explicit deps only.
  uint32_t dataPreds = 0;
  bool seqDeps = false;  // TaskDesc::seqDeps: its explicit deps express sequential order
};

// Thread-safety: called from the Engine's orchestrating thread only.
class TaskObserver {
 public:
  virtual ~TaskObserver() = default;
  virtual void onIssue(const IssuedTask& t) = 0;
  // When true, a PlanInterpreter calls the two hooks below (each costs it a few
  // instructions per task, so observers that do not draw graphs leave it false).
  virtual bool wantsContext() const { return false; }
  // After onIssue of kernel task `task`: the iteration values of its enclosing loops,
  // outermost first.
  virtual void onAxes(uint64_t task, std::span<const int64_t> axes) { (void)task, (void)axes; }
  // The first kernel task `consumer` a process issued after taking a token that kernel
  // task `producer` sent (a process-time dependency, docs/semantics.md section 3).
  virtual void onCspEdge(uint64_t producer, uint64_t consumer) { (void)producer, (void)consumer; }
};

// Forwards every call to two observers (either may be null).
class TaskObserverPair final : public TaskObserver {
 public:
  TaskObserverPair(TaskObserver* a, TaskObserver* b) : a_(a), b_(b) {}
  void onIssue(const IssuedTask& t) override {
    if (a_) a_->onIssue(t);
    if (b_) b_->onIssue(t);
  }
  bool wantsContext() const override { return (a_ && a_->wantsContext()) || (b_ && b_->wantsContext()); }
  void onAxes(uint64_t task, std::span<const int64_t> axes) override {
    if (a_) a_->onAxes(task, axes);
    if (b_) b_->onAxes(task, axes);
  }
  void onCspEdge(uint64_t producer, uint64_t consumer) override {
    if (a_) a_->onCspEdge(producer, consumer);
    if (b_) b_->onCspEdge(producer, consumer);
  }

 private:
  TaskObserver *a_, *b_;
};

}  // namespace pto::wsp::rt
