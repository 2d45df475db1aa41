// Engine: what a stall frees and what it counts, by hand (semantics.md section 4). A
// release exactly at t frees: waiting for the oldest task releases every task that
// retires at the same instant; the ready queue is looked at the final issue instant; a
// rejected issue takes back the stalls it counted; currentStall is the last resource in
// the order stalls are resolved.
#include "pto/wsp/runtime/Engine.h"

#include "pto/wsp/support/Diagnostic.h"

#include <gtest/gtest.h>

namespace pto::wsp::rt {
namespace {

const int64_t kGrain[2] = {16, 16};

// T0 [0, 500) and T1 [500, 800) both retire at 100. T2 (400 bytes) waits until 100; the
// arena is then empty, so it starts at 0 and holds its own 400 bytes, not a wrapped tail.
TEST(EngineRelease, HeapWaitFreesEveryTaskRetiringAtThatInstant) {
  Engine e({.schedule = {.workers = 2, .heapBytes = 1000}});
  e.issue({.cycles = 100, .heapBytes = 500});
  e.issue({.cycles = 50, .heapBytes = 300});
  const TaskTimes t2 = e.issue({.cycles = 1000, .heapBytes = 400});
  EXPECT_EQ(t2.issue, 100u);
  EXPECT_EQ(t2.heapOffset, 0u);
  EXPECT_EQ(e.occupancy(Resource::HeapArena), 400u);
  const TaskTimes t3 = e.issue({.cycles = 1, .heapBytes = 500});  // fits after T2: no stall
  EXPECT_EQ(t3.issue, 100u);
  EXPECT_EQ(t3.heapOffset, 400u);
  const RunStats s = e.stats();
  EXPECT_EQ(s.at(Resource::HeapArena).stalls, 1u);
  EXPECT_EQ(s.at(Resource::HeapArena).stallCycles, 100u);
  EXPECT_EQ(s.at(Resource::HeapArena).highWater, 900u);
}

// T1 [600, 900) and the wrapped T2 retire at 100; T3 waits until then and finds the arena
// empty: its bytes start at 0.
TEST(EngineRelease, HeapWaitResetsAnEmptiedArena) {
  Engine e({.schedule = {.workers = 2, .heapBytes = 1000}});
  e.issue({.cycles = 10, .heapBytes = 600});
  e.issue({.cycles = 100, .heapBytes = 300});
  e.advanceTo(0, 20);
  e.issue({.cycles = 50, .heapBytes = 300});
  const TaskTimes t3 = e.issue({.cycles = 1, .heapBytes = 400});
  EXPECT_EQ(t3.issue, 100u);
  EXPECT_EQ(t3.heapOffset, 0u);
}

// T3 waits for dep-list entries until 10, when T1 starts: the queue then holds T2 and T3.
TEST(EngineRelease, ReadyQueueMarkIsTakenAtTheFinalIssueInstant) {
  Engine e({.schedule = {.workers = 1, .depListCapacity = 1}});
  e.declareTensor(0, kGrain);
  const Region w = Region::box2d(0, 0, 0, 16, 16, Access::Write), r = Region::box2d(0, 0, 0, 16, 16, Access::Read);
  e.issue({.regions = {&w, 1}, .cycles = 10});
  e.issue({.regions = {&r, 1}, .cycles = 10});
  e.issue({.cycles = 10});
  const TaskTimes t3 = e.issue({.regions = {&r, 1}, .cycles = 10});
  EXPECT_EQ(t3.issue, 10u);
  EXPECT_EQ(e.stats().at(Resource::ReadyQueue).highWater, 2u);
}

// The write waits on the ready queue, then has 2 producers for a pool of 1: rejected, and
// the ready-queue stall it counted is taken back.
TEST(EngineRelease, RejectedIssueTakesBackItsStalls) {
  Engine e({.schedule = {.workers = 1, .depListCapacity = 1, .readyQueueCapacity = 2}});
  e.declareTensor(0, kGrain);
  const Region w = Region::box2d(0, 0, 0, 16, 16, Access::Write), r = Region::box2d(0, 0, 0, 16, 16, Access::Read);
  for (int i = 0; i < 4; ++i) e.issue({.regions = {&r, 1}, .cycles = 100});
  const RunStats before = e.stats();
  EXPECT_THROW(e.issue({.regions = {&w, 1}, .cycles = 1}), UserError);
  const RunStats after = e.stats();
  EXPECT_EQ(after.at(Resource::ReadyQueue).stalls, before.at(Resource::ReadyQueue).stalls);
  EXPECT_EQ(after.at(Resource::ReadyQueue).stallCycles, before.at(Resource::ReadyQueue).stallCycles);
}

// T3 stalls on the ready queue (0 -> 100), then on the dep-list pool (100 -> 101): the
// dep-list pool is resolved last, so it is the current stall.
TEST(EngineRelease, CurrentStallIsTheLastResolved) {
  Engine e({.schedule = {.workers = 2, .depListCapacity = 1, .readyQueueCapacity = 1}});
  e.declareTensor(0, kGrain);
  const Region w = Region::box2d(0, 0, 0, 16, 16, Access::Write), r = Region::box2d(0, 0, 0, 16, 16, Access::Read);
  e.issue({.regions = {&w, 1}, .cycles = 100});
  e.issue({.regions = {&r, 1}, .cycles = 1});
  e.issue({.cycles = 1});
  const TaskId dep[1] = {2};
  const TaskTimes t3 = e.issue({.deps = dep, .cycles = 1});
  EXPECT_EQ(t3.issue, 101u);
  const RunStats s = e.stats();
  EXPECT_EQ(s.at(Resource::ReadyQueue).stalls, 1u);
  EXPECT_EQ(s.at(Resource::DepListPool).stalls, 1u);
  EXPECT_EQ(s.currentStall, "deplist_pool");
}

}  // namespace
}  // namespace pto::wsp::rt
