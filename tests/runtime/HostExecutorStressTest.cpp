// HostExecutor stress: many random tasks doing real read-modify-writes on random,
// overlapping regions of a few small tensors; predecessors computed by brute force
// (per element: last writer, readers since that write). The outputs must be
// bit-identical to sequential execution whatever the interleaving, with tiny rings.
//
// PTO_WSP_STRESS_TASKS overrides the task count (100000 by default; the sanitizer
// runs use fewer because TSan slows the run ~20x).
#include "pto/wsp/runtime/host/HostExecutor.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <random>
#include <vector>

namespace pto::wsp::rt {
namespace {

constexpr uint32_t kTensors = 3;
constexpr uint32_t kElems = 48;
constexpr uint32_t kMaxRegions = 3;

struct RegionDesc {
  uint32_t tensor, lo, len;
  bool writes;
};

struct Task {
  std::vector<RegionDesc> regions;
  std::vector<TaskSeq> preds;
};

size_t taskCount() {
  if (const char* e = std::getenv("PTO_WSP_STRESS_TASKS")) return std::strtoull(e, nullptr, 10);
  return 100000;
}

std::vector<Task> makeTasks(size_t n, uint32_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<Task> tasks(n);
  // Brute-force dependence tracking, per element.
  std::vector<int64_t> lastWriter(kTensors * kElems, -1);
  std::vector<std::vector<TaskSeq>> readers(kTensors * kElems);
  for (size_t s = 0; s < n; ++s) {
    Task& t = tasks[s];
    const uint32_t nr = 1 + static_cast<uint32_t>(rng() % kMaxRegions);
    for (uint32_t i = 0; i < nr; ++i) {
      RegionDesc r{};
      r.tensor = static_cast<uint32_t>(rng() % kTensors);
      r.len = 1 + static_cast<uint32_t>(rng() % 12);
      r.lo = static_cast<uint32_t>(rng() % (kElems - r.len + 1));
      r.writes = rng() % 3 != 0;
      t.regions.push_back(r);
    }
    for (const RegionDesc& r : t.regions) {
      for (uint32_t e = r.lo; e < r.lo + r.len; ++e) {
        const size_t k = r.tensor * kElems + e;
        if (lastWriter[k] >= 0) t.preds.push_back(static_cast<TaskSeq>(lastWriter[k]));  // RAW/WAW
        if (r.writes)
          for (TaskSeq rd : readers[k]) t.preds.push_back(rd);  // WAR
      }
    }
    std::sort(t.preds.begin(), t.preds.end());
    t.preds.erase(std::unique(t.preds.begin(), t.preds.end()), t.preds.end());
    for (const RegionDesc& r : t.regions) {
      for (uint32_t e = r.lo; e < r.lo + r.len; ++e) {
        const size_t k = r.tensor * kElems + e;
        if (r.writes) {
          lastWriter[k] = static_cast<int64_t>(s);
          readers[k].clear();
        } else {
          readers[k].push_back(s);
        }
      }
    }
    // A task that both reads and writes an element is its own reader: harmless.
  }
  return tasks;
}

// The kernel: h = mix(seq, every element of every region read in order); then each
// written element becomes mix(old, h, index). Order-sensitive, so any missing edge
// shows up as a different output.
inline uint64_t mix(uint64_t a, uint64_t b) {
  uint64_t x = a ^ (b + 0x9e3779b97f4a7c15ull + (a << 6) + (a >> 2));
  x ^= x >> 31;
  x *= 0xbf58476d1ce4e5b9ull;
  return x ^ (x >> 29);
}

// args: [seq, nregions, then per region: base pointer, len, writes]
void rmwKernel(const uint64_t* args, uint32_t) {
  uint64_t h = args[0];
  const uint64_t nr = args[1];
  for (uint64_t i = 0; i < nr; ++i) {
    const auto* p = reinterpret_cast<const uint64_t*>(args[2 + 3 * i]);
    for (uint64_t e = 0; e < args[3 + 3 * i]; ++e) h = mix(h, p[e]);
  }
  for (uint64_t i = 0; i < nr; ++i) {
    if (args[4 + 3 * i] == 0) continue;
    auto* p = reinterpret_cast<uint64_t*>(args[2 + 3 * i]);
    for (uint64_t e = 0; e < args[3 + 3 * i]; ++e) p[e] = mix(p[e], h + e);
  }
}

void fillArgs(const Task& t, TaskSeq s, std::vector<uint64_t>& mem, uint64_t* args) {
  args[0] = s;
  args[1] = t.regions.size();
  for (size_t i = 0; i < t.regions.size(); ++i) {
    const RegionDesc& r = t.regions[i];
    args[2 + 3 * i] = reinterpret_cast<uint64_t>(&mem[r.tensor * kElems + r.lo]);
    args[3 + 3 * i] = r.len;
    args[4 + 3 * i] = r.writes ? 1 : 0;
  }
}

std::vector<uint64_t> initialMemory() {
  std::vector<uint64_t> m(kTensors * kElems);
  for (size_t i = 0; i < m.size(); ++i) m[i] = i * 1000003u;
  return m;
}

std::vector<uint64_t> runSequential(const std::vector<Task>& tasks) {
  std::vector<uint64_t> mem = initialMemory();
  uint64_t args[2 + 3 * kMaxRegions];
  for (TaskSeq s = 0; s < tasks.size(); ++s) {
    fillArgs(tasks[s], s, mem, args);
    rmwKernel(args, 0);
  }
  return mem;
}

std::vector<uint64_t> runParallel(const std::vector<Task>& tasks, const HostExecutorConfig& cfg,
                                  HostStats& st) {
  std::vector<uint64_t> mem = initialMemory();
  HostExecutor ex(cfg);
  uint64_t args[2 + 3 * kMaxRegions];
  for (TaskSeq s = 0; s < tasks.size(); ++s) {
    fillArgs(tasks[s], s, mem, args);
    HostTask t;
    t.seq = s;
    t.fn = &rmwKernel;
    t.args = args;
    t.numArgs = static_cast<uint32_t>(2 + 3 * tasks[s].regions.size());
    t.preds = tasks[s].preds;
    t.worker = static_cast<uint32_t>(s);
    EXPECT_EQ(ex.submit(t), WaitStatus::Ok);
  }
  EXPECT_EQ(ex.drain(), WaitStatus::Ok);
  st = ex.stats();
  return mem;
}

struct StressCase {
  uint32_t threads, window, pool, readyQueue;
};

class HostExecutorStress : public ::testing::TestWithParam<StressCase> {};

TEST_P(HostExecutorStress, RandomRegionsMatchSequential) {
  const StressCase c = GetParam();
  const size_t n = taskCount();
  const std::vector<Task> tasks = makeTasks(n, 1234 + c.window);
  const std::vector<uint64_t> want = runSequential(tasks);
  HostExecutorConfig cfg;
  cfg.hostThreads = c.threads;
  cfg.window = c.window;
  cfg.depListCapacity = c.pool;
  cfg.readyQueueCapacity = c.readyQueue;
  cfg.watchdogMs = 60000;  // a lost wake-up would show as Stalled, not as a hung test
  HostStats st;
  const std::vector<uint64_t> got = runParallel(tasks, cfg, st);
  EXPECT_EQ(st.tasksRun, n);
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i)
    ASSERT_EQ(got[i], want[i]) << "element " << i % kElems << " of tensor " << i / kElems;
}

INSTANTIATE_TEST_SUITE_P(
    Rings, HostExecutorStress,
    ::testing::Values(StressCase{2, 1, 2, 1}, StressCase{2, 2, 2, 1}, StressCase{3, 3, 2, 1},
                      StressCase{2, 4, 2, 1}, StressCase{4, 4, 3, 2},
                      StressCase{2, 64, 16, 4}, StressCase{2, 1024, 16384, 4096}),
    [](const ::testing::TestParamInfo<StressCase>& i) {
      const StressCase& c = i.param;
      return "t" + std::to_string(c.threads) + "_w" + std::to_string(c.window) + "_d" +
             std::to_string(c.pool) + "_q" + std::to_string(c.readyQueue);
    });

}  // namespace
}  // namespace pto::wsp::rt
