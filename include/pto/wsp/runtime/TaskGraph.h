// The executed task graph of one run, for people: tasks (kernel, loop iteration values,
// worker, semantic start/finish) and their dependencies by kind, drawn as Graphviz DOT
// (`ptowsp run --graph`). A TaskGraphRecorder is a TaskObserver that keeps the first
// `maxTasks` tasks in issue order -- a prefix closed under dependencies, so every edge
// among them is present -- and counts the rest, which the DOT text states (never a
// silently partial graph). docs/runtime.md, "Task graph".
#pragma once

#include "pto/wsp/runtime/TaskObserver.h"

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace pto::wsp::rt {

// Tasks a graph keeps by default: a DOT file of a few thousand nodes still renders.
inline constexpr uint64_t kDefaultGraphTasks = 2000;

enum class DepKind : uint8_t { Data, Structure, Explicit, Csp };
const char* depKindName(DepKind k);  // "data", "structure", "explicit", "csp"

struct GraphTask {
  uint32_t kernel = 0, worker = 0, process = 0;
  bool structural = false;
  uint64_t start = 0, finish = 0;
  std::vector<int64_t> axes;  // enclosing loops' iteration values, outermost first
};

struct GraphEdge {
  uint64_t from = 0, to = 0;
  DepKind kind = DepKind::Data;
};

struct TaskGraph {
  std::vector<GraphTask> tasks;  // by task id: ids 0 .. tasks.size()-1
  std::vector<GraphEdge> edges;  // semantic dependencies among them
  uint64_t totalTasks = 0;       // tasks the run issued
  uint64_t maxTasks = 0;
  bool truncated() const { return totalTasks > tasks.size(); }
};

class TaskGraphRecorder final : public TaskObserver {
 public:
  explicit TaskGraphRecorder(uint64_t maxTasks = kDefaultGraphTasks) { g_.maxTasks = maxTasks; }
  void onIssue(const IssuedTask& t) override;
  bool wantsContext() const override { return true; }
  void onAxes(uint64_t task, std::span<const int64_t> axes) override;
  void onCspEdge(uint64_t producer, uint64_t consumer) override;
  const TaskGraph& graph() const { return g_; }

 private:
  TaskGraph g_;
};

// digraph "tasks": one node per task ("KERNEL [axes]", worker, start-finish cycles,
// process), joins as small "join" nodes; edges styled and classed by kind. Names by id
// ("k<id>" / "p<id>" when missing). A truncated graph says so in a comment and its label.
std::string taskGraphDot(const TaskGraph& g, std::span<const std::string> kernelNames,
                         std::span<const std::string> processNames);

}  // namespace pto::wsp::rt
