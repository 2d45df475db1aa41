// Golden semantics of the Engine: random op sequences over random configurations
// (window, pools, heap, ready queues, policies, scopes, processes, waits, structural
// joins, explicit and inferred deps), each reduced to one digest of every observable
// result, compared with tests/runtime/data/engine_golden.txt.
//
// Why: the issue path is the runtime's hot loop and gets rewritten for speed. The
// analytical tests pin a few hand-computed cases; this pins the exact semantics of
// thousands of odd ones (stall attribution, retirement across scopes, minimal knob
// values, heap wrap-around), so a rewrite that changes any number fails here, and the
// failure names the configurations that moved. The same sequences are also run with
// the host executor as sink: semantic results must not depend on it.
//
// An intended semantic change regenerates the file:
//   PTO_WSP_UPDATE_GOLDEN=1 build/ci/tests/runtime_tests --gtest_filter='EngineGolden.*'
// and the diff of engine_golden.txt shows how many configurations moved.
#include "pto/wsp/runtime/Engine.h"
#include "pto/wsp/runtime/host/HostExecutor.h"
#include "pto/wsp/support/Diagnostic.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace pto::wsp::rt {
namespace {

constexpr int kConfigs = 300;
const char* const kGoldenPath = PTO_WSP_SOURCE_DIR "/tests/runtime/data/engine_golden.txt";

// Order-sensitive 64-bit digest (FNV-1a step plus an xorshift so that nearby values
// spread); stable across platforms, unlike std::hash.
struct Digest {
  uint64_t h = 1469598103934665603ull;
  void add(uint64_t v) {
    h = (h ^ v) * 1099511628211ull;
    h ^= h >> 31;
  }
};

// The random source: std::mt19937_64's output sequence is fixed by the standard, and
// reduction by % (not a distribution, whose algorithm is implementation-defined) keeps
// the sequences identical on every standard library.
struct Rand {
  std::mt19937_64 g;
  explicit Rand(uint64_t seed) : g(seed) {}
  uint64_t operator()(uint64_t n) { return n == 0 ? 0 : g() % n; }
};

EngineConfig randomConfig(Rand& R) {
  static const char* const kPolicies[] = {"round_robin", "hash", "affinity", "least_loaded",
                                          "custom"};
  EngineConfig c;
  c.schedule.workers = 1 + static_cast<uint32_t>(R(4));
  c.schedule.dispatch = kPolicies[R(5)];
  c.schedule.issueCycles = R(3);
  c.schedule.syncLatency = R(4);
  const bool tiny = R(2) != 0;  // half the configurations stall constantly
  c.schedule.taskWindow = static_cast<uint32_t>(tiny ? 1 + R(8) : 16 + R(200));
  c.schedule.tensorMapCapacity = static_cast<uint32_t>(tiny ? 4 + R(16) : 64 + R(500));
  c.schedule.depListCapacity = static_cast<uint32_t>(tiny ? 4 + R(16) : 64 + R(500));
  c.schedule.readyQueueCapacity = static_cast<uint32_t>(tiny ? 1 + R(4) : 1 + R(64));
  c.schedule.heapBytes = tiny ? 64 + R(256) : 4096;
  c.heapReserved = R(4) == 0 ? R(32) : 0;
  c.trace = R(2) != 0;
  return c;
}

// One op's results, in order, before they go into the digests.
struct Vals {
  std::vector<uint64_t> v;
  void add(uint64_t x) { v.push_back(x); }
};

template <class D>
void addTimes(D& d, const TaskTimes& t) {
  for (uint64_t v : {t.id, uint64_t{t.worker}, t.issue, t.ready, t.start, t.finish, t.heapOffset,
                     uint64_t{t.numDeps}})
    d.add(v);
}

void addStats(Digest& d, const RunStats& st) {
  d.add(st.tasks);
  d.add(st.totalCycles);
  d.add(st.timelineHash);
  for (const ResourceStats& r : st.resources)
    for (uint64_t v : {r.capacity, r.stalls, r.stallCycles, r.highWater}) d.add(v);
  for (const WorkerStats& w : st.workers) {
    d.add(w.tasks);
    d.add(w.busyCycles);
  }
  for (char ch : st.currentStall) d.add(static_cast<uint8_t>(ch));
}

// The ops of a run that ended Blocked or rejected (`failed`, by op index), and the digest
// of everything else: what a run without those ops must give.
struct FailedOps {
  std::vector<bool> failed;
  std::vector<bool> badFailed;  // the malformed op before op i (badOps runs)
  uint64_t badAsked = 0;
  std::vector<uint64_t> blocked;  // the failed ops that ended Blocked, in order
  uint64_t rest = 0;
  bool blockedAt(uint64_t i) const { return std::binary_search(blocked.begin(), blocked.end(), i); }
};

// One configuration's op sequence; `sink` null = dry run. Returns the digest of every
// result: task times, Blocked resources and minimal capacities, local times after
// waits, occupancies, which ops were rejected, final stats and the trace.
// record: fills it with the ops that failed and the digest of the others' results.
// skip: the ops it lists as failed are not asked (their random draws still are; a
// Blocked op's unblocking scope end still happens).
// badOps: before some ops, also one that must be rejected (from a random source of its
// own: the other ops are those of the golden run).
uint64_t runConfig(int config, TaskSink* sink, FailedOps* record = nullptr, const FailedOps* skip = nullptr,
                   bool badOps = false) {
  Rand B(7000 + static_cast<uint64_t>(config));
  Rand R(1000 + static_cast<uint64_t>(config));
  EngineConfig cfg = randomConfig(R);
  cfg.sink = sink;
  Engine eng(cfg);
  const uint32_t nproc = 1 + static_cast<uint32_t>(R(3));
  for (uint32_t p = 1; p < nproc; ++p) eng.addProcess(fmt::format("p{}", p));
  Digest d, rest;
  const uint64_t ops = 50 + R(400);
  if (record) record->failed.assign(ops, false);
  if (record) record->badFailed.assign(ops, false);
  // A malformed request of one of eight kinds; a new tensor's region comes first where
  // one is planned (a grain it must not leave behind).
  auto badOp = [&](uint64_t kind, ProcessId p) {
    const Region fresh = Region::box2d(3 + static_cast<uint32_t>(B(3)), 0, 0, 32, 32, Access::Write);
    Region bad = Region::box2d(0, 0, 0, 16, 16, Access::Read);
    const std::vector<TaskId> future{eng.tasksIssued() + 1 + B(3)};
    if (kind == 0) bad.lo[1] = 20, bad.hi[1] = 10;           // lo > hi
    if (kind == 1) bad.tensor = fresh.tensor, bad.rank = 1;  // fresh's tensor is rank 2
    if (kind == 2) bad.tensor = 1u << 30;                    // tensor id out of range
    const Region two[2] = {fresh, bad};
    switch (kind) {
      case 0:
      case 1:
      case 2: eng.tryIssue(p, {.regions = two, .cycles = 1}); break;
      case 3: eng.tryIssue(p, {.regions = {&fresh, 1}, .deps = future, .cycles = 1}); break;
      case 4: eng.tryIssue(nproc, {.regions = {&fresh, 1}, .cycles = 1}); break;
      case 5: eng.tryIssue(p, {.regions = {&fresh, 1}, .cycles = 1, .heapBytes = 1u << 20}); break;
      case 6: eng.tryIssue(p, {.regions = {&fresh, 1}, .cycles = 3, .structural = true}); break;
      default: eng.awaitTask(p, future[0]); break;
    }
  };
  auto unblock = [&] {  // end some process's scope
    for (ProcessId q = 0; q < nproc; ++q)
      if (eng.scopeDepth(q) != 0) {
        eng.scopeEnd(q);
        break;
      }
  };
  for (uint64_t i = 0; i < ops; ++i) {
    if (badOps && B(4) == 0) {
      const uint64_t kind = B(8);
      const auto p = static_cast<ProcessId>(B(nproc));
      if (skip == nullptr || !skip->badFailed[i]) {
        if (record) ++record->badAsked;
        try {
          badOp(kind, p);
          for (size_t r = 0; r < kNumResources; ++r) rest.add(eng.occupancy(static_cast<Resource>(r)));
        } catch (const UserError&) {
          if (record) record->badFailed[i] = true;
        }
      }
    }
    const uint64_t op = R(100);
    const auto p = static_cast<ProcessId>(R(nproc));
    const bool skipped = skip != nullptr && skip->failed[i];
    Vals vals;  // this op's results: in d, and in rest unless the op fails
    bool blocked = false;
    auto failed = [&] {
      if (record) record->failed[i] = true;
    };
    try {
      if (op < 70) {
        TaskDesc t;
        t.kernel = static_cast<uint32_t>(R(5));
        t.cycles = R(20);
        t.dispatchKey = R(1000);
        t.heapBytes = R(4) == 0 ? R(128) : 0;
        std::vector<Region> regs;
        for (uint64_t k = 0, n = R(4); k < n; ++k) {
          const auto tensor = static_cast<uint32_t>(R(3));
          const auto mode = static_cast<Access>(1 + R(3));
          const auto row = static_cast<int64_t>(16 * R(4)), col = static_cast<int64_t>(16 * R(4));
          const auto rows = static_cast<int64_t>(16 * (1 + R(2)));
          const int64_t cols = R(3) == 0 ? 8 : static_cast<int64_t>(16 * (1 + R(2)));
          regs.push_back(Region::box2d(tensor, row, col, rows, cols, mode));
        }
        std::vector<TaskId> deps;
        const TaskId issued = eng.tasksIssued();
        for (uint64_t k = 0, n = issued != 0 ? R(3) : 0; k < n; ++k)
          deps.push_back(issued - 1 - R(std::min<uint64_t>(issued, 10)));
        t.regions = regs;
        t.deps = deps;
        if (R(10) == 0) {
          t.structural = true;
          t.cycles = 0;
          t.heapBytes = 0;
        }
        if (skipped) {
          // The recorded run unblocked after a Blocked op; a rejected op has no scope to end
          // (the skipping run cannot tell them apart, so it ends one only when Blocked did).
          if (skip->blockedAt(i)) unblock();
          continue;
        }
        const IssueResult res = eng.tryIssue(p, t);
        if (res.status == IssueStatus::Issued) {
          addTimes(vals, res.task);
        } else {
          failed();
          blocked = true;
          if (record) record->blocked.push_back(i);
          d.add(999);
          d.add(static_cast<uint64_t>(res.blockedOn));
          d.add(res.minimalCapacity);
          unblock();
        }
      } else if (op < 78) {
        if (!skipped) eng.scopeBegin(p);
      } else if (op < 86) {
        if (!skipped && eng.scopeDepth(p) != 0) eng.scopeEnd(p);
      } else if (op < 90) {
        const uint64_t dt = R(30);
        if (!skipped) eng.advanceTo(p, eng.localTime(p) + dt);
      } else if (op < 95) {
        const Region r = Region::box2d(static_cast<uint32_t>(R(3)), static_cast<int64_t>(16 * R(4)),
                                       static_cast<int64_t>(16 * R(4)), 16, 16, Access::Read);
        if (!skipped) vals.add(eng.awaitRegion(p, r));
      } else if (const TaskId issued = eng.tasksIssued(); issued != 0) {
        const TaskId id = R(issued);
        if (!skipped) {
          vals.add(eng.awaitTask(p, id));
          vals.add(eng.finishTime(id));
        }
      }
      if (skipped) continue;
      vals.add(eng.localTime(p));
      for (size_t r = 0; r < kNumResources; ++r) vals.add(eng.occupancy(static_cast<Resource>(r)));
      for (uint64_t v : vals.v) d.add(v);
      if (!blocked)
        for (uint64_t v : vals.v) rest.add(v);
    } catch (const UserError&) {
      failed();
      d.add(777);  // which ops are rejected is semantics; their wording is tested elsewhere
    }
  }
  eng.drain();
  for (Digest* x : {&d, &rest}) {
    addStats(*x, eng.stats());
    for (const TraceRecord& tr : eng.trace())
      for (uint64_t v : {tr.task, uint64_t{tr.kernel}, uint64_t{tr.worker}, uint64_t{tr.process},
                         tr.issue, tr.start, tr.finish})
        x->add(v);
  }
  if (record) record->rest = rest.h;
  return skip != nullptr ? rest.h : d.h;
}

std::vector<uint64_t> dryDigests() {
  std::vector<uint64_t> v;
  for (int c = 0; c < kConfigs; ++c) v.push_back(runConfig(c, nullptr));
  return v;
}

std::string render(const std::vector<uint64_t>& digests) {
  std::string s =
      "# Engine golden semantics: one digest per random configuration\n"
      "# (tests/runtime/EngineGoldenTest.cpp; regenerate with PTO_WSP_UPDATE_GOLDEN=1)\n";
  for (size_t c = 0; c < digests.size(); ++c) s += fmt::format("{} {:016x}\n", c, digests[c]);
  return s;
}

std::vector<uint64_t> readGolden(const std::string& path) {
  std::ifstream f(path);
  std::vector<uint64_t> v;
  std::string line;
  while (std::getline(f, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream ls(line);
    size_t c = 0;
    std::string hex;
    ls >> c >> hex;
    if (c != v.size()) return {};  // malformed: reported as a mismatch below
    v.push_back(std::strtoull(hex.c_str(), nullptr, 16));
  }
  return v;
}

TEST(EngineGolden, DryRunSemanticsMatchTheGoldenFile) {
  const std::vector<uint64_t> got = dryDigests();
  // A digest that ignored its input would hide every change: configurations must differ.
  std::vector<uint64_t> sorted = got;
  std::sort(sorted.begin(), sorted.end());
  ASSERT_EQ(std::adjacent_find(sorted.begin(), sorted.end()), sorted.end());
  if (std::getenv("PTO_WSP_UPDATE_GOLDEN") != nullptr) {
    std::ofstream(kGoldenPath) << render(got);
    GTEST_SKIP() << "rewrote " << kGoldenPath;
  }
  const std::vector<uint64_t> want = readGolden(kGoldenPath);
  ASSERT_EQ(want.size(), got.size()) << kGoldenPath << " is missing or malformed";
  std::vector<int> moved;
  for (int c = 0; c < kConfigs; ++c)
    if (got[c] != want[c]) moved.push_back(c);
  EXPECT_TRUE(moved.empty()) << moved.size() << " of " << kConfigs
                             << " configurations changed semantics, first: " << moved.front()
                             << " (rerun with PTO_WSP_UPDATE_GOLDEN=1 only if the change is intended)";
}

// An issue that ends Blocked or rejected changes nothing: the run without those ops gives
// the same results for every other op, the same stats and the same trace.
TEST(EngineGolden, FailedOpsChangeNothing) {
  int withFailures = 0;
  for (int c = 0; c < kConfigs; ++c) {
    FailedOps rec;
    runConfig(c, nullptr, &rec);
    if (std::find(rec.failed.begin(), rec.failed.end(), true) == rec.failed.end()) continue;
    ++withFailures;
    EXPECT_EQ(runConfig(c, nullptr, nullptr, &rec), rec.rest) << "configuration " << c;
  }
  EXPECT_GT(withFailures, kConfigs / 4);  // the sequences do fail ops
}

// The same with malformed requests of every kind among the ops: each is rejected, and a
// run without them gives every other result unchanged.
TEST(EngineGolden, MalformedRequestsChangeNothing) {
  for (int c = 0; c < kConfigs; c += 2) {
    FailedOps rec;
    runConfig(c, nullptr, &rec, nullptr, true);
    const auto rejected = static_cast<uint64_t>(std::count(rec.badFailed.begin(), rec.badFailed.end(), true));
    EXPECT_GT(rejected, 0u) << "configuration " << c;
    EXPECT_EQ(rejected, rec.badAsked) << "configuration " << c << ": a malformed request was accepted";
    EXPECT_EQ(runConfig(c, nullptr, nullptr, &rec, true), rec.rest) << "configuration " << c;
  }
}

TEST(EngineGolden, HostExecutionDoesNotChangeTheDigests) {
  // Every third configuration: each one starts host threads.
  for (int c = 0; c < kConfigs; c += 3) {
    HostExecutorConfig hc;
    hc.hostThreads = 2;
    hc.window = 4096;
    hc.depListCapacity = 4096;
    hc.readyQueueCapacity = 64;
    HostExecutor ex(hc);
    ASSERT_EQ(runConfig(c, &ex), runConfig(c, nullptr)) << "configuration " << c;
  }
}

}  // namespace
}  // namespace pto::wsp::rt
