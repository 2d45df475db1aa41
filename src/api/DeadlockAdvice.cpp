#include "DeadlockAdvice.h"

#include "pto/wsp/support/ScheduleKnobs.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <string_view>

namespace pto::wsp::detail {
namespace {

// Trial values are bounded: the task ring, the TensorMap, the ready queues and a
// channel's slot ring are allocated at their size, so a count knob is tried up to
// 2^20 (or its minimal, if larger); heap bytes up to 4096x the current arena.
constexpr uint64_t kMaxTriedCount = uint64_t{1} << 20;
constexpr uint64_t kHeapTrialFactor = 4096;

// What a knob name of the report sets in a plan: one schedule knob or one channel's capacity.
struct Target {
  std::optional<ScheduleKnob> knob;
  size_t channel = 0;
  uint64_t max = 0;  // the largest value the plan can hold
};

std::optional<Target> targetOf(const abi::Plan& plan, std::string_view name) {
  for (const KnobInfo& k : kScheduleKnobs)
    if (k.name == name) return Target{k.knob, 0, k.max};
  constexpr std::string_view pre = "channel ", post = " capacity";
  if (name.starts_with(pre) && name.ends_with(post) && name.size() > pre.size() + post.size()) {
    const std::string_view ch = name.substr(pre.size(), name.size() - pre.size() - post.size());
    for (size_t i = 0; i < plan.channels.size(); ++i)
      if (plan.channels[i].name == ch) return Target{std::nullopt, i, kU32Max};
  }
  return std::nullopt;
}

void apply(abi::Plan& p, const Target& t, uint64_t v) {
  if (!t.knob) {
    p.channels[t.channel].capacity = static_cast<uint32_t>(v);
    return;
  }
  abi::ScheduleConfig& s = p.schedule;
  const auto u32 = static_cast<uint32_t>(v);
  switch (*t.knob) {
    case ScheduleKnob::Workers: s.workers = u32; break;
    case ScheduleKnob::TaskWindow: s.taskWindow = u32; break;
    case ScheduleKnob::PoolTensorMap: s.tensorMapCapacity = u32; break;
    case ScheduleKnob::PoolDepList: s.depListCapacity = u32; break;
    case ScheduleKnob::PoolHeap: s.heapBytes = v; break;
    case ScheduleKnob::PoolReadyQueue: s.readyQueueCapacity = u32; break;
    case ScheduleKnob::ScopeDepth: s.maxScopeDepth = u32; break;
  }
}

struct Trial {
  bool past = false;
  std::string thenWaits;  // past, but deadlocked later: the first blocked wait
};

class Checker {
 public:
  Checker(const abi::Plan& plan, const std::vector<rt::KernelBinding>& kernels,
          const std::vector<std::string>& kernelNames, const RunInputs& in)
      : plan_(plan), kernels_(kernels), names_(kernelNames), in_(in) {
    // A trial is a plain dry run: it writes no trace or graph, records nothing and does
    // not count as the run's progress (a cancel still stops it).
    in_.dryRun = true;
    in_.tracePath.clear();
    in_.graphPath.clear();
    in_.graphTasks = 0;
    in_.progress = nullptr;
    in_.recordSlotLoads = false;
  }

  Trial run(const std::string& knobName, const Target& t, uint64_t v) const {
    abi::Plan p = plan_;
    apply(p, t, v);
    try {
      runPlan(p, kernels_, names_, in_);
      return {true, {}};
    } catch (const rt::DeadlockError& d) {
      const rt::DeadlockReport& r = d.report();
      for (const rt::Knob& k : r.knobs)
        if (k.name == knobName) return {false, {}};
      Trial tr{true, {}};
      if (!r.blocked.empty())
        tr.thenWaits = fmt::format("process '{}' waits on {}", r.blocked.front().name, r.blocked.front().waitsOn);
      return tr;
    } catch (const UserError&) {
      return {false, {}};  // the value is not usable (a bound, a fit): it does not get past
    }
  }

 private:
  const abi::Plan& plan_;
  const std::vector<rt::KernelBinding>& kernels_;
  const std::vector<std::string>& names_;
  RunInputs in_;
};

void check(rt::Knob& k, const Target& t, const Checker& c) {
  const uint64_t lo0 = std::max<uint64_t>(k.minimal, k.current + 1);
  const uint64_t cur = std::max<uint64_t>(k.current, 1);
  uint64_t bound = t.knob == ScheduleKnob::PoolHeap
                       ? std::max(lo0, cur > t.max / kHeapTrialFactor ? t.max : cur * kHeapTrialFactor)
                       : std::max(lo0, kMaxTriedCount);
  bound = std::min(bound, t.max);
  if (lo0 > bound) {
    k.check = rt::Knob::Check::Fails;
    k.triedUpTo = k.current;
    return;
  }
  // Doubling from the blocked request's bound, then bisection between the last value
  // that failed and the first that got past (the outcome is taken as monotone).
  uint64_t fail = lo0 - 1, v = lo0;
  std::optional<Trial> ok;
  for (;;) {
    Trial tr = c.run(k.name, t, v);
    if (tr.past) {
      ok = std::move(tr);
      break;
    }
    fail = v;
    if (v == bound) break;
    v = v > bound / 2 ? bound : v * 2;
  }
  if (!ok) {
    k.check = rt::Knob::Check::Fails;
    k.triedUpTo = bound;
    return;
  }
  uint64_t pass = v;
  while (pass - fail > 1) {
    const uint64_t mid = fail + (pass - fail) / 2;
    Trial tr = c.run(k.name, t, mid);
    if (tr.past) {
      pass = mid;
      ok = std::move(tr);
    } else {
      fail = mid;
    }
  }
  k.minimal = pass;
  k.check = rt::Knob::Check::Unblocks;
  k.thenWaits = std::move(ok->thenWaits);
}

}  // namespace

void checkDeadlockAdvice(rt::DeadlockReport& r, const abi::Plan& plan, const std::vector<rt::KernelBinding>& kernels,
                         const std::vector<std::string>& kernelNames, const RunInputs& in) {
  if (r.clock != rt::DeadlockReport::Clock::Semantic || r.knobs.empty()) return;
  // Several blocked processes may suggest the same knob: check it once.
  std::vector<rt::Knob> knobs;
  for (rt::Knob& k : r.knobs) {
    auto same = std::find_if(knobs.begin(), knobs.end(), [&](const rt::Knob& o) { return o.name == k.name; });
    if (same == knobs.end())
      knobs.push_back(std::move(k));
    else
      same->minimal = std::max(same->minimal, k.minimal);
  }
  const Checker c(plan, kernels, kernelNames, in);
  bool anyPast = false;
  for (rt::Knob& k : knobs) {
    const std::optional<Target> t = targetOf(plan, k.name);
    if (!t) continue;  // not a plan setting: left unchecked
    check(k, *t, c);
    anyPast = anyPast || k.check == rt::Knob::Check::Unblocks;
  }
  if (anyPast)
    std::erase_if(knobs, [](const rt::Knob& k) { return k.check == rt::Knob::Check::Fails; });
  r.knobs = std::move(knobs);
}

}  // namespace pto::wsp::detail
