// Schedule sweeps (api/Sweep.h): value parsing, the parallel dry runs, the sort and the
// Pareto front of total_cycles against the resources a point uses.
#include "pto/wsp/api/Sweep.h"

#include "pto/wsp/ir/Verifier.h"
#include "pto/wsp/runtime/DeadlockReport.h"

#include <fmt/format.h>
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <charconv>
#include <numeric>
#include <thread>

namespace pto::wsp {

namespace {

constexpr std::string_view kKeylessPolicies[] = {"round_robin", "least_loaded"};

bool keyedPolicy(std::string_view p) { return p == "hash" || p == "affinity" || p == "custom"; }

std::vector<std::string> legalPolicies(const abi::Plan& plan) {
  std::vector<std::string> out(std::begin(kKeylessPolicies), std::end(kKeylessPolicies));
  // The compiled plan carries a dispatch key only when its own policy uses one.
  if (keyedPolicy(plan.schedule.dispatch))
    for (std::string_view p : {"hash", "affinity", "custom"}) out.emplace_back(p);
  return out;
}

std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (const std::string& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

bool parseU64(std::string_view t, uint64_t& out) {
  if (t.empty()) return false;
  auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), out);
  return ec == std::errc() && p == t.data() + t.size();
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (size_t i = 0; i <= s.size(); ++i)
    if (i == s.size() || s[i] == sep) {
      out.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  return out;
}

[[noreturn]] void varyError(const SourceLoc& loc, std::string msg, std::string help) {
  throw UserError(makeError(loc, std::move(msg)).help(std::move(help)));
}

}  // namespace

std::string SweepAxis::valueText(size_t i) const {
  return knob == SweepKnob::Dispatch ? policies.at(i) : std::to_string(values.at(i));
}

SweepAxis parseSweepAxis(const abi::Plan& plan, std::string_view text, const SourceLoc& loc) {
  const size_t eq = text.find('=');
  const std::string knobs = "task_window, dispatch, workers, channel.NAME.capacity";
  if (eq == std::string_view::npos || eq == 0)
    varyError(loc, fmt::format("--vary '{}' is not KNOB=VALUES", text),
              fmt::format("write e.g. --vary workers=2..16 or --vary task_window=4,8,16; knobs: {}", knobs));
  SweepAxis a;
  a.name = std::string(text.substr(0, eq));
  const std::string_view values = text.substr(eq + 1);
  uint64_t lo = 1, hi = 0;
  std::string unit;
  if (a.name == "task_window") {
    a.knob = SweepKnob::TaskWindow;
    lo = knobInfo(ScheduleKnob::TaskWindow).min;
    hi = knobInfo(ScheduleKnob::TaskWindow).max;
    unit = "tasks";
  } else if (a.name == "workers") {
    a.knob = SweepKnob::Workers;
    lo = knobInfo(ScheduleKnob::Workers).min;
    hi = static_cast<uint64_t>(ir::kMaxDispatchWorkers);
    unit = "workers";
  } else if (a.name == "dispatch") {
    a.knob = SweepKnob::Dispatch;
  } else if (a.name.starts_with("channel.") && a.name.ends_with(".capacity") &&
             a.name.size() > std::string_view("channel..capacity").size()) {
    a.knob = SweepKnob::ChannelCapacity;
    const std::string ch = a.name.substr(8, a.name.size() - 8 - 9);
    auto it = std::find_if(plan.channels.begin(), plan.channels.end(),
                           [&](const abi::PlanChannel& c) { return c.name == ch; });
    if (it == plan.channels.end()) {
      std::vector<std::string> names;
      for (const abi::PlanChannel& c : plan.channels) names.push_back(c.name);
      varyError(loc, fmt::format("--vary {}: the workload has no channel '{}'", a.name, ch),
                names.empty() ? std::string("this workload declares no channels")
                              : fmt::format("its channels: {}", joined(names)));
    }
    a.channel = static_cast<uint32_t>(it - plan.channels.begin());
    lo = 1;
    hi = 0xffffffffull;
    unit = "tokens";
  } else {
    varyError(loc, fmt::format("--vary: unknown schedule knob '{}'", a.name),
              fmt::format("knobs a sweep varies: {} (the .wsp schedule's names)", knobs));
  }
  if (values.empty())
    varyError(loc, fmt::format("--vary {}: no values", a.name), "give values after '=', e.g. 1,2,4 or 2..16");

  if (a.knob == SweepKnob::Dispatch) {
    const std::vector<std::string> legal = legalPolicies(plan);
    for (std::string_view v : split(values, ',')) {
      if (std::find(legal.begin(), legal.end(), v) == legal.end()) {
        std::string help = fmt::format("dispatch takes {}", joined(legal));
        if (keyedPolicy(v) && !keyedPolicy(plan.schedule.dispatch))
          help += fmt::format("; '{}' needs a dispatch key, which the schedule's {} has not", v, plan.schedule.dispatch);
        varyError(loc, fmt::format("--vary dispatch: '{}' is not a policy this plan can switch to", v), help);
      }
      if (std::find(a.policies.begin(), a.policies.end(), v) != a.policies.end())
        varyError(loc, fmt::format("--vary dispatch: '{}' is given twice", v), "list each value once");
      a.policies.emplace_back(v);
    }
    return a;
  }
  const std::string range = fmt::format("{} takes integers in {} .. {} ({}): a list such as 2,4,8 or a range "
                                        "such as 2..16", a.name, lo, hi, unit);
  for (std::string_view item : split(values, ',')) {
    uint64_t first = 0, last = 0;
    const size_t dots = item.find("..");
    const bool ok = dots == std::string_view::npos
                        ? parseU64(item, first) && (last = first, true)
                        : parseU64(item.substr(0, dots), first) && parseU64(item.substr(dots + 2), last);
    if (!ok) varyError(loc, fmt::format("--vary {}: '{}' is not an integer or a range lo..hi", a.name, item), range);
    if (first > last)
      varyError(loc, fmt::format("--vary {}: range {} is empty ({} > {})", a.name, item, first, last), range);
    for (uint64_t v : {first, last})
      if (v < lo || v > hi) varyError(loc, fmt::format("--vary {}: {} is out of range", a.name, v), range);
    if (last - first >= kMaxSweepAxisValues || a.values.size() + (last - first + 1) > kMaxSweepAxisValues)
      varyError(loc, fmt::format("--vary {}: more than {} values", a.name, kMaxSweepAxisValues),
                "sweep a coarser list of values");
    for (uint64_t v = first; v <= last; ++v) {
      if (std::find(a.values.begin(), a.values.end(), v) != a.values.end())
        varyError(loc, fmt::format("--vary {}: {} is given twice", a.name, v), "list each value once");
      a.values.push_back(v);
    }
  }
  return a;
}

namespace {

// Resources a point uses, compared for the sort (fewer first) and the Pareto front.
std::vector<uint64_t> resources(const SweepPoint& p) {
  std::vector<uint64_t> r{p.schedule.workers, p.schedule.taskWindow};
  r.insert(r.end(), p.channelCapacity.begin(), p.channelCapacity.end());
  return r;
}

// a dominates b: no slower, no resource larger, and better in at least one of them.
bool dominates(const SweepPoint& a, const SweepPoint& b) {
  const std::vector<uint64_t> ra = resources(a), rb = resources(b);
  bool strict = a.stats.totalCycles < b.stats.totalCycles;
  if (a.stats.totalCycles > b.stats.totalCycles) return false;
  for (size_t i = 0; i < ra.size(); ++i) {
    if (ra[i] > rb[i]) return false;
    strict |= ra[i] < rb[i];
  }
  return strict;
}

}  // namespace

SweepResult sweepSchedules(const Program& p, std::vector<SweepAxis> axes, unsigned threads) {
  const SourceLoc loc{"<command line>", 0, 0, "--vary"};
  const abi::Plan& plan = p.plan();
  SweepResult r;
  size_t total = 1;
  for (size_t i = 0; i < axes.size(); ++i) {
    for (size_t j = 0; j < i; ++j)
      if (axes[j].name == axes[i].name)
        varyError(loc, fmt::format("--vary {} is given twice", axes[i].name), "give each knob one --vary with all its values");
    if (axes[i].size() == 0) varyError(loc, fmt::format("--vary {}: no values", axes[i].name), "give at least one value");
    if (total > kMaxSweepPoints / axes[i].size())
      varyError(loc, fmt::format("the sweep has more than {} points", kMaxSweepPoints),
                "vary fewer knobs or fewer values per knob");
    total *= axes[i].size();
  }

  r.points.resize(total);
  for (size_t n = 0; n < total; ++n) {
    SweepPoint& pt = r.points[n];
    pt.schedule = plan.schedule;
    for (const abi::PlanChannel& c : plan.channels) pt.channelCapacity.push_back(c.capacity);
    pt.index.resize(axes.size());
    size_t rest = n;  // the last axis varies fastest
    for (size_t i = axes.size(); i-- > 0;) {
      const size_t k = rest % axes[i].size();
      rest /= axes[i].size();
      pt.index[i] = k;
      const SweepAxis& a = axes[i];
      switch (a.knob) {
        case SweepKnob::TaskWindow: pt.schedule.taskWindow = static_cast<uint32_t>(a.values[k]); break;
        case SweepKnob::Workers: pt.schedule.workers = static_cast<uint32_t>(a.values[k]); break;
        case SweepKnob::Dispatch: pt.schedule.dispatch = a.policies[k]; break;
        case SweepKnob::ChannelCapacity: pt.channelCapacity[a.channel] = static_cast<uint32_t>(a.values[k]); break;
      }
    }
  }

  const unsigned n = threads != 0 ? threads : std::max(1u, std::thread::hardware_concurrency());
  tbb::task_arena arena(static_cast<int>(n));
  arena.execute([&] {
    tbb::parallel_for(tbb::blocked_range<size_t>(0, total, 1), [&](const tbb::blocked_range<size_t>& br) {
      for (size_t i = br.begin(); i != br.end(); ++i) {
        SweepPoint& pt = r.points[i];
        try {
          pt.stats = p.dryRunWith(pt.schedule, pt.channelCapacity);
        } catch (const rt::DeadlockError& d) {
          const std::string t = d.report().text();
          pt.error = "deadlock: " + t.substr(0, t.find('\n'));
        } catch (const UserError& e) {
          pt.error = e.what();
        }
        for (const rt::ResourceStats& rs : pt.stats.run.resources) {
          pt.stallCount += rs.stalls;
          pt.stallCycles += rs.stallCycles;
        }
        double u = 0;
        for (const rt::WorkerStats& w : pt.stats.run.workers) u += w.utilisation;
        pt.utilisation = pt.stats.run.workers.empty() ? 0 : u / static_cast<double>(pt.stats.run.workers.size());
      }
    });
  });

  std::stable_sort(r.points.begin(), r.points.end(), [](const SweepPoint& a, const SweepPoint& b) {
    if (a.error.empty() != b.error.empty()) return a.error.empty();
    if (a.stats.totalCycles != b.stats.totalCycles) return a.stats.totalCycles < b.stats.totalCycles;
    const std::vector<uint64_t> ra = resources(a), rb = resources(b);
    if (ra != rb) return ra < rb;
    return a.index < b.index;
  });
  // Sorted by cycles, so a dominating point comes earlier (or ties on cycles earlier).
  for (size_t i = 0; i < r.points.size() && r.points[i].error.empty(); ++i) {
    bool dominated = false;
    for (size_t j = 0; j < r.points.size() && !dominated && r.points[j].error.empty() &&
                       r.points[j].stats.totalCycles <= r.points[i].stats.totalCycles;
         ++j)
      dominated = j != i && dominates(r.points[j], r.points[i]);
    r.points[i].pareto = !dominated;
  }
  r.axes = std::move(axes);
  return r;
}

}  // namespace pto::wsp
