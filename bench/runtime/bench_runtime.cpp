// Runtime benchmark (not a test): empty-task overhead, 1M tasks, 2 threads, as a chain
// and as fan-out/fan-in blocks, for
//   (a) ours, explicit edges: HostExecutor directly, and the Engine with explicit deps;
//   (b) ours, TensorMap inference: the Engine, tasks declare regions instead of edges;
//   (c) oneTBB flow graph (continue_node chain / broadcast_node fan-out + join);
//   (e) StarPU, dependencies implicit from access modes on data handles (its TensorMap)
//       and explicit by tags (StarpuComparator.h; absent when not found at configure time);
//   (d) the Engine alone (dry run: semantic clock, no executor), both ways, so that
//       the share of (a') and (b) that is the semantic clock is measured in the run;
// plus the Engine's dry-run speed and peak RSS for 10M vs 100k tasks at window 4096
// (each measured in a fresh child process: the binary re-executes itself).
//
//   bench_runtime [--tasks N] [--threads T] [--reps R] [--width K] [--window W]
//                 [--pool-deplist E] [--only chain|fan|dry|rss] [--starpu-tasks N]
// (--pool-deplist: the Engine's dep-list pool, in edges; more edges keep more producers
// live, e.g. more of the fan's earlier fan-ins.)
// Prints ns/task (best and median of R runs) and ratios against oneTBB and StarPU. Figures and
// the exact commands are recorded in docs/performance.md, section "Runtime".
#include "pto/wsp/runtime/Engine.h"
#include "pto/wsp/runtime/host/HostExecutor.h"

#include "StarpuComparator.h"

#include <fmt/format.h>
#include <oneapi/tbb/flow_graph.h>
#include <oneapi/tbb/global_control.h>

#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <functional>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace {

namespace rt = pto::wsp::rt;
namespace flow = tbb::flow;
using Clock = std::chrono::steady_clock;

struct Opts {
  size_t tasks = 1'000'000;
  uint32_t threads = 2;
  int reps = 5;
  uint32_t width = 1000;   // fan-out width per block
  // Executor window and Engine task window for the speed runs: 16384 is the Engine's
  // default and pto-runtime's task window. The RSS runs use 4096 (the target's size).
  uint32_t window = 16384;
  uint32_t depList = static_cast<uint32_t>(pto::wsp::knobDefault(pto::wsp::ScheduleKnob::PoolDepList));
  std::string only;
  // StarPU's per-task cost is microseconds: it runs fewer tasks (ns/task is what is
  // compared; the shapes are the same).
  size_t starpuTasks = 50'000;
};

// CPU time of the calling thread (ns): for the Engine runs, the orchestrator's own
// cost per task, which wall time hides on a loaded machine (the figures in
// docs/performance.md state both).
double threadCpuNs() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}
double gLastCpuNsPerTask = 0;  // orchestrator CPU ns/task of the latest Engine run

double nsSince(Clock::time_point t0) {
  return static_cast<double>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0).count());
}

struct Result {
  double best = 0, median = 0;
};

// One cache line passed back and forth between two threads (ns per round trip): what a
// hand-off between cores costs at this moment. On a 2-vCPU VM it moves with the host's
// placement of the vCPUs (on a Zen 4 VM 80-90 ns one minute, 150-350 the next), and so
// do the ratios of every run that hands tasks to another thread (oneTBB's chain stays on
// one thread): each repetition prints it beside its ratios.
double crossCoreRoundTripNs() {
  constexpr uint64_t kTrips = 20000;
  alignas(64) std::atomic<uint64_t> ball{0};
  std::thread peer([&] {
    for (uint64_t i = 0; i < kTrips; ++i) {
      while (ball.load(std::memory_order_acquire) != 2 * i + 1) {
      }
      ball.store(2 * i + 2, std::memory_order_release);
    }
  });
  const auto t0 = Clock::now();
  for (uint64_t i = 0; i < kTrips; ++i) {
    ball.store(2 * i + 1, std::memory_order_release);
    while (ball.load(std::memory_order_acquire) != 2 * i + 2) {
    }
  }
  const double ns = nsSince(t0) / static_cast<double>(kTrips);
  peer.join();
  return ns;
}

// Runs f (returning ns/task) `reps` times; best and median.
Result repeat(int reps, const std::function<double()>& f) {
  std::vector<double> v;
  for (int i = 0; i < reps; ++i) v.push_back(f());
  std::sort(v.begin(), v.end());
  return {v.front(), v[v.size() / 2]};
}

rt::HostExecutorConfig execCfg(const Opts& o) {
  rt::HostExecutorConfig c;
  c.hostThreads = o.threads;
  c.window = o.window;
  c.depListCapacity = static_cast<uint32_t>(pto::wsp::knobDefault(pto::wsp::ScheduleKnob::PoolDepList));
  c.readyQueueCapacity = 4096;
  return c;
}

// Fan-out/fan-in shape: blocks of [source, width middles, sink]; the next source
// depends on the previous sink.
size_t fanBlocks(const Opts& o) { return std::max<size_t>(1, o.tasks / (o.width + 2)); }
size_t fanTasks(const Opts& o) { return fanBlocks(o) * (o.width + 2); }

// ---------------------------------------------------------------- (a) HostExecutor

void printStats(const rt::HostStats& st) {
  auto r = [](const char* n, const rt::HostResourceStats& x) {
    fmt::print("    {:<11} stalls {:8} stall {:9.3f} ms  high water {:6} / {}\n", n, x.stalls,
               static_cast<double>(x.stallNs) / 1e6, x.highWater, x.capacity);
  };
  fmt::print("    tasks {} inline {} ({:.1f}%)\n", st.tasksRun, st.inlineRuns,
             100.0 * static_cast<double>(st.inlineRuns) / static_cast<double>(st.tasksRun));
  r("ring", st.ring);
  r("dep list", st.depList);
  r("ready queue", st.readyQueue);
}

double execChain(const Opts& o) {
  rt::HostExecutor ex(execCfg(o));
  const auto t0 = Clock::now();
  rt::TaskSeq pred[1];
  for (rt::TaskSeq s = 0; s < o.tasks; ++s) {
    rt::HostTask t;
    t.seq = s;
    if (s > 0) {
      pred[0] = s - 1;
      t.preds = pred;
    }
    if (ex.submit(t) != rt::WaitStatus::Ok) std::abort();
  }
  if (ex.drain() != rt::WaitStatus::Ok) std::abort();
  const double ns = nsSince(t0) / static_cast<double>(o.tasks);
  if (std::getenv("PTO_WSP_BENCH_STATS") != nullptr) printStats(ex.stats());
  return ns;
}

double execFan(const Opts& o) {
  rt::HostExecutor ex(execCfg(o));
  std::vector<rt::TaskSeq> mids(o.width);
  rt::TaskSeq one[1];
  rt::TaskSeq s = 0;
  const auto t0 = Clock::now();
  auto submit = [&](std::span<const rt::TaskSeq> preds) {
    rt::HostTask t;
    t.seq = s;
    t.preds = preds;
    t.worker = static_cast<uint32_t>(s);
    if (ex.submit(t) != rt::WaitStatus::Ok) std::abort();
    return s++;
  };
  for (size_t b = 0; b < fanBlocks(o); ++b) {
    const rt::TaskSeq src = submit(b == 0 ? std::span<const rt::TaskSeq>() : std::span(one));
    one[0] = src;
    for (uint32_t i = 0; i < o.width; ++i) mids[i] = submit(one);
    one[0] = submit(mids);
  }
  if (ex.drain() != rt::WaitStatus::Ok) std::abort();
  const double ns = nsSince(t0) / static_cast<double>(s);
  if (std::getenv("PTO_WSP_BENCH_STATS") != nullptr) printStats(ex.stats());
  return ns;
}

// ---------------------------------------------------------------- Engine

rt::EngineConfig engineCfg(const Opts& o, rt::TaskSink* sink) {
  rt::EngineConfig c;
  c.schedule.workers = o.threads;
  c.schedule.taskWindow = o.window;
  c.schedule.depListCapacity = o.depList;
  c.sink = sink;
  return c;
}

// Outside the timed part: every task was issued and, with a sink, run on the host.
void checkRun(const rt::Engine& eng, size_t n, rt::TaskSink* sink) {
  // The semantic result must not depend on the executor or its timing: with
  // PTO_WSP_BENCH_STATS, print it so dry and host runs can be compared.
  if (std::getenv("PTO_WSP_BENCH_STATS") != nullptr)
    fmt::print("    {} timeline {:016x} total_cycles {}\n", sink != nullptr ? "host" : "dry ",
               eng.stats().timelineHash, eng.stats().totalCycles);
  if (eng.stats().tasks != n) {
    std::fprintf(stderr, "engine issued %llu tasks, expected %zu\n",
                 static_cast<unsigned long long>(eng.stats().tasks), n);
    std::abort();
  }
  if (auto* hs = dynamic_cast<rt::HostExecutor*>(sink)) {
    const uint64_t ran = hs->stats().tasksRun;
    if (ran != n) {
      std::fprintf(stderr, "host ran %llu tasks, expected %zu\n", static_cast<unsigned long long>(ran), n);
      std::abort();
    }
  }
}

// The end of a timed Engine run of n tasks started at (t0, c0): drains, records the
// orchestrator's CPU ns/task, and returns the wall ns/task (the check is not timed).
double finishTimed(rt::Engine& eng, size_t n, rt::TaskSink* sink, Clock::time_point t0, double c0) {
  eng.drain();
  gLastCpuNsPerTask = (threadCpuNs() - c0) / static_cast<double>(n);
  const double ns = nsSince(t0) / static_cast<double>(n);
  checkRun(eng, n, sink);
  return ns;
}

// One chain through the Engine; `inference`: tasks declare a ReadWrite tile instead of
// an explicit edge. sink == nullptr: dry run.
double engineChain(const Opts& o, size_t n, bool inference, rt::TaskSink* sink) {
  rt::Engine eng(engineCfg(o, sink));
  const rt::Region r = rt::Region::box2d(0, 0, 0, 16, 16, rt::Access::ReadWrite);
  rt::TaskId dep[1];
  // One descriptor for the stream (the Engine only reads it during the call), as the plan
  // interpreter's call sites and bench_instr_workload keep it.
  rt::TaskDesc d;
  d.cycles = 1;
  if (inference) d.regions = {&r, 1};
  const auto t0 = Clock::now();
  const double c0 = threadCpuNs();
  for (size_t s = 0; s < n; ++s) {
    if (!inference && s > 0) {
      dep[0] = s - 1;
      d.deps = dep;
    }
    eng.issue(d);
  }
  return finishTimed(eng, n, sink, t0, c0);
}

double engineFan(const Opts& o, bool inference, rt::TaskSink* sink) {
  rt::Engine eng(engineCfg(o, sink));
  const rt::Region xWrite = rt::Region::box2d(0, 0, 0, 16, 16, rt::Access::Write);
  const rt::Region xRead = rt::Region::box2d(0, 0, 0, 16, 16, rt::Access::Read);
  const rt::Region yAll =
      rt::Region::box2d(1, 0, 0, 16, 16 * static_cast<int64_t>(o.width), rt::Access::Read);
  std::vector<rt::TaskId> mids(o.width);
  rt::TaskId one[1] = {0};
  // The middles share one descriptor whose y column moves, as the plan interpreter's
  // compiled call sites do (regions built once, only the dynamic bounds updated), and as
  // bench_instr_workload's fan does: the figure is the Engine's, not the descriptors'.
  rt::Region mid[2] = {xRead, rt::Region::box2d(1, 0, 0, 16, 16, rt::Access::Write)};
  rt::TaskDesc m;
  m.cycles = 1;
  if (inference)
    m.regions = mid;
  else
    m.deps = one;
  size_t n = 0;
  const auto t0 = Clock::now();
  const double c0 = threadCpuNs();
  for (size_t b = 0; b < fanBlocks(o); ++b) {
    rt::TaskDesc src;
    src.cycles = 1;
    if (inference)
      src.regions = {&xWrite, 1};
    else if (b > 0)
      src.deps = one;
    one[0] = eng.issue(src).id;
    for (uint32_t i = 0; i < o.width; ++i) {
      mid[1].lo[1] = 16 * static_cast<int64_t>(i);
      mid[1].hi[1] = mid[1].lo[1] + 16;
      mids[i] = eng.issue(m).id;
    }
    rt::TaskDesc sk;
    sk.cycles = 1;
    const rt::Region rs[2] = {yAll, xWrite};
    if (inference)
      sk.regions = rs;
    else
      sk.deps = mids;
    one[0] = eng.issue(sk).id;
    n += o.width + 2;
  }
  return finishTimed(eng, n, sink, t0, c0);
}

// The dry chain by explicit edges with the descriptor built per task, as a caller might:
// `fresh` declares a TaskDesc and assigns its fields (GCC 12 -O2 clears its 96 bytes with
// `rep stosq`), otherwise a designated-initializer temporary. engineChain keeps one
// descriptor; docs/runtime.md says which idiom to use.
double engineChainPerTaskDesc(const Opts& o, bool fresh) {
  rt::Engine eng(engineCfg(o, nullptr));
  rt::TaskId dep[1];
  const auto t0 = Clock::now();
  const double c0 = threadCpuNs();
  for (size_t s = 0; s < o.tasks; ++s) {
    dep[0] = s - 1;
    const std::span<const rt::TaskId> deps(dep, s > 0 ? 1 : 0);
    if (fresh) {
      rt::TaskDesc d;
      d.cycles = 1;
      d.deps = deps;
      eng.issue(d);
    } else {
      eng.issue({.deps = deps, .cycles = 1});
    }
  }
  return finishTimed(eng, o.tasks, nullptr, t0, c0);
}

double engineChainHost(const Opts& o, bool inference) {
  rt::HostExecutor ex(execCfg(o));
  return engineChain(o, o.tasks, inference, &ex);
}

double engineFanHost(const Opts& o, bool inference) {
  rt::HostExecutor ex(execCfg(o));
  return engineFan(o, inference, &ex);
}

// ---------------------------------------------------------------- (c) oneTBB

struct TbbTimes {
  double execNs = 0, totalNs = 0;  // per task: run only / build + run
};

using CNode = flow::continue_node<flow::continue_msg>;

[[noreturn]] void tbbWrong(const std::string& what) {
  std::fprintf(stderr, "oneTBB: %s\n", what.c_str());
  std::abort();
}

// Each body checks what its edges promise, with plain loads and stores on data no two
// concurrent bodies share (the edges order the rest): the chain's node i sees i - 1 as
// the latest node run; a fan middle marks its own slot with its block, and the sink finds
// every slot of its block marked. The run checks the counts afterwards.
TbbTimes tbbChain(const Opts& o) {
  tbb::global_control gc(tbb::global_control::max_allowed_parallelism, o.threads);
  uint64_t last = 0, wrong = 0;
  const auto t0 = Clock::now();
  flow::graph g;
  std::deque<CNode> nodes;
  for (size_t i = 0; i < o.tasks; ++i) {
    nodes.emplace_back(g, [&last, &wrong, i = uint64_t{i} + 1](const flow::continue_msg&) {
      if (last + 1 != i) ++wrong;
      last = i;
      return flow::continue_msg();
    });
    if (i > 0) flow::make_edge(nodes[i - 1], nodes[i]);
  }
  const auto t1 = Clock::now();
  nodes.front().try_put(flow::continue_msg());
  g.wait_for_all();
  const double n = static_cast<double>(o.tasks);
  const TbbTimes t{nsSince(t1) / n, nsSince(t0) / n};
  if (last != o.tasks || wrong != 0)
    tbbWrong(fmt::format("chain ran up to {} of {}, {} out of order", last, o.tasks, wrong));
  return t;
}

TbbTimes tbbFan(const Opts& o) {
  tbb::global_control gc(tbb::global_control::max_allowed_parallelism, o.threads);
  std::vector<uint64_t> marks(o.width, 0);
  uint64_t sinks = 0, wrong = 0;
  const auto t0 = Clock::now();
  flow::graph g;
  std::deque<flow::broadcast_node<flow::continue_msg>> srcs;
  std::deque<CNode> nodes;
  CNode* prevSink = nullptr;
  for (size_t b = 0; b < fanBlocks(o); ++b) {
    srcs.emplace_back(g);
    if (prevSink != nullptr) flow::make_edge(*prevSink, srcs.back());
    nodes.emplace_back(g, [&, blk = uint64_t{b} + 1](const flow::continue_msg&) {
      for (const uint64_t m : marks)
        if (m != blk) ++wrong;
      ++sinks;
      return flow::continue_msg();
    });
    CNode& sink = nodes.back();
    for (uint32_t i = 0; i < o.width; ++i) {
      nodes.emplace_back(g, [slot = &marks[i], blk = uint64_t{b} + 1](const flow::continue_msg&) {
        *slot = blk;
        return flow::continue_msg();
      });
      flow::make_edge(srcs.back(), nodes.back());
      flow::make_edge(nodes.back(), sink);
    }
    prevSink = &sink;
  }
  const auto t1 = Clock::now();
  srcs.front().try_put(flow::continue_msg());
  g.wait_for_all();
  const double n = static_cast<double>(fanTasks(o));
  const TbbTimes t{nsSince(t1) / n, nsSince(t0) / n};
  if (sinks != fanBlocks(o) || wrong != 0)
    tbbWrong(fmt::format("fan ran {} of {} sinks, {} middles unfinished at their sink", sinks,
                         fanBlocks(o), wrong));
  return t;
}

// ---------------------------------------------------------------- reporting

void line(const char* what, const Result& r, double tbbBest) {
  fmt::print("  {:<44} {:8.1f} ns/task (median {:8.1f})", what, r.best, r.median);
  if (tbbBest > 0) fmt::print("   {:5.2f}x oneTBB", r.best / tbbBest);
  fmt::print("\n");
}

Result summarize(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return {v.front(), v[v.size() / 2]};
}

// The machine is shared: each repetition runs every variant back to back so that
// they see the same load, and ratios are also taken per repetition (median).
void benchShape(const Opts& o, bool fan) {
  fmt::print("{} — {} tasks, {} threads, window {}{}\n", fan ? "fan-out/fan-in" : "chain",
             fan ? fanTasks(o) : o.tasks, o.threads, o.window,
             fan ? fmt::format(", width {}", o.width) : std::string());
  std::vector<double> tbbRun, tbbAll, a, ae, b, ra, rae, rb, cae, cb, de, di;
  std::vector<double> spData, spTags, rbData, raeTags;
  const bool sp = bench::starpuAvailable();
  const size_t spBlocks = std::max<size_t>(1, o.starpuTasks / (o.width + 2));
  std::vector<double> trip;
  for (int i = 0; i < o.reps; ++i) {
    trip.push_back(crossCoreRoundTripNs());
    const TbbTimes t = fan ? tbbFan(o) : tbbChain(o);
    tbbRun.push_back(t.execNs);
    tbbAll.push_back(t.totalNs);
    a.push_back(fan ? execFan(o) : execChain(o));
    ae.push_back(fan ? engineFanHost(o, false) : engineChainHost(o, false));
    cae.push_back(gLastCpuNsPerTask);
    b.push_back(fan ? engineFanHost(o, true) : engineChainHost(o, true));
    cb.push_back(gLastCpuNsPerTask);
    // The semantic clock alone (dry run): the part of (a') and (b) that no executor
    // change can remove.
    de.push_back(fan ? engineFan(o, false, nullptr) : engineChain(o, o.tasks, false, nullptr));
    di.push_back(fan ? engineFan(o, true, nullptr) : engineChain(o, o.tasks, true, nullptr));
    if (sp) {
      spData.push_back(fan ? bench::starpuFan(spBlocks, o.width, o.threads, o.window, false)
                           : bench::starpuChain(o.starpuTasks, o.threads, o.window, false));
      spTags.push_back(fan ? bench::starpuFan(spBlocks, o.width, o.threads, o.window, true)
                           : bench::starpuChain(o.starpuTasks, o.threads, o.window, true));
      rbData.push_back(b.back() / spData.back());
      raeTags.push_back(ae.back() / spTags.back());
    }
    ra.push_back(a.back() / t.execNs);
    rae.push_back(ae.back() / t.execNs);
    rb.push_back(b.back() / t.execNs);
  }
  const Result tbbExec = summarize(tbbRun);
  line("oneTBB flow graph, run only", tbbExec, 0);
  line("oneTBB flow graph, build + run", summarize(tbbAll), 0);
  line("(a) HostExecutor, explicit edges", summarize(a), tbbExec.best);
  line("(a') Engine + HostExecutor, explicit edges", summarize(ae), tbbExec.best);
  line("(b) Engine + HostExecutor, TensorMap", summarize(b), tbbExec.best);
  line("(d) Engine alone (dry run), explicit edges", summarize(de), tbbExec.best);
  line("(d') Engine alone (dry run), TensorMap", summarize(di), tbbExec.best);
  fmt::print("  per-repetition ratio vs oneTBB run only (median / best): (a) {:.2f} / {:.2f}"
             "  (a') {:.2f} / {:.2f}  (b) {:.2f} / {:.2f}\n",
             summarize(ra).median, summarize(ra).best, summarize(rae).median,
             summarize(rae).best, summarize(rb).median, summarize(rb).best);
  fmt::print("  per repetition, cross-core round trip ns: (a) (a') (b) vs oneTBB run only:");
  for (int i = 0; i < o.reps; ++i)
    fmt::print("{}  {:.0f}: {:.2f} {:.2f} {:.2f}", i == 0 ? "\n   " : "", trip[i], ra[i], rae[i], rb[i]);
  fmt::print("\n");
  if (sp) {
    const Result d = summarize(spData), g = summarize(spTags);
    fmt::print("  {:<44} {:8.1f} ns/task (median {:8.1f})   {} tasks\n",
               "(e) StarPU, data handles (implicit deps)", d.best, d.median,
               fan ? spBlocks * (o.width + 2) : o.starpuTasks);
    fmt::print("  {:<44} {:8.1f} ns/task (median {:8.1f})   {} tasks\n",
               "(e') StarPU, tags (explicit deps)", g.best, g.median,
               fan ? spBlocks * (o.width + 2) : o.starpuTasks);
    fmt::print("  per-repetition ratio vs StarPU (median / best): (a') vs tags {:.3f} / {:.3f}"
               "  (b) vs data handles {:.3f} / {:.3f}\n",
               summarize(raeTags).median, summarize(raeTags).best, summarize(rbData).median,
               summarize(rbData).best);
  } else {
    fmt::print("  {}\n", bench::starpuDescription());
  }
  fmt::print("  orchestrator thread CPU ns/task (best): (a') {:.1f}  (b) {:.1f}\n",
             summarize(cae).best, summarize(cb).best);
  fmt::print("  ratios vs oneTBB build + run (best): (a) {:.2f}  (a') {:.2f}  (b) {:.2f}\n",
             summarize(a).best / summarize(tbbAll).best, summarize(ae).best / summarize(tbbAll).best,
             summarize(b).best / summarize(tbbAll).best);
  // The wall budgets are set on the chain only; the fan has none.
  if (!fan)
    fmt::print("  budgets (per-repetition medians, quiet machine): (a) <= 1.0x, (a') <= 1.0x, "
               "(b) <= 1.5x oneTBB run only\n");
  fmt::print("\n");
}

void benchDry(const Opts& o) {
  fmt::print("dry run (Engine, no executor) — {} tasks\n", o.tasks);
  // Best wall time and best CPU time of the thread over the repetitions.
  auto dry = [&](const std::function<double()>& f) {
    std::vector<double> wall, cpu;
    for (int i = 0; i < o.reps; ++i) {
      wall.push_back(f());
      cpu.push_back(gLastCpuNsPerTask);
    }
    return std::pair{summarize(wall), summarize(cpu)};
  };
  const auto ce = dry([&] { return engineChain(o, o.tasks, false, nullptr); });
  const auto ci = dry([&] { return engineChain(o, o.tasks, true, nullptr); });
  const auto fe = dry([&] { return engineFan(o, false, nullptr); });
  const auto fi = dry([&] { return engineFan(o, true, nullptr); });
  auto show = [](const char* what, const std::pair<Result, Result>& r) {
    fmt::print("  {:<22} {:6.1f} ns/task = {:5.2f} M tasks/s   (CPU {:6.1f} ns/task)\n", what,
               r.first.best, 1e3 / r.first.best, r.second.best);
  };
  show("chain, explicit edges", ce);
  show("chain, TensorMap", ci);
  show("fan,   explicit edges", fe);
  show("fan,   TensorMap", fi);
  fmt::print("  budget: >= 20 M tasks/s on every shape\n");
  // What the caller's descriptor idiom costs (not a shape: the same chain).
  const auto cf = dry([&] { return engineChainPerTaskDesc(o, true); });
  const auto cd = dry([&] { return engineChainPerTaskDesc(o, false); });
  fmt::print("  the chain by explicit edges with a descriptor per task (one kept above):\n");
  show("`TaskDesc d;` per task", cf);
  show("designated temporary", cd);
  fmt::print("\n");
}

// Child mode: runs n empty tasks and prints its peak RSS.
int rssChild(const Opts& o, const std::string& mode, size_t n) {
  if (mode == "exec") {
    Opts c = o;
    c.tasks = n;
    execChain(c);
  } else {
    rt::HostExecutor ex(execCfg(o));
    engineChain(o, n, /*inference*/ true, mode == "dry" ? nullptr : &ex);
  }
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  std::printf("%ld\n", ru.ru_maxrss);
  return 0;
}

long spawnRss(const char* self, const Opts& o, const std::string& mode, size_t n) {
  const std::string out = fmt::format("/tmp/bench_runtime_rss_{}.txt", getpid());
  const std::string cmd = fmt::format("'{}' --window {} --threads {} --rss-child {} {} > {}", self,
                                      o.window, o.threads, mode, n, out);
  const char* argv[] = {"/bin/sh", "-c", cmd.c_str(), nullptr};
  pid_t pid = 0;
  if (posix_spawn(&pid, "/bin/sh", nullptr, nullptr, const_cast<char* const*>(argv), environ) != 0)
    return -1;
  int status = 0;
  waitpid(pid, &status, 0);
  long kb = -1;
  if (FILE* f = std::fopen(out.c_str(), "r")) {
    if (std::fscanf(f, "%ld", &kb) != 1) kb = -1;
    std::fclose(f);
  }
  std::remove(out.c_str());
  return kb;
}

void benchRss(const char* self, Opts o) {
  o.window = 4096;
  fmt::print("peak RSS (separate processes, window {}, chain)\n", o.window);
  for (const char* mode : {"exec", "engine", "dry"}) {
    const long small = spawnRss(self, o, mode, 100'000);
    const long big = spawnRss(self, o, mode, 10'000'000);
    fmt::print("  {:<7} 100k tasks {:7} KiB, 10M tasks {:7} KiB: {:+.1f}% (target within 10%)\n",
               mode, small, big, 100.0 * (static_cast<double>(big) - small) / small);
  }
  fmt::print("  (exec: HostExecutor + explicit edges; engine: Engine + TensorMap + HostExecutor;"
             " dry: Engine + TensorMap, no executor)\n\n");
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  Opts o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto val = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "missing value after %s\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--tasks") o.tasks = std::stoull(val());
    else if (a == "--threads") o.threads = static_cast<uint32_t>(std::stoul(val()));
    else if (a == "--reps") o.reps = std::stoi(val());
    else if (a == "--width") o.width = static_cast<uint32_t>(std::stoul(val()));
    else if (a == "--window") o.window = static_cast<uint32_t>(std::stoul(val()));
    else if (a == "--pool-deplist") o.depList = static_cast<uint32_t>(std::stoul(val()));
    else if (a == "--only") o.only = val();
    else if (a == "--starpu-tasks") o.starpuTasks = std::stoull(val());
    else if (a == "--rss-child") {
      const std::string mode = val();
      return rssChild(o, mode, std::stoull(val()));
    } else {
      std::fprintf(stderr,
                   "usage: %s [--tasks N] [--threads T] [--reps R] [--width K] [--window W] "
                   "[--pool-deplist E] [--only chain|fan|dry|rss|exec] [--starpu-tasks N]\n",
                   argv[0]);
      return 2;
    }
  }
  if (o.only == "exec") {  // profiling aid: only (a), both shapes
    const Result c = repeat(o.reps, [&] { return execChain(o); });
    const Result f = repeat(o.reps, [&] { return execFan(o); });
    line("(a) HostExecutor chain", c, 0);
    line("(a) HostExecutor fan-out/fan-in", f, 0);
    return 0;
  }
  fmt::print("comparators: oneTBB flow graph; {}\n\n", bench::starpuDescription());
  if (o.only.empty() || o.only == "chain") benchShape(o, false);
  if (o.only.empty() || o.only == "fan") benchShape(o, true);
  if (o.only.empty() || o.only == "dry") benchDry(o);
  if (o.only.empty() || o.only == "rss") benchRss(argv[0], o);
  return 0;
}
