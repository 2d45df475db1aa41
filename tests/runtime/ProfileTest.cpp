// Profiler: per-kernel aggregates and the critical path by hand, on Engines small
// enough to reason about; the ring stays bounded by the task window.
#include "pto/wsp/runtime/Profile.h"

#include "pto/wsp/runtime/Engine.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <string>
#include <vector>

namespace pto::wsp::rt {
namespace {

using ::testing::HasSubstr;

Region row(uint32_t tensor, int64_t r, Access m) { return Region::box2d(tensor, r, 0, 1, 16, m); }

TEST(Profiler, ChainIsTheCriticalPathWhateverTheWorkers) {
  for (uint32_t W : {1u, 4u}) {
    Profiler prof(2, W, 16, 5);
    Engine e({.schedule = {.workers = W, .syncLatency = 5, .taskWindow = 16}, .observer = &prof});
    // Chain 0 -> 1 -> 2 on tensor 0 (kernels 0, 1, 0), plus 3 independent kernel-1 tasks.
    Region w0 = row(0, 0, Access::Write), rw0 = row(0, 0, Access::ReadWrite);
    e.issue({.kernel = 0, .regions = {&w0, 1}, .cycles = 100});
    e.issue({.kernel = 1, .regions = {&rw0, 1}, .cycles = 30});
    e.issue({.kernel = 0, .regions = {&rw0, 1}, .cycles = 100});
    for (int i = 0; i < 3; ++i) {
      Region o = row(1, i, Access::Write);
      e.issue({.kernel = 1, .regions = {&o, 1}, .cycles = 40});
    }
    e.drain();
    RunProfile p = prof.profile();
    EXPECT_EQ(p.critical.cycles, 100 + 5 + 30 + 5 + 100) << "W=" << W;
    EXPECT_EQ(p.critical.tasks, 3u);
    ASSERT_TRUE(p.critical.kernelsKnown);
    EXPECT_EQ(p.critical.kernelTasks, (std::vector<uint64_t>{2, 1}));
    EXPECT_EQ(p.critical.kernelCycles, (std::vector<uint64_t>{200, 30}));
    EXPECT_EQ(p.kernels[0].tasks, 2u);
    EXPECT_EQ(p.kernels[0].cycles, 200u);
    EXPECT_EQ(p.kernels[1].tasks, 4u);
    EXPECT_EQ(p.kernels[1].cycles, 150u);
    uint64_t placed = 0;
    for (uint64_t n : p.kernels[1].workerTasks) placed += n;
    EXPECT_EQ(placed, 4u);
    EXPECT_LE(p.critical.cycles, e.stats().totalCycles);
  }
}

TEST(Profiler, LongChainOutlivesTheRingAndStaysExact) {
  // 1000 chained tasks through a window of 4: the ring only holds the last 4.
  Profiler prof(1, 2, 4, 0);
  Engine e({.schedule = {.workers = 2, .taskWindow = 4}, .observer = &prof});
  Region rw = row(0, 0, Access::ReadWrite);
  for (int i = 0; i < 1000; ++i) e.issue({.kernel = 0, .regions = {&rw, 1}, .cycles = 7});
  e.drain();
  RunProfile p = prof.profile();
  EXPECT_EQ(p.critical.cycles, 7000u);
  EXPECT_EQ(p.critical.tasks, 1000u);
  EXPECT_EQ(e.stats().totalCycles, 7000u);
}

// The best path's per-kernel counts survive the reuse of its ring row by later,
// shorter tasks (the counts are kept in the ring until then).
TEST(Profiler, BestPathSurvivesItsRingRowBeingReused) {
  Profiler prof(2, 1, 4, 0);
  // Task 0: kernel 1, 100 cycles, the longest path; tasks 1..9: kernel 0, 1 cycle each,
  // independent (no preds), so they overwrite every row of the 4-task ring.
  prof.onIssue({.id = 0, .kernel = 1, .cycles = 100});
  for (uint64_t i = 1; i < 10; ++i) prof.onIssue({.id = i, .kernel = 0, .cycles = 1});
  RunProfile p = prof.profile();
  EXPECT_EQ(p.critical.cycles, 100u);
  EXPECT_EQ(p.critical.tasks, 1u);
  EXPECT_EQ(p.critical.kernelTasks, (std::vector<uint64_t>{0, 1}));
  EXPECT_EQ(p.critical.kernelCycles, (std::vector<uint64_t>{0, 100}));
  // A best path still in the ring is read from there.
  const uint64_t pred = 9;
  prof.onIssue({.id = 10, .kernel = 0, .cycles = 200, .preds = {&pred, 1}, .depFrom = 0});
  p = prof.profile();
  EXPECT_EQ(p.critical.cycles, 201u);
  EXPECT_EQ(p.critical.kernelTasks, (std::vector<uint64_t>{2, 0}));
  EXPECT_EQ(p.critical.kernelCycles, (std::vector<uint64_t>{201, 0}));
}

// A plan of one kernel takes its own path for tasks of at most one producer: the same
// profile as a Profiler that knows a second (unused) kernel and takes the general path,
// over tasks of 0 to 3 producers (some retired, below depFrom), joins, ties between
// producers, a ring of 8 reused many times and a best path whose row is reused.
TEST(Profiler, OneKernelMatchesTheGeneralPath) {
  Profiler one(1, 3, 8, 4), two(2, 3, 8, 4);
  uint64_t x = 12345;
  auto next = [&] { return x = x * 6364136223846793005ull + 1442695040888963407ull, x >> 33; };
  for (uint64_t id = 0; id < 2000; ++id) {
    std::vector<uint64_t> preds;
    const uint64_t n = id == 0 ? 0 : next() % 4;
    for (uint64_t i = 0; i < n; ++i) preds.push_back(id - 1 - next() % std::min<uint64_t>(id, 7));
    const bool join = next() % 9 == 0;
    const IssuedTask t{.id = id, .kernel = 0, .worker = static_cast<uint32_t>(next() % 4), .structural = join,
                       .cycles = join ? 0 : next() % 3 * 50, .preds = preds, .depFrom = id < 5 ? 0 : id - 5};
    one.onIssue(t);
    two.onIssue(t);
  }
  const RunProfile a = one.profile(), b = two.profile();
  EXPECT_EQ(a.critical.cycles, b.critical.cycles);
  EXPECT_EQ(a.critical.tasks, b.critical.tasks);
  EXPECT_EQ(a.critical.kernelTasks[0], b.critical.kernelTasks[0]);
  EXPECT_EQ(a.critical.kernelCycles[0], b.critical.kernelCycles[0]);
  EXPECT_EQ(a.kernels[0].tasks, b.kernels[0].tasks);
  EXPECT_EQ(a.kernels[0].cycles, b.kernels[0].cycles);
  EXPECT_EQ(a.kernels[0].workerTasks, b.kernels[0].workerTasks);
  EXPECT_GT(a.critical.tasks, 10u);
}

TEST(Profiler, HugeWindowTimesKernelsDropsOnlyThePerKernelPath) {
  Profiler prof(64, 1, uint32_t{1} << 20, 0);
  Engine e({.schedule = {.workers = 1}, .observer = &prof});
  e.issue({.kernel = 3, .cycles = 9});
  e.drain();
  RunProfile p = prof.profile();
  EXPECT_FALSE(p.critical.kernelsKnown);
  EXPECT_EQ(p.critical.cycles, 9u);
  RunStats s = e.stats();
  EXPECT_THAT(profileText(p, s, {}), HasSubstr("kernels not tracked"));
  EXPECT_EQ(profileJson(p, s, {})["critical_path"]["kernels_known"], false);
}

TEST(Profiler, TextNamesKernelsAndAlignsColumns) {
  Profiler prof(2, 2, 16, 0);
  Engine e({.schedule = {.workers = 2}, .observer = &prof});
  e.issue({.kernel = 0, .cycles = 10});
  e.issue({.kernel = 1, .cycles = 30});
  e.drain();
  RunProfile p = prof.profile();
  p.channels.push_back({.name = "c", .capacity = 2, .tokens = 5, .fullWaits = 1, .fullWaitCycles = 12,
                        .emptyWaits = 0, .emptyWaitCycles = 0, .highWater = 2});
  const std::vector<std::string> names = {"alpha", "beta"};
  const std::string text = profileText(p, e.stats(), names);
  // total% = cycles / total_cycles (30).
  EXPECT_THAT(text, HasSubstr("  alpha         1           10         10  25.0%   33.3%  0\n"));
  EXPECT_THAT(text, HasSubstr("  beta          1           30         30  75.0%  100.0%  1\n"));
  EXPECT_THAT(text, HasSubstr("  c         2        5             1/12              0/0     2\n"));
  EXPECT_THAT(text, HasSubstr("critical_path 30 cycles (100.0% of total_cycles), 1 tasks\n"));
  for (size_t at = 0, nl; (nl = text.find('\n', at)) != std::string::npos; at = nl + 1)
    EXPECT_LE(nl - at, 80u) << text.substr(at, nl - at);
  // Names up to 16 characters still fit in 80 columns (docs/cli.md), busy workers too.
  const std::vector<std::string> longNames = {"sixteen_chars_ab", "beta"};
  const std::string wide = profileText(p, e.stats(), longNames);
  for (size_t at = 0, nl; (nl = wide.find('\n', at)) != std::string::npos; at = nl + 1)
    EXPECT_LE(nl - at, 80u) << wide.substr(at, nl - at);
}

TEST(Profiler, IdRanges) {
  EXPECT_EQ(idRanges(std::vector<uint64_t>{1, 1, 1, 0, 2, 0, 1, 1}), "0-2,4,6-7");
  EXPECT_EQ(idRanges(std::vector<uint64_t>{0, 0}), "-");
}

}  // namespace
}  // namespace pto::wsp::rt
