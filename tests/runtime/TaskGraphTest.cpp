// TaskGraphRecorder: dependency kinds by hand on a small Engine, the task limit that a
// larger run stops at (stated, never silent), and the DOT text.
#include "pto/wsp/runtime/TaskGraph.h"

#include "pto/wsp/runtime/Engine.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace pto::wsp::rt {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

Region row(uint32_t tensor, int64_t r, Access m) { return Region::box2d(tensor, r, 0, 1, 16, m); }

std::vector<std::string> edgesOf(const TaskGraph& g) {
  std::vector<std::string> out;
  for (const GraphEdge& e : g.edges) out.push_back(fmt::format("{}->{} {}", e.from, e.to, depKindName(e.kind)));
  return out;
}

TEST(TaskGraph, EdgesCarryTheirKind) {
  TaskGraphRecorder rec;
  Engine e({.schedule = {.workers = 2, .taskWindow = 16}, .observer = &rec});
  Region w0 = row(0, 0, Access::Write), r0 = row(0, 0, Access::Read), w1 = row(1, 0, Access::Write);
  const TaskId t0 = e.issue({.kernel = 0, .regions = {&w0, 1}, .cycles = 10}).id;   // 0
  const TaskId t1 = e.issue({.kernel = 1, .regions = {&w1, 1}, .cycles = 20}).id;   // 1
  const TaskId deps01[] = {t0, t1};
  // Reads what 0 wrote (data) and lists 1 (explicit); 0 is also listed: data wins.
  e.issue({.kernel = 1, .regions = {&r0, 1}, .deps = deps01, .cycles = 5});          // 2
  const TaskId join = e.issue({.deps = deps01, .structural = true, .seqDeps = true}).id;  // 3
  const TaskId afterJoin[] = {join};
  e.issue({.kernel = 0, .deps = afterJoin, .cycles = 1, .seqDeps = true});         // 4
  const TaskId on2[] = {2};
  e.issue({.kernel = 0, .deps = on2, .cycles = 1, .seqDeps = true});               // 5: seq order, no join
  e.drain();
  const TaskGraph& g = rec.graph();
  ASSERT_EQ(g.tasks.size(), 6u);
  EXPECT_FALSE(g.truncated());
  EXPECT_TRUE(g.tasks[3].structural);
  EXPECT_EQ(g.tasks[1].start, 0u);
  EXPECT_EQ(g.tasks[1].finish, 20u);
  EXPECT_EQ(edgesOf(g), (std::vector<std::string>{"0->2 data", "1->2 explicit", "0->3 structure", "1->3 structure",
                                                  "3->4 structure", "2->5 structure"}));
  rec.onCspEdge(1, 5);
  rec.onAxes(4, std::vector<int64_t>{3, 1});
  const std::string dot = taskGraphDot(rec.graph(), std::vector<std::string>{"load", "mul"},
                                       std::vector<std::string>{"main"});
  EXPECT_THAT(dot, HasSubstr("// task graph: 6 tasks, 7 edges (data 1, structure 4, explicit 1, csp 1)\n"));
  EXPECT_THAT(dot, HasSubstr("t4 [label=\"load [3,1]\\nworker "));
  EXPECT_THAT(dot, HasSubstr("t1 [label=\"mul\\nworker 1, cycles 0-20\\nmain\""));
  EXPECT_THAT(dot, HasSubstr("t3 [label=\"join\""));
  EXPECT_THAT(dot, HasSubstr("t1 -> t5 [class=\"csp\""));
  EXPECT_THAT(dot, HasSubstr("t1 -> t2 [class=\"explicit\""));
  EXPECT_THAT(dot, Not(HasSubstr("truncated")));
}

TEST(TaskGraph, StopsAtItsTaskLimitAndSaysSo) {
  TaskGraphRecorder rec(3);
  Engine e({.schedule = {.workers = 1, .taskWindow = 4}, .observer = &rec});
  Region rw = row(0, 0, Access::ReadWrite);
  for (int i = 0; i < 10; ++i) e.issue({.kernel = 0, .regions = {&rw, 1}, .cycles = 1});
  e.drain();
  const TaskGraph& g = rec.graph();
  EXPECT_EQ(g.tasks.size(), 3u);
  EXPECT_EQ(g.totalTasks, 10u);
  EXPECT_TRUE(g.truncated());
  EXPECT_EQ(edgesOf(g), (std::vector<std::string>{"0->1 data", "1->2 data"}));
  const std::string dot = taskGraphDot(g, {}, {});
  EXPECT_THAT(dot, HasSubstr("// truncated: the first 3 of 10 tasks (task limit 3)\n"));
  EXPECT_THAT(dot, HasSubstr("label=\"truncated: the first 3 of 10 tasks (task limit 3)\""));
  EXPECT_THAT(dot, HasSubstr("t0 [label=\"k0\\nworker 0, cycles 0-1\\np0\""));
}

TEST(TaskGraph, NamesAreEscaped) {
  TaskGraph g;
  g.tasks.push_back({});
  g.totalTasks = 1;
  const std::string dot = taskGraphDot(g, std::vector<std::string>{"a\"b\\c"}, {});
  EXPECT_THAT(dot, HasSubstr("label=\"a\\\"b\\\\c\\nworker"));
}

}  // namespace
}  // namespace pto::wsp::rt
