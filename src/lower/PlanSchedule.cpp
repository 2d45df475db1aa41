// Schedule directives -> PlanSchedule + channel sizes; every directive's features are
// checked against the target's capability matrix. Later directives win.
#include "PlanLoweringImpl.h"

#include "pto/wsp/support/Assert.h"
#include "pto/wsp/support/Diagnostic.h"
#include "pto/wsp/support/ScheduleKnobs.h"

#include <fmt/format.h>

#include <limits>

namespace pto::wsp::lower::detail {

namespace {
// Workers when no dispatch directive says: the arch's vector workers (the class with a
// vector unit and no matrix unit, e.g. AIV on ascend910b), else its largest class.
uint32_t defaultWorkers(const arch::ArchModel& a) {
  uint32_t best = 0;
  for (const auto& wc : a.workers) {
    bool vec = false, mat = false;
    for (const auto& u : wc.units)
      if (const arch::ExecUnit* eu = a.unit(u)) {
        vec |= eu->kind == arch::UnitKind::Vector;
        mat |= eu->kind == arch::UnitKind::Matrix;
      }
    if (vec && !mat && wc.count > 0) return wc.count;
    best = std::max(best, wc.count);
  }
  return best > 0 ? best : 1;
}

// A directive's size against its knob's bounds (support/ScheduleKnobs.h).
template <class T>
T knob(int64_t v, ScheduleKnob k, const SourceLoc& loc) {
  const KnobInfo& info = knobInfo(k);
  if (v < 0 || static_cast<uint64_t>(v) < info.min || static_cast<uint64_t>(v) > info.max)
    throw UserError(makeError(loc, fmt::format("{} is {}, expected {} .. {}", info.name, v, info.min, info.max))
                        .help(fmt::format("choose a {} in range ({})", info.name, info.unit)));
  return static_cast<T>(v);
}

template <class T>
T checked(int64_t v, int64_t lo, const SourceLoc& loc, std::string_view what) {
  const auto hi = static_cast<int64_t>(std::min<uint64_t>(std::numeric_limits<T>::max(), INT64_MAX));
  if (v < lo || v > hi)
    throw UserError(makeError(loc, fmt::format("{} is {}, expected {} .. {}", what, v, lo, hi))
                        .help(fmt::format("choose a {} in range", what)));
  return static_cast<T>(v);
}
}  // namespace

void PlanLowerer::lowerSchedule() {
  abi::ScheduleConfig& s = plan.schedule;
  s.workers = defaultWorkers(a);
  s.dispatch = "round_robin";
  s.issueCycles = a.issueCycles;
  s.syncLatency = a.syncLatency(arch::SyncScope::Task);
  for (const ir::Directive& d : w.schedule.directives) {
    for (const std::string& f : arch::featuresOf(d)) require(f, d.loc);
    switch (d.kind) {
      case ir::DirectiveKind::Dispatch: {
        s.dispatch = d.policy;
        dispatchKey = (d.policy == "custom" || d.policy == "hash" || d.policy == "affinity") ? d.key : ir::Expr{};
        dispatchLoc = d.loc;
        for (const ir::NamedExpr& p : d.params) {
          if (p.name != "workers") continue;
          auto c = ir::asConstInt(p.value);
          if (!c)
            throw UserError(makeError(d.loc, fmt::format("dispatch workers = {} is not a constant",
                                                         ir::toString(p.value)))
                                .help("the worker count is fixed when the plan is built; write an integer"));
          s.workers = knob<uint32_t>(*c, ScheduleKnob::Workers, d.loc);
        }
        break;
      }
      case ir::DirectiveKind::TaskWindow: s.taskWindow = knob<uint32_t>(d.size, ScheduleKnob::TaskWindow, d.loc); break;
      case ir::DirectiveKind::ChannelDefaults:
        for (auto& c : plan.channels) {
          c.capacity = checked<uint32_t>(d.capacity, 1, d.loc, "channel capacity");
          c.latency = checked<uint64_t>(d.latency, 0, d.loc, "channel latency");
        }
        break;
      case ir::DirectiveKind::Channel: {
        auto it = channelIdx.find(d.target);
        if (it == channelIdx.end())
          throw UserError(makeError(d.loc, fmt::format("schedule names channel '{}', which workload '{}' does not "
                                                       "declare", d.target, w.name))
                              .help("declare the channel in the workload or fix the name"));
        plan.channels[it->second].capacity = checked<uint32_t>(d.capacity, 1, d.loc, "channel capacity");
        plan.channels[it->second].latency = checked<uint64_t>(d.latency, 0, d.loc, "channel latency");
        break;
      }
      case ir::DirectiveKind::Pool:
        switch (const KnobInfo* k = poolKnob(d.target); k ? k->knob : ScheduleKnob::Workers) {
          case ScheduleKnob::PoolTensorMap: s.tensorMapCapacity = knob<uint32_t>(d.size, k->knob, d.loc); break;
          case ScheduleKnob::PoolDepList: s.depListCapacity = knob<uint32_t>(d.size, k->knob, d.loc); break;
          case ScheduleKnob::PoolHeap:
            s.heapBytes = knob<uint64_t>(d.size, k->knob, d.loc);
            plan.locations.poolHeap = loc(d.loc);
            break;
          case ScheduleKnob::PoolReadyQueue: s.readyQueueCapacity = knob<uint32_t>(d.size, k->knob, d.loc); break;
          default:
            PTO_INTERNAL_ASSERT(false, "the verifier lets unknown pool resource '{}' through", d.target);
        }
        break;
      case ir::DirectiveKind::Streams:
      case ir::DirectiveKind::StreamBy:
      case ir::DirectiveKind::Timing: break;  // recorded: only the features list carries them
    }
  }
  // A worker is one lane of the arch (docs/wsp-format.md, limits): more workers than
  // lanes would model parallelism the arch does not have.
  uint64_t lanes = 0;
  std::string classes;
  for (const auto& wc : a.workers) {
    lanes += wc.count;
    classes += fmt::format("{}{} x {}", classes.empty() ? "" : ", ", wc.name, wc.count);
  }
  if (lanes > 0 && s.workers > lanes)
    throw UserError(makeError(dispatchLoc.valid() ? dispatchLoc : w.loc,
                              fmt::format("dispatch workers = {} is more than the {} worker lanes of arch {} ({})",
                                          s.workers, lanes, a.name, classes))
                        .help(fmt::format("dispatch to at most {} workers, or compile for an arch with more lanes "
                                          "(ptowsp arch show {})",
                                          lanes, a.name)));
}

}  // namespace pto::wsp::lower::detail
