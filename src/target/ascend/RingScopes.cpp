// Scope boundaries and ring size for tensormap_and_ringbuffer (RingScopes.h).
#include "RingScopes.h"

#include "pto/wsp/support/Assert.h"

#include <fmt/format.h>

#include <algorithm>
#include <bit>

namespace pto::wsp::target::ascend {

namespace {

// A tile's rows x cols region in its tensor's (row, col) plane, as the TensorMap compares
// the views the orchestration submits.
struct Region {
  int64_t r0, c0, rows, cols;
  bool overlaps(const Region& o) const {
    return r0 < o.r0 + o.rows && o.r0 < r0 + rows && c0 < o.c0 + o.cols && o.c0 < c0 + cols;
  }
};

Region regionOf(const GraphTile& t, const abi::PlanParam& p) {
  const int64_t rs = t.rowStride > 0 ? t.rowStride : 1;
  return {t.offset / rs, t.offset % rs, p.rows, p.cols};
}

}  // namespace

std::vector<uint32_t> earliestRingDependency(const TaskGraph& g, const abi::Plan& plan) {
  const uint32_t n = static_cast<uint32_t>(g.tasks.size());
  std::vector<uint32_t> earliest(n);
  // Writes per tensor in task order: the first overlapping one is the earliest writer.
  std::vector<std::vector<std::pair<Region, uint32_t>>> writes(plan.tensors.size());
  for (uint32_t c = 0; c < n; ++c) {
    const GraphTask& t = g.tasks[c];
    uint32_t e = c;
    if (!t.preds.empty()) e = std::min(e, t.preds.front());  // ascending
    if (t.kernel < 0) {
      earliest[c] = e;
      continue;
    }
    const std::vector<abi::PlanParam>& params = plan.kernels.at(static_cast<size_t>(t.kernel)).params;
    size_t ti = 0;
    std::vector<std::pair<uint32_t, Region>> written;
    for (const abi::PlanParam& p : params) {
      if (p.kind == abi::ParamKind::Scalar) continue;
      const GraphTile& tile = t.tiles.at(ti++);
      const Region r = regionOf(tile, p);
      PTO_INTERNAL_ASSERT(tile.tensor < writes.size(), "task {} names tensor {}", c, tile.tensor);
      // IN and INOUT views are looked up in the TensorMap; OUT views are not.
      if (p.kind != abi::ParamKind::Out)
        for (const auto& [w, by] : writes[tile.tensor]) {
          if (by >= e) break;
          if (w.overlaps(r)) {
            e = by;
            break;
          }
        }
      if (p.kind != abi::ParamKind::In) written.push_back({tile.tensor, r});
    }
    for (const auto& [tensor, r] : written) writes[tensor].push_back({r, c});
    earliest[c] = e;
  }
  return earliest;
}

std::vector<uint32_t> safeScopeCuts(const TaskGraph& g, const abi::Plan& plan) {
  const std::vector<uint32_t> earliest = earliestRingDependency(g, plan);
  const uint32_t n = static_cast<uint32_t>(earliest.size());
  std::vector<uint32_t> cuts;
  // k is safe when every task from k on waits on nothing before k: a suffix minimum.
  uint32_t low = n;
  for (uint32_t k = n; k-- > 1;) {
    low = std::min(low, earliest[k]);
    if (low >= k) cuts.push_back(k);
  }
  std::reverse(cuts.begin(), cuts.end());
  return cuts;
}

uint32_t smallestRingFor(uint32_t scopeTasks) {
  // A scope of s tasks needs s <= W - 1.
  return std::max(kMinRingWindow, static_cast<uint32_t>(std::bit_ceil(uint64_t{scopeTasks} + 1)));
}

RingScopes planRingScopes(const TaskGraph& g, const abi::Plan& plan, uint32_t taskWindow) {
  RingScopes s;
  s.requestedWindow = taskWindow;
  const uint32_t n = static_cast<uint32_t>(g.tasks.size());
  const std::vector<uint32_t> cuts = safeScopeCuts(g, plan);
  uint32_t prev = 0;
  for (uint32_t k : cuts) {
    s.largestUncut = std::max(s.largestUncut, k - prev);
    prev = k;
  }
  s.largestUncut = std::max(s.largestUncut, n - prev);
  const bool pow2 = taskWindow >= kMinRingWindow && std::has_single_bit(taskWindow);
  if (pow2 && s.largestUncut <= taskWindow - 1) {
    s.ringWindow = taskWindow;
  } else {
    const uint32_t floor2 = taskWindow >= kMinRingWindow ? std::bit_floor(taskWindow) : kMinRingWindow;
    s.ringWindow = std::max(floor2, smallestRingFor(s.largestUncut));
  }
  // Greedy packing: a new scope starts at a safe cut when the next uncut run would push
  // the current one past the packing size.
  const uint32_t pack = std::max<uint32_t>(1, std::min(kScopePackTasks, s.ringWindow / 2));
  if (n == 0) return s;
  s.begins.push_back(0);
  uint32_t runStart = 0;
  for (size_t i = 0; i <= cuts.size(); ++i) {
    const uint32_t runEnd = i < cuts.size() ? cuts[i] : n;
    if (runStart > s.begins.back() && runEnd - s.begins.back() > pack) s.begins.push_back(runStart);
    runStart = runEnd;
  }
  for (size_t i = 0; i < s.begins.size(); ++i) s.largestScope = std::max(s.largestScope, s.end(i, n) - s.begins[i]);
  return s;
}

std::vector<Diagnostic> ringScopeDiagnostics(const RingScopes& s, const SourceLoc& at, bool defaulted) {
  const std::string what = defaulted ? fmt::format("the default task_window {}", s.requestedWindow)
                                     : fmt::format("task_window {}", s.requestedWindow);
  if (s.ringWindow > kMaxRingWindow)
    throw UserError(makeError(at, fmt::format("the tensormap_and_ringbuffer orchestration needs a scope of {} tasks "
                                              "(no safe scope boundary is closer), but pto-runtime's task ring holds "
                                              "at most {} and a scope at most {} tasks",
                                              s.largestUncut, kMaxRingWindow, kMaxRingWindow - 1))
                        .help("compile with --runtime host_build_graph, or split the workload where no task reads "
                              "or waits for what an earlier part wrote"));
  if (s.windowHonoured()) return {};
  Diagnostic d;
  d.severity = Severity::Warning;
  d.loc = at;
  if (s.requestedWindow < kMinRingWindow || !std::has_single_bit(s.requestedWindow)) {
    d.message = fmt::format("{} is not a power of two >= {}, which pto-runtime's PTO2_RING_TASK_WINDOW needs; the "
                            "tree runs with PTO2_RING_TASK_WINDOW={} (up to {} tasks in flight)",
                            what, kMinRingWindow, s.ringWindow, s.ringWindow - 1);
    d.help(fmt::format("use a power-of-two task_window of at least {}", smallestRingFor(s.largestUncut)));
    return {d};
  }
  d.message = fmt::format("{} is not enforced on tensormap_and_ringbuffer: the smallest scope that no dependency "
                          "crosses holds {} tasks, which needs a ring of {}; the tree runs with "
                          "PTO2_RING_TASK_WINDOW={}, so up to {} tasks are in flight where the schedule allows {}",
                          what, s.largestUncut, s.ringWindow, s.ringWindow, s.ringWindow - 1, s.requestedWindow);
  d.note("a scope may end only where no dependency crosses it: pto-runtime can reuse a finished producer's ring slot "
         "before a consumer in a later scope is wired (docs/ascend.md)");
  d.help(fmt::format("set task_window {} to run with the window the schedule says, or compile with --runtime "
                     "host_build_graph",
                     s.ringWindow));
  return {d};
}

}  // namespace pto::wsp::target::ascend
