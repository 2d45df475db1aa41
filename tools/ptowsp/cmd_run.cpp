// ptowsp run FILE.wsp|PKG_DIR [--target T] [--arch A] [--threads N] [--watchdog-ms MS] [--dry-run] [--set S=V ...]
//   [--inputs random|zeros|FILE.npy|NAME=FILE.npy ...] [--seed N] [--json] [--trace OUT]
//   [--outputs DIR] [--cache-dir DIR] [--graph OUT.dot] [--graph-limit N] [--quiet]
//   [--record-slots FILE] [--replay-slots FILE]
//   [--pto-runtime DIR] [--pto-isa DIR] [--runtime R] [--tree DIR]   (--target ascend)
// Compiles the module, runs it on host buffers and prints the run summary; when a golden
// is registered for the module (examples/<name>/golden.cpp) it also checks the outputs
// and the total_cycles derived in the example's README. Exit codes: 0 ok, 1 user error,
// 2 check failed (docs/cli.md). With --target ascend the module runs on cpu_sim (the
// reference, on ascend910b) and then, as an emitted tree, on a pto-runtime checkout's
// a2a3sim; every output must agree with cpu_sim's (docs/ascend.md).
#include "Command.h"
#include "HostInputs.h"
#include "Npy.h"
#include "OpenProgram.h"
#include "Progress.h"
#include "RunInsight.h"
#include "SceneData.h"
#include "WspFile.h"

#include "Golden.h"
#include "pto/wsp/api/Program.h"
#include "pto/wsp/api/SlotReplay.h"
#include "pto/wsp/runtime/DeadlockReport.h"
#include "pto/wsp/runtime/host/HostExecutor.h"
#include "pto/wsp/target/Target.h"
#include "pto/wsp/target/ascend/PtoRuntimeRun.h"
#include "pto/wsp/artifact/ObjectCache.h"
#include "pto/wsp/driver/Driver.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>

namespace pto::wsp::cli {
namespace {

struct RunOptions {
  std::string file;
  std::string target = "cpu_sim";
  bool targetGiven = false;
  std::string arch;
  std::string workload;
  unsigned threads = 0;
  uint32_t watchdogMs = pto::wsp::rt::kDefaultWatchdogMs;
  bool dryRun = false;
  std::vector<std::string> sets;
  std::vector<std::string> inputs;
  uint64_t seed = 1;
  bool json = false;
  std::string trace;
  std::string outputs;
  std::string cacheDir;
  InsightOptions insight;
  std::string ptoRuntime;  // --target ascend: the pto-runtime checkout
  std::string ptoIsa;
  std::string runtime = "tensormap_and_ringbuffer";
  std::string tree;  // where the run's tree is written (default: under the cache)
  int blockDim = 0, aicpuThreads = 0;  // 0: the tree's case
  std::string recordSlots;
  std::string replaySlots;
};

constexpr int kExitCheckFailed = 2;

// What the golden said about this run.
struct GoldenReport {
  const golden::Golden* golden = nullptr;
  std::optional<golden::CheckResult> values;  // unset in a dry run (nothing executed)
  bool cyclesCompared = false;                // arch and symbols are the golden's defaults
  std::string cyclesNote;                     // why they were not compared
  bool cyclesMatch = true;
  bool failed() const { return (values && !values->ok) || (cyclesCompared && !cyclesMatch); }
};

std::string cyclesLine(const ProgramStats& s, const GoldenReport& g) {
  std::string line = fmt::format("total_cycles {}", s.totalCycles);
  if (!g.golden) return line;
  if (!g.cyclesCompared) return line + fmt::format(" (not compared with {}: {})", g.golden->readme, g.cyclesNote);
  line += fmt::format(" (expected {} from {})", g.golden->expectedCycles, g.golden->readme);
  if (!g.cyclesMatch) line += " MISMATCH";
  return line;
}

std::vector<std::string> kernelNames(const Program& p) {
  std::vector<std::string> names;
  for (const abi::PlanKernel& k : p.plan().kernels) names.push_back(k.name);
  return names;
}

std::string textReport(const std::string& module, const Program& p, const ProgramStats& s, unsigned threads,
                       const GoldenReport& g) {
  const artifact::Manifest& m = p.manifest();
  std::string out = fmt::format("{}: target {}, arch {}, package {}{}\n", module, m.target, m.archInstance,
                                m.packageHash, s.dryRun ? " (dry run: kernels not executed)" : "");
  out += fmt::format("tasks {} (kernel tasks {}, joins {})\n", s.tasks, s.run.kernelTasks, s.run.joins);
  out += cyclesLine(s, g) + "\n";
  out += fmt::format("workers {} (host threads {})\n", s.run.workers.size(), threads == 0 ? std::string("auto")
                                                                                       : std::to_string(threads));
  out += rt::workersText(s.run);
  out += rt::stallsText(s.run);
  out += rt::profileText(s.profile, s.run, kernelNames(p));
  out += fmt::format("host_ms {:.3f} (compile_ms {:.1f})\n", s.executeMs, s.compileMs);
  if (g.values) out += g.values->summary + "\n";
  else if (g.golden) out += "check skipped: a dry run executes no kernels, output values were not checked\n";
  return out;
}

nlohmann::ordered_json jsonReport(const std::string& module, const Program& p, const ProgramStats& s,
                                  unsigned threads, const GoldenReport& g) {
  const artifact::Manifest& m = p.manifest();
  nlohmann::ordered_json j;
  j["module"] = module;
  j["target"] = m.target;
  j["arch"] = m.archInstance;
  j["package_hash"] = m.packageHash;
  j["dry_run"] = s.dryRun;
  j["tasks"] = s.tasks;
  j["kernel_tasks"] = s.run.kernelTasks;
  j["joins"] = s.run.joins;
  j["total_cycles"] = s.totalCycles;
  j["timeline_hash"] = fmt::format("{:016x}", s.run.timelineHash);
  nlohmann::ordered_json stalls = nlohmann::ordered_json::object();
  for (size_t r = 0; r < rt::kNumResources; ++r) {
    const rt::ResourceStats& rs = s.run.resources[r];
    stalls[rt::resourceName(static_cast<rt::Resource>(r))] = {
        {"count", rs.stalls}, {"cycles", rs.stallCycles}, {"high_water", rs.highWater}, {"capacity", rs.capacity}};
  }
  j["stalls"] = stalls;
  nlohmann::ordered_json workers = nlohmann::ordered_json::array();
  for (const rt::WorkerStats& ws : s.run.workers)
    workers.push_back({{"tasks", ws.tasks}, {"busy_cycles", ws.busyCycles}, {"utilisation", ws.utilisation}});
  j["workers"] = workers;
  j["profile"] = rt::profileJson(s.profile, s.run, kernelNames(p));
  j["host_threads"] = threads;
  j["host_ms"] = s.executeMs;
  j["compile_ms"] = s.compileMs;
  if (g.golden) {
    nlohmann::ordered_json c;
    c["passed"] = !g.failed();
    c["readme"] = g.golden->readme;
    c["expected_cycles"] = g.golden->expectedCycles;
    c["cycles_compared"] = g.cyclesCompared;
    if (g.cyclesCompared) c["cycles_match"] = g.cyclesMatch;
    else c["cycles_note"] = g.cyclesNote;
    c["values_checked"] = g.values.has_value();
    if (g.values) {
      c["values_passed"] = g.values->ok;
      c["summary"] = g.values->summary;
      c["mismatches"] = g.values->mismatches;
      c["max_error"] = g.values->maxError;
      if (!g.values->ok) {
        c["tensor"] = g.values->tensor;
        c["index"] = g.values->index;
        c["got"] = g.values->got;
        c["want"] = g.values->want;
        c["allowed"] = g.values->allowed;
      }
    }
    j["check"] = c;
  }
  return j;
}

// Host worker threads a run may start (docs/cli.md); more is a command-line error, not a
// failed thread creation deep in the executor.
constexpr unsigned kMaxHostThreads = 1024;

// `--target ascend`: the same module and inputs on pto-runtime (docs/ascend.md), after
// the cpu_sim run whose outputs are the reference.
struct AscendRun {
  target::ascend::PtoRuntimeCheckout checkout;
  target::ascend::SceneRunResult result;
  std::optional<golden::CheckResult> check;
  std::filesystem::path tree;
};

std::string ascendReport(const AscendRun& a) {
  const auto& c = a.checkout;
  const auto& r = a.result;
  std::string out = fmt::format("ascend: tree {}\n", a.tree.string());
  out += fmt::format("ascend: pto-runtime {} ({}), PTO-ISA {} ({}), platform {}, runtime {}\n",
                                c.runtimeRoot.string(), c.runtimeCommit.empty() ? "commit unknown" : c.runtimeCommit,
                                c.isaRoot.string(), c.isaCommit.empty() ? "commit unknown" : c.isaCommit, c.platform,
                                r.runtime);
  // A checkout at another commit may still work; say so rather than refuse it.
  if (!c.runtimeCommit.empty() && c.runtimeCommit != r.treeRuntimeCommit)
    out += fmt::format("ascend: note: the tree is written for pto-runtime {}\n", r.treeRuntimeCommit);
  if (!c.isaCommit.empty() && c.isaCommit != r.treeIsaCommit)
    out += fmt::format("ascend: note: the tree is written for PTO-ISA {}\n", r.treeIsaCommit);
  out += fmt::format("ascend: compiles {} (reused {}), build_ms {:.1f}; kernels compiled {} reused {}, "
                     "orchestration compiled {} reused {}, host launcher compiled {} reused {}\n",
                     r.compiles, r.reused, r.buildMs, r.kernels.compiled, r.kernels.reused, r.orchestration.compiled,
                     r.orchestration.reused, r.launcher.compiled, r.launcher.reused);
  out += fmt::format("ascend: tasks {}, host_wall_ms {:.3f}, host_us_per_task {:.1f}, device_wall_ms {:.3f}\n",
                     r.tasks, r.hostWallMs, r.hostUsPerTask(), r.deviceWallMs);
  if (a.check) out += "ascend vs cpu_sim: " + a.check->summary + "\n";
  return out;
}

void runAscend(AscendRun& a, const RunOptions& o, const ir::Module& module, const RunValues& values,
               const CompileOptions& simOpts, const RunTensors& cpu, const golden::TensorSet& inputs,
               const GoldenReport& g, const std::vector<Diagnostic>& printedWarnings) {
  const std::filesystem::path root =
      (o.cacheDir.empty() ? artifact::ObjectCache::defaultDir() : std::filesystem::path(o.cacheDir)) / "ascend";
  CompileOptions copts;
  copts.target = "ascend";
  copts.arch = simOpts.arch;
  copts.cacheDir = simOpts.cacheDir;
  copts.sourceDir = simOpts.sourceDir;
  copts.workload = o.workload;
  copts.runtime = o.runtime;
  copts.packageDir = o.tree.empty() ? root / "trees" / fmt::format("{}-{}", module.name, o.runtime)
                                    : std::filesystem::absolute(o.tree);
  // The tree is emitted for this run's symbol and slot values (docs/ascend.md): they
  // change its task table and tensor sizes, never its sources, so no object is rebuilt.
  ir::Module valued = module;
  for (ir::SymbolDecl& s : valued.symbols)
    if (auto it = values.symbols.find(s.name); it != values.symbols.end()) s.value = it->second;
  for (ir::SlotDecl& s : valued.slots)
    if (auto it = values.slots.find(s.name); it != values.slots.end()) s.init = it->second;
  const driver::Compiled tree = driver::compile(valued, copts);
  // What the tree cannot honour (e.g. a task_window the ring cannot keep); the verifier's
  // warnings were printed with the cpu_sim program's.
  for (const Diagnostic& w : tree.warnings) {
    const std::string text = w.render();
    bool printed = false;
    for (const Diagnostic& v : printedWarnings) printed |= v.render() == text;
    if (!printed) std::fprintf(stderr, "%s\n", text.c_str());
  }
  a.tree = copts.packageDir;
  // The same inputs cpu_sim started from; outputs start zeroed, as cpu_sim's do.
  golden::TensorSet tensors;
  for (const auto& [name, t] : cpu.all)
    tensors[name] = inputs.count(name) ? inputs.at(name) : golden::HostTensor::make(t.dtype, t.shape);
  std::map<std::string, target::ascend::SceneBinding> bindings;
  for (auto& [name, t] : tensors) bindings[name] = {t.bytes.data(), t.bytes.size()};
  target::ascend::SceneRunOptions ro;
  ro.tree = copts.packageDir;
  ro.buildDir = root / "obj";
  ro.blockDim = o.blockDim;
  ro.aicpuThreads = o.aicpuThreads;
  // The scene's data (docs/ascend.md): the inputs the run starts from and cpu_sim's
  // outputs, as its test_<module>.py's generate_args / compute_golden load them.
  writeSceneData(copts.packageDir, tensors, cpu.all);
  a.result = target::ascend::runScene(a.checkout, ro, bindings);
  golden::TensorSet got, want;
  for (const std::string& name : cpu.outputs) {
    got[name] = tensors.at(name);
    want[name] = cpu.all.at(name);
  }
  // The example's tolerance when it has a golden, else the tree's SceneTestCase's.
  a.check = golden::compare(got, want, g.golden ? g.golden->tol : golden::Tolerance{1e-3, 1e-3});
}

// The same file: both paths name it (an existing file by identity, else by its path).
bool sameFile(const std::string& a, const std::string& b) {
  std::error_code ec;
  if (std::filesystem::exists(a, ec) && std::filesystem::exists(b, ec)) return std::filesystem::equivalent(a, b, ec);
  return std::filesystem::weakly_canonical(a, ec) == std::filesystem::weakly_canonical(b, ec);
}

// What the run writes never replaces what it reads, or another of its outputs.
void checkRunOutputs(const RunOptions& o) {
  std::vector<std::pair<std::string, std::string>> reads{{"the module", o.file}};
  if (!o.replaySlots.empty()) reads.push_back({"--replay-slots", o.replaySlots});
  const InputSpec inputs = parseInputSpec(o.inputs);
  for (const std::string& file : inputs.positional) reads.push_back({"--inputs", file});
  for (const auto& named : inputs.named) reads.push_back({"--inputs", named.second});
  std::vector<std::pair<std::string, std::string>> writes;
  for (const auto& [flag, path] : {std::pair<const char*, const std::string*>{"--trace", &o.trace},
                                   {"--graph", &o.insight.graph},
                                   {"--record-slots", &o.recordSlots}})
    if (!path->empty()) writes.push_back({flag, *path});
  for (size_t i = 0; i < writes.size(); ++i) {
    for (const auto& [what, path] : reads)
      if (sameFile(writes[i].second, path))
        throw UserError(makeError(SourceLoc{"<command line>", 0, 0, writes[i].first},
                                  fmt::format("{} {} would overwrite {} the run reads", writes[i].first,
                                              writes[i].second, what == "the module" ? what : "the file of " + what))
                            .help(fmt::format("write {} to another path", writes[i].first)));
    for (size_t j = 0; j < i; ++j)
      if (sameFile(writes[i].second, writes[j].second))
        throw UserError(makeError(SourceLoc{"<command line>", 0, 0, writes[i].first},
                                  fmt::format("{} and {} both write {}", writes[j].first, writes[i].first,
                                              writes[i].second))
                            .help("give each output its own path"));
  }
}

int runRun(const RunOptions& o) {
  checkRunOutputs(o);
  if (o.threads > kMaxHostThreads)
    throw UserError(makeError(SourceLoc{"<command line>", 0, 0, {}},
                              fmt::format("--threads {} is out of range", o.threads))
                        .help(fmt::format("pass --threads N with N in [0, {}] (0 = hardware concurrency)",
                                          kMaxHostThreads)));
  if (!o.replaySlots.empty() && !o.dryRun)
    throw UserError(makeError(SourceLoc{"<command line>", 0, 0, {}},
                              "--replay-slots replays slot loads in a dry run, but this is a real run")
                        .help("add --dry-run, or drop --replay-slots (a real run reads its slots from data)"));
  const bool ascend = o.target == "ascend";
  std::optional<AscendRun> asc;
  if (ascend && o.dryRun)
    throw UserError(makeError(SourceLoc{"<command line>", 0, 0, "--dry-run"},
                              "--target ascend executes the tree on pto-runtime; a dry run executes nothing")
                        .help("drop --dry-run, or dry-run the cpu_sim target with --arch ascend910b"));
  // Before compiling: a missing checkout is said at once, with how to point at it.
  if (ascend) asc = AscendRun{target::ascend::locateCheckout(o.ptoRuntime, o.ptoIsa, o.runtime), {}, {}, {}};
  if (!o.outputs.empty()) {  // before compiling, so a bad path fails fast
    std::error_code ec;
    std::filesystem::create_directories(o.outputs, ec);
    if (ec)
      throw UserError(makeError(SourceLoc{o.outputs, 0, 0, {}},
                                fmt::format("cannot create the outputs directory: {}", ec.message()))
                          .help("pass a writable directory to --outputs"));
  }
  // The ascend target's reference is cpu_sim on the ascend arch the tree is written for.
  Program p = openProgram({o.file, ascend ? "cpu_sim" : o.target, o.targetGiven && !ascend,
                           ascend && o.arch.empty() ? "ascend910b" : o.arch, o.workload, o.cacheDir});
  const ir::Module& module = p.module();
  printWarnings(p);

  const RunValues values = resolveRunValues(p.plan(), o.sets);

  requireSymbolValues(module, o.sets);
  for (const std::string& set : o.sets) {
    const std::string name = set.substr(0, set.find('='));
    if (values.symbols.count(name)) p.setSymbol(name, values.symbols.at(name));
  }
  for (const auto& [name, v] : values.slots) p.setSlot(name, v);

  RunTensors tensors = allocateTensors(p.manifest().abi, values.symbols, &p.plan());
  const InputSpec spec = parseInputSpec(o.inputs);
  fillInputs(tensors, spec, o.seed);
  GoldenReport g;
  g.golden = golden::findGolden(module.name);
  // prepare() constrains generated data (indices, lengths); files are the user's data
  // and are loaded after it, unchanged.
  if (g.golden && g.golden->prepare) g.golden->prepare(tensors.all);
  loadInputFiles(tensors, spec);
  golden::TensorSet ascendInputs;  // copied before the run overwrites inouts
  if (ascend)
    for (const std::string& name : tensors.inputs) ascendInputs[name] = tensors.all.at(name);
  // The expected outputs, computed before the run from the inputs alone (so no copy of
  // them is kept, and a kernel that overwrites an input cannot move its own reference):
  // the other tensors are set aside while compute runs.
  std::optional<golden::TensorSet> want;
  if (g.golden && !o.dryRun) {
    std::vector<golden::TensorSet::node_type> others;
    for (auto it = tensors.all.begin(); it != tensors.all.end();) {
      const bool input = std::find(tensors.inputs.begin(), tensors.inputs.end(), it->first) != tensors.inputs.end();
      if (input) {
        ++it;
        continue;
      }
      others.push_back(tensors.all.extract(it++));
    }
    want = g.golden->compute(tensors.all);
    for (auto& n : others) tensors.all.insert(std::move(n));
  }

  for (auto& [name, t] : tensors.all) p.bind(name, t.bytes.data(), t.bytes.size());
  p.setThreads(o.threads);
  p.setWatchdog(o.watchdogMs);
  if (!o.trace.empty()) p.traceTo(o.trace);
  applyInsight(p, o.insight);
  if (!o.recordSlots.empty()) p.recordSlotLoads(true);
  if (!o.replaySlots.empty()) p.replaySlotLoads(readSlotReplay(o.replaySlots, p));
  ProgramStats stats;
  try {
    RunProgress progress(p, RunProgress::wanted(o.insight));
    if (o.dryRun) {
      stats = p.dryRun();
    } else {
      p.execute();
      p.synchronize();
      stats = p.stats();
    }
  } catch (const rt::DeadlockError& d) {
    // With --json, tools get the structured report on stdout; people still get the
    // located text on stderr (the caller prints every UserError).
    if (o.json) {
      nlohmann::ordered_json j;
      j["module"] = module.name;
      j["deadlock"] = d.report().toJson();
      std::string out = j.dump(2) + "\n";
      std::fwrite(out.data(), 1, out.size(), stdout);
    }
    throw;
  }
  reportInsight(stats, o.insight);
  if (ascend && !o.dryRun) {
    CompileOptions copts = cliCompileOptions("cpu_sim", o.arch.empty() ? "ascend910b" : o.arch, o.cacheDir);
    copts.sourceDir = std::filesystem::absolute(o.file).parent_path();
    copts.workload = o.workload;
    runAscend(*asc, o, module, values, copts, tensors, ascendInputs, g, p.warnings());
  }
  if (!o.recordSlots.empty()) writeSlotReplay(o.recordSlots, p);
  if (!o.outputs.empty() && !o.dryRun) {
    for (const std::string& name : tensors.outputs)
      writeNpy(std::filesystem::path(o.outputs) / (name + ".npy"), tensors.all.at(name));
  }

  if (g.golden) {
    if (want) {
      // The outputs are moved, not copied: nothing reads them after the check.
      golden::TensorSet got;
      for (const std::string& name : tensors.outputs) got.insert(tensors.all.extract(name));
      g.values = golden::compare(got, *want, g.golden->tol);
    }
    if (g.golden->expectedCycles == 0) {
      g.cyclesNote = "the golden gives no expected cycles";
    } else if (p.manifest().archInstance != g.golden->arch) {
      g.cyclesNote = fmt::format("arch is {}, the README derives cycles for {}", p.manifest().archInstance,
                                 g.golden->arch);
    } else if (o.dryRun && o.replaySlots.empty() && hasDataDependentControl(p.plan())) {
      g.cyclesNote = "dry run of a plan with slot_load: slots keep their values instead of computed data";
    } else if (!values.defaults) {
      g.cyclesNote = "--set changed symbols or slots from their defaults";
    } else {
      g.cyclesCompared = true;
      g.cyclesMatch = stats.totalCycles == g.golden->expectedCycles;
    }
  }

  const std::string_view note = target::TargetRegistry::global().get(o.target).runNote();
  if (o.json) {
    auto j = jsonReport(module.name, p, stats, o.threads, g);
    if (!note.empty() && !asc) j["note"] = std::string(note);
    if (asc) {
      const auto& r = asc->result;
      j["ascend"] = {{"tree", asc->tree.string()},
                     {"pto_runtime", asc->checkout.runtimeRoot.string()},
                     {"pto_runtime_commit", asc->checkout.runtimeCommit},
                     {"pto_isa", asc->checkout.isaRoot.string()},
                     {"pto_isa_commit", asc->checkout.isaCommit},
                     {"platform", asc->checkout.platform},
                     {"runtime", r.runtime},
                     {"compiles", r.compiles},
                     {"reused", r.reused},
                     {"kernels", {{"compiled", r.kernels.compiled}, {"reused", r.kernels.reused}}},
                     {"orchestration", {{"compiled", r.orchestration.compiled}, {"reused", r.orchestration.reused}}},
                     {"host_launcher", {{"compiled", r.launcher.compiled}, {"reused", r.launcher.reused}}},
                     {"build_ms", r.buildMs},
                     {"tasks", r.tasks},
                     {"host_wall_ms", r.hostWallMs},
                     {"host_us_per_task", r.hostUsPerTask()},
                     {"device_wall_ms", r.deviceWallMs}};
      if (asc->check) j["ascend"]["check"] = {{"passed", asc->check->ok}, {"summary", asc->check->summary}};
    }
    std::string out = j.dump(2) + "\n";
    std::fwrite(out.data(), 1, out.size(), stdout);
  } else {
    std::string out = textReport(module.name, p, stats, o.threads, g);
    if (!note.empty() && !asc) out += std::string(note) + "\n";
    if (asc) out += ascendReport(*asc);
    std::fwrite(out.data(), 1, out.size(), stdout);
  }
  if (asc && asc->check && !asc->check->ok) {
    std::fprintf(stderr, "error: ascend output differs from cpu_sim: %s\n", asc->check->summary.c_str());
    return kExitCheckFailed;
  }
  if (g.failed()) {
    std::fprintf(stderr, "error: %s\n",
                 g.values && !g.values->ok
                     ? g.values->summary.c_str()
                     : fmt::format("total_cycles {} differs from the {} derived in {}", stats.totalCycles,
                                   g.golden->expectedCycles, g.golden->readme)
                           .c_str());
    return kExitCheckFailed;
  }
  return 0;
}

PTOWSP_COMMAND("run", "compile and run a .wsp module on host buffers, check it against its golden", [](CLI::App& sub) {
  auto o = std::make_shared<RunOptions>();
  sub.add_option("file", o->file, ".wsp file, or package directory from `ptowsp compile -o DIR`, to run")->required();
  CLI::Option* target =
      sub.add_option("--target", o->target, "compilation target (cpu_sim executes)")->capture_default_str();
  sub.add_option("--arch", o->arch, "arch instance name or arch JSON file (default: the target's)");
  sub.add_option("--workload", o->workload, "workload to compile (default: the module's only one)");
  sub.add_option("--threads", o->threads, "host worker threads (0 = hardware concurrency)")->capture_default_str();
  sub.add_option("--watchdog-ms", o->watchdogMs,
                 "end the run with a deadlock report when no task finishes for this long (0 = never)")
      ->capture_default_str();
  sub.add_flag("--dry-run", o->dryRun, "semantic time only: run the plan without executing kernels");
  sub.add_option("--set", o->sets, "runtime value NAME=VALUE of a symbol or slot ($name)")->allow_extra_args();
  sub.add_option("--inputs", o->inputs, "random | zeros | FILE.npy (declaration order) | NAME=FILE.npy")
      ->allow_extra_args();
  sub.add_option("--seed", o->seed, "seed of the random inputs")->capture_default_str();
  sub.add_option("--record-slots", o->recordSlots, "write every slot_load value of the run to FILE (for --replay-slots)");
  sub.add_option("--replay-slots", o->replaySlots,
                 "dry run: slot loads take the values recorded in FILE (--record-slots), in order");
  sub.add_flag("--json", o->json, "print one JSON object instead of the text summary");
  sub.add_option("--trace", o->trace, "write the Perfetto/Chrome trace JSON of the run");
  sub.add_option("--outputs", o->outputs, "write every output tensor as DIR/NAME.npy");
  sub.add_option("--cache-dir", o->cacheDir, "object cache root (default $PTO_WSP_CACHE_DIR or XDG cache)");
  addInsightOptions(sub, o->insight);
  sub.add_option("--pto-runtime", o->ptoRuntime,
                 "--target ascend: pto-runtime checkout with built a2a3sim runtimes (default $PTO_RUNTIME_ROOT)");
  sub.add_option("--block-dim", o->blockDim, "--target ascend: blocks (1 AIC + 2 AIV each; 0 = the tree's case)")
      ->check(CLI::Range(0, 24));
  sub.add_option("--aicpu-threads", o->aicpuThreads, "--target ascend: AICPU threads (0 = the tree's case)")
      ->check(CLI::Range(0, 4));
  sub.add_option("--tree", o->tree, "--target ascend: write the run's tree (with its data) here");
  sub.add_option("--pto-isa", o->ptoIsa, "--target ascend: PTO-ISA checkout (default $PTO_ISA_ROOT)");
  sub.add_option("--runtime", o->runtime, "--target ascend: host_build_graph or tensormap_and_ringbuffer")
      ->capture_default_str();
  return [=] {
    o->targetGiven = target->count() > 0;
    return runRun(*o);
  };
});

}  // namespace
}  // namespace pto::wsp::cli
