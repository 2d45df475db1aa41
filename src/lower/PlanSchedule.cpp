// Schedule directives -> PlanSchedule + channel sizes; every directive's features are
// checked against the target's capability matrix. Later directives win.
#include "PlanLoweringImpl.h"

#include "pto/wsp/support/Diagnostic.h"

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
  abi::PlanSchedule& s = plan.schedule;
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
          s.workers = checked<uint32_t>(*c, 1, d.loc, "dispatch workers");
        }
        break;
      }
      case ir::DirectiveKind::TaskWindow: s.taskWindow = checked<uint32_t>(d.size, 1, d.loc, "task_window"); break;
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
        if (d.target == "tensormap") s.tensorMapCapacity = checked<uint32_t>(d.size, 1, d.loc, "pool tensormap");
        else if (d.target == "deplist") s.depListCapacity = checked<uint32_t>(d.size, 1, d.loc, "pool deplist");
        else if (d.target == "heap") s.heapBytes = checked<uint64_t>(d.size, 0, d.loc, "pool heap");
        else if (d.target == "ready_queue") s.readyQueueCapacity = checked<uint32_t>(d.size, 1, d.loc, "pool ready_queue");
        break;
      case ir::DirectiveKind::Streams:
      case ir::DirectiveKind::StreamBy:
      case ir::DirectiveKind::Timing: break;  // recorded: only the features list carries them
    }
  }
}

}  // namespace pto::wsp::lower::detail
