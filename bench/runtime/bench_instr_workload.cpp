// One runtime workload of N empty tasks, run once: the program bench/runtime/instructions.sh
// runs under callgrind at N and 2N tasks so that the difference divided by N is the
// instructions one more task costs (start-up, allocation and teardown cancel out).
//
//   bench_instr_workload VARIANT N
//     engine-chain        Engine dry run, chain by explicit edges
//     engine-chain-tmap   Engine dry run, chain by a ReadWrite tile (TensorMap)
//     engine-chain-prof   engine-chain watched by a Profiler (what `ptowsp run` adds)
//     engine-chain-tmap-prof  engine-chain-tmap watched by a Profiler
//     engine-fan          Engine dry run, fan-out/fan-in blocks of 1000 by explicit edges
//     engine-fan-tmap     the same blocks by regions (TensorMap)
//     engine-matmul-tmap  Engine dry run, layers of a 16x16-tile matmul by regions: every
//                         tile of A written, then a task per C tile reading A's row panel
//                         and B's column panel (wide reads of 16 tiles each)
//     engine-exec-chain   Engine + HostExecutor (1 worker), chain by explicit edges
//     exec-chain          HostExecutor alone (1 worker), chain by explicit edges
// With an executor the script counts the submitting thread only (callgrind
// --separate-threads): the worker's spinning depends on scheduling, the submitting
// thread's work does not. Every run checks its own result (tasks issued / run).
#include "pto/wsp/runtime/Engine.h"
#include "pto/wsp/runtime/Profile.h"
#include "pto/wsp/runtime/host/HostExecutor.h"

#include <fmt/format.h>

#include <cstdlib>
#include <string>
#include <vector>

namespace {

namespace rt = pto::wsp::rt;

constexpr uint32_t kFanWidth = 1000;

rt::HostExecutorConfig execCfg() {
  rt::HostExecutorConfig c;
  c.hostThreads = 1;
  c.window = 16384;
  c.depListCapacity = 16384;
  c.readyQueueCapacity = 16384;
  return c;
}

[[noreturn]] void fail(const std::string& what) {
  fmt::print(stderr, "bench_instr_workload: {}\n", what);
  std::exit(1);
}

void check(uint64_t got, uint64_t want, const char* what) {
  if (got != want) fail(fmt::format("{} {}, expected {}", what, got, want));
}

// Drains a run of `issued` 1-cycle tasks and checks it: every task issued, and, on the one
// worker of the default config without sync latency, never idle (one cycle per task).
uint64_t drainAndCheck(rt::Engine& eng, uint64_t issued) {
  eng.drain();
  check(eng.stats().tasks, issued, "tasks issued");
  check(eng.stats().totalCycles, issued, "total cycles of 1-cycle tasks on one worker");
  return issued;
}

uint64_t engineChain(uint64_t n, bool tmap, rt::TaskSink* sink, rt::TaskObserver* obs = nullptr) {
  rt::EngineConfig c;
  c.sink = sink;
  c.observer = obs;
  rt::Engine eng(c);
  const rt::Region r = rt::Region::box2d(0, 0, 0, 16, 16, rt::Access::ReadWrite);
  rt::TaskId dep[1];
  // One descriptor for the stream (the Engine only reads it during the call), as a
  // caller issuing many alike tasks would keep it: the loop costs what the caller adds.
  rt::TaskDesc d;
  d.cycles = 1;
  if (tmap) d.regions = {&r, 1};
  for (uint64_t s = 0; s < n; ++s) {
    if (!tmap && s > 0) {
      dep[0] = s - 1;
      d.deps = dep;
    }
    eng.issue(d);
  }
  return drainAndCheck(eng, n);
}

uint64_t engineFanTmap(uint64_t n) {
  rt::Engine eng(rt::EngineConfig{});
  const rt::Region xWrite = rt::Region::box2d(0, 0, 0, 16, 16, rt::Access::Write);
  const rt::Region xRead = rt::Region::box2d(0, 0, 0, 16, 16, rt::Access::Read);
  const rt::Region yAll = rt::Region::box2d(1, 0, 0, 16, 16 * int64_t{kFanWidth}, rt::Access::Read);
  // The middles share one descriptor whose y column moves, as the plan interpreter's
  // compiled call sites do (regions built once, only the dynamic bounds updated).
  rt::Region mid[2] = {xRead, rt::Region::box2d(1, 0, 0, 16, 16, rt::Access::Write)};
  rt::TaskDesc m;
  m.cycles = 1;
  m.regions = mid;
  uint64_t issued = 0;
  for (uint64_t b = 0; b < n / (kFanWidth + 2); ++b) {
    rt::TaskDesc src;
    src.cycles = 1;
    src.regions = {&xWrite, 1};
    eng.issue(src);
    for (uint32_t i = 0; i < kFanWidth; ++i) {
      mid[1].lo[1] = 16 * int64_t{i};
      mid[1].hi[1] = mid[1].lo[1] + 16;
      eng.issue(m);
    }
    rt::TaskDesc sk;
    sk.cycles = 1;
    const rt::Region rs[2] = {yAll, xWrite};
    sk.regions = rs;
    eng.issue(sk);
    issued += kFanWidth + 2;
  }
  return drainAndCheck(eng, issued);
}

// engine-fan-tmap's blocks with the edges given: what the fan costs besides the TensorMap.
uint64_t engineFanEdges(uint64_t n) {
  rt::Engine eng(rt::EngineConfig{});
  std::vector<rt::TaskId> mids(kFanWidth);
  rt::TaskId one[1] = {0};
  rt::TaskDesc m;
  m.cycles = 1;
  m.deps = one;
  uint64_t issued = 0;
  for (uint64_t b = 0; b < n / (kFanWidth + 2); ++b) {
    rt::TaskDesc src;
    src.cycles = 1;
    if (b > 0) src.deps = one;
    one[0] = eng.issue(src).id;
    for (uint32_t i = 0; i < kFanWidth; ++i) mids[i] = eng.issue(m).id;
    rt::TaskDesc sk;
    sk.cycles = 1;
    sk.deps = mids;
    one[0] = eng.issue(sk).id;
    issued += kFanWidth + 2;
  }
  return drainAndCheck(eng, issued);
}

// A tensor many wide regions read at once, rewritten every layer: the TensorMap keeps a
// tensor's first wide readers as records and the others per cell (docs/runtime.md).
uint64_t engineMatmulTmap(uint64_t n) {
  rt::Engine eng(rt::EngineConfig{});
  constexpr int64_t kTiles = 16, kTile = 64;
  rt::Region rs[3];
  rt::TaskDesc d;
  d.cycles = 1;
  uint64_t issued = 0;
  for (uint64_t l = 0; l < n / (2 * kTiles * kTiles); ++l) {
    d.regions = {rs, 1};
    for (int64_t i = 0; i < kTiles; ++i)
      for (int64_t k = 0; k < kTiles; ++k) {
        rs[0] = rt::Region::box2d(0, i * kTile, k * kTile, kTile, kTile, rt::Access::Write);
        eng.issue(d);
      }
    d.regions = {rs, 3};
    for (int64_t i = 0; i < kTiles; ++i)
      for (int64_t j = 0; j < kTiles; ++j) {
        rs[0] = rt::Region::box2d(0, i * kTile, 0, kTile, kTiles * kTile, rt::Access::Read);
        rs[1] = rt::Region::box2d(1, 0, j * kTile, kTiles * kTile, kTile, rt::Access::Read);
        rs[2] = rt::Region::box2d(2, i * kTile, j * kTile, kTile, kTile, rt::Access::Write);
        eng.issue(d);
      }
    issued += 2 * kTiles * kTiles;
  }
  return drainAndCheck(eng, issued);
}

uint64_t execChain(uint64_t n) {
  rt::HostExecutor ex(execCfg());
  rt::TaskSeq pred[1];
  for (rt::TaskSeq s = 0; s < n; ++s) {
    rt::HostTask t;
    t.seq = s;
    if (s > 0) {
      pred[0] = s - 1;
      t.preds = pred;
    }
    if (ex.submit(t) != rt::WaitStatus::Ok) fail("submit stalled");
  }
  if (ex.drain() != rt::WaitStatus::Ok) fail("drain stalled");
  check(ex.stats().tasksRun, n, "tasks run");
  return n;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) fail("usage: bench_instr_workload VARIANT N");
  const std::string v = argv[1];
  const uint64_t n = std::strtoull(argv[2], nullptr, 10);
  uint64_t done = 0;
  if (v == "engine-chain") {
    done = engineChain(n, false, nullptr);
  } else if (v == "engine-chain-tmap") {
    done = engineChain(n, true, nullptr);
  } else if (v == "engine-chain-tmap-prof") {
    rt::Profiler prof(1, 1, 16384, 0);
    done = engineChain(n, true, nullptr, &prof);
  } else if (v == "engine-chain-prof") {
    rt::Profiler prof(1, 1, 16384, 0);
    done = engineChain(n, false, nullptr, &prof);
  } else if (v == "engine-fan") {
    done = engineFanEdges(n);
  } else if (v == "engine-fan-tmap") {
    done = engineFanTmap(n);
  } else if (v == "engine-matmul-tmap") {
    done = engineMatmulTmap(n);
  } else if (v == "engine-exec-chain") {
    rt::HostExecutor ex(execCfg());
    done = engineChain(n, false, &ex);
    check(ex.stats().tasksRun, n, "tasks run");
  } else if (v == "exec-chain") {
    done = execChain(n);
  } else {
    fail(fmt::format("unknown variant '{}'", v));
  }
  fmt::print("{} {}\n", v, done);
  return 0;
}
