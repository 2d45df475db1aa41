// HostExecutor: ordering on chain / diamond / fan-out-fan-in / random DAGs, tiny
// resources (never deadlock, still ordered), watchdog, stats.
#include "pto/wsp/runtime/host/HostExecutor.h"

#include "StuckKernel.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <random>
#include <thread>
#include <vector>

namespace pto::wsp::rt {
namespace {

// Records, per task, a global ticket when it starts and when it ends, so that
// "p finished before s started" is checkable after the run.
struct Recorder {
  explicit Recorder(size_t n) : start(n), end(n) {}
  std::atomic<uint64_t> clock{1};
  std::vector<std::atomic<uint64_t>> start, end;
  std::atomic<uint64_t> runs{0};
};

void recordKernel(const uint64_t* args, uint32_t numArgs) {
  auto* rec = reinterpret_cast<Recorder*>(args[0]);
  const uint64_t seq = args[1];
  rec->start[seq].store(rec->clock.fetch_add(1), std::memory_order_relaxed);
  if (numArgs > 2 && args[2] != 0) std::this_thread::yield();  // widen race windows
  rec->runs.fetch_add(1, std::memory_order_relaxed);
  rec->end[seq].store(rec->clock.fetch_add(1), std::memory_order_relaxed);
}

using Dag = std::vector<std::vector<TaskSeq>>;  // preds per task

void runDag(const Dag& dag, const HostExecutorConfig& cfg, bool yieldInKernel = false) {
  Recorder rec(dag.size());
  {
    HostExecutor ex(cfg);
    for (TaskSeq s = 0; s < dag.size(); ++s) {
      const uint64_t args[3] = {reinterpret_cast<uint64_t>(&rec), s,
                                yieldInKernel && s % 7 == 0 ? 1u : 0u};
      HostTask t;
      t.seq = s;
      t.fn = &recordKernel;
      t.args = args;
      t.numArgs = 3;
      t.preds = dag[s];
      t.worker = static_cast<uint32_t>(s % 3);
      ASSERT_EQ(ex.submit(t), WaitStatus::Ok) << "task " << s;
    }
    ASSERT_EQ(ex.drain(), WaitStatus::Ok);
    const HostStats st = ex.stats();
    EXPECT_EQ(st.tasksRun, dag.size());
    EXPECT_LE(st.ring.highWater, cfg.window);
    EXPECT_LE(st.depList.highWater, cfg.depListCapacity);
  }
  ASSERT_EQ(rec.runs.load(), dag.size()) << "every task runs exactly once";
  for (TaskSeq s = 0; s < dag.size(); ++s) {
    ASSERT_NE(rec.start[s].load(), 0u) << "task " << s << " never ran";
    for (TaskSeq p : dag[s])
      ASSERT_LT(rec.end[p].load(), rec.start[s].load())
          << "task " << s << " started before its pred " << p << " ended";
  }
}

Dag chain(size_t n) {
  Dag d(n);
  for (size_t i = 1; i < n; ++i) d[i] = {i - 1};
  return d;
}

Dag diamonds(size_t reps) {
  Dag d;
  for (size_t r = 0; r < reps; ++r) {
    const TaskSeq b = d.size();
    d.push_back(b == 0 ? std::vector<TaskSeq>{} : std::vector<TaskSeq>{b - 1});
    d.push_back({b});
    d.push_back({b});
    d.push_back({b + 1, b + 2});
  }
  return d;
}

Dag fanOutFanIn(size_t blocks, size_t width) {
  Dag d;
  for (size_t r = 0; r < blocks; ++r) {
    const TaskSeq src = d.size();
    d.push_back(src == 0 ? std::vector<TaskSeq>{} : std::vector<TaskSeq>{src - 1});
    std::vector<TaskSeq> mids;
    for (size_t i = 0; i < width; ++i) {
      mids.push_back(d.size());
      d.push_back({src});
    }
    d.push_back(mids);
  }
  return d;
}

Dag randomDag(size_t n, size_t lookback, size_t maxPreds, uint32_t seed) {
  std::mt19937 rng(seed);
  Dag d(n);
  for (size_t i = 1; i < n; ++i) {
    const size_t k = rng() % (maxPreds + 1);
    for (size_t j = 0; j < k; ++j) {
      const size_t back = 1 + rng() % std::min(lookback, i);
      d[i].push_back(i - back);  // duplicates and unsorted preds are allowed
    }
  }
  return d;
}

HostExecutorConfig cfgOf(uint32_t threads, uint32_t window, uint32_t pool, uint32_t rq) {
  HostExecutorConfig c;
  c.hostThreads = threads;
  c.window = window;
  c.depListCapacity = pool;
  c.readyQueueCapacity = rq;
  c.watchdogMs = 0;
  return c;
}

TEST(HostExecutor, ChainRunsInOrder) {
  for (uint32_t th : {1u, 2u, 3u}) runDag(chain(5000), cfgOf(th, 64, 64, 64));
}

TEST(HostExecutor, DiamondsRunInOrder) {
  for (uint32_t th : {1u, 2u, 4u}) runDag(diamonds(1000), cfgOf(th, 32, 64, 16), true);
}

TEST(HostExecutor, FanOutFanInRunsInOrder) {
  for (uint32_t th : {1u, 2u, 4u}) runDag(fanOutFanIn(20, 100), cfgOf(th, 1024, 4096, 256));
}

TEST(HostExecutor, FanOutFanInWiderThanWindow) {
  runDag(fanOutFanIn(5, 300), cfgOf(2, 16, 16, 4), true);
}

TEST(HostExecutor, EmptyTasksAndNoArgs) {
  HostExecutor ex(cfgOf(2, 8, 8, 8));
  std::vector<TaskSeq> preds;
  for (TaskSeq s = 0; s < 10000; ++s) {
    HostTask t;
    t.seq = s;
    preds.assign({s == 0 ? 0 : s - 1});
    if (s > 0) t.preds = preds;
    ASSERT_EQ(ex.submit(t), WaitStatus::Ok);
  }
  ASSERT_EQ(ex.drain(), WaitStatus::Ok);
  EXPECT_EQ(ex.stats().tasksRun, 10000u);
}

// Tiny resources: window 1..4, dep-list pool 2, ready queue 1 — must neither deadlock
// nor break ordering (resource exhaustion only ever stalls the orchestrator).
class HostExecutorTiny : public ::testing::TestWithParam<std::tuple<uint32_t, uint32_t>> {};

TEST_P(HostExecutorTiny, RandomDagKeepsOrder) {
  const auto [window, threads] = GetParam();
  runDag(randomDag(3000, 8, 4, 17 * window + threads), cfgOf(threads, window, 2, 1), true);
  runDag(fanOutFanIn(10, 20), cfgOf(threads, window, 2, 1));
  runDag(chain(2000), cfgOf(threads, window, 1, 1));
}

INSTANTIATE_TEST_SUITE_P(Windows, HostExecutorTiny,
                         ::testing::Combine(::testing::Values(1u, 2u, 3u, 4u),
                                            ::testing::Values(1u, 2u, 3u)));

TEST(HostExecutor, ManyPredsWithPoolOfTwo) {
  // Every task depends on the previous 8: needs up to 8 entries with a pool of 2.
  Dag d(2000);
  for (size_t i = 1; i < d.size(); ++i)
    for (size_t b = 1; b <= 8 && b <= i; ++b) d[i].push_back(i - b);
  runDag(d, cfgOf(2, 16, 2, 2), true);
}

TEST(HostExecutor, WaitFinishedOnReusedSlot) {
  HostExecutor ex(cfgOf(2, 2, 4, 4));
  for (TaskSeq s = 0; s < 100; ++s) {
    HostTask t;
    t.seq = s;
    ASSERT_EQ(ex.submit(t), WaitStatus::Ok);
  }
  for (TaskSeq s = 0; s < 100; ++s) EXPECT_EQ(ex.waitFinished(s), WaitStatus::Ok);
  EXPECT_EQ(ex.drain(), WaitStatus::Ok);
  EXPECT_EQ(ex.stats().tasksRun, 100u);
}

// ---- watchdog --------------------------------------------------------------------------

std::atomic<int> gGate{0};
std::atomic<int> gBlockedEntered{0};

void blockingKernel(const uint64_t*, uint32_t) {
  gBlockedEntered.fetch_add(1);
  while (gGate.load(std::memory_order_acquire) == 0) std::this_thread::sleep_for(std::chrono::microseconds(200));
}

TEST(HostExecutor, WatchdogReportsBlockedKernelThenRecovers) {
  gGate = 0;
  gBlockedEntered = 0;
  HostExecutorConfig c = cfgOf(2, 4, 8, 4);
  c.watchdogMs = 100;
  HostExecutor ex(c);
  HostTask t0;
  t0.seq = 0;
  t0.fn = &blockingKernel;
  ASSERT_EQ(ex.submit(t0), WaitStatus::Ok);
  const TaskSeq p0[1] = {0};
  HostTask t1;
  t1.seq = 1;
  t1.preds = p0;
  ASSERT_EQ(ex.submit(t1), WaitStatus::Ok);

  const auto t = std::chrono::steady_clock::now();
  EXPECT_EQ(ex.waitFinished(1), WaitStatus::Stalled);
  const auto waited = std::chrono::steady_clock::now() - t;
  EXPECT_GE(waited, std::chrono::milliseconds(90));
  EXPECT_LT(waited, std::chrono::seconds(5)) << "the watchdog must not hang";
  const HostStallSnapshot snap = ex.stallSnapshot();
  EXPECT_EQ(snap.oldestUnfinished, 0u);
  EXPECT_EQ(snap.unfinished, 2u);
  EXPECT_EQ(snap.running(), 1u);
  EXPECT_NE(snap.describe().find("oldest is task 0"), std::string::npos) << snap.describe();
  ASSERT_EQ(snap.runningTasks.size(), 1u);
  EXPECT_EQ(snap.runningTasks[0].seq, 0u);
  EXPECT_FALSE(snap.runningTasks[0].kernel.empty());
  EXPECT_NE(snap.describe().find(": task 0 in "), std::string::npos) << snap.describe();
  EXPECT_EQ(ex.drain(), WaitStatus::Stalled);

  gGate.store(1, std::memory_order_release);
  EXPECT_EQ(ex.waitFinished(1), WaitStatus::Ok);
  EXPECT_EQ(ex.drain(), WaitStatus::Ok);
  EXPECT_EQ(ex.stats().tasksRun, 2u);
  EXPECT_EQ(gBlockedEntered.load(), 1);
}

TEST(HostExecutor, WatchdogFiresInsideSubmitAndSubmitCanBeRetried) {
  gGate = 0;
  HostExecutorConfig c = cfgOf(1, 1, 2, 1);
  c.watchdogMs = 50;
  HostExecutor ex(c);
  HostTask t0;
  t0.seq = 0;
  t0.fn = &blockingKernel;
  ASSERT_EQ(ex.submit(t0), WaitStatus::Ok);
  HostTask t1;
  t1.seq = 1;
  const TaskSeq p0[1] = {0};
  t1.preds = p0;
  EXPECT_EQ(ex.submit(t1), WaitStatus::Stalled);  // window 1: slot still held by task 0
  EXPECT_EQ(ex.stallSnapshot().running(), 1u);
  EXPECT_GE(ex.stats().ring.stalls, 1u);
  gGate.store(1, std::memory_order_release);
  EXPECT_EQ(ex.submit(t1), WaitStatus::Ok);  // nothing was mutated: retry the same seq
  EXPECT_EQ(ex.drain(), WaitStatus::Ok);
  EXPECT_EQ(ex.stats().tasksRun, 2u);
}

// ---- teardown never hangs -----------------------------------------------------------
// A kernel that does not return cannot be stopped; destruction must still return (the
// run's deadlock report is only printed once the stack has unwound) and must start
// nothing after it. Each test waits for its stuck kernel to leave before it ends, so
// the detached worker does not outlive the test's globals in use.

using testing::StuckKernel;
std::atomic<int> gRanAfterStuck{0};

void countingKernel(const uint64_t*, uint32_t) { gRanAfterStuck.fetch_add(1); }

// An executor (2 threads, watchdog `watchdogMs`) whose task 0 is stuck and whose task 1
// (counting) depends on it.
std::unique_ptr<HostExecutor> stuckPair(uint32_t watchdogMs) {
  StuckKernel::reset();
  gRanAfterStuck = 0;
  HostExecutorConfig c = cfgOf(2, 4, 8, 4);
  c.watchdogMs = watchdogMs;
  auto ex = std::make_unique<HostExecutor>(c);
  HostTask t0;
  t0.seq = 0;
  t0.fn = &StuckKernel::fn;
  EXPECT_EQ(ex->submit(t0), WaitStatus::Ok);
  const TaskSeq p0[1] = {0};
  HostTask t1;
  t1.seq = 1;
  t1.fn = &countingKernel;
  t1.preds = p0;
  EXPECT_EQ(ex->submit(t1), WaitStatus::Ok);
  return ex;
}

// How long destroying `ex` took.
std::chrono::steady_clock::duration destroy(std::unique_ptr<HostExecutor>& ex) {
  const auto t = std::chrono::steady_clock::now();
  ex.reset();
  return std::chrono::steady_clock::now() - t;
}

// Opens the gate, waits for the stuck kernel to return, and checks its successor never
// ran (the destroyed executor started nothing).
void releaseStuckKernelAndCheckNothingRan() {
  StuckKernel::releaseAndWait();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(gRanAfterStuck.load(), 0) << "a kernel started after the executor was destroyed";
}

TEST(HostExecutor, DestructionAfterAReportedStallReturnsWithoutWaitingAgain) {
  auto ex = stuckPair(500);
  EXPECT_EQ(ex->drain(), WaitStatus::Stalled);
  EXPECT_LT(destroy(ex), std::chrono::milliseconds(400))
      << "destruction waited another watchdog period for the kernel already reported stuck";
  releaseStuckKernelAndCheckNothingRan();
}

TEST(HostExecutor, DestructionWithAStuckKernelGivesUpAfterTheWatchdog) {
  auto ex = stuckPair(100);
  const auto took = destroy(ex);  // nothing reported yet: one watchdog period, then give up
  EXPECT_GE(took, std::chrono::milliseconds(90));
  EXPECT_LT(took, std::chrono::seconds(5)) << "destruction must not hang on a stuck kernel";
  releaseStuckKernelAndCheckNothingRan();
}

TEST(HostExecutor, DestructionAfterARecoveredStallDrainsNormally) {
  auto ex = stuckPair(100);
  EXPECT_EQ(ex->waitFinished(0), WaitStatus::Stalled);
  StuckKernel::open();  // the kernel returns after the report
  EXPECT_EQ(ex->waitFinished(0), WaitStatus::Ok);
  ex.reset();  // progress since the report: a normal drain, task 1 runs
  EXPECT_EQ(StuckKernel::exited.load(), 1);
  EXPECT_EQ(gRanAfterStuck.load(), 1);
}

// A chain behind a blocked first task: every later task registers on a running pred,
// so the dep-list occupancy is exactly the chain length - 1 while the entries are held
// (the high water is folded in at refills and by stats()). Then the chain goes on past
// the ring's end, through refills, bounded by the pool.
TEST(HostExecutor, DepListHighWaterIsExactForAChainBehindABlockedTask) {
  gGate = 0;
  HostExecutor ex(cfgOf(1, 64, 64, 64));
  HostTask t0;
  t0.seq = 0;
  t0.fn = &blockingKernel;
  ASSERT_EQ(ex.submit(t0), WaitStatus::Ok);
  constexpr TaskSeq kChain = 41;
  TaskSeq pred[1];
  for (TaskSeq s = 1; s < kChain; ++s) {
    pred[0] = s - 1;
    HostTask t;
    t.seq = s;
    t.preds = pred;
    ASSERT_EQ(ex.submit(t), WaitStatus::Ok) << "task " << s;
  }
  EXPECT_EQ(ex.stats().depList.highWater, kChain - 1);
  EXPECT_EQ(ex.finishedBelow(), 0u);
  gGate.store(1, std::memory_order_release);
  ASSERT_EQ(ex.drain(), WaitStatus::Ok);
  EXPECT_EQ(ex.finishedBelow(), kChain);
  for (TaskSeq s = kChain; s < kChain + 200; ++s) {  // laps the 64-slot ring
    pred[0] = s - 1;
    HostTask t;
    t.seq = s;
    t.preds = pred;
    ASSERT_EQ(ex.submit(t), WaitStatus::Ok) << "task " << s;
  }
  ASSERT_EQ(ex.drain(), WaitStatus::Ok);
  const HostStats st = ex.stats();
  EXPECT_EQ(st.tasksRun, kChain + 200);
  EXPECT_GE(st.depList.highWater, kChain - 1);
  EXPECT_LE(st.depList.highWater, 64u);
  EXPECT_EQ(ex.finishedBelow(), kChain + 200);
}

TEST(HostExecutor, StatsCountRingStalls) {
  HostExecutor ex(cfgOf(1, 1, 2, 1));
  for (TaskSeq s = 0; s < 50; ++s) {
    HostTask t;
    t.seq = s;
    t.fn = [](const uint64_t*, uint32_t) { std::this_thread::sleep_for(std::chrono::microseconds(50)); };
    ASSERT_EQ(ex.submit(t), WaitStatus::Ok);
  }
  ASSERT_EQ(ex.drain(), WaitStatus::Ok);
  const HostStats st = ex.stats();
  EXPECT_EQ(st.tasksRun, 50u);
  EXPECT_EQ(st.ring.capacity, 1u);
  EXPECT_EQ(st.ring.highWater, 1u);
  EXPECT_GE(st.ring.stalls, 1u);  // a 50 us kernel always outlasts one submit
  EXPECT_GT(st.ring.stallNs, 0u);
  EXPECT_GT(st.wallNs, 0u);
}


TEST(HostExecutor, RecordsHostTimesWhileSlotIsLive) {
  HostExecutorConfig c = cfgOf(2, 8, 8, 8);
  c.recordTimes = true;
  HostExecutor ex(c);
  const TaskSeq p[1] = {0};
  for (TaskSeq s = 0; s < 4; ++s) {
    HostTask t;
    t.seq = s;
    t.fn = [](const uint64_t*, uint32_t) { std::this_thread::sleep_for(std::chrono::microseconds(200)); };
    if (s > 0) t.preds = p;
    ASSERT_EQ(ex.submit(t), WaitStatus::Ok);
  }
  ASSERT_EQ(ex.drain(), WaitStatus::Ok);
  HostTaskTimes t0, t1;
  ASSERT_TRUE(ex.hostTimes(0, t0));
  ASSERT_TRUE(ex.hostTimes(1, t1));
  EXPECT_GE(t0.endNs - t0.startNs, 200'000u);
  EXPECT_LE(t0.endNs, t1.startNs) << "task 1 depends on task 0";
  EXPECT_FALSE(ex.hostTimes(4, t0)) << "never submitted";
  for (TaskSeq s = 4; s < 20; ++s) {
    HostTask t;
    t.seq = s;
    ASSERT_EQ(ex.submit(t), WaitStatus::Ok);
  }
  EXPECT_FALSE(ex.hostTimes(0, t0)) << "slot reused";
}

TEST(HostExecutor, NoHostTimesUnlessRecorded) {
  HostExecutor ex(cfgOf(1, 4, 4, 4));
  HostTask t;
  ASSERT_EQ(ex.submit(t), WaitStatus::Ok);
  ASSERT_EQ(ex.drain(), WaitStatus::Ok);
  HostTaskTimes tt;
  EXPECT_FALSE(ex.hostTimes(0, tt));
}


TEST(HostExecutor, FullReadyQueuesOverflowIntoTheRingNotDeadlock) {
  // A slow source with 60 registered successors: when it finishes they all become
  // ready at once; with ready queues of 1 most of them must take the overflow path.
  Recorder rec(62);
  {
    HostExecutor ex(cfgOf(2, 64, 64, 1));
    const TaskSeq src[1] = {0};
    std::vector<TaskSeq> mids;
    for (TaskSeq s = 0; s < 62; ++s) {
      const uint64_t args[3] = {reinterpret_cast<uint64_t>(&rec), s, 0};
      HostTask t;
      t.seq = s;
      t.fn = s == 0 ? +[](const uint64_t* a, uint32_t n) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        recordKernel(a, n);
      } : &recordKernel;
      t.args = args;
      t.numArgs = 3;
      if (s > 0 && s < 61) {
        t.preds = src;
        mids.push_back(s);
      }
      if (s == 61) t.preds = mids;
      ASSERT_EQ(ex.submit(t), WaitStatus::Ok);
    }
    ASSERT_EQ(ex.drain(), WaitStatus::Ok);
    const HostStats st = ex.stats();
    EXPECT_EQ(st.tasksRun, 62u);
    EXPECT_GT(st.readyQueue.stalls, 0u);
    EXPECT_LE(st.readyQueue.highWater, 1u);
  }
  for (TaskSeq s = 1; s < 61; ++s) EXPECT_LT(rec.end[0].load(), rec.start[s].load());
  for (TaskSeq s = 1; s < 61; ++s) EXPECT_LT(rec.end[s].load(), rec.start[61].load());
}

}  // namespace
}  // namespace pto::wsp::rt
