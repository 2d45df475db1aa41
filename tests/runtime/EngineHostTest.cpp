// Engine with host execution: the sink sees the right predecessors, semantic results
// never depend on host threads (timeline hash over 20 runs x {1,2,4} threads), outputs
// equal sequential execution, host stalls become deadlock reports.
#include "pto/wsp/runtime/Engine.h"
#include "pto/wsp/runtime/host/HostExecutor.h"

#include "StuckKernel.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <cstring>
#include <map>
#include <memory>
#include <set>
#include <thread>
#include <random>
#include <vector>

namespace pto::wsp::rt {
namespace {

using ::testing::ElementsAre;

// Records what the Engine hands to the host; runs kernels inline (sequentially).
class RecordingSink final : public TaskSink {
 public:
  std::vector<std::vector<TaskSeq>> preds;
  std::vector<TaskSeq> waited;
  bool stallOnSubmit = false;
  WaitStatus submit(const HostTask& t) override {
    EXPECT_EQ(t.seq, preds.size());
    preds.emplace_back(t.preds.begin(), t.preds.end());
    if (t.fn) t.fn(t.args, t.numArgs);
    return stallOnSubmit ? WaitStatus::Stalled : WaitStatus::Ok;
  }
  WaitStatus waitFinished(TaskSeq s) override {
    waited.push_back(s);
    return WaitStatus::Ok;
  }
  WaitStatus drain() override { return WaitStatus::Ok; }
  HostStallSnapshot stallSnapshot() const override {
    return {.oldestUnfinished = 3, .unfinished = 1, .runningTasks = {{.seq = 3, .hostThread = 1, .kernel = "pto_k_slow"}}};
  }
};

TEST(EngineHost, HostPredsIncludeSemanticallyRetiredProducers) {
  RecordingSink sink;
  Engine e({.schedule = {.workers = 2}, .sink = &sink});
  Region w = Region::box2d(0, 0, 0, 16, 16, Access::Write);
  Region r = Region::box2d(0, 0, 0, 16, 16, Access::Read);
  e.issue({.regions = {&w, 1}, .cycles = 10});
  e.advanceTo(0, 100);  // the writer retired at 10 in semantic time...
  TaskTimes t = e.issue({.regions = {&r, 1}, .cycles = 10});
  EXPECT_EQ(t.numDeps, 0u);                     // ...so no semantic edge,
  EXPECT_THAT(sink.preds[1], ElementsAre(0u));  // but the host must still order them.
}

TEST(EngineHost, RingReuseWaitsForHostCompletion) {
  RecordingSink sink;
  Engine e({.schedule = {.workers = 1, .taskWindow = 2}, .sink = &sink});
  for (int i = 0; i < 5; ++i) e.issue({.cycles = 1});
  EXPECT_THAT(sink.waited, ElementsAre(0u, 1u, 2u));
}

TEST(EngineHost, HostStallIsADeadlockReport) {
  RecordingSink sink;
  sink.stallOnSubmit = true;
  Engine e({.schedule = {}, .sink = &sink});
  try {
    e.issue({.cycles = 1});
    FAIL() << "expected DeadlockError";
  } catch (const DeadlockError& d) {
    EXPECT_EQ(d.report().clock, DeadlockReport::Clock::Host);
    EXPECT_EQ(d.report().hostSnapshot, sink.stallSnapshot().describe());
    ASSERT_EQ(d.report().running.size(), 1u);
    EXPECT_EQ(d.report().running[0].task, 3u);
    EXPECT_EQ(d.report().running[0].hostThread, 1u);
    EXPECT_EQ(d.report().running[0].symbol, "pto_k_slow");
    EXPECT_THAT(d.what(), ::testing::HasSubstr("host execution made no progress"));
  }
}

// A kernel that never returns: the run ends in a host deadlock report, and tearing
// the Engine and the executor down afterwards does not wait for the kernel again (the
// report reaches the user only once the stack has unwound).
TEST(EngineHost, StuckKernelEndsInAReportAndTeardownDoesNotHang) {
  using testing::StuckKernel;
  StuckKernel::reset();
  HostExecutorConfig hc;
  hc.hostThreads = 2;
  hc.window = 8;
  hc.watchdogMs = 500;
  auto ex = std::make_unique<HostExecutor>(hc);
  auto e = std::make_unique<Engine>(EngineConfig{.schedule = {.workers = 2, .taskWindow = 8}, .sink = ex.get()});
  e->issue({.fn = &StuckKernel::fn, .cycles = 1});
  for (int i = 0; i < 3; ++i) e->issue({.cycles = 1});
  try {
    e->drain();
    FAIL() << "expected DeadlockError";
  } catch (const DeadlockError& d) {
    EXPECT_EQ(d.report().clock, DeadlockReport::Clock::Host);
    EXPECT_THAT(d.report().hostSnapshot, ::testing::HasSubstr("1 kernel(s) currently running"));
  }
  const auto t = std::chrono::steady_clock::now();
  e.reset();
  ex.reset();
  EXPECT_LT(std::chrono::steady_clock::now() - t, std::chrono::milliseconds(400))
      << "teardown waited for the stuck kernel again";
  StuckKernel::releaseAndWait();
}

// --- determinism + numerics over a random workload with overlapping regions ----------
constexpr int64_t kDim = 64;
constexpr uint32_t kTensors = 3;

// args: dst, src, dst box (r0, c0, h, w), src box (r0, c0, h, w), salt
void mixKernel(const uint64_t* a, uint32_t) {
  // Unsigned arithmetic: wraps instead of overflowing.
  auto* dst = reinterpret_cast<uint64_t*>(a[0]);
  auto* src = reinterpret_cast<const uint64_t*>(a[1]);
  uint64_t sum = 0;
  for (uint64_t i = a[6]; i < a[6] + a[8]; ++i)
    for (uint64_t j = a[7]; j < a[7] + a[9]; ++j) sum += src[i * kDim + j];
  for (uint64_t i = a[2]; i < a[2] + a[4]; ++i)
    for (uint64_t j = a[3]; j < a[3] + a[5]; ++j)
      dst[i * kDim + j] = dst[i * kDim + j] * 3 + sum + a[10];
}

struct Workload {
  std::vector<std::array<uint64_t, 11>> args;  // pointers patched per run (indices here)
  std::vector<std::array<Region, 2>> regions;
  std::vector<uint64_t> cycles;
};

Workload makeWorkload(size_t n, uint32_t seed) {
  std::mt19937_64 rng(seed);
  auto box = [&](uint64_t* out) {
    int64_t r0 = rng() % kDim, c0 = rng() % kDim;
    int64_t h = 1 + rng() % 24, w = 1 + rng() % 24;
    out[0] = r0;
    out[1] = c0;
    out[2] = std::min(h, kDim - r0);
    out[3] = std::min(w, kDim - c0);
  };
  Workload wl;
  for (size_t i = 0; i < n; ++i) {
    std::array<uint64_t, 11> a{};
    a[0] = rng() % kTensors;  // dst tensor index
    a[1] = rng() % kTensors;  // src tensor index
    box(&a[2]);
    box(&a[6]);
    a[10] = i;
    std::array<Region, 2> r{
        Region::box2d(static_cast<uint32_t>(a[1]), a[6], a[7], a[8], a[9], Access::Read),
        Region::box2d(static_cast<uint32_t>(a[0]), a[2], a[3], a[4], a[5], Access::ReadWrite)};
    wl.args.push_back(a);
    wl.regions.push_back(r);
    wl.cycles.push_back(1 + rng() % 50);
  }
  return wl;
}

struct RunOut {
  uint64_t timeline = 0, totalCycles = 0;
  std::vector<uint64_t> data;
};

RunOut runWorkload(const Workload& wl, TaskSink* sink, const EngineConfig& base) {
  std::vector<uint64_t> data(kTensors * kDim * kDim);
  for (size_t i = 0; i < data.size(); ++i) data[i] = i % 7;
  EngineConfig cfg = base;
  cfg.sink = sink;
  Engine e(cfg);
  const int64_t grain[2] = {16, 16};
  for (uint32_t t = 0; t < kTensors; ++t) e.declareTensor(t, grain);
  for (size_t i = 0; i < wl.args.size(); ++i) {
    std::array<uint64_t, 11> a = wl.args[i];
    a[0] = reinterpret_cast<uint64_t>(data.data() + a[0] * kDim * kDim);
    a[1] = reinterpret_cast<uint64_t>(data.data() + a[1] * kDim * kDim);
    e.issue({.kernel = static_cast<uint32_t>(i % 3),
             .fn = sink ? &mixKernel : nullptr,
             .args = a,
             .regions = wl.regions[i],
             .cycles = wl.cycles[i],
             .dispatchKey = i * 7});
  }
  e.drain();
  RunStats s = e.stats();
  return {s.timelineHash, s.totalCycles, std::move(data)};
}

TEST(EngineHost, DeterministicTimelineAndSequentialNumericsOverThreadCounts) {
  const Workload wl = makeWorkload(1500, 42);
  for (const char* policy : {"round_robin", "least_loaded", "hash"}) {
    const EngineConfig base{.schedule = {.workers = 4, .dispatch = policy, .syncLatency = 2, .taskWindow = 64, .tensorMapCapacity = 256, .depListCapacity = 128}};
    const RunOut dry = runWorkload(wl, nullptr, base);
    RecordingSink seqSink;  // runs kernels in issue order: the sequential reference
    const RunOut ref = runWorkload(wl, &seqSink, base);
    EXPECT_EQ(ref.timeline, dry.timeline) << policy;
    for (uint32_t threads : {1u, 2u, 4u})
      for (int run = 0; run < 20; ++run) {
        HostExecutor ex({.hostThreads = threads, .window = 64, .depListCapacity = 4096});
        const RunOut out = runWorkload(wl, &ex, base);
        ASSERT_EQ(out.timeline, dry.timeline) << policy << " threads " << threads << " run " << run;
        ASSERT_EQ(out.totalCycles, dry.totalCycles);
        ASSERT_EQ(out.data, ref.data) << policy << " threads " << threads << " run " << run;
      }
  }
}

TEST(EngineHost, TraceCarriesHostTimes) {
  HostExecutor ex({.hostThreads = 2, .window = 8, .recordTimes = true});
  Engine e({.schedule = {.workers = 2, .taskWindow = 8}, .trace = true, .sink = &ex});
  Region r = Region::box1d(0, 0, 4, Access::ReadWrite);
  for (int i = 0; i < 20; ++i) e.issue({.regions = {&r, 1}, .cycles = 3});
  e.drain();
  ASSERT_EQ(e.trace().size(), 20u);
  for (const TraceRecord& t : e.trace()) {
    EXPECT_GT(t.hostEndNs, 0u) << t.task;
    EXPECT_LE(t.hostStartNs, t.hostEndNs);
    EXPECT_LT(t.hostThread, 2u) << t.task;
  }
  for (size_t i = 1; i < e.trace().size(); ++i)  // a chain: host order = issue order
    EXPECT_LE(e.trace()[i - 1].hostEndNs, e.trace()[i].hostStartNs);
  EXPECT_THAT(e.chromeTrace(), ::testing::HasSubstr("host_start_ns"));

  // The host process (pid 1): one slice per task on its host thread's track, at its host
  // time in us, named like the semantic slice.
  const nlohmann::json j = nlohmann::json::parse(e.chromeTrace({.kernelNames = {"chain"}}));
  std::map<uint64_t, nlohmann::json> hostSlices;
  std::set<uint32_t> namedThreads;
  bool hostProcessNamed = false;
  for (const auto& ev : j["traceEvents"]) {
    if (ev["pid"] != 1) continue;
    if (ev["ph"] == "M" && ev["name"] == "process_name") hostProcessNamed = ev["args"]["name"] == "pto-wsp host";
    if (ev["ph"] == "M" && ev["name"] == "thread_name") namedThreads.insert(ev["tid"].get<uint32_t>());
    if (ev["ph"] == "X") hostSlices[ev["args"]["task"].get<uint64_t>()] = ev;
  }
  EXPECT_TRUE(hostProcessNamed);
  ASSERT_EQ(hostSlices.size(), 20u);
  for (const TraceRecord& t : e.trace()) {
    const nlohmann::json& ev = hostSlices.at(t.task);
    EXPECT_EQ(ev["name"], "chain");
    EXPECT_EQ(ev["tid"], t.hostThread);
    EXPECT_TRUE(namedThreads.count(t.hostThread)) << "host thread " << t.hostThread << " has no track name";
    EXPECT_DOUBLE_EQ(ev["ts"].get<double>(), static_cast<double>(t.hostStartNs) / 1e3);
    EXPECT_DOUBLE_EQ(ev["dur"].get<double>(), static_cast<double>(t.hostEndNs - t.hostStartNs) / 1e3);
    EXPECT_EQ(ev["args"]["start_cycle"], t.start);
  }
}

TEST(EngineHost, DryRunTraceHasNoHostProcess) {
  Engine e({.schedule = {.workers = 2}, .trace = true});
  for (int i = 0; i < 5; ++i) e.issue({.cycles = 3});
  e.drain();
  const nlohmann::json j = nlohmann::json::parse(e.chromeTrace());
  for (const auto& ev : j["traceEvents"]) EXPECT_EQ(ev["pid"], 0) << ev.dump();
}

TEST(EngineHost, TinyRingsStillCorrect) {
  const Workload wl = makeWorkload(800, 7);
  for (uint32_t window : {1u, 2u, 3u, 4u}) {
    const EngineConfig base{.schedule = {.workers = 3, .taskWindow = window, .tensorMapCapacity = 18, .depListCapacity = 18, .readyQueueCapacity = 2}};
    RecordingSink seqSink;
    const RunOut ref = runWorkload(wl, &seqSink, base);
    HostExecutor ex({.hostThreads = 2, .window = window, .depListCapacity = 2, .readyQueueCapacity = 1});
    const RunOut out = runWorkload(wl, &ex, base);
    EXPECT_EQ(out.timeline, ref.timeline) << "window " << window;
    EXPECT_EQ(out.data, ref.data) << "window " << window;
  }
}

}  // namespace
}  // namespace pto::wsp::rt
