// Engine: analytical semantic-time cases, stalls and high-water marks by hand,
// TensorMap dependency kinds, scopes, heap arena, dispatch policies, deadlocks.
#include "pto/wsp/runtime/Engine.h"

#include "pto/wsp/runtime/DeadlockReport.h"
#include "pto/wsp/runtime/DispatchPolicy.h"
#include "pto/wsp/runtime/host/HostExecutor.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <vector>

namespace pto::wsp::rt {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

Region tile(uint32_t tensor, int64_t r, int64_t c, Access m, int64_t h = 16, int64_t w = 16) {
  return Region::box2d(tensor, r, c, h, w, m);
}

TaskTimes issueR(Engine& e, std::initializer_list<Region> regs, uint64_t cycles, ProcessId p = 0) {
  std::vector<Region> v(regs);
  return e.issue({.kernel = 0, .regions = v, .cycles = cycles}, p);
}

TEST(Engine, IndependentTasksRoundRobinTakeCeilNOverWTimesC) {
  for (uint32_t W : {1u, 2u, 3u, 4u, 7u})
    for (uint64_t N : {1u, 5u, 16u, 17u, 100u}) {
      Engine e({.schedule = {.workers = W}});
      for (uint64_t i = 0; i < N; ++i) e.issue({.cycles = 10});
      e.drain();
      EXPECT_EQ(e.stats().totalCycles, (N + W - 1) / W * 10) << "N=" << N << " W=" << W;
    }
}

TEST(Engine, DataChainTakesSumOfCostsWhateverW) {
  for (uint32_t W : {1u, 2u, 4u, 8u}) {
    Engine e({.schedule = {.workers = W}});
    uint64_t sum = 0;
    for (uint64_t i = 0; i < 50; ++i) {
      uint64_t c = 1 + (i * 7) % 13;
      sum += c;
      issueR(e, {tile(0, 0, 0, Access::ReadWrite)}, c);
    }
    e.drain();
    EXPECT_EQ(e.stats().totalCycles, sum) << "W=" << W;
  }
}

TEST(Engine, ChainOfRawOnDifferentTensorsAlsoSerialises) {
  Engine e({.schedule = {.workers = 4, .syncLatency = 3}});
  // t0 writes A; t1 reads A writes B; t2 reads B writes C.
  auto a = issueR(e, {tile(0, 0, 0, Access::Write)}, 10);
  auto b = issueR(e, {tile(0, 0, 0, Access::Read), tile(1, 0, 0, Access::Write)}, 20);
  auto c = issueR(e, {tile(1, 0, 0, Access::Read), tile(2, 0, 0, Access::Write)}, 30);
  EXPECT_EQ(a.finish, 10u);
  EXPECT_EQ(b.start, 13u);  // + sync latency
  EXPECT_EQ(c.start, 36u);
  EXPECT_EQ(c.finish, 66u);
  EXPECT_EQ(b.numDeps, 1u);
}

TEST(Engine, TaskWindowOneSerialisesEverything) {
  const uint64_t N = 20, c = 7;
  Engine e({.schedule = {.workers = 4, .taskWindow = 1}});
  for (uint64_t i = 0; i < N; ++i) e.issue({.cycles = c});
  e.drain();
  RunStats s = e.stats();
  EXPECT_EQ(s.totalCycles, N * c);
  EXPECT_EQ(s.at(Resource::TaskRing).stalls, N - 1);
  EXPECT_EQ(s.at(Resource::TaskRing).stallCycles, (N - 1) * c);
  EXPECT_EQ(s.at(Resource::TaskRing).highWater, 1u);
}

TEST(Engine, WindowTwoStallsAndHighWaterByHand) {
  // W=1, window 2, 5 tasks of 10 cycles, issue cost 0:
  //  t0: issue 0  start 0  fin 10 | t1: issue 0  start 10 fin 20
  //  t2: ring full, waits t0 retire (10): issue 10, start 20, fin 30
  //  t3: waits t1 (20): issue 20 start 30 fin 40 | t4: waits t2 (30): fin 50
  Engine e({.schedule = {.workers = 1, .taskWindow = 2}});
  std::vector<TaskTimes> t;
  for (int i = 0; i < 5; ++i) t.push_back(e.issue({.cycles = 10}));
  EXPECT_EQ(t[2].issue, 10u);
  EXPECT_EQ(t[3].issue, 20u);
  EXPECT_EQ(t[4].issue, 30u);
  EXPECT_EQ(t[4].finish, 50u);
  RunStats s = e.stats();
  EXPECT_EQ(s.totalCycles, 50u);
  EXPECT_EQ(s.at(Resource::TaskRing).stalls, 3u);
  EXPECT_EQ(s.at(Resource::TaskRing).stallCycles, 30u);
  EXPECT_EQ(s.at(Resource::TaskRing).highWater, 2u);
  // Ready queue: t1 waits (start 10 > issue 0); later tasks see 1 waiting too.
  EXPECT_EQ(s.at(Resource::ReadyQueue).highWater, 1u);
  EXPECT_EQ(s.at(Resource::ReadyQueue).stalls, 0u);
  EXPECT_EQ(s.currentStall, "task_ring");
}

TEST(Engine, IssueCostAdvancesProcessTime) {
  Engine e({.schedule = {.workers = 8, .issueCycles = 5}});
  auto a = e.issue({.cycles = 100});
  auto b = e.issue({.cycles = 100});
  EXPECT_EQ(a.issue, 5u);
  EXPECT_EQ(b.issue, 10u);
  EXPECT_EQ(b.finish, 110u);
  EXPECT_EQ(e.localTime(0), 10u);
}

TEST(Engine, ReadyQueueCapacityStalls) {
  // W=1, ready queue 1: t0 starts at 0; t1 waits (queue 1); t2 must wait until t1
  // starts (10): issue 10. t3: t2 queued (start 20) -> waits until 20.
  Engine e({.schedule = {.workers = 1, .readyQueueCapacity = 1}});
  std::vector<TaskTimes> t;
  for (int i = 0; i < 4; ++i) t.push_back(e.issue({.cycles = 10}));
  EXPECT_EQ(t[1].issue, 0u);
  EXPECT_EQ(t[2].issue, 10u);
  EXPECT_EQ(t[3].issue, 20u);
  RunStats s = e.stats();
  EXPECT_EQ(s.at(Resource::ReadyQueue).stalls, 2u);
  EXPECT_EQ(s.at(Resource::ReadyQueue).stallCycles, 20u);
  EXPECT_EQ(s.at(Resource::ReadyQueue).highWater, 1u);
  EXPECT_EQ(s.totalCycles, 40u);
}

TEST(Engine, TensorMapDependencyKinds) {
  Engine e({.schedule = {.workers = 8}});
  auto w0 = issueR(e, {tile(0, 0, 0, Access::Write)}, 10);            // writes A[0:16,0:16]
  auto other = issueR(e, {tile(0, 16, 0, Access::Write)}, 10);        // other tile: no dep
  EXPECT_EQ(other.start, 0u);
  auto r1 = issueR(e, {tile(0, 8, 8, Access::Read)}, 10);             // overlaps w0 and other
  EXPECT_EQ(r1.start, w0.finish);
  auto r2 = issueR(e, {tile(0, 0, 0, Access::Read, 4, 4)}, 5);        // RAW on w0 only
  EXPECT_EQ(r2.start, 10u);
  EXPECT_EQ(r2.numDeps, 1u);
  auto w3 = issueR(e, {tile(0, 0, 0, Access::Write, 2, 2)}, 1);       // WAW w0 + WAR r2 (not r1)
  EXPECT_EQ(w3.numDeps, 2u);
  EXPECT_EQ(w3.start, 15u);
  auto r4 = issueR(e, {tile(0, 30, 10, Access::Read, 2, 2)}, 1);      // reads 'other' tile
  EXPECT_EQ(r4.numDeps, 1u);
  auto r5 = issueR(e, {tile(0, 40, 40, Access::Read)}, 1);            // nobody wrote there
  EXPECT_EQ(r5.numDeps, 0u);
  auto r6 = issueR(e, {tile(0, 40, 40, Access::Read)}, 1);            // read after read: none
  EXPECT_EQ(r6.numDeps, 0u);
}

TEST(Engine, ExactOverlapNotPerTensor) {
  // 1-D: writes of [0,10) and [10,20) are independent; a read of [9,11) needs both.
  Engine e({.schedule = {.workers = 4}});
  auto a = e.issue({.regions = std::vector{Region::box1d(3, 0, 10, Access::Write)}, .cycles = 10});
  auto b = e.issue({.regions = std::vector{Region::box1d(3, 10, 10, Access::Write)}, .cycles = 20});
  auto c = e.issue({.regions = std::vector{Region::box1d(3, 9, 2, Access::Read)}, .cycles = 1});
  EXPECT_EQ(a.start, 0u);
  EXPECT_EQ(b.start, 0u);
  EXPECT_EQ(c.numDeps, 2u);
  EXPECT_EQ(c.start, 20u);
}

TEST(Engine, ExplicitDepsAndRetiredProducers) {
  Engine e({.schedule = {.workers = 2, .issueCycles = 0}});
  auto a = e.issue({.cycles = 100});
  std::vector<TaskId> d{a.id};
  auto b = e.issue({.deps = d, .cycles = 1});
  EXPECT_EQ(b.start, 100u);
  EXPECT_THROW(e.issue({.deps = std::vector<TaskId>{99}, .cycles = 1}), UserError);
  // After the process waits past a's retirement, a dependency on it costs nothing.
  e.advanceTo(0, 1000);
  auto c = e.issue({.deps = d, .cycles = 1});
  EXPECT_EQ(c.numDeps, 0u);
  EXPECT_EQ(c.start, 1000u);
}

// A rejected task's id is the next task's: the producers its regions found must not stay
// stamped as seen, or the next task would drop them (each fast-path copy: one worker or
// several, one, two or three regions).
TEST(Engine, RejectedTaskLeavesItsRegionProducersToTheNext) {
  for (uint32_t workers : {1u, 2u})
    for (size_t nRegions : {1u, 2u, 3u}) {
      SCOPED_TRACE(testing::Message() << workers << " workers, " << nRegions << " regions");
      Engine e({.schedule = {.workers = workers, .issueCycles = 0}});
      const auto a = issueR(e, {tile(0, 0, 0, Access::Write)}, 100);
      const Region regs[3] = {tile(0, 0, 0, Access::Read), tile(1, 0, 0, Access::Write),
                              tile(2, 0, 0, Access::Write)};
      const std::vector<TaskId> bad{a.id + 5};
      EXPECT_THROW(e.issue({.regions = {regs, nRegions}, .deps = bad, .cycles = 1}), UserError);
      const auto c = e.issue({.regions = {regs, nRegions}, .cycles = 1});
      EXPECT_EQ(c.id, a.id + 1);
      EXPECT_EQ(c.numDeps, 1u);
      EXPECT_GE(c.ready, a.finish);
      EXPECT_GE(c.start, a.finish);
    }
}

// A rejected or Blocked issue never happened: the first region of an issued task fixes a
// tensor's grain. Here a 32x32 region would make the later 32x32 write one cell; with
// the grain of the 16x16 tile issued first it is four.
TEST(Engine, RejectedOrBlockedIssueFixesNoGrain) {
  const Region big = tile(0, 0, 0, Access::Write, 32, 32);
  const Region small = tile(0, 0, 0, Access::Write);
  const std::vector<TaskId> future{5};
  auto cellsOfBigAfter = [&](uint32_t workers, auto&& attempt) {
    Engine e({.schedule = {.workers = workers, .taskWindow = 8, .depListCapacity = 2}});
    e.issue({.cycles = 1});
    e.issue({.cycles = 1});
    attempt(e);
    e.issue({.regions = {&small, 1}, .cycles = 1});
    const uint64_t before = e.occupancy(Resource::TensorMapPool);
    e.issue({.regions = {&big, 1}, .cycles = 1});
    return e.occupancy(Resource::TensorMapPool) - before;
  };
  for (uint32_t workers : {1u, 2u}) {
    SCOPED_TRACE(testing::Message() << workers << " workers");
    EXPECT_EQ(cellsOfBigAfter(workers, [](Engine&) {}), 4u);
    // a dependency on a task not issued yet
    EXPECT_EQ(cellsOfBigAfter(workers,
                              [&](Engine& e) {
                                EXPECT_THROW(e.issue({.regions = {&big, 1}, .deps = future, .cycles = 1}),
                                             UserError);
                              }),
              4u);
    // more producers than the dep-list pool holds
    EXPECT_EQ(cellsOfBigAfter(workers,
                              [&](Engine& e) {
                                const Region w3[3] = {tile(1, 0, 0, Access::Write), tile(2, 0, 0, Access::Write),
                                                      tile(3, 0, 0, Access::Write)};
                                for (const Region& r : w3) e.issue({.regions = {&r, 1}, .cycles = 100});
                                const Region rd[4] = {big, tile(1, 0, 0, Access::Read), tile(2, 0, 0, Access::Read),
                                                      tile(3, 0, 0, Access::Read)};
                                EXPECT_THROW(e.issue({.regions = {rd, 4}, .cycles = 1}), UserError);
                              }),
              4u);
    // a malformed second region (the first one's tensor is new)
    EXPECT_EQ(cellsOfBigAfter(workers,
                              [&](Engine& e) {
                                Region bad = tile(1, 0, 0, Access::Read);
                                bad.lo[0] = 8;
                                bad.hi[0] = 4;
                                const Region rs[2] = {big, bad};
                                EXPECT_THROW(e.issue({.regions = {rs, 2}, .cycles = 1}), UserError);
                              }),
              4u);
    // Blocked: the window is full of tasks an open scope holds
    EXPECT_EQ(cellsOfBigAfter(workers,
                              [&](Engine& e) {
                                e.scopeBegin();
                                for (int i = 0; i < 8; ++i) e.issue({.cycles = 1});
                                EXPECT_EQ(e.tryIssue(0, {.regions = {&big, 1}, .cycles = 1}).status,
                                          IssueStatus::Blocked);
                                e.scopeEnd();
                              }),
              4u);
  }
}

// round_robin gives the i-th dispatched task worker i mod W: an issue that ends Blocked
// or rejected after asking the policy is not dispatched.
TEST(Engine, BlockedOrRejectedIssueKeepsTheRoundRobinTurn) {
  Engine e({.schedule = {.workers = 3, .taskWindow = 4, .depListCapacity = 2}});
  std::vector<uint32_t> workers;
  auto issue = [&](std::span<const TaskId> deps = {}) { workers.push_back(e.issue({.deps = deps, .cycles = 10}).worker); };
  issue();
  issue();
  issue();
  const std::vector<TaskId> three{0, 1, 2};
  EXPECT_THROW(e.issue({.deps = three, .cycles = 1}), UserError);  // 3 edges, the pool holds 2
  issue();
  e.scopeBegin();
  issue();
  issue();
  issue();
  issue();
  EXPECT_EQ(e.tryIssue(0, {.cycles = 1}).status, IssueStatus::Blocked);
  e.scopeEnd();
  issue();
  issue();
  EXPECT_EQ(workers, (std::vector<uint32_t>{0, 1, 2, 0, 1, 2, 0, 1, 2, 0}));
}

TEST(Engine, TensorMapPoolStalls) {
  // pool of 2 entries, each task writes one new tile (1 entry), W=4, cost 10:
  // t2 must wait until t0 retires at 10.
  Engine e({.schedule = {.workers = 4, .tensorMapCapacity = 2}});
  auto t0 = issueR(e, {tile(0, 0, 0, Access::Write)}, 10);
  auto t1 = issueR(e, {tile(0, 16, 0, Access::Write)}, 20);
  auto t2 = issueR(e, {tile(0, 32, 0, Access::Write)}, 10);
  EXPECT_EQ(t0.issue + t1.issue, 0u);
  EXPECT_EQ(t2.issue, 10u);
  RunStats s = e.stats();
  EXPECT_EQ(s.at(Resource::TensorMapPool).stalls, 1u);
  EXPECT_EQ(s.at(Resource::TensorMapPool).stallCycles, 10u);
  EXPECT_EQ(s.at(Resource::TensorMapPool).highWater, 2u);
  // A region bigger than the pool can never fit: an error, not a hang.
  try {
    issueR(e, {tile(0, 0, 0, Access::Write, 48, 16)}, 1);
    FAIL() << "expected UserError";
  } catch (const UserError& err) {
    EXPECT_THAT(err.what(), HasSubstr("raise pool tensormap to at least 3"));
  }
}

TEST(Engine, DepListPoolStalls) {
  // deplist 2: t2 reads the outputs of t0 and t1 (2 edges); t3 reads t1's and t2's
  // outputs: 2 more edges -> waits for t2's edges to free, i.e. t2's retirement.
  Engine e({.schedule = {.workers = 4, .depListCapacity = 2}});
  issueR(e, {tile(0, 0, 0, Access::Write)}, 10);
  issueR(e, {tile(1, 0, 0, Access::Write)}, 20);
  auto t2 = issueR(e, {tile(0, 0, 0, Access::Read), tile(1, 0, 0, Access::Read),
                       tile(2, 0, 0, Access::Write)},
                   5);
  EXPECT_EQ(t2.start, 20u);
  auto t3 = issueR(e, {tile(2, 0, 0, Access::Read), tile(1, 0, 0, Access::Read),
                       tile(3, 0, 0, Access::Write)},
                   5);
  EXPECT_EQ(t3.issue, 25u);  // t2 retires at 25
  EXPECT_EQ(t3.numDeps, 0u);  // t1 and t2 retired during the stall: no edges left
  EXPECT_EQ(t3.start, 25u);
  RunStats s = e.stats();
  EXPECT_EQ(s.at(Resource::DepListPool).stalls, 1u);
  EXPECT_EQ(s.at(Resource::DepListPool).stallCycles, 25u);
  EXPECT_EQ(s.at(Resource::DepListPool).highWater, 2u);
}

TEST(Engine, DepListStallDropsProducersItRetires) {
  // A chain of 4 read-modify-writes of one tile, deplist 1, sync 7, 100 cycles each.
  // t2's only producer t1 holds the pool's one entry; t2 waits for t1 to retire (207)
  // and is then issued without an edge: no sync latency, and it holds no entry, so t3
  // does not stall. Retired producers are never dependencies (docs/semantics.md).
  Engine e({.schedule = {.workers = 4, .issueCycles = 0, .syncLatency = 7, .depListCapacity = 1}});
  std::vector<TaskTimes> t;
  for (int i = 0; i < 4; ++i) t.push_back(issueR(e, {tile(0, 0, 0, Access::ReadWrite)}, 100));
  e.drain();
  EXPECT_EQ(t[1].start, 107u);
  EXPECT_EQ(t[2].issue, 207u);
  EXPECT_EQ(t[2].numDeps, 0u);
  EXPECT_EQ(t[2].start, 207u);
  EXPECT_EQ(t[3].issue, 207u);
  EXPECT_EQ(t[3].numDeps, 1u);
  EXPECT_EQ(t[3].start, 314u);
  RunStats s = e.stats();
  EXPECT_EQ(s.totalCycles, 414u);
  EXPECT_EQ(s.at(Resource::DepListPool).stalls, 1u);
  EXPECT_EQ(s.at(Resource::DepListPool).stallCycles, 207u);
  // The same chain stalling on the task ring (window 1) drops the edge the same way.
  Engine r({.schedule = {.workers = 4, .issueCycles = 0, .syncLatency = 7, .taskWindow = 1}});
  for (int i = 0; i < 4; ++i) issueR(r, {tile(0, 0, 0, Access::ReadWrite)}, 100);
  r.drain();
  EXPECT_EQ(r.stats().totalCycles, 400u);
}

TEST(Engine, HeapArenaIsAFifoRing) {
  // arena 100 bytes, tasks of 60 bytes cost 10 on 2 workers.
  Engine e({.schedule = {.workers = 2, .heapBytes = 100}});
  auto a = e.issue({.cycles = 10, .heapBytes = 60});
  auto b = e.issue({.cycles = 10, .heapBytes = 60});  // waits for a (10); arena empty -> offset 0
  auto c = e.issue({.cycles = 10, .heapBytes = 30});  // 60 + 30 fits after b
  EXPECT_EQ(a.heapOffset, 0u);
  EXPECT_EQ(b.issue, 10u);
  EXPECT_EQ(b.heapOffset, 0u);
  EXPECT_EQ(c.issue, 10u);
  EXPECT_EQ(c.heapOffset, 60u);
  RunStats s = e.stats();
  EXPECT_EQ(s.at(Resource::HeapArena).stalls, 1u);
  EXPECT_EQ(s.at(Resource::HeapArena).stallCycles, 10u);
  EXPECT_EQ(s.at(Resource::HeapArena).highWater, 90u);
  EXPECT_THROW(e.issue({.cycles = 1, .heapBytes = 101}), UserError);
}

TEST(Engine, HeapReservationIsPartOfTheArenaInEveryReport) {
  // arena 160 bytes, the first 60 reserved for the run: tasks share 100, as above.
  Engine e({.schedule = {.workers = 2, .heapBytes = 160}, .heapReserved = 60});
  auto a = e.issue({.cycles = 10, .heapBytes = 60});
  auto b = e.issue({.cycles = 10, .heapBytes = 60});  // waits for a, like a 100-byte arena
  auto c = e.issue({.cycles = 10, .heapBytes = 30});
  EXPECT_EQ(a.heapOffset, 60u);  // offsets are into the whole arena, after the reservation
  EXPECT_EQ(b.issue, 10u);
  EXPECT_EQ(b.heapOffset, 60u);
  EXPECT_EQ(c.heapOffset, 120u);
  RunStats s = e.stats();
  EXPECT_EQ(s.at(Resource::HeapArena).capacity, 160u);
  EXPECT_EQ(s.at(Resource::HeapArena).highWater, 150u);
  EXPECT_EQ(s.at(Resource::HeapArena).stallCycles, 10u);
  EXPECT_EQ(e.occupancy(Resource::HeapArena), 150u);
  try {
    e.issue({.cycles = 1, .heapBytes = 101});
    FAIL() << "expected UserError";
  } catch (const UserError& err) {
    EXPECT_THAT(err.what(), HasSubstr("needs 101 heap bytes, the arena holds 160 of which 60 are reserved"));
    EXPECT_THAT(err.what(), HasSubstr("raise pool heap to at least 161"));
  }
  // Blocked in a scope: the minimal knob value counts the reservation too.
  Engine f({.schedule = {.workers = 1, .heapBytes = 160}, .heapReserved = 60});
  f.scopeBegin();
  f.issue({.cycles = 10, .heapBytes = 70});
  IssueResult r = f.tryIssue(0, {.cycles = 10, .heapBytes = 40});
  ASSERT_EQ(r.status, IssueStatus::Blocked);
  EXPECT_EQ(r.blockedOn, Resource::HeapArena);
  EXPECT_EQ(r.minimalCapacity, 170u);
}

TEST(Engine, HeapReservationLargerThanTheArenaIsAConfigError) {
  try {
    Engine e({.schedule = {.heapBytes = 100}, .heapReserved = 101});
    FAIL() << "expected UserError";
  } catch (const UserError& err) {
    EXPECT_THAT(err.what(), HasSubstr("101 bytes of the heap arena are reserved, but it has 100"));
    EXPECT_THAT(err.what(), HasSubstr("raise pool heap to at least 101"));
  }
}

TEST(Engine, ScopeHoldsRetirementUntilItEnds) {
  // window 2, W=2. In a scope: t0 (10), t1 (10). Scope ends at t_p = 0, so both
  // retire at 10; t2 waits for t0: issue 10.
  Engine e({.schedule = {.workers = 2, .taskWindow = 2}});
  e.scopeBegin();
  e.issue({.cycles = 10});
  e.issue({.cycles = 10});
  EXPECT_EQ(e.resourceReport().resources[0].heldByScopes, 2u);
  e.scopeEnd();
  auto t2 = e.issue({.cycles = 10});
  EXPECT_EQ(t2.issue, 10u);
  // A scope that ends late holds its tasks until then.
  e.scopeBegin();
  auto t3 = e.issue({.cycles = 1});
  e.advanceTo(0, 500);
  e.scopeEnd();
  auto t4 = e.issue({.cycles = 1});
  auto t5 = e.issue({.cycles = 1});  // ring: t4 + t3 (retires 500) -> t5 at 500
  EXPECT_LT(t3.finish, 500u);
  EXPECT_EQ(t4.issue, 500u);  // t2 retired at 20 <= 500
  EXPECT_EQ(t5.issue, 500u);
}

TEST(Engine, ScopeLargerThanWindowIsADeadlockWithMinimalKnob) {
  Engine e({.schedule = {.workers = 2, .taskWindow = 4}});
  e.scopeBegin();
  for (int i = 0; i < 4; ++i) e.issue({.cycles = 10});
  IssueResult r = e.tryIssue(0, {.cycles = 10});
  EXPECT_EQ(r.status, IssueStatus::Blocked);
  EXPECT_EQ(r.blockedOn, Resource::TaskRing);
  EXPECT_EQ(r.minimalCapacity, 5u);
  try {
    e.issue({.cycles = 10});
    FAIL() << "expected DeadlockError";
  } catch (const DeadlockError& d) {
    const DeadlockReport& rep = d.report();
    ASSERT_EQ(rep.blocked.size(), 1u);
    EXPECT_THAT(rep.blocked[0].waitsOn, HasSubstr("task_ring full"));
    ASSERT_EQ(rep.knobs.size(), 1u);
    EXPECT_EQ(rep.knobs[0].name, "task_window");
    EXPECT_EQ(rep.knobs[0].minimal, 5u);
    ASSERT_EQ(rep.scopes.size(), 1u);
    EXPECT_EQ(rep.scopes[0].depth, 1u);
    EXPECT_EQ(rep.scopes[0].heldTasks, 4u);
    EXPECT_THAT(d.what(), HasSubstr("raise task_window to at least 5 (now 4)"));
    nlohmann::json j = rep.toJson();
    EXPECT_EQ(j["knobs"][0]["minimal"], 5);
    EXPECT_EQ(j["resources"]["task_ring"]["held_by_scopes"], 4);
  }
  // The blocked attempts changed nothing: ending the scope lets the stream go on.
  e.scopeEnd();
  EXPECT_EQ(e.issue({.cycles = 10}).issue, 10u);
}

TEST(Engine, ScopeDepthLimitAndUnmatchedEnd) {
  Engine e({.schedule = {.maxScopeDepth = 2}});
  e.scopeBegin();
  e.scopeBegin();
  EXPECT_THROW(e.scopeBegin(), UserError);
  e.scopeEnd();
  e.scopeEnd();
  EXPECT_THROW(e.scopeEnd(), UserError);
}

TEST(Engine, AwaitRegionWaitsForWriters) {
  Engine e({.schedule = {.workers = 2}});
  issueR(e, {tile(5, 0, 0, Access::Write)}, 40);
  EXPECT_EQ(e.awaitRegion(0, Region::box2d(5, 3, 3, 1, 1, Access::Read)), 40u);
  EXPECT_EQ(e.awaitRegion(0, Region::box2d(5, 100, 100, 1, 1, Access::Read)), 40u);
}

// One knob table: the Engine, a plan's validation and the host executor read the same
// names, defaults and bounds, and messages use the .wsp spellings.
TEST(Engine, ScheduleKnobTableGivesNamesDefaultsAndBounds) {
  const abi::ScheduleConfig s;
  for (const KnobInfo& k : kScheduleKnobs) EXPECT_EQ(s.get(k.knob), k.defaultValue) << k.name;
  EXPECT_EQ(abi::checkSchedule(s), "");
  EXPECT_EQ(poolKnob("heap")->name, "pool heap");
  EXPECT_EQ(poolKnob("stack"), nullptr);
  EXPECT_EQ(std::string(resourceKnob(Resource::HeapArena)), "pool heap");
  EXPECT_EQ(std::string(resourceKnob(Resource::TensorMapPool)), "pool tensormap");
  try {
    Engine e({.schedule = {.depListCapacity = 0}});
    FAIL();
  } catch (const UserError& err) {
    EXPECT_THAT(err.what(), HasSubstr("pool deplist is 0, expected 1 .. 4294967295"));
  }
  const abi::ScheduleConfig small{.taskWindow = 8, .depListCapacity = 32};
  const HostExecutorConfig hc = HostExecutorConfig::fromSchedule(small, 3);
  EXPECT_EQ(hc.hostThreads, 3u);
  EXPECT_EQ(hc.window, 8u);
  EXPECT_EQ(hc.depListCapacity, 32u);
  EXPECT_EQ(hc.readyQueueCapacity, 8u);
}

// A legal but huge task_window: its task records (256 GiB) cannot be allocated, which is
// a user error naming the knob and the bytes, not std::bad_alloc. (The sanitizers'
// allocators abort on such a request instead of failing it.)
TEST(Engine, TablesTooLargeForMemoryAreAUserError) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  GTEST_SKIP() << "a sanitizer's allocator aborts on a 256 GiB request";
#else
  try {
    Engine e({.schedule = {.taskWindow = 4294967295u}});
    FAIL() << "expected UserError";
  } catch (const UserError& err) {
    EXPECT_THAT(err.what(), HasSubstr("task_window 4294967295 needs 274877906944 bytes of task records"));
    EXPECT_THAT(err.what(), HasSubstr("help: lower the largest of them"));
  }
#endif
}

TEST(Engine, BadConfigAndTaskAreUserErrors) {
  EXPECT_THROW(Engine({.schedule = {.workers = 0}}), UserError);
  EXPECT_THROW(Engine({.schedule = {.taskWindow = 0}}), UserError);
  Engine e({});
  Region bad = Region::box2d(0, 5, 0, -1, 4, Access::Read);
  EXPECT_THROW(e.issue({.regions = {&bad, 1}}), UserError);
  Region r3 = Region::box1d(0, 0, 4, Access::Read);
  Region r2 = Region::box2d(0, 0, 0, 4, 4, Access::Read);
  e.issue({.regions = {&r3, 1}});
  EXPECT_THROW(e.issue({.regions = {&r2, 1}}), UserError);  // rank mismatch
}

TEST(Engine, StatsJsonAndChromeTrace) {
  Engine e({.schedule = {.workers = 2}, .trace = true});
  for (int i = 0; i < 4; ++i) e.issue({.kernel = static_cast<uint32_t>(i % 2), .cycles = 10});
  e.drain();
  RunStats s = e.stats();
  EXPECT_EQ(s.workers[0].busyCycles, 20u);
  EXPECT_DOUBLE_EQ(s.workers[1].utilisation, 1.0);
  nlohmann::json j = s.toJson();
  EXPECT_EQ(j["total_cycles"], 20);
  EXPECT_EQ(j["workers"].size(), 2u);
  EXPECT_TRUE(j["resources"].contains("heap_arena"));
  EXPECT_THAT(s.toText(), HasSubstr("task_ring"));
  ASSERT_EQ(e.trace().size(), 4u);
  nlohmann::json t = nlohmann::json::parse(e.chromeTrace({.kernelNames = {"gemm"}}));
  int slices = 0;
  for (const auto& ev : t["traceEvents"])
    if (ev["ph"] == "X") {
      ++slices;
      EXPECT_TRUE(ev["tid"] == 0 || ev["tid"] == 1);
    }
  EXPECT_EQ(slices, 4);
  EXPECT_EQ(t["traceEvents"].back()["name"], "k1");
}

// A trace capped at traceCapacity says exactly which tasks it left out, in the stats and
// in the JSON, instead of silently ending early.
TEST(Engine, CappedTraceSaysWhatItLeftOut) {
  Engine e({.schedule = {.workers = 2}, .trace = true, .traceCapacity = 3});
  for (int i = 0; i < 5; ++i) e.issue({.kernel = 0, .cycles = 10});
  e.drain();
  const RunStats s = e.stats();
  ASSERT_EQ(e.trace().size(), 3u);
  EXPECT_EQ(s.traceDroppedTasks, 2u);
  EXPECT_EQ(s.traceFirstDroppedTask, e.trace().back().task + 1);
  const nlohmann::json t = nlohmann::json::parse(e.chromeTrace());
  ASSERT_TRUE(t.contains("pto_wsp_truncated"));
  EXPECT_EQ(t["pto_wsp_truncated"]["dropped_tasks"], 2);
  EXPECT_EQ(t["pto_wsp_truncated"]["recorded_tasks"], 3);
  Engine full({.schedule = {.workers = 2}, .trace = true});
  for (int i = 0; i < 5; ++i) full.issue({.kernel = 0, .cycles = 10});
  full.drain();
  EXPECT_EQ(full.stats().traceDroppedTasks, 0u);
  EXPECT_FALSE(nlohmann::json::parse(full.chromeTrace()).contains("pto_wsp_truncated"));
}

// `tasks` counts joins too; kernelTasks + joins = tasks and the workers' counts add up
// to kernelTasks.
TEST(Engine, KernelTasksAndJoinsAreCountedApart) {
  Engine e({.schedule = {.workers = 2}});
  for (int i = 0; i < 4; ++i) e.issue({.kernel = 0, .cycles = 10});
  e.issue({.structural = true});
  e.drain();
  const RunStats s = e.stats();
  EXPECT_EQ(s.tasks, 5u);
  EXPECT_EQ(s.kernelTasks, 4u);
  EXPECT_EQ(s.joins, 1u);
  uint64_t perWorker = 0;
  for (const WorkerStats& w : s.workers) perWorker += w.tasks;
  EXPECT_EQ(perWorker, s.kernelTasks);
  EXPECT_EQ(s.toJson()["joins"], 1);
}

// The deadlock text and its JSON give the same number of tasks in flight.
TEST(DeadlockReportText, InFlightAgreesWithJson) {
  DeadlockReport r;
  r.clock = DeadlockReport::Clock::Semantic;
  r.tasksIssued = 5;
  r.inFlight = 2;
  EXPECT_EQ(r.toJson()["in_flight"], 2);
  const std::string text = r.diagnostic().message;
  EXPECT_THAT(text, HasSubstr("the 2 tasks in flight cannot unblock any"));
  EXPECT_THAT(text, Not(HasSubstr("no task is in flight")));
  r.inFlight = 0;
  EXPECT_THAT(r.diagnostic().message, HasSubstr("no task is in flight"));
}

TEST(Dispatch, UnknownPolicyListsRegisteredOnes) {
  try {
    Engine e({.schedule = {.dispatch = "fastest"}});
    FAIL();
  } catch (const UserError& err) {
    EXPECT_THAT(err.what(), HasSubstr("unknown dispatch policy 'fastest'"));
    EXPECT_THAT(err.what(), HasSubstr("affinity, custom, hash, least_loaded, round_robin"));
  }
}

TEST(Dispatch, PoliciesMapKeysDeterministically) {
  auto& reg = DispatchRegistry::global();
  std::vector<uint64_t> free{30, 10, 10, 20};
  auto ll = reg.create("least_loaded", 4);
  EXPECT_EQ(ll->pick({.workerFree = free}), 1u);
  auto af = reg.create("affinity", 4);
  EXPECT_EQ(af->pick({.key = 7}), 3u);
  auto cu = reg.create("custom", 4);
  EXPECT_EQ(cu->pick({.key = static_cast<uint64_t>(int64_t{-1})}), 3u);
  auto h = reg.create("hash", 4);
  std::vector<int> hist(4);
  for (uint64_t k = 0; k < 400; ++k) {
    uint32_t w = h->pick({.key = k});
    EXPECT_EQ(w, h->pick({.key = k}));
    hist[w]++;
  }
  for (int c : hist) EXPECT_GT(c, 60);  // consecutive keys spread, unlike key % W
  auto rr = reg.create("round_robin", 3);
  EXPECT_EQ(rr->pick({}), 0u);
  EXPECT_EQ(rr->pick({}), 1u);
  EXPECT_EQ(rr->pick({}), 2u);
  EXPECT_EQ(rr->pick({}), 0u);
}

TEST(Dispatch, LeastLoadedBalancesUnequalTasks) {
  // Costs 10, 1, 1, 1 on 2 workers: least_loaded puts the short ones on worker 1.
  Engine e({.schedule = {.workers = 2, .dispatch = "least_loaded"}});
  std::vector<TaskTimes> t;
  for (uint64_t c : {10, 1, 1, 1}) t.push_back(e.issue({.cycles = c}));
  EXPECT_EQ(t[0].worker, 0u);
  EXPECT_EQ(t[1].worker, 1u);
  EXPECT_EQ(t[2].worker, 1u);
  EXPECT_EQ(t[3].worker, 1u);
  EXPECT_EQ(e.stats().totalCycles, 10u);
}

TEST(Dispatch, RegistryAcceptsNewModules) {
  auto& reg = DispatchRegistry::global();
  if (!reg.has("test_last_worker")) {
    struct Last final : DispatchPolicy {
      explicit Last(uint32_t w) : DispatchPolicy(w) {}
      std::string_view name() const override { return "test_last_worker"; }
      uint32_t pick(const DispatchContext&) override { return numWorkers() - 1; }
    };
    reg.add("test_last_worker", [](uint32_t w) { return std::make_unique<Last>(w); });
  }
  EXPECT_THROW(reg.add("hash", nullptr), UserError);
  Engine e({.schedule = {.workers = 3, .dispatch = "test_last_worker"}});
  EXPECT_EQ(e.issue({.cycles = 1}).worker, 2u);
}

}  // namespace
}  // namespace pto::wsp::rt
