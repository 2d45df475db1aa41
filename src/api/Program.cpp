// Program handle: runtime values (symbols, slots, tensor bindings), execute/synchronize on
// a background thread, dry runs, results. compile() lives in ProgramCompile.cpp.
#include "ProgramImpl.h"

#include "DeadlockAdvice.h"
#include "pto/wsp/api/CallSite.h"
#include "pto/wsp/artifact/AtomicFile.h"
#include "pto/wsp/runtime/DeadlockReport.h"
#include "pto/wsp/support/Assert.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <chrono>

namespace pto::wsp {

namespace {

using Clock = std::chrono::steady_clock;
double nowMs() {
  return std::chrono::duration<double, std::milli>(Clock::now().time_since_epoch()).count();
}

SourceLoc callLoc(const std::source_location& sl, const Program::Impl& impl, std::string_view what) {
  SourceLoc loc = callSiteOr(sl);
  loc.context = fmt::format("program '{}' > {}", impl.module.name, what);
  return loc;
}

template <class Names>
std::string quotedList(const Names& names) {
  std::string s;
  for (const auto& n : names) s += (s.empty() ? "'" : ", '") + std::string(n) + "'";
  return s.empty() ? "(none)" : s;
}

// Element count a tensor's memory must hold at the given symbol values; nullopt when a
// dimension depends on a symbol without a value yet.
std::optional<uint64_t> requiredElements(const ir::Tensor& t, const ir::Env& env) {
  std::optional<std::vector<int64_t>> shape;
  try {
    shape = t.staticShape(env);
  } catch (const UserError&) {
    return std::nullopt;
  }
  if (!shape) return std::nullopt;
  uint64_t n = 1;
  for (int64_t d : *shape) {
    if (d <= 0) return 0;
    n *= static_cast<uint64_t>(d);
  }
  if (t.strides.empty()) return n;
  uint64_t last = 0;  // offset of the last element + 1 for an explicit layout
  for (size_t i = 0; i < shape->size() && i < t.strides.size(); ++i)
    last += static_cast<uint64_t>((*shape)[i] - 1) * static_cast<uint64_t>(t.strides[i]);
  return last + 1;
}

}  // namespace

void Program::Impl::initRuntimeValues() {
  symbols.assign(plan.symbols.size(), 0);
  symbolSet.assign(plan.symbols.size(), false);
  for (size_t i = 0; i < plan.symbols.size(); ++i) {
    symbols[i] = plan.symbols[i].defaultValue;
    const ir::SymbolDecl* d = module.findSymbol(plan.symbols[i].name);
    symbolSet[i] = d == nullptr || d->value.has_value();
  }
  slotInit.assign(plan.slots.size(), 0);
  slotSet.assign(plan.slots.size(), 0);
  for (size_t i = 0; i < plan.slots.size(); ++i)
    if (const ir::SlotDecl* d = module.findSlot(plan.slots[i].name)) slotInit[i] = d->init;
  tensorBase.assign(plan.tensors.size(), nullptr);
  boundBytes.assign(plan.tensors.size(), 0);
  finalSlots = slotInit;
}

std::exception_ptr Program::Impl::join() {
  if (!worker.joinable()) return nullptr;
  worker.join();
  std::exception_ptr e = std::exchange(error, nullptr);
  if (running) {
    recordRun(std::move(*running), /*dryRun=*/false, nowMs() - runStartMs);
    running.reset();
  }
  return e;
}

detail::RunOutputs Program::Impl::run(const detail::RunInputs& in) const {
  try {
    return detail::runPlan(plan, kernels, kernelNames, in);
  } catch (const rt::DeadlockError& d) {
    // Every suggested knob is tried before it is printed (docs/runtime.md, "Deadlock advice").
    rt::DeadlockReport r = d.report();
    detail::checkDeadlockAdvice(r, plan, kernels, kernelNames, in);
    throw rt::DeadlockError(std::move(r));
  }
}

void Program::Impl::recordRun(detail::RunOutputs&& out, bool dryRun, double executeMs) {
  stats.run = out.stats;
  stats.totalCycles = out.stats.totalCycles;
  stats.tasks = out.stats.tasks;
  stats.profile = std::move(out.profile);
  stats.graphWritten = out.graph.has_value();
  stats.graphTasks = out.graph ? out.graph->tasks.size() : 0;
  stats.dryRun = dryRun;
  stats.executeMs = executeMs;
  finalSlots = std::move(out.slots);
  lastSlotLoads = std::move(out.slotLoads);
  hasRun = true;
}

Program::Impl::~Impl() {
  if (worker.joinable()) worker.join();
}

Program::Program(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Program::Program(Program&&) noexcept = default;
Program& Program::operator=(Program&&) noexcept = default;
Program::~Program() = default;

const artifact::Manifest& Program::manifest() const { return impl_->manifest; }
const std::filesystem::path& Program::packageDir() const { return impl_->dir; }
const abi::Plan& Program::plan() const { return impl_->plan; }
const ir::Module& Program::module() const { return impl_->module; }
const std::vector<Diagnostic>& Program::warnings() const { return impl_->warnings; }

namespace {

size_t findIndex(const auto& table, std::string_view name) {
  for (size_t i = 0; i < table.size(); ++i)
    if (table[i].name == name) return i;
  return table.size();
}

// Index of the symbol / slot `name`, or a located error listing the known ones.
size_t namedIndex(const Program::Impl& im, const auto& table, std::string_view name, std::string_view kind,
                  std::string_view call, const std::source_location& where) {
  const size_t i = findIndex(table, name);
  if (i < table.size()) return i;
  std::vector<std::string> names;
  for (const auto& s : table) names.push_back(s.name);
  throw UserError(makeError(callLoc(where, im, call), fmt::format("module '{}' has no {} '{}'", im.module.name, kind, name))
                      .help(fmt::format("known {}s: {}", kind, quotedList(names))));
}

ir::Env symbolEnv(const Program::Impl& impl) {
  ir::Env env;
  for (size_t i = 0; i < impl.plan.symbols.size(); ++i)
    if (impl.symbolSet[i]) env.symbols[impl.plan.symbols[i].name] = impl.symbols[i];
  return env;
}

// Problems with the binding of plan tensor `i` at the current symbol values ("" = none).
std::string bindingProblem(const Program::Impl& impl, size_t i, size_t bytes) {
  const ir::Tensor* t = impl.module.findTensor(impl.plan.tensors[i].name);
  PTO_INTERNAL_ASSERT(t != nullptr, "plan tensor '{}' has no declaration", impl.plan.tensors[i].name);
  const uint64_t elem = ir::dtypeBytes(t->dtype);
  if (bytes % elem != 0)
    return fmt::format("buffer for tensor '{}' ({} {}) is {} bytes, not a multiple of the {}-byte element", t->name,
                       t->shapeStr(), ir::dtypeName(t->dtype), bytes, elem);
  std::optional<uint64_t> need = requiredElements(*t, symbolEnv(impl));
  if (need && bytes < *need * elem)
    return fmt::format("buffer for tensor '{}' ({}) is {} bytes, expected {} bytes ({} elements of {} bytes)",
                       t->name, t->shapeStr(), bytes, *need * elem, *need, elem);
  return {};
}

std::vector<std::string> bindableNames(const Program::Impl& impl) {
  std::vector<std::string> names;
  for (const auto& t : impl.plan.tensors)
    if (!t.runtimeManaged) names.push_back(t.name);
  return names;
}

}  // namespace

void Program::bind(std::string_view tensor, void* data, size_t bytes, std::source_location where) {
  Impl& im = *impl_;
  const size_t i = findIndex(im.plan.tensors, tensor);
  if (i == im.plan.tensors.size())
    throw UserError(makeError(callLoc(where, im, "bind"),
                              fmt::format("module '{}' has no tensor '{}'", im.module.name, tensor))
                        .help("bindable tensors: " + quotedList(bindableNames(im))));
  if (im.plan.tensors[i].runtimeManaged)
    throw UserError(makeError(callLoc(where, im, "bind"),
                              fmt::format("tensor '{}' is a temp: the runtime places it, it cannot be bound", tensor))
                        .help("bind only inputs and outputs: " + quotedList(bindableNames(im))));
  if (data == nullptr && bytes != 0)
    throw UserError(makeError(callLoc(where, im, "bind"), fmt::format("null pointer bound to tensor '{}'", tensor))
                        .help("pass the address of the caller-owned buffer"));
  if (std::string p = bindingProblem(im, i, bytes); !p.empty()) {
    const ir::Tensor* t = im.module.findTensor(tensor);
    throw UserError(makeError(callLoc(where, im, "bind"), p)
                        .note(fmt::format("tensor '{}' is declared here", tensor), t->loc)
                        .help("allocate shape x element size bytes at the current symbol values"));
  }
  im.tensorBase[i] = data;
  im.boundBytes[i] = bytes;
}

void Program::setSymbol(std::string_view name, int64_t value, std::source_location where) {
  Impl& im = *impl_;
  const size_t i = namedIndex(im, im.plan.symbols, name, "symbol", "setSymbol", where);
  im.symbols[i] = value;
  im.symbolSet[i] = true;
}

void Program::setSlot(std::string_view name, uint64_t value, std::source_location where) {
  Impl& im = *impl_;
  const size_t i = namedIndex(im, im.plan.slots, name, "slot", "setSlot", where);
  im.slotInit[i] = value;
  im.slotSet[i] = 1;
}

void Program::recordSlotLoads(bool on) { impl_->recordSlots = on; }
const std::vector<rt::SlotLoad>& Program::slotLoads() const { return impl_->lastSlotLoads; }
void Program::replaySlotLoads(std::vector<rt::SlotLoad> loads) {
  Impl& im = *impl_;
  for (const rt::SlotLoad& l : loads)
    if (l.slot >= im.plan.slots.size())
      throw UserError(makeError(SourceLoc{im.module.loc.file, 0, 0, fmt::format("program '{}' > replaySlotLoads", im.module.name)},
                                fmt::format("a replayed slot load names slot {}, the plan has {} slots", l.slot,
                                            im.plan.slots.size()))
                          .help("replay slot loads recorded from the same package"));
  im.replay = loads.empty() ? nullptr : std::make_shared<const std::vector<rt::SlotLoad>>(std::move(loads));
}

void Program::setThreads(unsigned n) { impl_->threads = n; }
void Program::setWatchdog(uint32_t ms) { impl_->watchdogMs = ms; }

namespace {

// Checks everything a run needs and snapshots it.
detail::RunInputs runInputs(const Program::Impl& im, bool dryRun, const SourceLoc& loc) {
  std::vector<Diagnostic> errs;
  for (size_t i = 0; i < im.plan.symbols.size(); ++i)
    if (!im.symbolSet[i]) {
      const ir::SymbolDecl* d = im.module.findSymbol(im.plan.symbols[i].name);
      errs.push_back(makeError(loc, fmt::format("symbol '{}' has no value", im.plan.symbols[i].name))
                         .note("declared here without a default", d ? d->loc : SourceLoc{})
                         .help(fmt::format("call setSymbol(\"{}\", value) first", im.plan.symbols[i].name)));
    }
  if (!errs.empty()) throw UserError(std::move(errs));
  std::vector<std::string> unbound;
  for (size_t i = 0; i < im.plan.tensors.size(); ++i) {
    const abi::PlanTensor& pt = im.plan.tensors[i];
    if (pt.runtimeManaged) continue;  // placed in the heap arena by the PlanInterpreter
    if (im.tensorBase[i] == nullptr) {
      if (!dryRun) unbound.push_back(pt.name);
      continue;
    }
    if (std::string p = bindingProblem(im, i, im.boundBytes[i]); !p.empty())
      errs.push_back(makeError(loc, p + " at the current symbol values")
                         .help("re-bind a larger buffer after changing symbols"));
  }
  if (!unbound.empty())
    errs.push_back(makeError(loc, fmt::format("{} tensor{} not bound: {}", unbound.size(),
                                              unbound.size() == 1 ? " is" : "s are", quotedList(unbound)))
                       .help("bind every input and output with Program::bind(name, data, bytes) before execute(); "
                             "temps are placed by the runtime"));
  if (!errs.empty()) throw UserError(std::move(errs));

  detail::RunInputs in;
  in.symbols = im.symbols;
  in.slots = im.slotInit;
  in.tensorBase = im.tensorBase;
  in.threads = im.threads != 0 ? im.threads : std::max(1u, std::thread::hardware_concurrency());
  in.watchdogMs = im.watchdogMs;
  in.dryRun = dryRun;
  in.tracePath = im.tracePath;
  in.clockGhz = im.clockGhz;
  in.graphPath = im.graphPath;
  in.graphTasks = im.graphTasks;
  in.heldSlots = im.slotSet;
  in.replay = im.replay;
  return in;
}

// The run this Program owns (execute, dryRun) reports progress and can be cancelled;
// dryRunWith's concurrent sweeps do neither.
detail::RunInputs ownedRunInputs(Program::Impl& im, bool dryRun, const SourceLoc& loc) {
  detail::RunInputs in = runInputs(im, dryRun, loc);
  in.progress = &im.issued;
  im.issued.store(0, std::memory_order_relaxed);
  im.cancelRequested.store(false);
  in.cancel = &im.cancelRequested;
  in.recordSlotLoads = im.recordSlots;
  return in;
}

}  // namespace

void Program::execute() {
  Impl& im = *impl_;
  const SourceLoc loc{im.module.loc.file, 0, 0, fmt::format("program '{}' > execute", im.module.name)};
  if (im.worker.joinable())
    throw UserError(makeError(loc, "execute() called while the previous run is still in flight")
                        .help("call synchronize() before starting the next run"));
  detail::RunInputs in = ownedRunInputs(im, /*dryRun=*/false, loc);
  im.runStartMs = nowMs();
  im.error = nullptr;
  im.running.reset();
  im.worker = std::thread([&im, in = std::move(in)] {
    try {
      im.running = im.run(in);
    } catch (const rt::DeadlockError& d) {
      // A kernel that never returned is still running in the library: never unmap it.
      if (d.report().clock == rt::DeadlockReport::Clock::Host) im.library.pin();
      im.error = std::current_exception();
    } catch (...) {
      im.error = std::current_exception();
    }
  });
}

void Program::synchronize() {
  if (std::exception_ptr e = impl_->join()) std::rethrow_exception(e);
}

void Program::cancel() { impl_->cancelRequested.store(true); }

ProgramStats Program::dryRun() {
  Impl& im = *impl_;
  const SourceLoc loc{im.module.loc.file, 0, 0, fmt::format("program '{}' > dryRun", im.module.name)};
  if (im.worker.joinable())
    throw UserError(makeError(loc, "dryRun() called while a run is in flight")
                        .help("call synchronize() first"));
  const double t0 = nowMs();
  detail::RunOutputs out = im.run(ownedRunInputs(im, true, loc));
  im.recordRun(std::move(out), /*dryRun=*/true, nowMs() - t0);
  return stats();
}

ProgramStats Program::dryRunWith(const abi::ScheduleConfig& schedule, std::span<const uint32_t> channelCapacity) const {
  const Impl& im = *impl_;
  const SourceLoc loc{im.module.loc.file, 0, 0, fmt::format("program '{}' > dryRunWith", im.module.name)};
  if (std::string bad = abi::checkSchedule(schedule); !bad.empty())
    throw UserError(makeError(loc, bad).help("choose schedule knobs within their bounds (docs/wsp-format.md)"));
  if (!channelCapacity.empty() && channelCapacity.size() != im.plan.channels.size())
    throw UserError(makeError(loc, fmt::format("{} channel capacities given, the plan has {} channels",
                                               channelCapacity.size(), im.plan.channels.size()))
                        .help("give one capacity per plan channel, or none"));
  for (size_t c = 0; c < channelCapacity.size(); ++c)
    if (channelCapacity[c] < 1)
      throw UserError(makeError(loc, fmt::format("channel '{}' capacity is 0, expected at least 1",
                                                 im.plan.channels[c].name))
                          .help("a channel holds at least one token"));
  detail::RunInputs in = runInputs(im, /*dryRun=*/true, loc);
  in.tracePath.clear();
  abi::Plan plan = im.plan;  // one copy per run: concurrent runs never share a mutable plan
  plan.schedule = schedule;
  for (size_t c = 0; c < channelCapacity.size(); ++c) plan.channels[c].capacity = channelCapacity[c];
  const double t0 = nowMs();
  // Deadlock reports are located from the plan's location table (kept in the copy).
  detail::RunOutputs out = detail::runPlan(plan, im.kernels, im.kernelNames, in);
  ProgramStats s;
  s.run = out.stats;
  s.totalCycles = out.stats.totalCycles;
  s.tasks = out.stats.tasks;
  s.dryRun = true;
  s.executeMs = nowMs() - t0;
  s.compileMs = im.compileMs;
  return s;
}

ProgramStats Program::stats() const {
  ProgramStats s = impl_->stats;
  s.compileMs = impl_->compileMs;
  s.compilerInvocations = impl_->compilerInvocations;
  s.compilePhasesMs = impl_->compilePhases;
  return s;
}

uint64_t Program::slot(std::string_view name, std::source_location where) const {
  const Impl& im = *impl_;
  const size_t i = namedIndex(im, im.plan.slots, name, "slot", "slot", where);
  return i < im.finalSlots.size() ? im.finalSlots[i] : im.slotInit[i];
}

void Program::traceTo(const std::filesystem::path& out) {
  namespace fs = std::filesystem;
  Impl& im = *impl_;
  if (out.empty()) {
    im.tracePath.clear();
    return;
  }
  // Checked now, so a bad path fails before a long run rather than after it.
  const fs::path dir = out.has_parent_path() ? out.parent_path() : fs::path(".");
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    throw UserError(makeError(SourceLoc{out.string(), 0, 0, fmt::format("program '{}' > trace", im.module.name)},
                              fmt::format("cannot write the trace: directory '{}' does not exist", dir.string()))
                        .help("create the directory first or choose another --trace path"));
  im.tracePath = out;
}

void Program::graphTo(const std::filesystem::path& out, uint64_t maxTasks) {
  namespace fs = std::filesystem;
  Impl& im = *impl_;
  if (out.empty()) {
    im.graphPath.clear();
    return;
  }
  const SourceLoc loc{out.string(), 0, 0, fmt::format("program '{}' > graph", im.module.name)};
  const fs::path dir = out.has_parent_path() ? out.parent_path() : fs::path(".");
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    throw UserError(makeError(loc, fmt::format("cannot write the task graph: directory '{}' does not exist",
                                               dir.string()))
                        .help("create the directory first or choose another --graph path"));
  if (maxTasks == 0)
    throw UserError(makeError(loc, "the task graph's task limit is 0").help("pass a limit of at least 1 task"));
  im.graphPath = out;
  im.graphTasks = maxTasks;
}

uint64_t Program::tasksIssued() const { return impl_->issued.load(std::memory_order_relaxed); }

}  // namespace pto::wsp
