#include "pto/wsp/runtime/Profile.h"

#include "pto/wsp/support/Assert.h"
#include "pto/wsp/support/Diagnostic.h"
#include "pto/wsp/support/ScheduleKnobs.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <bit>

namespace pto::wsp::rt {

Profiler::Profiler(uint32_t numKernels, uint32_t numWorkers, uint32_t taskWindow, uint64_t syncLatency)
    : numKernels_(numKernels), numWorkers_(numWorkers), syncLatency_(syncLatency) {
  const uint64_t ring = std::bit_ceil(std::max<uint64_t>(taskWindow, 1));
  mask_ = ring - 1;
  kernels_.resize(numKernels);
  kernelWorker_.assign(uint64_t{numKernels} * numWorkers, 0);
  try {  // the critical path keeps a length per task_window slot
    pathLen_.assign(ring, 0);
  } catch (const std::bad_alloc&) {
    throw UserError(makeError({}, fmt::format("{} {} needs {} bytes of critical-path records, which do not fit in "
                                              "memory",
                                              knobInfo(ScheduleKnob::TaskWindow).name, taskWindow, ring * 8))
                        .help("lower task_window: it sizes the tables allocated when the run starts"));
  }
  keepKernels_ = ring * std::max<uint64_t>(numKernels, 1) <= kMaxPathCells;
  rows_ = keepKernels_ && numKernels != 0;
  one_ = rows_ && numKernels == 1;
  if (keepKernels_) {
    pathTasks_.assign(ring * numKernels, 0);
    pathCycles_.assign(ring * numKernels, 0);
  }
  bestTasks_.assign(numKernels, 0);
  bestCycles_.assign(numKernels, 0);
}

namespace {
template <class T>
void copyRow(const T* from, T* to, uint32_t n) {
  if (n == 1) *to = *from;  // one kernel: no library call
  else std::copy_n(from, n, to);
}
}  // namespace

namespace {
// Out of line: the message's formatting would give the one-kernel path a stack frame.
[[noreturn, gnu::cold, gnu::noinline]] void outsideRing(uint64_t d, uint64_t id) {
  PTO_UNREACHABLE("producer {} of task {} is outside the profile ring", d, id);
}
}  // namespace

// A plan of one kernel issues nothing but that kernel's tasks and joins: its tasks with
// at most one producer (a grid's, a chain's) take a path of their own, with the general
// one's results, that needs few enough registers to leave the rest of the function (and
// its stack frame) out of the common call.
void Profiler::onIssue(const IssuedTask& t) {
  if (!one_ || t.kernel != 0 || t.structural || t.preds.size() > 1) [[unlikely]]
    return onIssueAny(t);
  KernelProfile& k = kernels_[0];
  ++k.tasks;
  k.cycles += t.cycles;
  if (t.worker < numWorkers_) ++kernelWorker_[t.worker];
  constexpr uint64_t kNone = ~uint64_t{0};
  uint64_t from = kNone, len = 0;
  const uint64_t mask = mask_;
  uint64_t* const pathLen = pathLen_.data();
  if (!t.preds.empty() && t.preds[0] >= t.depFrom) {  // the only producer is the longest path's
    from = t.preds[0];
    if (t.id - from - 1 >= mask) [[unlikely]]  // from < t.id && t.id - from <= mask, in one compare
      outsideRing(from, t.id);
    len = pathLen[from & mask];
  }
  uint32_t* const tasks = pathTasks_.data();
  uint64_t* const cycles = pathCycles_.data();
  uint32_t n = 1;
  uint64_t c = t.cycles;
  if (from != kNone) {
    len += syncLatency_;
    n += tasks[from & mask];
    c += cycles[from & mask];
  }
  len += t.cycles;
  const uint64_t slot = t.id & mask;
  pathLen[slot] = len;
  if (bestInRing_ && (bestTask_ & mask) == slot) [[unlikely]] {
    bestTasks_[0] = tasks[slot];
    bestCycles_[0] = cycles[slot];
    bestInRing_ = false;
  }
  tasks[slot] = n;
  cycles[slot] = c;
  if (bestTask_ == kNone || len > best_) {
    best_ = len;
    bestTask_ = t.id;
    bestInRing_ = true;
  }
}

void Profiler::onIssueAny(const IssuedTask& t) {
  const uint32_t nk = numKernels_;
  const bool counted = !t.structural && t.kernel < nk;
  if (counted) {
    KernelProfile& k = kernels_[t.kernel];
    ++k.tasks;
    k.cycles += t.cycles;
    if (t.worker < numWorkers_) ++kernelWorker_[uint64_t{t.kernel} * numWorkers_ + t.worker];
  }
  // The longest path ending at t extends its longest semantic producer's (ties: the
  // older producer, so the result does not depend on the producers' order). The first
  // semantic producer always wins (len 0, from ~0), so `from` also says whether t has one.
  constexpr uint64_t kNone = ~uint64_t{0};
  uint64_t from = kNone, len = 0;
  const uint64_t* const pathLen = pathLen_.data();
  for (uint64_t d : t.preds) {
    if (d < t.depFrom) continue;
    // d < t.id && t.id - d <= mask_, in one unsigned compare
    PTO_INTERNAL_ASSERT(t.id - d - 1 < mask_, "producer {} of task {} is outside the profile ring", d, t.id);
    const uint64_t l = pathLen[d & mask_];
    if (l > len || (l == len && d < from)) {
      from = d;
      len = l;
    }
  }
  len += t.cycles + (from != kNone && !t.structural ? syncLatency_ : 0);
  const uint64_t slot = t.id & mask_;
  pathLen_[slot] = len;
  if (rows_) {
    // The best path's kernel counts stay in its ring row until the row is reused (a
    // chain finds a new best at every task: copying it out each time cost more than
    // the rest of this function).
    if (bestInRing_ && (bestTask_ & mask_) == slot) {
      copyRow(&pathTasks_[slot * nk], bestTasks_.data(), nk);
      copyRow(&pathCycles_[slot * nk], bestCycles_.data(), nk);
      bestInRing_ = false;
    }
    uint32_t* row = &pathTasks_[slot * nk];
    uint64_t* crow = &pathCycles_[slot * nk];
    if (nk == 1) {  // one kernel: the row is one count and one sum
      uint32_t n = from != kNone ? pathTasks_[from & mask_] : 0;
      uint64_t c = from != kNone ? pathCycles_[from & mask_] : 0;
      if (counted) {
        ++n;
        c += t.cycles;
      }
      *row = n;
      *crow = c;
    } else {
      if (from != kNone) {
        copyRow(&pathTasks_[(from & mask_) * nk], row, nk);
        copyRow(&pathCycles_[(from & mask_) * nk], crow, nk);
      } else {
        std::fill_n(row, nk, 0);
        std::fill_n(crow, nk, 0);
      }
      if (counted) {
        ++row[t.kernel];
        crow[t.kernel] += t.cycles;
      }
    }
  }
  if (bestTask_ == kNone || len > best_) {
    best_ = len;
    bestTask_ = t.id;
    bestInRing_ = rows_;
  }
}

RunProfile Profiler::profile() const {
  RunProfile p;
  p.kernels = kernels_;
  for (uint32_t k = 0; k < numKernels_; ++k)
    p.kernels[k].workerTasks.assign(kernelWorker_.begin() + uint64_t{k} * numWorkers_,
                                    kernelWorker_.begin() + uint64_t{k + 1} * numWorkers_);
  p.critical.cycles = best_;
  p.critical.kernelsKnown = keepKernels_;
  if (keepKernels_) {
    const uint64_t slot = bestTask_ & mask_;
    const uint32_t* tasks = bestInRing_ ? &pathTasks_[slot * numKernels_] : bestTasks_.data();
    const uint64_t* cycles = bestInRing_ ? &pathCycles_[slot * numKernels_] : bestCycles_.data();
    p.critical.kernelTasks.assign(tasks, tasks + numKernels_);
    p.critical.kernelCycles.assign(cycles, cycles + numKernels_);
    for (uint32_t n : p.critical.kernelTasks) p.critical.tasks += n;
  }
  return p;
}

std::string idRanges(std::span<const uint64_t> v) {
  std::string out;
  for (size_t i = 0; i < v.size();) {
    if (!v[i]) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j + 1 < v.size() && v[j + 1]) ++j;
    if (!out.empty()) out += ',';
    out += j == i ? fmt::format("{}", i) : fmt::format("{}-{}", i, j);
    i = j + 1;
  }
  return out.empty() ? "-" : out;
}

namespace {

std::string nameOf(std::span<const std::string> names, size_t k) {
  return k < names.size() ? names[k] : fmt::format("k{}", k);
}

double ratio(uint64_t a, uint64_t b) { return b ? static_cast<double>(a) / static_cast<double>(b) : 0.0; }

uint64_t workCycles(const RunProfile& p) {
  uint64_t w = 0;
  for (const KernelProfile& k : p.kernels) w += k.cycles;
  return w;
}

}  // namespace

std::string workersText(const RunStats& s) {
  std::string out = fmt::format("  {:<8} {:>10} {:>14} {:>12}\n", "worker", "tasks", "busy_cycles", "utilisation");
  for (size_t w = 0; w < s.workers.size(); ++w)
    out += fmt::format("  {:<8} {:>10} {:>14} {:>11.1f}%\n", w, s.workers[w].tasks, s.workers[w].busyCycles,
                       s.workers[w].utilisation * 100);
  return out;
}

std::string stallsText(const RunStats& s) {
  std::string out = "stalls (issues that waited for a full resource, their cycles, most in use)\n";
  out += fmt::format("  {:<15} {:>10} {:>14} {:>14} {:>14}\n", "resource", "stalls", "cycles", "high_water",
                     "capacity");
  for (size_t r = 0; r < kNumResources; ++r) {
    const ResourceStats& rs = s.resources[r];
    out += fmt::format("  {:<15} {:>10} {:>14} {:>14} {:>14}\n", resourceName(static_cast<Resource>(r)), rs.stalls,
                       rs.stallCycles, rs.highWater, rs.capacity);
  }
  return out;
}

std::string profileText(const RunProfile& p, const RunStats& s, std::span<const std::string> kernelNames) {
  size_t nameW = 6;
  for (size_t k = 0; k < p.kernels.size(); ++k)
    if (p.kernels[k].tasks) nameW = std::max(nameW, nameOf(kernelNames, k).size());
  for (const ChannelProfile& c : p.channels) nameW = std::max(nameW, c.name.size());
  const uint64_t work = workCycles(p);
  std::string out = fmt::format(
      "kernels (mean = cycles / tasks; work% = share of all kernel cycles;\n"
      "         total% = cycles / total_cycles, > 100% when tasks overlap)\n");
  out += fmt::format("  {:<{}} {:>8} {:>12} {:>10} {:>6} {:>7}  {}\n", "kernel", nameW, "tasks", "cycles", "mean",
                     "work%", "total%", "workers");
  for (size_t k = 0; k < p.kernels.size(); ++k) {
    const KernelProfile& kp = p.kernels[k];
    if (!kp.tasks) continue;
    out += fmt::format("  {:<{}} {:>8} {:>12} {:>10} {:>5.1f}% {:>6.1f}%  {}\n", nameOf(kernelNames, k), nameW,
                       kp.tasks, kp.cycles, kp.cycles / kp.tasks, 100 * ratio(kp.cycles, work),
                       100 * ratio(kp.cycles, s.totalCycles), idRanges(kp.workerTasks));
  }
  if (!p.channels.empty()) {
    out += "channels (waits/cycles: sends that found it full, consumes that found it empty)\n";
    out += fmt::format("  {:<{}} {:>4} {:>8} {:>16} {:>16} {:>5}\n", "channel", nameW, "cap", "tokens", "full",
                       "empty", "high");
    for (const ChannelProfile& c : p.channels)
      out += fmt::format("  {:<{}} {:>4} {:>8} {:>16} {:>16} {:>5}\n", c.name, nameW, c.capacity, c.tokens,
                         fmt::format("{}/{}", c.fullWaits, c.fullWaitCycles),
                         fmt::format("{}/{}", c.emptyWaits, c.emptyWaitCycles), c.highWater);
  }
  const CriticalPath& cp = p.critical;
  out += fmt::format("critical_path {} cycles ({:.1f}% of total_cycles)", cp.cycles, 100 * ratio(cp.cycles,
                                                                                                   s.totalCycles));
  if (!cp.kernelsKnown) return out + ": kernels not tracked (task_window x kernels too large)\n";
  out += fmt::format(", {} tasks\n", cp.tasks);
  out += fmt::format("  {:<{}} {:>8} {:>12}\n", "kernel", nameW, "tasks", "cycles");
  for (size_t k = 0; k < cp.kernelTasks.size(); ++k)
    if (cp.kernelTasks[k])
      out += fmt::format("  {:<{}} {:>8} {:>12}\n", nameOf(kernelNames, k), nameW, cp.kernelTasks[k],
                         cp.kernelCycles[k]);
  return out;
}

nlohmann::json profileJson(const RunProfile& p, const RunStats& s, std::span<const std::string> kernelNames) {
  nlohmann::json j;
  const uint64_t work = workCycles(p);
  auto& ks = j["kernels"];
  ks = nlohmann::json::array();
  for (size_t k = 0; k < p.kernels.size(); ++k) {
    const KernelProfile& kp = p.kernels[k];
    if (!kp.tasks) continue;
    nlohmann::json workers = nlohmann::json::array();
    for (size_t w = 0; w < kp.workerTasks.size(); ++w)
      if (kp.workerTasks[w]) workers.push_back({{"worker", w}, {"tasks", kp.workerTasks[w]}});
    ks.push_back({{"name", nameOf(kernelNames, k)},
                  {"tasks", kp.tasks},
                  {"cycles", kp.cycles},
                  {"mean_cycles", ratio(kp.cycles, kp.tasks)},
                  {"share_of_work", ratio(kp.cycles, work)},
                  {"share_of_total", ratio(kp.cycles, s.totalCycles)},
                  {"workers", workers}});
  }
  auto& cs = j["channels"];
  cs = nlohmann::json::array();
  for (const ChannelProfile& c : p.channels)
    cs.push_back({{"name", c.name},
                  {"capacity", c.capacity},
                  {"tokens", c.tokens},
                  {"full_waits", c.fullWaits},
                  {"full_wait_cycles", c.fullWaitCycles},
                  {"empty_waits", c.emptyWaits},
                  {"empty_wait_cycles", c.emptyWaitCycles},
                  {"high_water", c.highWater}});
  auto& cp = j["critical_path"];
  cp["cycles"] = p.critical.cycles;
  cp["share_of_total"] = ratio(p.critical.cycles, s.totalCycles);
  cp["kernels_known"] = p.critical.kernelsKnown;
  if (p.critical.kernelsKnown) {
    cp["tasks"] = p.critical.tasks;
    auto& on = cp["kernels"];
    on = nlohmann::json::array();
    for (size_t k = 0; k < p.critical.kernelTasks.size(); ++k)
      if (p.critical.kernelTasks[k])
        on.push_back({{"name", nameOf(kernelNames, k)},
                      {"tasks", p.critical.kernelTasks[k]},
                      {"cycles", p.critical.kernelCycles[k]}});
  }
  return j;
}

}  // namespace pto::wsp::rt
