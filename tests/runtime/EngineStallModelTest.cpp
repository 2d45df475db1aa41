// The Engine's stalls against a brute-force model of semantics.md section 4 for one
// process without scopes, on random streams in which every subset of the task ring,
// TensorMap pool, heap arena, ready queues and dep-list pool is small enough to stall
// (the others out of reach), with heapReserved, round-robin workers, explicit deps
// (now and then more than a small dep-list pool holds), structural joins and waits outside.
//
// Unlike EngineModelTest.cpp, which takes each issue instant and worker from the Engine,
// this model computes everything from the contract, as the stalls are what it tests: the
// worker, the issue instant with its stalls resolved in the order TASK_RING,
// TENSORMAP_POOL, HEAP_ARENA, READY_QUEUE, DEPLIST_POOL, the edges still unretired then,
// ready/start/finish, heapOffset in the FIFO byte ring, the occupancies, and per resource
// the stall count, stall cycles and high-water mark, and currentStall. A stall moves every
// later time, so all of it is checked after every issue, where a difference first shows.
// Only the instant of the "more edges than the dep-list pool" rejection is the Engine's
// rule (the contract does not name one): the edges left once the ready queue granted an
// entry, before the task waits on the pool; like any rejected issue it changes nothing,
// not even the stall counts it ran up.
// The edges are exact, not bounded as in EngineModelTest.cpp, because the regions make
// shadowing exact: whole 16x16 tiles of tensors 0..2 (per cell the latest writer and the
// readers since), a read-only tensor 3 (cells but no edges) and whole-tensor writes of
// tensor 4 (its latest writer).
#include "pto/wsp/runtime/Engine.h"
#include "pto/wsp/support/Diagnostic.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace pto::wsp::rt {
namespace {

constexpr size_t idx(Resource r) { return static_cast<size_t>(r); }
// The contract's names and stall order, kept here rather than taken from Stats.h so that
// the Engine cannot agree with itself.
constexpr const char* kName[kNumResources] = {"task_ring", "tensormap_pool", "deplist_pool", "heap_arena",
                                              "ready_queue"};
constexpr Resource kOrder[kNumResources] = {Resource::TaskRing, Resource::TensorMapPool, Resource::HeapArena,
                                            Resource::ReadyQueue, Resource::DepListPool};

struct ModelTask {
  uint64_t issue = 0, ready = 0, start = 0, finish = 0, retire = 0;
  uint64_t cells = 0, edges = 0, foot = 0, off = 0;  // foot: heap bytes held, a skipped tail included
  uint32_t worker = 0;
  bool structural = false;
};

struct Counters {
  std::array<uint64_t, kNumResources> stalls{}, cycles{}, highWater{};
};

// What the streams exercised, so that a model that never stalls cannot pass.
struct Coverage {
  std::array<uint64_t, kNumResources> stalled{};  // issued tasks that stalled on each resource
  uint64_t heapWraps = 0, heapResets = 0, rejected = 0;
  uint64_t depRejected = 0, depRejectedAfterStall = 0;  // whose stall counts must be taken back
};

struct Model {
  abi::ScheduleConfig sc;
  uint64_t reserved = 0, taskHeap = 0;
  std::vector<ModelTask> tasks;
  uint64_t now = 0, heapHead = 0, lastRetire = 0;
  size_t lo = 0;    // every task below retired at the latest issue instant (retired stays retired)
  uint64_t rr = 0;  // round-robin turn: kernel tasks issued
  std::vector<uint64_t> workerFree;
  Counters c;

  // A release exactly at t frees: the first task unretired at t.
  size_t headAt(uint64_t t) const {
    size_t h = lo;
    while (h < tasks.size() && tasks[h].retire <= t) ++h;
    return h;
  }
  template <class F>
  uint64_t sumLive(uint64_t t, F f) const {
    uint64_t s = 0;
    for (size_t i = headAt(t); i < tasks.size(); ++i) s += f(tasks[i]);
    return s;
  }
  uint64_t ringOcc(uint64_t t) const { return tasks.size() - headAt(t); }
  uint64_t tmOcc(uint64_t t) const { return sumLive(t, [](const ModelTask& m) { return m.cells; }); }
  uint64_t heapOcc(uint64_t t) const { return sumLive(t, [](const ModelTask& m) { return m.foot; }); }
  uint64_t dlOcc(uint64_t t) const { return sumLive(t, [](const ModelTask& m) { return m.edges; }); }
  // A ready-queue entry is held from issue until start, not until retire.
  uint64_t rqOcc(uint32_t w, uint64_t t) const {
    uint64_t n = 0;
    for (const ModelTask& m : tasks) n += !m.structural && m.worker == w && m.start > t;
    return n;
  }
  uint64_t rqOldest(uint32_t w, uint64_t t) const {
    uint64_t s = ~uint64_t{0};
    for (const ModelTask& m : tasks)
      if (!m.structural && m.worker == w && m.start > t) s = std::min(s, m.start);
    return s;
  }
  uint64_t oldestRelease(uint64_t t) const {
    const size_t h = headAt(t);
    if (h >= tasks.size()) throw std::logic_error("model: a dep-list stall with nothing to wait for");
    return tasks[h].retire;
  }
};

// Per cell of tensors 0..2 (4x4 tiles of 16x16): the latest writer and the readers since.
struct CellState {
  long writer = -1;
  std::vector<uint64_t> readers;
};

void checkStream(unsigned mask, uint64_t seed, int ntasks, Coverage& cov) {
  std::mt19937_64 g(seed);
  Model M;
  abi::ScheduleConfig& sc = M.sc;
  sc.workers = 1 + static_cast<uint32_t>(g() % 3);
  sc.dispatch = "round_robin";
  sc.issueCycles = g() % 4;
  sc.syncLatency = g() % 4;
  sc.taskWindow = static_cast<uint32_t>((mask & 1) ? 2 + g() % 7 : 8192);
  sc.tensorMapCapacity = static_cast<uint32_t>((mask & 2) ? 18 + g() % 40 : (1u << 18));
  sc.heapBytes = (mask & 4) ? 300 + g() % 1500 : (uint64_t{1} << 30);
  sc.readyQueueCapacity = static_cast<uint32_t>((mask & 8) ? 1 + g() % 4 : 65536);
  sc.depListCapacity = static_cast<uint32_t>((mask & 16) ? 3 + g() % 10 : (1u << 20));
  M.reserved = (mask & 4) && g() % 2 ? g() % 100 : 0;
  M.taskHeap = sc.heapBytes - M.reserved;
  M.workerFree.assign(sc.workers, 0);
  M.c.highWater[idx(Resource::HeapArena)] = M.reserved;  // held from the start

  EngineConfig cfg;
  cfg.schedule = sc;
  cfg.heapReserved = M.reserved;
  Engine eng(cfg);
  const int64_t grain[2] = {16, 16};
  for (uint32_t tensor = 0; tensor < 5; ++tensor) eng.declareTensor(tensor, grain);
  const std::string config = "workers " + std::to_string(sc.workers) + ", window " + std::to_string(sc.taskWindow) +
                             ", tensormap " + std::to_string(sc.tensorMapCapacity) + ", heap " +
                             std::to_string(sc.heapBytes) + " (reserved " + std::to_string(M.reserved) +
                             "), ready queue " + std::to_string(sc.readyQueueCapacity) + ", deplist " +
                             std::to_string(sc.depListCapacity);

  std::vector<CellState> cells(3 * 16);
  long writer4 = -1;
  std::vector<Region> prevRegs;
  for (int i = 0; i < ntasks; ++i) {
    // ---- a task ----------------------------------------------------------------------
    std::vector<Region> regs;
    std::vector<TaskId> deps;
    TaskDesc d;
    d.structural = g() % 16 == 0;
    if (!d.structural) {
      if (!prevRegs.empty() && prevRegs[0].tensor < 3 && !prevRegs[0].writes() && g() % 3 == 0) {
        regs.push_back(prevRegs[0]);  // a fan-out: the same one-tile read again (a reader run)
      } else {
        for (uint64_t k = 0, n = g() % 4; k < n; ++k) {
          const uint64_t kind = g() % 20;
          if (kind < 14) {
            const auto tensor = static_cast<uint32_t>(g() % 3);
            const int64_t r = 16 * static_cast<int64_t>(g() % 4), col = 16 * static_cast<int64_t>(g() % 4);
            regs.push_back(Region::box2d(tensor, r, col, 16, 16, static_cast<Access>(1 + g() % 3)));
          } else if (kind < 17) {  // 4, 4 or 16 cells of the read-only tensor 3
            const auto half = [&] { return 32 * static_cast<int64_t>(g() % 2); };
            switch (g() % 3) {
              case 0: {
                const int64_t r = 16 * static_cast<int64_t>(g() % 4);
                regs.push_back(Region::box2d(3, r, 0, 16, 64, Access::Read));
                break;
              }
              case 1: {
                const int64_t r = half();
                regs.push_back(Region::box2d(3, r, half(), 32, 32, Access::Read));
                break;
              }
              default: regs.push_back(Region::box2d(3, 0, 0, 64, 64, Access::Read)); break;
            }
          } else {  // the whole of tensor 4, always written (16 cells)
            regs.push_back(Region::box2d(4, 0, 0, 64, 64, g() % 2 ? Access::Write : Access::ReadWrite));
          }
        }
      }
      d.cycles = g() % 30;
      if ((mask & 4) && g() % 2 == 0) d.heapBytes = 1 + g() % (M.taskHeap / 2 + 1);
      if ((mask & 4) && g() % 200 == 0) d.heapBytes = M.taskHeap + 1;  // can never fit: rejected
    }
    if (!M.tasks.empty() && (d.structural || g() % 4 == 0))
      for (uint64_t k = 0, n = 1 + g() % 3; k < n; ++k)
        deps.push_back(M.tasks.size() - 1 - g() % std::min<size_t>(M.tasks.size(), 12));
    if ((mask & 16) && M.tasks.size() >= 16 && g() % 16 == 0) {  // may name more producers than the pool holds
      deps.clear();
      for (uint64_t k = 1, n = 4 + g() % 13; k <= n; ++k) deps.push_back(M.tasks.size() - k);
    }
    if (g() % 16 == 0) {  // a wait outside
      const uint64_t to = M.now + g() % 60;
      eng.advanceTo(0, to);
      M.now = std::max(M.now, to);
    }
    d.regions = regs;
    d.deps = deps;
    d.dispatchKey = g();

    // ---- model: candidate producers (shadowed, deduplicated) and TensorMap cells -------
    std::set<uint64_t> cand;
    uint64_t need = 0;
    for (const Region& r : regs) {
      if (r.tensor < 3) {
        need += 1;
        const CellState& cs = cells[r.tensor * 16 + (r.lo[0] / 16) * 4 + r.lo[1] / 16];
        if (cs.writer >= 0) cand.insert(static_cast<uint64_t>(cs.writer));
        if (r.writes()) cand.insert(cs.readers.begin(), cs.readers.end());
      } else if (r.tensor == 3) {
        need += static_cast<uint64_t>(((r.hi[0] - r.lo[0]) / 16) * ((r.hi[1] - r.lo[1]) / 16));
      } else {
        need += 16;
        if (writer4 >= 0) cand.insert(static_cast<uint64_t>(writer4));
      }
    }
    cand.insert(deps.begin(), deps.end());

    // ---- model: the issue ----------------------------------------------------------------
    bool expectReject = need > sc.tensorMapCapacity || d.heapBytes > M.taskHeap;
    const uint32_t w = d.structural ? 0 : static_cast<uint32_t>(M.rr % sc.workers);
    uint64_t t = M.now + sc.issueCycles;
    std::array<uint64_t, kNumResources> stallC{};
    ModelTask m;
    m.structural = d.structural;
    m.worker = w;
    m.cells = need;
    uint64_t edges = 0;
    bool wrapped = false, reset = false;
    if (!expectReject) {
      auto loop = [&](Resource res, auto over, auto next) {
        const uint64_t from = t;
        while (over()) t = std::max(t, next());
        stallC[idx(res)] = t - from;  // each stall cycle counts for the one resource it waited in
      };
      // Every task retired by t is released, however t was reached.
      size_t sh = M.headAt(t);
      auto fromSh = [&](auto f) {
        uint64_t x = 0;
        for (size_t k = sh; k < M.tasks.size(); ++k) x += f(M.tasks[k]);
        return x;
      };
      auto waitOldest = [&] {
        t = std::max(t, M.tasks.at(sh).retire);
        sh = M.headAt(t);
        return t;
      };
      loop(Resource::TaskRing, [&] { return M.tasks.size() - sh + 1 > sc.taskWindow; }, waitOldest);
      if (need != 0)  // an issue that adds nothing to a pool cannot overflow it
        loop(Resource::TensorMapPool,
             [&] { return fromSh([](const ModelTask& x) { return x.cells; }) + need > sc.tensorMapCapacity; },
             waitOldest);
      if (d.heapBytes != 0) {
        uint64_t off = 0, foot = 0;
        auto heapLive = [&] { return fromSh([](const ModelTask& x) { return x.foot; }); };
        // Recomputed after every release: an arena emptied while the task waits restarts at 0.
        auto fit = [&] {
          const bool empty = heapLive() == 0;
          const uint64_t head = empty ? 0 : M.heapHead;
          reset = empty && M.heapHead != 0;
          if (head + d.heapBytes <= M.taskHeap) {
            off = head, foot = d.heapBytes, wrapped = false;
          } else {  // wraps to 0 and holds the tail it skipped
            off = 0, foot = M.taskHeap - head + d.heapBytes, wrapped = true;
          }
        };
        loop(Resource::HeapArena, [&] { fit(); return heapLive() + foot > M.taskHeap; }, waitOldest);
        m.off = off, m.foot = foot;
      }
      if (!d.structural)
        loop(Resource::ReadyQueue, [&] { return M.rqOcc(w, t) + 1 > sc.readyQueueCapacity; },
             [&] { return M.rqOldest(w, t); });
      auto edgesAt = [&](uint64_t at) {
        uint64_t n = 0;
        for (uint64_t x : cand) n += M.tasks[x].retire > at;
        return n;
      };
      edges = edgesAt(t);
      if (edges > sc.depListCapacity) {
        expectReject = true;
        ++cov.depRejected;
        cov.depRejectedAfterStall += std::any_of(stallC.begin(), stallC.end(), [](uint64_t c) { return c != 0; });
      } else {
        // A producer retiring while the task waits stops being an edge: the request shrinks.
        loop(Resource::DepListPool,
             [&] { edges = edgesAt(t); return edges != 0 && M.dlOcc(t) + edges > sc.depListCapacity; },
             [&] { return M.oldestRelease(t); });
        edges = edgesAt(t);
      }
    }

    // ---- the Engine --------------------------------------------------------------------
    const uint64_t id = M.tasks.size();
    const auto where = [&] {
      return "mask " + std::to_string(mask) + " seed " + std::to_string(seed) + " task " + std::to_string(id) + " (" +
             config + "): ";
    };
    TaskTimes got{};
    bool rejected = false;
    std::string err;
    try {
      got = eng.issue(d);
    } catch (const DeadlockError& e) {
      ADD_FAILURE() << where() << "unexpected deadlock: " << e.what();
      return;
    } catch (const UserError& e) {
      rejected = true;
      err = e.what();
    }
    const RunStats st = eng.stats();
    if (rejected != expectReject) {
      ADD_FAILURE() << where() << "engine " << (rejected ? "rejected" : "issued") << " it, model "
                    << (expectReject ? "rejects" : "issues") << " it (edges " << edges << ", cells " << need
                    << ") " << err;
      return;
    }
    const auto same = [&](const std::string& field, uint64_t engine, uint64_t model) {
      if (engine == model) return true;
      ADD_FAILURE() << where() << field << ": engine " << engine << ", model " << model;
      return false;
    };
    if (rejected) {
      ++cov.rejected;  // and a rejected issue changes nothing (runtime.md)
    } else {
      m.issue = t;
      uint64_t ready = 0;
      for (uint64_t x : cand)
        if (M.tasks[x].retire > t) ready = std::max(ready, M.tasks[x].finish);
      if (edges != 0 && !d.structural) ready += sc.syncLatency;  // a join adds none
      m.ready = ready;
      m.start = d.structural ? std::max(t, ready) : std::max({t, ready, M.workerFree[w]});
      m.finish = m.start + d.cycles;
      m.edges = edges;
      m.retire = std::max(m.finish, M.lastRetire);
      // High-water marks: occupancy at the issue instant, the new task included.
      auto& hw = M.c.highWater;
      hw[idx(Resource::TaskRing)] = std::max(hw[idx(Resource::TaskRing)], M.ringOcc(t) + 1);
      if (need) hw[idx(Resource::TensorMapPool)] = std::max(hw[idx(Resource::TensorMapPool)], M.tmOcc(t) + need);
      if (edges) hw[idx(Resource::DepListPool)] = std::max(hw[idx(Resource::DepListPool)], M.dlOcc(t) + edges);
      if (m.foot)
        hw[idx(Resource::HeapArena)] =
            std::max(hw[idx(Resource::HeapArena)], M.reserved + M.heapOcc(t) + m.foot);
      if (!d.structural && m.start > t)  // a task starting at its issue instant leaves the queue at once
        hw[idx(Resource::ReadyQueue)] = std::max(hw[idx(Resource::ReadyQueue)], M.rqOcc(w, t) + 1);
      int lastStall = -1;
      for (Resource res : kOrder)
        if (stallC[idx(res)] != 0) {
          ++M.c.stalls[idx(res)];
          M.c.cycles[idx(res)] += stallC[idx(res)];
          ++cov.stalled[idx(res)];
          lastStall = static_cast<int>(res);
        }
      if (m.foot) {
        cov.heapWraps += wrapped;
        cov.heapResets += reset;
      }
      const std::string wantStall = lastStall < 0 ? "" : kName[lastStall];
      const bool ok = same("id", got.id, id) && same("worker", got.worker, w) && same("issue", got.issue, m.issue) &&
                      same("ready", got.ready, m.ready) && same("start", got.start, m.start) &&
                      same("finish", got.finish, m.finish) && same("numDeps", got.numDeps, m.edges) &&
                      (d.heapBytes == 0 || same("heapOffset", got.heapOffset, M.reserved + m.off)) &&
                      same("occupancy(task_ring)", eng.occupancy(Resource::TaskRing), M.ringOcc(t) + 1) &&
                      same("occupancy(tensormap_pool)", eng.occupancy(Resource::TensorMapPool), M.tmOcc(t) + need) &&
                      same("occupancy(deplist_pool)", eng.occupancy(Resource::DepListPool), M.dlOcc(t) + edges) &&
                      same("occupancy(heap_arena)", eng.occupancy(Resource::HeapArena),
                           M.reserved + M.heapOcc(t) + m.foot);
      if (!ok) return;
      if (st.currentStall != wantStall) {
        ADD_FAILURE() << where() << "currentStall: engine '" << st.currentStall << "', model '" << wantStall << "'";
        return;
      }
      // Commit: the issue instant becomes the process time, and what retired by it stays retired.
      M.now = t;
      M.lastRetire = m.retire;
      if (!d.structural) {
        M.workerFree[w] = m.finish;
        ++M.rr;
      }
      if (m.foot) M.heapHead = m.off + d.heapBytes;
      M.tasks.push_back(m);
      M.lo = M.headAt(t);
      for (const Region& r : regs) {
        if (r.tensor < 3) {
          CellState& cs = cells[r.tensor * 16 + (r.lo[0] / 16) * 4 + r.lo[1] / 16];
          if (r.writes()) {
            cs.writer = static_cast<long>(id);
            cs.readers.clear();
          } else {
            cs.readers.push_back(id);
          }
        } else if (r.tensor == 4) {
          writer4 = static_cast<long>(id);
        }
      }
      prevRegs = regs;
    }
    for (size_t res = 0; res < kNumResources; ++res) {
      const std::string n = kName[res];
      if (!same(n + ".stalls", st.resources[res].stalls, M.c.stalls[res]) ||
          !same(n + ".stallCycles", st.resources[res].stallCycles, M.c.cycles[res]) ||
          !same(n + ".highWater", st.resources[res].highWater, M.c.highWater[res]))
        return;
    }
  }
}

TEST(EngineStallModel, IssueInstantsHeapAndStallStatsMatchTheContract) {
  Coverage cov;
  for (unsigned mask = 1; mask <= 31; ++mask)  // bits: task ring, tensormap, heap, ready queue, deplist small
    for (uint64_t seed = 1; seed <= 4; ++seed) {
      checkStream(mask, seed, 1500, cov);
      if (testing::Test::HasFailure()) return;  // one bug, one message
    }
  for (size_t res = 0; res < kNumResources; ++res) EXPECT_GE(cov.stalled[res], 1000u) << kName[res];
  EXPECT_GE(cov.heapWraps, 1000u);
  EXPECT_GE(cov.heapResets, 1000u);
  EXPECT_GE(cov.rejected, 500u);
  EXPECT_GE(cov.depRejected, 100u);
  EXPECT_GE(cov.depRejectedAfterStall, 5u);
}

}  // namespace
}  // namespace pto::wsp::rt
