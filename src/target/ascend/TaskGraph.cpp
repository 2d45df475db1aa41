// Plan expansion through the runtime core (TaskGraph.h). A recording TaskSink collects
// what the Engine hands a host executor; tensors are bound to disjoint fake base
// addresses so that each argument word decodes back to (tensor, element offset). The
// resources are made larger than any graph pto-runtime accepts, so the Engine never
// retires a task physically and hands over every producer (a retired producer would be
// skipped: the host had finished it, a static graph has not).
#include "TaskGraph.h"

#include "pto/wsp/runtime/PlanInterpreter.h"
#include "pto/wsp/runtime/TaskSink.h"
#include "pto/wsp/support/Assert.h"

#include <fmt/format.h>

#include <algorithm>
#include <functional>

namespace pto::wsp::target::ascend {

namespace {

constexpr int kTensorShift = 40;
constexpr uint32_t kMaxExpandedTasks = 1u << 18;  // tensor i lives at (i + 1) << 40: 1 TiB apart

class RecordingSink final : public rt::TaskSink {
 public:
  struct Raw {
    std::vector<uint64_t> args;
    std::vector<uint32_t> preds;
  };
  std::vector<Raw> tasks;
  uint64_t waits = 0;

  rt::WaitStatus submit(const rt::HostTask& t) override {
    PTO_INTERNAL_ASSERT(t.seq == tasks.size(), "task {} submitted out of order", t.seq);
    Raw r{{t.args, t.args + t.numArgs}, {}};
    for (rt::TaskSeq p : t.preds) r.preds.push_back(static_cast<uint32_t>(p));
    std::sort(r.preds.begin(), r.preds.end());
    r.preds.erase(std::unique(r.preds.begin(), r.preds.end()), r.preds.end());
    tasks.push_back(std::move(r));
    return rt::WaitStatus::Ok;
  }
  rt::WaitStatus waitFinished(rt::TaskSeq) override {
    ++waits;
    return rt::WaitStatus::Ok;
  }
  rt::WaitStatus drain() override { return rt::WaitStatus::Ok; }
  rt::HostStallSnapshot stallSnapshot() const override { return {}; }
};

bool readsData(const abi::Bytecode& e) {
  // Load is the only op that reads tensor memory (abi/Plan.h). Decoded op by op, so
  // that an immediate's bytes are never taken for an opcode.
  size_t i = 0;
  while (i < e.code.size()) {
    const auto op = static_cast<abi::BytecodeOp>(e.code[i++]);
    if (op == abi::BytecodeOp::Load) return true;
    if (op == abi::BytecodeOp::Const) i += 8;
    else if (op == abi::BytecodeOp::Sym || op == abi::BytecodeOp::Slot || op == abi::BytecodeOp::Var) i += 4;
  }
  return false;
}

void checkStatic(const abi::PlanNode& n, const SourceLoc& loc) {
  auto refuse = [&](std::string_view what) {
    throw UserError(makeError(loc, fmt::format("the ascend target expands the task table before the run, but the "
                                               "workload {} (data known only while it runs)",
                                               what))
                        .help("compile for cpu_sim, whose runtime core reads the data while it runs"));
  };
  if (n.kind == abi::NodeKind::SlotLoad) refuse("reads a slot from a tensor element");
  for (const abi::Bytecode* e : {&n.expr, &n.value, &n.dispatchKey, &n.row, &n.col})
    if (readsData(*e)) refuse("reads tensor memory in a loop bound, condition or index");
  for (const abi::PlanView& v : n.views)
    for (const abi::Bytecode& e : v.offsets)
      if (readsData(e)) refuse("reads tensor memory in a view offset");
  for (const abi::PlanNode& c : n.children) checkStatic(c, loc);
}

}  // namespace

TaskGraph expandPlan(const abi::Plan& plan, const SourceLoc& loc) {
  for (const abi::PlanProcess& p : plan.processes)
    for (const abi::PlanNode& n : p.body) checkStatic(n, loc);
  RecordingSink sink;
  rt::PlanRunConfig cfg;
  cfg.engine = rt::engineConfigFor(plan.schedule);
  // Twice pto-runtime's 131072 tasks: nothing is retired, every producer is handed over
  // (a bigger graph is refused below; the pools are allocated up front).
  cfg.engine.schedule.taskWindow = kMaxExpandedTasks;
  cfg.engine.schedule.tensorMapCapacity = 4 * kMaxExpandedTasks;
  cfg.engine.schedule.depListCapacity = 1u << 26;
  cfg.engine.schedule.readyQueueCapacity = kMaxExpandedTasks;
  cfg.engine.schedule.heapBytes = uint64_t{1} << 46;
  cfg.engine.trace = true;
  cfg.engine.sink = &sink;
  for (size_t i = 0; i < plan.tensors.size(); ++i)
    cfg.tensorBase.push_back(reinterpret_cast<void*>(static_cast<uintptr_t>(i + 1) << kTensorShift));
  rt::PlanInterpreter interp(plan, std::move(cfg));
  rt::PlanRunResult res = interp.runOrThrow();
  // A wait means the Engine retired a task to make room: its later consumers would miss it.
  if (sink.waits != 0)
    throw UserError(makeError(loc, fmt::format("the workload expands to more than the {} tasks (or {} TensorMap entries) "
                                               "the ascend target expands into a task table ({} tasks issued)",
                                               kMaxExpandedTasks, 4 * kMaxExpandedTasks, sink.tasks.size()))
                        .help("split the workload into smaller ones"));

  TaskGraph g;
  g.totalCycles = res.stats.totalCycles;
  g.tasks.resize(sink.tasks.size());
  for (const rt::TraceRecord& r : interp.engine().trace()) {
    GraphTask& t = g.tasks.at(r.task);
    t.kernel = static_cast<int32_t>(r.kernel);
    t.process = r.process;
  }
  for (size_t s = 0; s < sink.tasks.size(); ++s) {
    GraphTask& t = g.tasks[s];
    t.preds = std::move(sink.tasks[s].preds);
    if (t.kernel < 0) continue;
    const std::vector<uint64_t>& w = sink.tasks[s].args;
    size_t i = 0;
    for (const abi::PlanParam& p : plan.kernels.at(t.kernel).params) {
      if (p.kind == abi::ParamKind::Scalar) {
        t.scalars.push_back(w.at(i++));
        continue;
      }
      const uint64_t base = w.at(i);
      const uint32_t tensor = static_cast<uint32_t>((base >> kTensorShift) - 1);
      PTO_INTERNAL_ASSERT(tensor < plan.tensors.size(), "argument word {:#x} names no tensor", base);
      const uint64_t bytes = base & ((uint64_t{1} << kTensorShift) - 1);
      const uint64_t eb = plan.tensors[tensor].elemBytes;
      t.tiles.push_back({tensor, static_cast<int64_t>(bytes / eb), static_cast<int64_t>(w.at(i + 1)),
                         static_cast<int64_t>(w.at(i + 2))});
      i += 3;
    }
  }
  return g;
}

}  // namespace pto::wsp::target::ascend
