// ptowsp tune FILE.wsp|PKG_DIR --vary KNOB=VALUES ... [--target T] [--arch A] [--workload W]
//   [--set S=V ...] [--replay-slots FILE] [--threads N] [--top N] [--json] [--write-best F.wsp [--force]]
//   [--cache-dir DIR]
// Compiles the module once, dry-runs the loaded plan over the product of the varied
// schedule knobs (api/Sweep.h) and prints one row per point, best first, with the Pareto
// front of total_cycles against resources marked. --write-best writes the module with
// the best point's schedule. docs/cli.md ("ptowsp tune").
#include "Command.h"
#include "HostInputs.h"
#include "OpenProgram.h"
#include "Progress.h"

#include "pto/wsp/api/SlotReplay.h"
#include "pto/wsp/arch/ArchRegistry.h"
#include "pto/wsp/api/Sweep.h"
#include "pto/wsp/artifact/AtomicFile.h"
#include "pto/wsp/support/Assert.h"
#include "pto/wsp/ir/text/Printer.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>

namespace pto::wsp::cli {
namespace {

struct TuneOptions {
  std::string file;
  std::vector<std::string> vary;
  std::string target = "cpu_sim";
  bool targetGiven = false;
  std::string arch;
  std::string workload;
  std::vector<std::string> sets;
  std::string replaySlots;
  unsigned threads = 0;
  size_t top = 0;
  bool json = false;
  std::string writeBest;
  bool force = false;
  std::string cacheDir;
};

const SourceLoc kCmdLine{"<command line>", 0, 0, {}};
constexpr unsigned kMaxHostThreads = 1024;

std::string fixedKnobs(const abi::Plan& plan, const std::vector<SweepAxis>& axes) {
  auto varied = [&](std::string_view n) {
    for (const SweepAxis& a : axes)
      if (a.name == n) return true;
    return false;
  };
  std::vector<std::string> parts;
  if (!varied("dispatch")) parts.push_back(fmt::format("dispatch {}", plan.schedule.dispatch));
  if (!varied("workers")) parts.push_back(fmt::format("workers {}", plan.schedule.workers));
  if (!varied("task_window")) parts.push_back(fmt::format("task_window {}", plan.schedule.taskWindow));
  for (const abi::PlanChannel& c : plan.channels)
    if (!varied(fmt::format("channel.{}.capacity", c.name)))
      parts.push_back(fmt::format("channel.{}.capacity {}", c.name, c.capacity));
  std::string s;
  for (const std::string& p : parts) s += (s.empty() ? "" : ", ") + p;
  return s.empty() ? "(none)" : s;
}

// How the sweep's dry runs get slot values, when the workload loads slots.
enum class SlotSource { None, DryRun, Replay };

std::string textTable(const std::string& module, const Program& p, const SweepResult& r, size_t top,
                      SlotSource slots, const std::string& replayFile) {
  const artifact::Manifest& m = p.manifest();
  std::string names;
  for (const SweepAxis& a : r.axes) names += (names.empty() ? "" : " x ") + a.name;
  std::string out = fmt::format("{}: {} schedule points ({}), target {}, arch {}, exact dry-run model\n", module,
                                r.points.size(), names, m.target, m.archInstance);
  out += fmt::format("fixed: {}\n", fixedKnobs(p.plan(), r.axes));
  if (slots == SlotSource::DryRun)
    out += "note: the workload loads slots; slot-driven control flow uses dry-run slot values (a slot no kernel "
           "wrote in the dry run reads 0)\nhelp: record a real run's slots with `ptowsp run FILE --record-slots F` "
           "and pass --replay-slots F\n";
  if (slots == SlotSource::Replay)
    out += fmt::format("slots: replayed from {} (a real run's slot loads, matched per process)\n", replayFile);
  std::vector<std::string> heads{"rank"};
  for (const SweepAxis& a : r.axes) heads.push_back(a.name);
  for (const char* h : {"total_cycles", "stalls", "stall_cycles", "util%", "pareto"}) heads.emplace_back(h);
  std::vector<std::vector<std::string>> rows;
  const size_t shown = top == 0 ? r.points.size() : std::min(top, r.points.size());
  for (size_t i = 0; i < shown; ++i) {
    const SweepPoint& pt = r.points[i];
    std::vector<std::string> row{std::to_string(i + 1)};
    for (size_t a = 0; a < r.axes.size(); ++a) row.push_back(r.axes[a].valueText(pt.index[a]));
    if (!pt.error.empty()) {
      row.insert(row.end(), {"-", "-", "-", "-", ""});
    } else {
      row.push_back(std::to_string(pt.stats.totalCycles));
      row.push_back(std::to_string(pt.stallCount));
      row.push_back(std::to_string(pt.stallCycles));
      row.push_back(fmt::format("{:.1f}", pt.utilisation * 100));
      row.push_back(pt.pareto ? "*" : "");
    }
    rows.push_back(std::move(row));
  }
  std::vector<size_t> width(heads.size());
  for (size_t c = 0; c < heads.size(); ++c) {
    width[c] = heads[c].size();
    for (const auto& row : rows) width[c] = std::max(width[c], row[c].size());
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string l;
    for (size_t c = 0; c < cells.size(); ++c) {
      const bool last = c + 1 == cells.size();
      // Numbers right-aligned, names left-aligned; the last column is not padded.
      const bool numeric = c == 0 || (c > r.axes.size() && !last) ||
                           (c > 0 && c <= r.axes.size() && r.axes[c - 1].knob != SweepKnob::Dispatch);
      if (last) l += cells[c];
      else l += numeric ? fmt::format("{:>{}}  ", cells[c], width[c]) : fmt::format("{:<{}}  ", cells[c], width[c]);
    }
    while (!l.empty() && l.back() == ' ') l.pop_back();
    return l + "\n";
  };
  out += line(heads);
  for (const auto& row : rows) out += line(row);
  if (shown < r.points.size()) out += fmt::format("... {} more points (--top 0 shows all)\n", r.points.size() - shown);
  out += "pareto *: no other point is as fast with no more workers, task_window, channel capacity\n";
  for (size_t i = 0; i < r.points.size(); ++i)
    if (!r.points[i].error.empty()) out += fmt::format("point {} did not finish: {}\n", i + 1, r.points[i].error);
  return out;
}

nlohmann::ordered_json jsonTable(const std::string& module, const Program& p, const SweepResult& r, SlotSource slots,
                                 const std::string& replayFile) {
  nlohmann::ordered_json j;
  j["module"] = module;
  j["target"] = p.manifest().target;
  j["arch"] = p.manifest().archInstance;
  j["slot_driven_dry_run"] = slots == SlotSource::DryRun;
  j["slot_replay"] = slots == SlotSource::Replay ? nlohmann::ordered_json(replayFile) : nlohmann::ordered_json();
  nlohmann::ordered_json axes = nlohmann::ordered_json::array();
  for (const SweepAxis& a : r.axes) axes.push_back(a.name);
  j["knobs"] = axes;
  nlohmann::ordered_json pts = nlohmann::ordered_json::array();
  for (const SweepPoint& pt : r.points) {
    nlohmann::ordered_json e;
    nlohmann::ordered_json vals = nlohmann::ordered_json::object();
    for (size_t a = 0; a < r.axes.size(); ++a) {
      if (r.axes[a].knob == SweepKnob::Dispatch) vals[r.axes[a].name] = r.axes[a].policies[pt.index[a]];
      else vals[r.axes[a].name] = r.axes[a].values[pt.index[a]];
    }
    e["knobs"] = vals;
    if (!pt.error.empty()) {
      e["error"] = pt.error;
    } else {
      e["total_cycles"] = pt.stats.totalCycles;
      e["stalls"] = pt.stallCount;
      e["stall_cycles"] = pt.stallCycles;
      e["utilisation"] = pt.utilisation;
      e["timeline_hash"] = fmt::format("{:016x}", pt.stats.run.timelineHash);
      e["pareto"] = pt.pareto;
    }
    pts.push_back(e);
  }
  j["points"] = pts;
  return j;
}

// The module with `w`'s schedule set to the point's knobs: existing directives are edited
// in place (so their order and the record-only knobs stay), missing ones are appended.
void applyPoint(ir::Workload& w, const abi::Plan& plan, const SweepPoint& pt) {
  std::vector<ir::Directive>& ds = w.schedule.directives;
  auto last = [&](ir::DirectiveKind k, std::string_view target = {}) -> ir::Directive* {
    for (size_t i = ds.size(); i-- > 0;)
      if (ds[i].kind == k && (target.empty() || ds[i].target == target)) return &ds[i];
    return nullptr;
  };
  const bool keyed = pt.schedule.dispatch == "hash" || pt.schedule.dispatch == "affinity" ||
                     pt.schedule.dispatch == "custom";
  ir::Directive* d = last(ir::DirectiveKind::Dispatch);
  if (!d) {
    ds.push_back(ir::Directive::dispatch(pt.schedule.dispatch));
    d = &ds.back();
  }
  d->policy = pt.schedule.dispatch;
  if (!keyed) d->key = ir::Expr{};
  bool hasWorkers = false;
  for (ir::NamedExpr& p : d->params)
    if (p.name == "workers") {
      p.value = ir::intConst(static_cast<int64_t>(pt.schedule.workers));
      hasWorkers = true;
    }
  if (!hasWorkers) d->params.push_back({"workers", ir::intConst(static_cast<int64_t>(pt.schedule.workers))});
  if (ir::Directive* t = last(ir::DirectiveKind::TaskWindow)) t->size = pt.schedule.taskWindow;
  else ds.push_back(ir::Directive::taskWindow(pt.schedule.taskWindow));
  for (size_t c = 0; c < plan.channels.size(); ++c) {
    if (pt.channelCapacity[c] == plan.channels[c].capacity) continue;
    if (ir::Directive* ch = last(ir::DirectiveKind::Channel, plan.channels[c].name)) ch->capacity = pt.channelCapacity[c];
    else
      ds.push_back(ir::Directive::channel(plan.channels[c].name, pt.channelCapacity[c],
                                          static_cast<int64_t>(plan.channels[c].latency)));
  }
}

void writeBest(const TuneOptions& o, ir::Module module, const Program& p, const SweepPoint& best) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::exists(o.writeBest, ec) && !o.force)
    throw UserError(makeError(SourceLoc{o.writeBest, 0, 0, "--write-best"}, "file exists; tune never overwrites a file")
                        .help("choose a new path, or pass --force to replace it"));
  ir::Workload* w = nullptr;
  for (ir::Workload& x : module.workloads)
    if (module.workloads.size() == 1 || x.name == o.workload) w = &x;
  PTO_INTERNAL_ASSERT(w != nullptr, "compiled workload '{}' not in the module", o.workload);
  applyPoint(*w, p.plan(), best);
  std::string text = fmt::format("// {} with the schedule `ptowsp tune` found best (total_cycles {}).\n",
                                 fs::path(o.file).filename().string(), best.stats.totalCycles) +
                     ir::text::print(module);
  artifact::writeUserFile(o.writeBest, text, "best schedule");
}

SweepAxis parseAxis(const abi::Plan& plan, const std::string& v) {
  return parseSweepAxis(plan, v, SourceLoc{"<command line>", 0, 0, fmt::format("--vary {}", v)});
}

// A point with more workers than the arch has lanes is refused by the compiler
// (docs/wsp-format.md, limits): the sweep refuses it too, before running any point.
void checkWorkerLanes(const TuneOptions& o, const Program& p, const std::vector<SweepAxis>& axes) {
  const arch::ArchModel a = arch::resolveArch(o.arch.empty() ? p.manifest().archInstance : o.arch, kCmdLine);
  uint64_t lanes = 0;
  for (const auto& wc : a.workers) lanes += wc.count;
  if (lanes == 0) return;
  for (size_t i = 0; i < axes.size(); ++i)
    if (axes[i].knob == SweepKnob::Workers)
      for (uint64_t v : axes[i].values)
        if (v > lanes)
          throw UserError(makeError(SourceLoc{"<command line>", 0, 0, fmt::format("--vary {}", o.vary[i])},
                                    fmt::format("--vary workers: {} workers is more than the {} worker lanes of "
                                                "arch {}",
                                                v, lanes, a.name))
                              .help(fmt::format("vary workers up to {}, or tune for an arch with more lanes (--arch)",
                                                lanes)));
}

int runTune(const TuneOptions& o) {
  if (o.threads > kMaxHostThreads)
    throw UserError(makeError(kCmdLine, fmt::format("--threads {} is out of range", o.threads))
                        .help(fmt::format("pass --threads N with N in [0, {}] (0 = hardware concurrency)",
                                          kMaxHostThreads)));
  if (o.vary.empty())
    throw UserError(makeError(kCmdLine, "tune needs at least one --vary KNOB=VALUES")
                        .help("e.g. --vary workers=2..16 --vary task_window=4,8,16 --vary dispatch=round_robin,least_loaded"));
  if (!o.writeBest.empty() && !o.force && std::filesystem::exists(o.writeBest))  // before the sweep
    throw UserError(makeError(SourceLoc{o.writeBest, 0, 0, "--write-best"}, "file exists; tune never overwrites a file")
                        .help("choose a new path, or pass --force to replace it"));
  Program p = openProgram({o.file, o.target, o.targetGiven, o.arch, o.workload, o.cacheDir});
  const ir::Module& module = p.module();
  printWarnings(p);
  std::vector<SweepAxis> axes;
  for (const std::string& v : o.vary) axes.push_back(parseAxis(p.plan(), v));
  checkWorkerLanes(o, p, axes);

  const RunValues values = resolveRunValues(p.plan(), o.sets);
  requireSymbolValues(module, o.sets);
  for (const std::string& set : o.sets) {
    const std::string name = set.substr(0, set.find('='));
    if (values.symbols.count(name)) p.setSymbol(name, values.symbols.at(name));
  }
  for (const auto& [name, v] : values.slots) p.setSlot(name, v);
  // Replay is matched per process, so a recording made under the compiled schedule holds
  // at every point of the sweep (docs/program.md, "Slot replay").
  if (!o.replaySlots.empty()) p.replaySlotLoads(readSlotReplay(o.replaySlots, p));

  const auto t0 = std::chrono::steady_clock::now();
  SweepResult r = sweepSchedules(p, std::move(axes), o.threads);
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  const SlotSource slots = !o.replaySlots.empty()                 ? SlotSource::Replay
                           : hasDataDependentControl(p.plan()) ? SlotSource::DryRun
                                                               : SlotSource::None;
  std::string out = o.json ? jsonTable(module.name, p, r, slots, o.replaySlots).dump(2) + "\n"
                           : textTable(module.name, p, r, o.top, slots, o.replaySlots);
  std::fwrite(out.data(), 1, out.size(), stdout);
  // Host time goes to stderr: stdout is the same for any thread count.
  std::fprintf(stderr, "tune: %zu points in %.1f ms on %s host threads\n", r.points.size(), ms,
               o.threads == 0 ? "auto" : std::to_string(o.threads).c_str());
  if (!o.writeBest.empty()) {
    if (r.points.empty() || !r.points[0].error.empty())
      throw UserError(makeError(kCmdLine, "no schedule point finished, so there is no best schedule to write")
                          .help("vary the knobs towards larger resources"));
    writeBest(o, module, p, r.points[0]);
    std::fprintf(stderr, "tune: wrote the best schedule to %s\n", o.writeBest.c_str());
  }
  // A sweep none of whose points finished has no answer: the rows say why, the exit code
  // says that it failed.
  if (std::none_of(r.points.begin(), r.points.end(), [](const SweepPoint& x) { return x.error.empty(); }))
    throw UserError(makeError(kCmdLine, fmt::format("none of the {} schedule points finished", r.points.size()))
                        .help("each row gives its point's error; vary the knobs towards larger resources"));
  return 0;
}

PTOWSP_COMMAND("tune", "sweep schedule knobs over the exact dry-run model and rank the schedules", [](CLI::App& sub) {
  auto o = std::make_shared<TuneOptions>();
  sub.add_option("file", o->file, ".wsp file, or package directory from `ptowsp compile -o DIR`, to tune")->required();
  sub.add_option("--vary", o->vary,
                 "KNOB=VALUES: task_window, dispatch, workers or channel.NAME.capacity; values 1,2,4 or 2..16")
      ->allow_extra_args(false);
  CLI::Option* target = sub.add_option("--target", o->target, "compilation target")->capture_default_str();
  sub.add_option("--arch", o->arch, "arch instance name or arch JSON file (default: the target's)");
  sub.add_option("--workload", o->workload, "workload to compile (default: the module's only one)");
  sub.add_option("--set", o->sets, "runtime value NAME=VALUE of a symbol or slot ($name)")->allow_extra_args();
  sub.add_option("--replay-slots", o->replaySlots,
                 "slot loads recorded by `ptowsp run --record-slots FILE`, replayed at every point");
  sub.add_option("--threads", o->threads, "host threads running points (0 = hardware concurrency)")
      ->capture_default_str();
  sub.add_option("--top", o->top, "rows to print (0 = all)")->capture_default_str();
  sub.add_flag("--json", o->json, "print one JSON object instead of the table");
  sub.add_option("--write-best", o->writeBest, "write the module with the best schedule to this .wsp file");
  sub.add_flag("--force", o->force, "let --write-best replace an existing file");
  sub.add_option("--cache-dir", o->cacheDir, "object cache root (default $PTO_WSP_CACHE_DIR or XDG cache)");
  return [=] {
    o->targetGiven = target->count() > 0;
    return runTune(*o);
  };
});

}  // namespace
}  // namespace pto::wsp::cli
