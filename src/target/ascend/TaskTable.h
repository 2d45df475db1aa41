// The task table an ascend orchestration plays (docs/ascend.md, "Orchestration: a task
// table"). The orchestration source depends only on the plan's structure: one case per
// task site (TaskSite: a call statement's kernel and tensors), so it is the same for
// every symbol value and dynamic axis size. What varies with those values — which tasks
// run, their view offsets, row strides and scalars, their producers (host_build_graph)
// or scope marks (tensormap_and_ringbuffer), the tensors' sizes — is this table, built
// from the runtime core's expansion (TaskGraph.h) for a run's values and passed to the
// orchestration as its last entry tensor. Internal to the ascend target.
#pragma once

#include "TaskGraph.h"

#include "pto/wsp/abi/Plan.h"
#include "pto/wsp/support/Diagnostic.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pto::wsp::target::ascend {

enum class Runtime : uint8_t { HostBuildGraph, TensorMapAndRingBuffer };
std::string_view runtimeName(Runtime r);  // "host_build_graph" / "tensormap_and_ringbuffer"

// pto-runtime's limits (PTO-RUNTIME.md).
inline constexpr uint32_t kMaxTasks = 131072;
inline constexpr uint32_t kMaxTaskArgs = 16;
inline constexpr uint32_t kMaxFanout = 128;
inline constexpr uint32_t kMaxTensorArgs = 16, kMaxScalarArgs = 32;

// The table's entry tensor (the orchestration's last) and its file in the tree.
inline constexpr const char* kTableEntry = "pto_wsp_tasks";
inline constexpr const char* kTableFile = "data/pto_wsp_tasks.txt";
inline constexpr uint64_t kTableVersion = 1;
// tensormap_and_ringbuffer: flags in the high half of a task's first word.
inline constexpr uint64_t kOpenScope = uint64_t{1} << 32, kCloseScope = uint64_t{1} << 33;

// A task site: the tasks of one kernel on one tuple of tensors. Site 0 is the no-op task
// (structural joins, host_build_graph's fan-out relays); the others are the plan's call
// statements in plan order, statements with the same kernel and tensors sharing one.
struct TaskSite {
  int32_t kernel = -1;            // plan kernel; -1 for site 0
  std::vector<uint32_t> tensors;  // plan tensor of each tile parameter
  std::vector<uint32_t> locs;     // PlanLocations indices of its call statements
  std::vector<uint32_t> processes;
};
std::vector<TaskSite> taskSites(const abi::Plan& plan);

struct TaskTable {
  std::vector<uint64_t> words;
  uint32_t tasks = 0;   // tasks the orchestration adds (relays included)
  uint32_t relays = 0;  // host_build_graph relay tasks
  uint32_t scopes = 0;  // tensormap_and_ringbuffer scopes
  uint32_t edges = 0;   // add_successor calls / explicit dependencies
  // Text layout (tableText): the word index each line ends at, and its comment ("" none).
  std::vector<std::pair<uint32_t, std::string>> lines;
};

// Layout, both runtimes (u64 words): version, runtime (0 host_build_graph, 1 ring),
// tensor count T, T tensor byte sizes, task count N, then N tasks: the site (ring: with
// kOpenScope / kCloseScope), the site's words — host_build_graph: each tile's element
// offset; ring: each tile's row and column in its tensor's (row, col) plane —, each
// tile's row stride, each scalar; ring only: the explicit dependency count and the
// dependencies (task indices). host_build_graph then: edge count E and E (from, to)
// pairs, at most kMaxFanout per `from` (relays fan out the rest).
// `scopeBegins` (ring only): where scopes start, planRingScopes' answer (RingScopes.h). Throws a located UserError (at `loc`)
// when the graph breaks a pto-runtime limit.
TaskTable buildTaskTable(const abi::Plan& plan, const TaskGraph& g, const std::vector<TaskSite>& sites, Runtime rt,
                         const std::vector<uint32_t>& scopeBegins, const SourceLoc& loc);

// The table as text (the tree's kTableFile): '#' comments, then the words in decimal,
// one task per line. `header` is the first comment line.
std::string tableText(const TaskTable& t, std::string_view header);
// Reads tableText's words back; throws a UserError located in `file` on a bad word.
std::vector<uint64_t> parseTableText(std::string_view text, const std::string& file);

}  // namespace pto::wsp::target::ascend
