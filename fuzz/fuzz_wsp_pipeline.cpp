// libFuzzer target for the whole compile + dry-run path on generated modules. The input
// bytes drive a small generator of well-formed-looking .wsp modules (tensors with static
// or symbolic shapes, nested parallel / sequential / dynamic loops, scopes, conditions,
// CSP processes and channels, view offsets with huge constants, divisions and modulos,
// schedule directives with arbitrary sizes), so the fuzzer reaches the verifier, the
// lowering and the runtime instead of stopping at the parser. For every module:
//  * parse, verify and lower either succeed or reject with located diagnostics
//    (file:line:col in the generated file);
//  * a plan is run twice as a dry run (the PlanInterpreter on the Engine, no kernels)
//    on one of the built-in archs; a run either finishes, deadlocks with a report at
//    the workload's file:line:col, or throws a UserError located at file:line:col (the
//    plan's location table), and two runs give the same timeline.
// Bounds keep each input fast: at most 8 iterations per loop, 3 nesting levels, and the
// task window / pools the module asks for (the Engine's own limits apply).
// Any violation aborts, which libFuzzer reports as a crash with a reproducer.
#include "pto/wsp/arch/ArchRegistry.h"
#include "pto/wsp/arch/Capability.h"
#include "pto/wsp/ir/Verifier.h"
#include "pto/wsp/ir/text/Parser.h"
#include "pto/wsp/lower/PlanLowering.h"
#include "pto/wsp/runtime/DeadlockReport.h"
#include "pto/wsp/runtime/PlanInterpreter.h"
#include "pto/wsp/support/Diagnostic.h"

#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

using namespace pto::wsp;

namespace {

constexpr const char* kFile = "gen.wsp";

[[noreturn]] void die(const char* what, const std::string& detail) {
  std::fprintf(stderr, "fuzz_wsp_pipeline: %s\n%s\n", what, detail.c_str());
  std::abort();
}

// Generates one module from the fuzzer's bytes.
class Gen {
 public:
  explicit Gen(FuzzedDataProvider& fdp) : f_(fdp) {}

  std::string module() {
    std::string s = "module gen\n\n";
    const bool sym = f_.ConsumeBool();
    if (sym) s += fmt("symbol S = %d\n", pick({1, 2, 4, 8}));
    s += "slot $k\n";
    rows_ = pick({16, 32, 64, 128});
    s += fmt("input X : f32[%s, 64]\n", sym && f_.ConsumeBool() ? "S * 16" : std::to_string(rows_).c_str());
    s += fmt("output Y : f32[%d, 64]\n", rows_);
    s += fmt("temp T : f32[%d, 64]\n", rows_);
    s += "\nkernel copy(in x : Tile[16, 64, f32], out y : Tile[16, 64, f32]) {\n  %t = load x\n  store y, %t\n}\n";
    s += "kernel acc(in x : Tile[16, 64, f32], inout y : Tile[16, 64, f32]) {\n"
         "  %a = load x\n  %b = load y\n  %c = add %a, %b\n  store y, %c\n}\n\n";
    s += f_.ConsumeBool() ? csp() : grid(sym);
    s += schedule();
    return s;
  }

 private:
  FuzzedDataProvider& f_;
  int rows_ = 16;
  int depth_ = 0;
  int vars_ = 0;

  template <class... A>
  static std::string fmt(const char* f, A... a) {
    char buf[256];
    std::snprintf(buf, sizeof buf, f, a...);
    return buf;
  }
  int pick(std::initializer_list<int> v) { return *(v.begin() + f_.ConsumeIntegralInRange<size_t>(0, v.size() - 1)); }
  std::string var() { return vars_ == 0 ? "0" : fmt("v%d", f_.ConsumeIntegralInRange(0, vars_ - 1)); }

  // A row offset: usually in bounds, sometimes hostile (huge, negative, divided by zero).
  std::string offset() {
    switch (f_.ConsumeIntegralInRange(0, 15)) {
      case 0: return fmt("%s * 4611686018427387904 * 4", var().c_str());
      case 1: return fmt("%s / (%s - %s)", var().c_str(), var().c_str(), var().c_str());
      case 2: return fmt("(%s %% 3 - 1) * 16", var().c_str());
      case 3: return "$k * 16";
      case 4: return fmt("%lld", static_cast<long long>(f_.ConsumeIntegral<int64_t>()));
      default: return fmt("(%s %% %d) * 16", var().c_str(), rows_ / 16);
    }
  }
  std::string call() {
    const bool acc = f_.ConsumeBool();
    const char* out = f_.ConsumeBool() ? "Y" : "T";
    return fmt("call %s(X[%s : 16, 0 : 64], %s[%s : 16, 0 : 64])\n", acc ? "acc" : "copy", offset().c_str(), out,
               offset().c_str());
  }
  std::string axis(bool sym) {
    switch (f_.ConsumeIntegralInRange(0, 3)) {
      case 0: return sym ? "dense_dyn(S)" : "dense(3)";
      case 1: return fmt("dense(%d)", f_.ConsumeIntegralInRange(1, 8));
      case 2: return "dense_dyn($k + 1)";
      default: return fmt("dense(%d)", pick({1, 2, 4, 8}));
    }
  }
  std::string stmt(bool sym) {
    if (depth_ >= 3) return call();
    switch (f_.ConsumeIntegralInRange(0, 7)) {
      case 0:
      case 1: {
        ++depth_;
        const int v = vars_++;
        std::string s = fmt("%s v%d in %s {\n", f_.ConsumeBool() ? "P" : "P.seq", v, axis(sym).c_str());
        s += body(sym);
        --vars_;
        --depth_;
        return s + "}\n";
      }
      case 2: {
        ++depth_;
        std::string s = "scope {\n" + body(sym) + "}\n";
        --depth_;
        return s;
      }
      case 3: {
        ++depth_;
        std::string s = fmt("when (%s == %d) {\n", var().c_str(), f_.ConsumeIntegralInRange(0, 2)) + body(sym) +
                        "} otherwise {\n" + body(sym) + "}\n";
        --depth_;
        return s;
      }
      case 4: return fmt("slot_set $k = %s\n", var().c_str());
      default: return call();
    }
  }
  std::string body(bool sym) {
    std::string s;
    for (int i = f_.ConsumeIntegralInRange(1, 3); i > 0; --i) s += stmt(sym);
    return s;
  }
  std::string grid(bool sym) { return "workload w {\n" + body(sym) + "}\n"; }

  // Producer / consumer processes over one or two channels, optionally replicated.
  std::string csp() {
    std::string s = "workload w {\n  channel c : index\n  channel d : index\n";
    const int n = f_.ConsumeIntegralInRange(1, 8);
    const bool sendD = f_.ConsumeBool();
    s += fmt("  process src produces(c%s) {\n", sendD ? ", d" : "");
    s += fmt("    P.seq i in dense(%d) {\n      send c value i\n    }\n", n);
    if (sendD) s += "    send d value 0\n";
    s += "  }\n";
    const bool waitD = sendD && f_.ConsumeBool();
    s += fmt("  process dst consumes(%s) {\n", waitD ? "d, c" : "c");
    if (waitD) s += "    consume d as j {\n      call copy(X[0 : 16, 0 : 64], Y[0 : 16, 0 : 64])\n    }\n";
    s += "    consume c as v0 {\n";
    vars_ = 1;
    s += f_.ConsumeBool() ? "      scope {\n" + call() + "      }\n" : call();
    vars_ = 0;
    s += "    }\n  }\n";
    if (f_.ConsumeBool()) s += fmt("  replicate dst %d\n", f_.ConsumeIntegralInRange(1, 3));
    return s + "}\n";
  }

  std::string schedule() {
    std::string s = "schedule {\n";
    const char* policies[] = {"round_robin", "least_loaded", "hash"};
    s += fmt("  dispatch %s(workers = %d)\n", policies[f_.ConsumeIntegralInRange(0, 2)],
             pick({1, 2, 4, 16, 100}));
    // Sizes of 0 are rare (a located verifier error); small ones stall and deadlock.
    auto size = [&](int hi) { return f_.ConsumeIntegralInRange(0, 15) == 0 ? 0 : f_.ConsumeIntegralInRange(1, hi); };
    if (f_.ConsumeBool()) s += fmt("  task_window %d tasks stall\n", size(20));
    if (f_.ConsumeBool()) s += fmt("  pool deplist %d\n", size(4));
    if (f_.ConsumeBool()) s += fmt("  pool tensormap %d\n", size(8));
    if (f_.ConsumeBool()) s += fmt("  channel_defaults capacity %d latency %d\n", size(3),
                                   f_.ConsumeIntegralInRange(0, 50));
    return s + "}\n";
  }
};

void requireLocated(const UserError& e, const char* phase, const std::string& text) {
  if (e.diagnostics().empty()) die("UserError without diagnostics", phase);
  for (const Diagnostic& d : e.diagnostics())
    if (d.loc.file != kFile || d.loc.line == 0 || d.loc.col == 0)
      die((std::string(phase) + " rejection without file:line:col").c_str(), d.render() + "\n--- module:\n" + text);
}

// A dry run; true if it finished. Runtime rejections are located like compile-time ones:
// the runtime takes file:line:col from the plan's location table, and a deadlock report
// points at the workload.
bool dryRun(const abi::Plan& plan, uint64_t& hash, const std::string& text) {
  rt::PlanRunConfig cfg;
  cfg.engine = rt::engineConfigFor(plan.schedule);
  try {
    rt::PlanInterpreter interp(plan, std::move(cfg));
    rt::PlanRunResult r = interp.run();
    if (!r.ok) {
      const SourceLoc& at = r.deadlock->loc;
      if (at.file != kFile || at.line == 0 || at.col == 0)
        die("deadlock report without file:line:col", text);
    }
    hash = r.ok ? r.stats.timelineHash : r.deadlock->tasksIssued;
    return r.ok;
  } catch (const UserError& e) {
    requireLocated(e, "runtime", text);
    hash = 0;
    return false;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider fdp(data, size);
  const char* archs[] = {"ascend910b", "aie_npu1", "host_cpu"};
  const char* archName = archs[fdp.ConsumeIntegralInRange(0, 2)];
  const std::string text = Gen(fdp).module();
  ir::Module m;
  try {
    m = ir::text::parse(text, kFile);
  } catch (const UserError& e) {
    requireLocated(e, "parse", text);
    return 0;
  }
  DiagnosticList diags = ir::verify(m);
  if (diags.hasErrors()) {
    for (const Diagnostic& d : diags.all())
      if (d.severity == Severity::Error && (d.loc.file != kFile || d.loc.line == 0 || d.loc.col == 0))
        die("verifier error without file:line:col", d.render() + "\n--- module:\n" + text);
    return 0;
  }
  const arch::ArchModel& a = arch::builtinArch(archName);
  arch::CapabilityMatrix caps{"fuzz", archName, {}, arch::uniformOps(arch::Support::Enforced, "fuzz: tile library")};
  for (const arch::FeatureInfo& f : arch::allFeatures())
    caps.entries.push_back({f.name, arch::Support::Enforced, "fuzz: everything the runtime core does"});
  abi::Plan plan;
  try {
    plan = lower::lowerWorkload(m, m.workloads.front(), a, caps).plan;
  } catch (const UserError& e) {
    requireLocated(e, "lowering", text);
    return 0;
  }
  uint64_t h1 = 0, h2 = 0;
  const bool ok1 = dryRun(plan, h1, text);
  const bool ok2 = dryRun(plan, h2, text);
  if (ok1 != ok2 || h1 != h2) die("two dry runs of one plan differ", text);
  return 0;
}
