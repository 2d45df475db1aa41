// The Engine's times against a brute-force model of semantics.md section 4, on random
// streams: tiles, sub-tile and wide boxes, fan-outs reading one tile (reader runs),
// explicit deps, structural joins, several workers, processes and policies, nested
// scopes, pools small enough to stall at every issue.
//
// The model takes each task's issue instant and worker from the Engine (they carry the
// stalls and the policy, pinned by the golden test) and computes the rest itself: a task
// depends on every earlier task whose region overlaps one of its own with a write on
// either side, or that it names; the dependencies still unretired at its issue instant
// (retire = the running maximum of finish times and ended scopes; retired stays
// retired) are its producers; ready = their latest
// finish plus the sync latency (none for a structural join), start = max(issue, ready,
// the worker's last finish; a join has no worker).
// Shadowing and deduplication report fewer producers than the model finds (those they
// drop finish before one they keep), never none when it finds some.
#include "pto/wsp/runtime/Engine.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

namespace pto::wsp::rt {
namespace {

struct ModelTask {
  std::vector<Region> regions;
  std::vector<TaskId> deps;
  uint64_t finish = 0;
  uint64_t scope = 0;     // the open scope holding it (0: none)
  uint64_t scopeEnd = 0;  // that scope's end, once it ended
  uint64_t retire = 0;    // once known (below `pending`)
};

bool conflict(const Region& a, const Region& b) {
  if (a.tensor != b.tensor || !(a.writes() || b.writes())) return false;
  for (uint8_t d = 0; d < a.rank; ++d)
    if (!(a.lo[d] < b.hi[d] && b.lo[d] < a.hi[d])) return false;
  return true;
}

bool dependsOn(const ModelTask& t, TaskId a, const ModelTask& at) {
  if (std::find(t.deps.begin(), t.deps.end(), a) != t.deps.end()) return true;
  for (const Region& r : t.regions)
    for (const Region& q : at.regions)
      if (conflict(r, q)) return true;
  return false;
}

// A box on a 64x64 tensor of 16x16 tiles (few, so boxes meet often): mostly one tile,
// else two by two, a row of four tiles (a reduction's read; not on tensor 2, whose one-tile readers make reader
// runs, which a tensor with wide reads does not) or either half of a tile.
Region randomBox(std::mt19937_64& g, uint32_t tensor, Access mode) {
  const int64_t r = 16 * static_cast<int64_t>(g() % 4), c = 16 * static_cast<int64_t>(g() % 4);
  switch (g() % 8) {
    case 0:
      if (tensor != 2) return Region::box2d(tensor, r, 0, 16, 64, mode);
      [[fallthrough]];
    case 1: return Region::box2d(tensor, std::min<int64_t>(r, 32), std::min<int64_t>(c, 32), 32, 32, mode);
    case 2: return Region::box2d(tensor, r, c + 8 * static_cast<int64_t>(g() % 2), 16, 8, mode);
    default: return Region::box2d(tensor, r, c, 16, 16, mode);
  }
}

// Adds to `conflicting` how many of its tasks had producers.
void checkStream(uint64_t seed, uint64_t& conflicting) {
  std::mt19937_64 g(seed);
  static const char* const kPolicies[] = {"round_robin", "hash", "affinity", "least_loaded", "custom"};
  EngineConfig cfg;
  cfg.schedule.workers = 1 + static_cast<uint32_t>(g() % 4);
  cfg.schedule.dispatch = kPolicies[g() % 5];
  cfg.schedule.issueCycles = g() % 3;
  cfg.schedule.syncLatency = g() % 4;
  const bool tiny = g() % 2 == 0;
  cfg.schedule.taskWindow = static_cast<uint32_t>(tiny ? 2 + g() % 8 : 64 + g() % 512);
  cfg.schedule.tensorMapCapacity = static_cast<uint32_t>(tiny ? 12 + g() % 16 : 256 + g() % 4096);  // >= 3 rows
  cfg.schedule.depListCapacity = static_cast<uint32_t>(tiny ? 16 + g() % 16 : 256 + g() % 4096);
  cfg.schedule.readyQueueCapacity = static_cast<uint32_t>(1 + g() % 16);
  Engine eng(cfg);
  const int64_t grain[2] = {16, 16};
  for (uint32_t tensor = 0; tensor < 3; ++tensor) eng.declareTensor(tensor, grain);
  const auto procs = static_cast<ProcessId>(1 + g() % 3);  // each its own clock
  for (ProcessId p = 1; p < procs; ++p) eng.addProcess("p" + std::to_string(p));

  std::vector<ModelTask> model;
  std::vector<uint64_t> workerFree(cfg.schedule.workers, 0);
  // Retirement in issue order: retire = max(finish, the previous retire, the end of the
  // scope holding it); unknown from the first task an open scope holds (`pending`).
  uint64_t lastRetire = 0;
  TaskId pending = 0;
  auto resolve = [&] {
    for (; pending < model.size() && model[pending].scope == 0; ++pending) {
      ModelTask& m = model[pending];
      lastRetire = std::max({m.finish, lastRetire, m.scopeEnd});
      m.retire = lastRetire;
    }
  };
  std::vector<std::vector<uint64_t>> scopes(procs);  // open scopes per process, innermost last
  uint64_t nextScope = 1;
  auto endScope = [&](ProcessId q) {
    const uint64_t sc = scopes[q].back();
    scopes[q].pop_back();
    eng.scopeEnd(q);
    for (ModelTask& m : model)
      if (m.scope == sc) m.scope = 0, m.scopeEnd = eng.localTime(q);
    resolve();
  };
  // Retirement only moves forward (semantics.md section 4, "horizon"): the tasks below
  // `head` retired by an earlier issue's instant stay retired for a process issuing at
  // an earlier one.
  TaskId head = 0;
  ModelTask prev;
  for (int i = 0; i < 1500; ++i) {
    ModelTask t;
    if (i > 0 && g() % 2 == 0 && !prev.regions.empty() && !prev.regions[0].writes()) {
      t.regions = {prev.regions[0]};  // the same read again: a fan-out's middles
    } else {
      for (uint64_t k = 0, n = g() % 4; k < n; ++k)
        t.regions.push_back(randomBox(g, static_cast<uint32_t>(g() % 3), static_cast<Access>(1 + g() % 3)));
    }
    if (!model.empty() && g() % 4 == 0) t.deps.push_back(model.size() - 1 - g() % std::min<size_t>(model.size(), 20));
    TaskDesc d;
    d.regions = t.regions;
    d.deps = t.deps;
    d.cycles = g() % 20;
    d.dispatchKey = g() % 100;
    d.structural = g() % 16 == 0;
    if (d.structural) d.cycles = 0;
    const auto p = static_cast<ProcessId>(g() % procs);
    if (g() % 16 == 0) eng.advanceTo(p, eng.localTime(p) + g() % 50);  // a wait outside
    if (g() % 24 == 0 && scopes[p].size() < 3) {
      eng.scopeBegin(p);
      scopes[p].push_back(nextScope++);
    }
    if (g() % 24 == 0 && !scopes[p].empty()) endScope(p);
    IssueResult res = eng.tryIssue(p, d);
    while (res.status == IssueStatus::Blocked) {  // a scope holds what it waits for
      ProcessId q = 0;
      while (q < procs && scopes[q].empty()) ++q;
      ASSERT_LT(q, procs) << "seed " << seed << ": Blocked with no scope open";
      endScope(q);
      res = eng.tryIssue(p, d);
    }
    const TaskTimes got = res.task;
    ASSERT_EQ(got.id, model.size());

    while (head < pending && model[head].retire <= got.issue) ++head;
    uint64_t ready = 0, producers = 0;
    for (TaskId a = head; a < model.size(); ++a)
      if (dependsOn(t, a, model[a])) {
        ++producers;
        ready = std::max(ready, model[a].finish);
      }
    if (producers != 0 && !d.structural) ready += cfg.schedule.syncLatency;  // a join adds none
    const uint64_t start = d.structural ? std::max(got.issue, ready)
                                        : std::max({got.issue, ready, workerFree[got.worker]});
    ASSERT_EQ(got.ready, ready) << "seed " << seed << " task " << got.id;
    ASSERT_EQ(got.start, start) << "seed " << seed << " task " << got.id;
    ASSERT_EQ(got.finish, start + d.cycles) << "seed " << seed << " task " << got.id;
    ASSERT_LE(got.numDeps, producers) << "seed " << seed << " task " << got.id;
    ASSERT_EQ(got.numDeps == 0, producers == 0) << "seed " << seed << " task " << got.id;
    conflicting += producers != 0;

    if (!d.structural) workerFree[got.worker] = got.finish;
    t.finish = got.finish;
    t.scope = scopes[p].empty() ? 0 : scopes[p].back();
    prev = t;
    model.push_back(std::move(t));
    resolve();
  }
}

TEST(EngineModel, TimesMatchABruteForceModel) {
  uint64_t withProducers = 0;
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    checkStream(seed, withProducers);
    if (testing::Test::HasFatalFailure()) return;
  }
  EXPECT_GT(withProducers, 40u * 1500 / 10);  // the streams do conflict
}

}  // namespace
}  // namespace pto::wsp::rt
